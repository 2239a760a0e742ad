package alipayopen

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ChinaTime is the gateway's clock zone; TimeLayout its time format.
var ChinaTime = time.FixedZone("CST", 8*3600)

// TimeLayout is how the gateway writes times.
const TimeLayout = "2006-01-02 15:04:05"

// ErrTransport means the gateway could not be reached or gave an answer that is not a
// verifiable one (not JSON, no response object, a signature that does not verify).
var ErrTransport = errors.New("alipay gateway unreachable or answer not verifiable")

// APIError is an answer whose code is not 10000 (success). Its text holds the
// gateway's codes and message, never the request's parameters.
type APIError struct {
	Method  string
	Code    string
	Msg     string
	SubCode string
	SubMsg  string
	// Signed is false for an unsigned error_response: reported, never trusted further.
	Signed bool
}

func (e *APIError) Error() string {
	return fmt.Sprintf("alipay: %s: %s %s: %s", e.Method, Truncate(e.Code, 16), Truncate(e.SubCode, 64), Truncate(e.SubMsg, 200))
}

// Client signs and posts calls to one app's gateway. Safe for concurrent use.
type Client struct {
	gateway string
	appID   string
	key     *rsa.PrivateKey
	alipay  *rsa.PublicKey
	hc      *http.Client
	// Now is the clock of the requests' timestamps (tests set it).
	Now func() time.Time
}

// NewClient makes a client for the app: the app's private key signs requests, Alipay's
// public key verifies answers (public-key mode).
func NewClient(gateway, appID string, key *rsa.PrivateKey, alipay *rsa.PublicKey, timeout time.Duration) *Client {
	return &Client{gateway: gateway, appID: appID, key: key, alipay: alipay, hc: &http.Client{Timeout: timeout}, Now: time.Now}
}

// answer is the part of every answer that says whether it worked.
type answer struct {
	Code    string `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
}

// Call signs and posts one API call: the common parameters, extra (such as notify_url,
// or grant_type and code, which some methods take outside biz_content) and biz as
// biz_content when not nil. It returns the verified "<method>_response" object. An
// answer with a code other than 10000 is an *APIError; an answer without a code (as
// alipay.system.oauth.token's success) is returned as it is.
func (c *Client) Call(ctx context.Context, method string, extra url.Values, biz any) (json.RawMessage, error) {
	params := url.Values{
		"app_id":    {c.appID},
		"method":    {method},
		"format":    {"JSON"},
		"charset":   {"utf-8"},
		"sign_type": {"RSA2"},
		"timestamp": {c.Now().In(ChinaTime).Format(TimeLayout)},
		"version":   {"1.0"},
	}
	if biz != nil {
		bizJSON, err := json.Marshal(biz)
		if err != nil {
			return nil, err
		}
		params.Set("biz_content", string(bizJSON))
	}
	for k, v := range extra {
		params[k] = v
	}
	sig, err := Sign(c.key, []byte(SignContent(params)))
	if err != nil {
		return nil, fmt.Errorf("alipay: %s: sign: %w", method, err)
	}
	params.Set("sign", sig)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.gateway, strings.NewReader(params.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("alipay: %s: %w: %v", method, ErrTransport, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("alipay: %s: %w: %v", method, ErrTransport, err)
	}
	raw, err := c.verifyAnswer(method, body)
	if err != nil {
		return nil, err
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("alipay: %s: %w: answer is not JSON", method, ErrTransport)
	}
	if a.Code != "" && a.Code != "10000" {
		return nil, &APIError{Method: method, Code: a.Code, Msg: a.Msg, SubCode: a.SubCode, SubMsg: a.SubMsg, Signed: true}
	}
	return raw, nil
}

// verifyAnswer finds the "<method>_response" object and checks that "sign" covers its
// exact bytes. An error answer may come unsigned as error_response: it is reported but
// never trusted as success.
func (c *Client) verifyAnswer(method string, body []byte) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("alipay: %s: %w: answer is not JSON", method, ErrTransport)
	}
	raw, ok := top[strings.ReplaceAll(method, ".", "_")+"_response"]
	if !ok {
		raw, ok = top["error_response"]
	}
	if !ok {
		return nil, fmt.Errorf("alipay: %s: %w: answer without a response", method, ErrTransport)
	}
	var sig string
	if s, ok := top["sign"]; ok {
		_ = json.Unmarshal(s, &sig)
	}
	if sig == "" || Verify(c.alipay, raw, sig) != nil {
		var a answer
		if json.Unmarshal(raw, &a) == nil && a.Code != "" && a.Code != "10000" {
			return nil, &APIError{Method: method, Code: a.Code, Msg: a.Msg, SubCode: a.SubCode, SubMsg: a.SubMsg}
		}
		return nil, fmt.Errorf("alipay: %s: %w: answer's signature does not verify", method, ErrTransport)
	}
	return raw, nil
}
