// Package fakelogin runs in-process fake login servers (httptest) that speak the
// channels' wire formats: WeChat's GET /sns/jscode2session and Alipay's gateway
// method alipay.system.oauth.token (RSA2-signed request checked, answer signed with a
// freshly generated key). Codes are issued with Code and work once, as the real ones.
package fakelogin

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/idphoto/idphoto/internal/alipayopen"
	"github.com/idphoto/idphoto/internal/login"
)

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WeChat is a fake code2session server.
type WeChat struct {
	Server        *httptest.Server
	AppID, Secret string

	mu    sync.Mutex
	codes map[string]string // code → openid
	// SessionKeys lists every session_key handed out, for tests that look for them.
	SessionKeys []string
	// Calls counts requests.
	Calls int
}

// NewWeChat starts a fake WeChat login server. Close it when done.
func NewWeChat() *WeChat {
	w := &WeChat{AppID: "wx" + random(8), Secret: random(16), codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sns/jscode2session", w.code2session)
	w.Server = httptest.NewServer(mux)
	return w
}

// Close stops the server.
func (w *WeChat) Close() { w.Server.Close() }

// Config returns a login config that talks to this fake.
func (w *WeChat) Config() login.WeChatConfig {
	return login.WeChatConfig{BaseURL: w.Server.URL, AppID: w.AppID, Secret: w.Secret, Timeout: 5 * time.Second}
}

// Code issues a one-time login code for openid, as wx.login does on the phone.
func (w *WeChat) Code(openid string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := random(16)
	w.codes[c] = openid
	return c
}

// NewOpenID returns an openid of WeChat's form (28 characters).
func NewOpenID() string { return "o" + strings.ToUpper(random(6))[:6] + "_" + random(10) }

func (w *WeChat) code2session(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	answer := func(v any) {
		rw.Header().Set("Content-Type", "text/plain") // WeChat really says text/plain
		json.NewEncoder(rw).Encode(v)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Calls++
	if q.Get("appid") != w.AppID || q.Get("secret") != w.Secret {
		answer(map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		answer(map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
		return
	}
	openid, ok := w.codes[q.Get("js_code")]
	if !ok {
		answer(map[string]any{"errcode": 40029, "errmsg": "invalid code"})
		return
	}
	delete(w.codes, q.Get("js_code"))
	sk := base64.StdEncoding.EncodeToString([]byte(random(8)))
	w.SessionKeys = append(w.SessionKeys, sk)
	answer(map[string]any{"openid": openid, "session_key": sk, "unionid": "u" + random(12)})
}

// Alipay is a fake Alipay gateway answering alipay.system.oauth.token.
type Alipay struct {
	Server    *httptest.Server
	AppID     string
	AppKey    *rsa.PrivateKey
	AlipayKey *rsa.PrivateKey

	mu     sync.Mutex
	codes  map[string]string
	Tokens []string // access tokens handed out
}

// NewAlipay starts a fake Alipay gateway. Close it when done.
func NewAlipay() (*Alipay, error) {
	app, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ali, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	a := &Alipay{AppID: "2021" + random(6), AppKey: app, AlipayKey: ali, codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /gateway.do", a.gateway)
	a.Server = httptest.NewServer(mux)
	return a, nil
}

// Close stops the server.
func (a *Alipay) Close() { a.Server.Close() }

// Config returns a login config that talks to this fake.
func (a *Alipay) Config() login.AlipayConfig {
	der, _ := x509.MarshalPKCS8PrivateKey(a.AppKey)
	pub, _ := x509.MarshalPKIXPublicKey(&a.AlipayKey.PublicKey)
	return login.AlipayConfig{GatewayURL: a.Server.URL + "/gateway.do", AppID: a.AppID,
		AppPrivateKey:   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		AlipayPublicKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		Timeout:         5 * time.Second}
}

// Code issues a one-time auth code for an Alipay user id, as my.getAuthCode does.
func (a *Alipay) Code(userID string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := random(16)
	a.codes[c] = userID
	return c
}

// NewUserID returns an Alipay user id of the 2088 form.
func NewUserID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return "2088" + string(b)
}

func (a *Alipay) sign(msg []byte) string {
	h := sha256.Sum256(msg)
	sig, _ := rsa.SignPKCS1v15(rand.Reader, a.AlipayKey, crypto.SHA256, h[:])
	return base64.StdEncoding.EncodeToString(sig)
}

func (a *Alipay) gateway(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := r.PostForm
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	method := p.Get("method")
	// Errors of the oauth method come as error_response, signed.
	fail := func(sub, msg string) {
		raw, _ := json.Marshal(map[string]string{"code": "40002", "msg": "Invalid Arguments", "sub_code": sub, "sub_msg": msg})
		fmt.Fprintf(w, `{"error_response":%s,"sign":%q}`, raw, a.sign(raw))
	}
	if method != "alipay.system.oauth.token" {
		fail("isv.invalid-method", "unknown method")
		return
	}
	if p.Get("app_id") != a.AppID {
		fail("isv.invalid-app-id", "unknown app_id")
		return
	}
	if p.Get("sign_type") != "RSA2" || alipayopen.Verify(&a.AppKey.PublicKey, []byte(alipayopen.SignContent(p)), p.Get("sign")) != nil {
		fail("isv.invalid-signature", "signature does not verify")
		return
	}
	if p.Get("grant_type") != "authorization_code" {
		fail("isv.grant-type-invalid", "grant_type")
		return
	}
	a.mu.Lock()
	user, ok := a.codes[p.Get("code")]
	delete(a.codes, p.Get("code"))
	tok := "authusrB" + random(16)
	if ok {
		a.Tokens = append(a.Tokens, tok)
	}
	a.mu.Unlock()
	if !ok {
		fail("isv.code-invalid", "授权码code无效")
		return
	}
	raw, _ := json.Marshal(map[string]any{"user_id": user, "access_token": tok, "expires_in": 1296000,
		"refresh_token": "authusrB" + random(16), "re_expires_in": 2592000, "auth_start": time.Now().Format(alipayopen.TimeLayout)})
	fmt.Fprintf(w, `{"alipay_system_oauth_token_response":%s,"sign":%q}`, raw, a.sign(raw))
}

// Forged answers every call with a signature by another key (tests of verification).
func (a *Alipay) Forge() error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.AlipayKey = k
	a.mu.Unlock()
	return nil
}
