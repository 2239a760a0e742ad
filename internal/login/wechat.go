package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultWeChatBaseURL is WeChat's API host.
const DefaultWeChatBaseURL = "https://api.weixin.qq.com"

// WeChatConfig is a mini-program's login settings.
type WeChatConfig struct {
	BaseURL string
	AppID   string
	Secret  string // the mini-program's AppSecret
	Timeout time.Duration
}

// Validate reports a config that can't work.
func (c WeChatConfig) Validate() error {
	var errs []error
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("login: wechat base URL %q must be absolute", c.BaseURL))
	}
	if c.AppID == "" || c.Secret == "" {
		errs = append(errs, errors.New("login: wechat needs the mini-program's appid and secret"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("login: wechat timeout must be positive"))
	}
	return errors.Join(errs...)
}

// WeChatLogin is the WeChat mini-program login (code2session).
type WeChatLogin struct {
	cfg WeChatConfig
	hc  *http.Client
}

// NewWeChat checks the config.
func NewWeChat(cfg WeChatConfig) (*WeChatLogin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &WeChatLogin{cfg: cfg, hc: &http.Client{Timeout: cfg.Timeout}}, nil
}

// Channel returns WeChat.
func (w *WeChatLogin) Channel() Channel { return WeChat }

// code2session is WeChat's answer. session_key is read only to be dropped.
type code2session struct {
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"unionid"`
	ErrCode    int    `json:"errcode"`
	ErrMsg     string `json:"errmsg"`
}

// Exchange calls GET /sns/jscode2session.
func (w *WeChatLogin) Exchange(ctx context.Context, code string) (Identity, error) {
	if err := checkCode(code); err != nil {
		return Identity{}, err
	}
	q := url.Values{"appid": {w.cfg.AppID}, "secret": {w.cfg.Secret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(w.cfg.BaseURL, "/")+"/sns/jscode2session?"+q.Encode(), nil)
	if err != nil {
		return Identity{}, err
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		// The URL carries the secret and the code: never in the error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Identity{}, fmt.Errorf("login: wechat: %w: %v", ErrChannel, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		return Identity{}, fmt.Errorf("login: wechat: %w: HTTP %d", ErrChannel, resp.StatusCode)
	}
	var a code2session
	if err := json.Unmarshal(body, &a); err != nil {
		return Identity{}, fmt.Errorf("login: wechat: %w: answer is not JSON", ErrChannel)
	}
	a.SessionKey = "" // never kept, never returned
	switch a.ErrCode {
	case 0:
	case 40029, 40163, 40226: // invalid code, code already used, user blocked
		return Identity{}, fmt.Errorf("login: wechat: %w (errcode %d)", ErrBadCode, a.ErrCode)
	case 45011: // too frequent
		return Identity{}, fmt.Errorf("login: wechat: %w (errcode %d)", ErrRateLimited, a.ErrCode)
	default:
		return Identity{}, fmt.Errorf("login: wechat: %w: errcode %d", ErrChannel, a.ErrCode)
	}
	if a.OpenID == "" || len(a.OpenID) > 128 {
		return Identity{}, fmt.Errorf("login: wechat: %w: answer without an openid", ErrChannel)
	}
	return Identity{Channel: WeChat, Subject: a.OpenID}, nil
}
