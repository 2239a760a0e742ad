package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/idphoto/idphoto/internal/alipayopen"
)

// AlipayConfig is an Alipay mini-program's login settings: the same app and keys as
// the Alipay payment channel.
type AlipayConfig struct {
	GatewayURL      string
	AppID           string
	AppPrivateKey   string // PEM or bare base64
	AlipayPublicKey string // PEM or bare base64
	Timeout         time.Duration
}

// Validate reports a config that can't work; NewAlipay checks the keys.
func (c AlipayConfig) Validate() error {
	var errs []error
	if u, err := url.Parse(c.GatewayURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("login: alipay gateway URL %q must be absolute", c.GatewayURL))
	}
	if c.AppID == "" || c.AppPrivateKey == "" || c.AlipayPublicKey == "" {
		errs = append(errs, errors.New("login: alipay needs the app id, the app private key and Alipay's public key"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("login: alipay timeout must be positive"))
	}
	return errors.Join(errs...)
}

// AlipayLogin is the Alipay mini-program login (alipay.system.oauth.token).
type AlipayLogin struct {
	gw *alipayopen.Client
}

// NewAlipay checks the config and loads the keys.
func NewAlipay(cfg AlipayConfig) (*AlipayLogin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key, err := alipayopen.ParsePrivateKey(cfg.AppPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("login: alipay app private key: %w", err)
	}
	pub, err := alipayopen.ParsePublicKey(cfg.AlipayPublicKey)
	if err != nil {
		return nil, fmt.Errorf("login: alipay public key: %w", err)
	}
	return &AlipayLogin{gw: alipayopen.NewClient(cfg.GatewayURL, cfg.AppID, key, pub, cfg.Timeout)}, nil
}

// Channel returns Alipay.
func (a *AlipayLogin) Channel() Channel { return Alipay }

// Exchange calls alipay.system.oauth.token with grant_type authorization_code. The
// access and refresh tokens of the answer are not kept.
func (a *AlipayLogin) Exchange(ctx context.Context, code string) (Identity, error) {
	if err := checkCode(code); err != nil {
		return Identity{}, err
	}
	raw, err := a.gw.Call(ctx, "alipay.system.oauth.token", url.Values{"grant_type": {"authorization_code"}, "code": {code}}, nil)
	var ae *alipayopen.APIError
	switch {
	case errors.As(err, &ae) && (ae.SubCode == "isv.code-invalid" || ae.SubCode == "isv.code-expired" || ae.SubCode == "isv.auth-code-invalid"):
		return Identity{}, fmt.Errorf("login: alipay: %w (%s)", ErrBadCode, alipayopen.Truncate(ae.SubCode, 64))
	case errors.As(err, &ae):
		return Identity{}, fmt.Errorf("login: alipay: %w: %s %s", ErrChannel, alipayopen.Truncate(ae.Code, 16), alipayopen.Truncate(ae.SubCode, 64))
	case err != nil:
		return Identity{}, fmt.Errorf("login: alipay: %w: %v", ErrChannel, err)
	}
	var out struct {
		UserID string `json:"user_id"`
		OpenID string `json:"open_id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return Identity{}, fmt.Errorf("login: alipay: %w: answer is not JSON", ErrChannel)
	}
	sub := out.UserID
	if sub == "" {
		sub = out.OpenID
	}
	if sub == "" || len(sub) > 128 {
		return Identity{}, fmt.Errorf("login: alipay: %w: answer without a user id", ErrChannel)
	}
	return Identity{Channel: Alipay, Subject: sub}, nil
}
