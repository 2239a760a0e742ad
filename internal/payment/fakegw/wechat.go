package fakegw

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idphoto/idphoto/internal/payment/wechatpay"
)

// WeChat is a fake WeChat Pay APIv3 gateway: JSAPI prepay, query and close by
// out_trade_no and domestic refunds, with request signatures checked and answers signed.
// A closed trade can't be paid.
type WeChat struct {
	Server *httptest.Server

	AppID, MchID  string
	MchCertSerial string
	MchKey        *rsa.PrivateKey // the merchant's key, issued here
	APIv3Key      string

	PlatformKey  *rsa.PrivateKey
	PublicKeyID  string            // PUB_KEY_ID_…, the id of PlatformKey's public half
	PlatformCert *x509.Certificate // the same key in certificate form
	CertSerial   string            // PlatformCert's serial, upper-case hex
	useCert      bool

	mu     sync.Mutex
	trades map[string]*wxTrade
}

type wxTrade struct {
	OutTradeNo    string
	PrepayID      string
	Description   string
	AmountFen     int64
	OpenID        string
	NotifyURL     string
	State         string // NOTPAY, USERPAYING, SUCCESS, REFUND, CLOSED
	TransactionID string
	SuccessTime   time.Time
	RefundedFen   int64
	refunds       map[string]int64
}

// WeChatOptions chooses how the fake identifies its signing key.
type WeChatOptions struct {
	// Certificate makes it sign as a platform certificate (serial number) rather than
	// as a WeChat Pay public key (PUB_KEY_ID_…).
	Certificate bool
}

// NewWeChat starts a fake WeChat Pay gateway. Close it when done.
func NewWeChat(o WeChatOptions) (*WeChat, error) {
	mch, err := newKey()
	if err != nil {
		return nil, err
	}
	plat, err := newKey()
	if err != nil {
		return nil, err
	}
	serial := big.NewInt(0).SetBytes([]byte(randomString(16)))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Tenpay.com fake platform certificate", Organization: []string{"idphoto fakegw"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &plat.PublicKey, plat)
	if err != nil {
		return nil, fmt.Errorf("fakegw: platform certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	g := &WeChat{
		AppID:         "wxfake" + strings.ToLower(randomString(12)),
		MchID:         "19" + randomDigits(8),
		MchCertSerial: strings.ToUpper(fmt.Sprintf("%x", randomString(20))),
		MchKey:        mch,
		APIv3Key:      randomString(32),
		PlatformKey:   plat,
		PublicKeyID:   "PUB_KEY_ID_" + randomDigits(28),
		PlatformCert:  cert,
		CertSerial:    strings.ToUpper(cert.SerialNumber.Text(16)),
		useCert:       o.Certificate,
		trades:        map[string]*wxTrade{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/pay/transactions/jsapi", g.prepay)
	mux.HandleFunc("GET /v3/pay/transactions/out-trade-no/{no}", g.query)
	mux.HandleFunc("POST /v3/pay/transactions/out-trade-no/{no}/close", g.close)
	mux.HandleFunc("POST /v3/refund/domestic/refunds", g.refund)
	g.Server = httptest.NewServer(mux)
	return g, nil
}

// Close stops the server.
func (g *WeChat) Close() { g.Server.Close() }

// Config returns a merchant config that talks to this fake.
func (g *WeChat) Config(notifyURL string) wechatpay.Config {
	c := wechatpay.Config{
		BaseURL:          g.Server.URL,
		AppID:            g.AppID,
		MchID:            g.MchID,
		MchCertSerial:    g.MchCertSerial,
		MchPrivateKeyPEM: privatePEM(g.MchKey),
		APIv3Key:         g.APIv3Key,
		NotifyURL:        notifyURL,
		Timeout:          10 * time.Second,
	}
	if g.useCert {
		c.PlatformCertPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.PlatformCert.Raw}))
	} else {
		c.PlatformPublicKeyID = g.PublicKeyID
		c.PlatformPublicKeyPEM = publicPEM(&g.PlatformKey.PublicKey)
	}
	return c
}

func (g *WeChat) platformSerial() string {
	if g.useCert {
		return g.CertSerial
	}
	return g.PublicKeyID
}

// signHeaders sets the Wechatpay-* headers over "timestamp\nnonce\nbody\n".
func (g *WeChat) signHeaders(h http.Header, at time.Time, body []byte) {
	g.signHeadersWith(g.PlatformKey, h, at, body)
}

func (g *WeChat) signHeadersWith(k *rsa.PrivateKey, h http.Header, at time.Time, body []byte) {
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := randomString(32)
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Serial", g.platformSerial())
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	h.Set("Wechatpay-Signature", signSHA256(k, ts+"\n"+nonce+"\n"+string(body)+"\n"))
}

func (g *WeChat) reply(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	g.signHeaders(w.Header(), time.Now(), body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", randomString(24))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (g *WeChat) fail(w http.ResponseWriter, status int, code, msg string) {
	g.reply(w, status, map[string]string{"code": code, "message": msg})
}

// authenticate checks the merchant's Authorization header: WECHATPAY2-SHA256-RSA2048
// over "METHOD\nURI\ntimestamp\nnonce\nbody\n".
func (g *WeChat) authenticate(r *http.Request, body []byte) error {
	const scheme = "WECHATPAY2-SHA256-RSA2048 "
	a := r.Header.Get("Authorization")
	if !strings.HasPrefix(a, scheme) {
		return errors.New("no WECHATPAY2-SHA256-RSA2048 authorization")
	}
	f := map[string]string{}
	for _, kv := range strings.Split(strings.TrimPrefix(a, scheme), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return errors.New("malformed authorization")
		}
		f[k] = strings.Trim(v, `"`)
	}
	if f["mchid"] != g.MchID || f["serial_no"] != g.MchCertSerial {
		return errors.New("unknown merchant or certificate")
	}
	ts, err := strconv.ParseInt(f["timestamp"], 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return errors.New("stale timestamp")
	}
	msg := r.Method + "\n" + r.URL.RequestURI() + "\n" + f["timestamp"] + "\n" + f["nonce_str"] + "\n" + string(body) + "\n"
	return verifySHA256(&g.MchKey.PublicKey, msg, f["signature"])
}

func (g *WeChat) read(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		g.fail(w, http.StatusBadRequest, "PARAM_ERROR", "unreadable body")
		return nil, false
	}
	if err := g.authenticate(r, body); err != nil {
		g.fail(w, http.StatusUnauthorized, "SIGN_ERROR", err.Error())
		return nil, false
	}
	return body, true
}

func (g *WeChat) prepay(w http.ResponseWriter, r *http.Request) {
	body, ok := g.read(w, r)
	if !ok {
		return
	}
	var req struct {
		AppID       string `json:"appid"`
		MchID       string `json:"mchid"`
		Description string `json:"description"`
		OutTradeNo  string `json:"out_trade_no"`
		NotifyURL   string `json:"notify_url"`
		TimeExpire  string `json:"time_expire"`
		Amount      struct {
			Total    int64  `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
		Payer struct {
			OpenID string `json:"openid"`
		} `json:"payer"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		g.fail(w, http.StatusBadRequest, "PARAM_ERROR", "body is not JSON")
		return
	}
	switch {
	case req.AppID != g.AppID || req.MchID != g.MchID:
		g.fail(w, http.StatusBadRequest, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match")
		return
	case len(req.OutTradeNo) < 6 || len(req.OutTradeNo) > 32 || req.Description == "" || req.NotifyURL == "" ||
		req.Amount.Total <= 0 || req.Payer.OpenID == "":
		g.fail(w, http.StatusBadRequest, "PARAM_ERROR", "missing or malformed parameters")
		return
	}
	if req.TimeExpire != "" {
		if _, err := time.Parse(time.RFC3339, req.TimeExpire); err != nil {
			g.fail(w, http.StatusBadRequest, "PARAM_ERROR", "time_expire format")
			return
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[req.OutTradeNo]
	switch {
	case t == nil:
		t = &wxTrade{OutTradeNo: req.OutTradeNo, PrepayID: "wx" + randomString(30), Description: req.Description,
			AmountFen: req.Amount.Total, OpenID: req.Payer.OpenID, NotifyURL: req.NotifyURL, State: "NOTPAY"}
		g.trades[req.OutTradeNo] = t
	case t.State == "CLOSED":
		g.fail(w, http.StatusBadRequest, "ORDER_CLOSED", "the order is closed")
		return
	case t.State != "NOTPAY":
		g.fail(w, http.StatusBadRequest, "ORDERPAID", "the order is paid")
		return
	case t.AmountFen != req.Amount.Total || t.OpenID != req.Payer.OpenID:
		g.fail(w, http.StatusBadRequest, "INVALID_REQUEST", "out_trade_no reused with other parameters")
		return
	}
	g.reply(w, http.StatusOK, map[string]string{"prepay_id": t.PrepayID})
}

func (t *wxTrade) transaction(appID, mchID string) map[string]any {
	m := map[string]any{
		"appid": appID, "mchid": mchID, "out_trade_no": t.OutTradeNo, "trade_type": "JSAPI",
		"trade_state": t.State, "trade_state_desc": t.State,
		"payer":  map[string]string{"openid": t.OpenID},
		"amount": map[string]any{"total": t.AmountFen, "payer_total": t.AmountFen, "currency": "CNY", "payer_currency": "CNY"},
	}
	if t.TransactionID != "" {
		m["transaction_id"] = t.TransactionID
		m["success_time"] = t.SuccessTime.In(chinaTime).Format(time.RFC3339)
		m["bank_type"] = "OTHERS"
	}
	return m
}

var chinaTime = time.FixedZone("CST", 8*3600)

func (g *WeChat) query(w http.ResponseWriter, r *http.Request) {
	if _, ok := g.read(w, r); !ok {
		return
	}
	if r.URL.Query().Get("mchid") != g.MchID {
		g.fail(w, http.StatusBadRequest, "PARAM_ERROR", "mchid")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[r.PathValue("no")]
	if t == nil {
		g.fail(w, http.StatusNotFound, "ORDER_NOT_EXIST", "order does not exist")
		return
	}
	g.reply(w, http.StatusOK, t.transaction(g.AppID, g.MchID))
}

// close closes an unpaid trade: 204 with a signed empty answer. A paid trade is
// ORDERPAID, one whose payer is entering a PIN 202 USER_PAYING (not closed), a closed
// one ORDER_CLOSED.
func (g *WeChat) close(w http.ResponseWriter, r *http.Request) {
	body, ok := g.read(w, r)
	if !ok {
		return
	}
	var req struct {
		MchID string `json:"mchid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.MchID != g.MchID {
		g.fail(w, http.StatusBadRequest, "PARAM_ERROR", "mchid")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[r.PathValue("no")]
	switch {
	case t == nil:
		g.fail(w, http.StatusNotFound, "ORDER_NOT_EXIST", "order does not exist")
	case t.State == "CLOSED":
		g.fail(w, http.StatusBadRequest, "ORDER_CLOSED", "the order is closed")
	case t.State == "USERPAYING":
		g.fail(w, http.StatusAccepted, "USER_PAYING", "the payer is entering a password")
	case t.State != "NOTPAY":
		g.fail(w, http.StatusBadRequest, "ORDERPAID", "the order is paid")
	default:
		t.State = "CLOSED"
		g.signHeaders(w.Header(), time.Now(), nil)
		w.Header().Set("Request-Id", randomString(24))
		w.WriteHeader(http.StatusNoContent)
	}
}

func (g *WeChat) refund(w http.ResponseWriter, r *http.Request) {
	body, ok := g.read(w, r)
	if !ok {
		return
	}
	var req struct {
		OutTradeNo  string `json:"out_trade_no"`
		OutRefundNo string `json:"out_refund_no"`
		Amount      struct {
			Refund   int64  `json:"refund"`
			Total    int64  `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.OutRefundNo == "" {
		g.fail(w, http.StatusBadRequest, "PARAM_ERROR", "malformed refund")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[req.OutTradeNo]
	if t == nil || (t.State != "SUCCESS" && t.State != "REFUND") {
		g.fail(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "no paid order")
		return
	}
	if req.Amount.Total != t.AmountFen || req.Amount.Refund <= 0 {
		g.fail(w, http.StatusBadRequest, "PARAM_ERROR", "refund amounts do not match the order")
		return
	}
	if t.refunds == nil {
		t.refunds = map[string]int64{}
	}
	if prev, seen := t.refunds[req.OutRefundNo]; !seen {
		if t.RefundedFen+req.Amount.Refund > t.AmountFen {
			g.fail(w, http.StatusForbidden, "NOT_ENOUGH", "refund exceeds what was paid")
			return
		}
		t.refunds[req.OutRefundNo] = req.Amount.Refund
		t.RefundedFen += req.Amount.Refund
		t.State = "REFUND"
	} else {
		req.Amount.Refund = prev
	}
	now := time.Now().In(chinaTime).Format(time.RFC3339)
	g.reply(w, http.StatusOK, map[string]any{
		"refund_id": "50" + randomDigits(30), "out_refund_no": req.OutRefundNo, "transaction_id": t.TransactionID,
		"out_trade_no": t.OutTradeNo, "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
		"success_time": now, "create_time": now, "status": "SUCCESS",
		"amount": map[string]any{"total": t.AmountFen, "refund": req.Amount.Refund, "payer_total": t.AmountFen,
			"payer_refund": req.Amount.Refund, "settlement_refund": req.Amount.Refund, "settlement_total": t.AmountFen,
			"discount_refund": 0, "currency": "CNY"},
	})
}

// Pay marks a prepaid trade paid, as if the payer confirmed it in WeChat. A closed
// trade refuses payment.
func (g *WeChat) Pay(outTradeNo string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[outTradeNo]
	if t == nil {
		return fmt.Errorf("fakegw: wechat: no trade %s", outTradeNo)
	}
	switch t.State {
	case "CLOSED":
		return fmt.Errorf("fakegw: wechat: trade %s is closed: %w", outTradeNo, ErrClosed)
	case "NOTPAY", "USERPAYING":
		t.State, t.TransactionID, t.SuccessTime = "SUCCESS", "42"+randomDigits(26), time.Now().Truncate(time.Second)
	}
	return nil
}

// StartPaying puts an unpaid trade in USERPAYING, as while the payer enters a PIN:
// WeChat Pay then refuses to close it.
func (g *WeChat) StartPaying(outTradeNo string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[outTradeNo]
	if t == nil || t.State != "NOTPAY" {
		return fmt.Errorf("fakegw: wechat: no unpaid trade %s", outTradeNo)
	}
	t.State = "USERPAYING"
	return nil
}

// State returns a trade's state (NOTPAY, USERPAYING, SUCCESS, REFUND, CLOSED), or ""
// for a trade the gateway does not know.
func (g *WeChat) State(outTradeNo string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.trades[outTradeNo]; t != nil {
		return t.State
	}
	return ""
}

// Notify changes a notification before it is signed, to test a merchant's checks.
type Notify struct {
	AmountFen int64     // 0: the trade's
	AppID     string    // "": the gateway's
	At        time.Time // zero: now; the notification's timestamp
	// ForeignKey signs with a key that is not the gateway's: a forged notification.
	ForeignKey bool
}

// SignBody signs any body as a notification sent now, for fuzz tests of the parser.
func (g *WeChat) SignBody(body []byte) http.Header {
	h := http.Header{}
	g.signHeaders(h, time.Now(), body)
	return h
}

// SealResource wraps any plaintext as an encrypted TRANSACTION.SUCCESS notification and
// signs it, for fuzz tests of what follows decryption.
func (g *WeChat) SealResource(plain []byte) (http.Header, []byte) {
	block, _ := aes.NewCipher([]byte(g.APIv3Key))
	gcm, _ := cipher.NewGCM(block)
	nonce := randomString(12)
	body, _ := json.Marshal(map[string]any{
		"id": "EV-" + randomString(20), "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
		"resource": map[string]string{
			"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "associated_data": "transaction",
			"nonce": nonce, "ciphertext": base64.StdEncoding.EncodeToString(gcm.Seal(nil, []byte(nonce), plain, []byte("transaction"))),
		},
	})
	return g.SignBody(body), body
}

// Notification builds the TRANSACTION.SUCCESS notification for a paid trade: the
// transaction encrypted with AEAD_AES_256_GCM under the APIv3 key, the request signed.
func (g *WeChat) Notification(outTradeNo string, n Notify) (http.Header, []byte, error) {
	g.mu.Lock()
	t := g.trades[outTradeNo]
	if t == nil || t.State != "SUCCESS" {
		g.mu.Unlock()
		return nil, nil, fmt.Errorf("fakegw: wechat: trade %s is not paid", outTradeNo)
	}
	appID := g.AppID
	if n.AppID != "" {
		appID = n.AppID
	}
	tx := t.transaction(appID, g.MchID)
	g.mu.Unlock()
	if n.AmountFen != 0 {
		tx["amount"] = map[string]any{"total": n.AmountFen, "payer_total": n.AmountFen, "currency": "CNY", "payer_currency": "CNY"}
	}
	plain, err := json.Marshal(tx)
	if err != nil {
		return nil, nil, err
	}
	block, _ := aes.NewCipher([]byte(g.APIv3Key))
	gcm, _ := cipher.NewGCM(block)
	nonce := randomString(12)
	sealed := gcm.Seal(nil, []byte(nonce), plain, []byte("transaction"))
	at := n.At
	if at.IsZero() {
		at = time.Now()
	}
	body, _ := json.Marshal(map[string]any{
		"id": "EV-" + randomString(20), "create_time": at.In(chinaTime).Format(time.RFC3339),
		"resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
		"resource": map[string]string{
			"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "associated_data": "transaction",
			"nonce": nonce, "ciphertext": base64.StdEncoding.EncodeToString(sealed),
		},
	})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	k := g.PlatformKey
	if n.ForeignKey {
		if k, err = foreignKey(); err != nil {
			return nil, nil, err
		}
	}
	g.signHeadersWith(k, h, at, body)
	return h, body, nil
}

// Send posts a notification to a callback URL and returns the answer's status and body.
func (g *WeChat) Send(ctx context.Context, url string, h http.Header, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = h.Clone()
	return send(req)
}

// Accepted reports whether a callback's answer acknowledges a notification: 200 or 204.
func (g *WeChat) Accepted(status int, _ []byte) bool {
	return status == http.StatusOK || status == http.StatusNoContent
}

// NotifyURL returns the notify_url a trade was prepaid with.
func (g *WeChat) NotifyURL(outTradeNo string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.trades[outTradeNo]; t != nil {
		return t.NotifyURL
	}
	return ""
}

// VerifyClientParams checks wx.requestPayment's parameters as the WeChat client does:
// the package names a prepay of this gateway, and paySign is the merchant's
// RSA-SHA256 over "appId\ntimeStamp\nnonceStr\npackage\n".
func (g *WeChat) VerifyClientParams(f map[string]string) error {
	if f["appId"] != g.AppID || f["signType"] != "RSA" || f["timeStamp"] == "" || f["nonceStr"] == "" {
		return errors.New("fakegw: wechat: client parameters incomplete or for another app")
	}
	id, ok := strings.CutPrefix(f["package"], "prepay_id=")
	if !ok {
		return errors.New("fakegw: wechat: package is not prepay_id=…")
	}
	g.mu.Lock()
	found := false
	for _, t := range g.trades {
		found = found || (t.PrepayID == id && t.State == "NOTPAY")
	}
	g.mu.Unlock()
	if !found {
		return errors.New("fakegw: wechat: prepay_id unknown or no longer payable")
	}
	msg := f["appId"] + "\n" + f["timeStamp"] + "\n" + f["nonceStr"] + "\n" + f["package"] + "\n"
	if err := verifySHA256(&g.MchKey.PublicKey, msg, f["paySign"]); err != nil {
		return fmt.Errorf("fakegw: wechat: paySign does not verify: %w", err)
	}
	return nil
}
