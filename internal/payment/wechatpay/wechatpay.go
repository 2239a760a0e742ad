// Package wechatpay is the WeChat Pay APIv3 channel for mini-programs (JSAPI), built on
// the official SDK github.com/wechatpay-apiv3/wechatpay-go: prepay with the client's
// paySign, verified and decrypted payment notifications, order query, close and refund.
package wechatpay

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
	"github.com/wechatpay-apiv3/wechatpay-go/utils"

	"github.com/idphoto/idphoto/internal/payment"
)

var chinaTime = time.FixedZone("CST", 8*3600)

// maxNotification bounds a notification body; real ones are about 1 KB.
const maxNotification = 64 << 10

// Provider is the WeChat Pay channel. It is safe for concurrent use.
type Provider struct {
	cfg      Config
	client   *core.Client
	jsapi    jsapi.JsapiApiService
	refunds  refunddomestic.RefundsApiService
	notify   *validators.WechatPayNotifyValidator
	maxSkew  time.Duration
	now      func() time.Time
	platform string // the serial or key id WeChat Pay signs with
}

var _ payment.Provider = (*Provider)(nil)

// New checks the config, loads the keys and builds the SDK client. It makes no request:
// the platform key comes from the config, never from a download at start-up.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mchKey, err := utils.LoadPrivateKey(cfg.MchPrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: merchant private key: %w", err)
	}
	var (
		verifier auth.Verifier
		authOpt  core.ClientOption
		platform string
	)
	if cfg.PlatformPublicKeyPEM != "" {
		pub, err := utils.LoadPublicKey(cfg.PlatformPublicKeyPEM)
		if err != nil {
			return nil, fmt.Errorf("wechatpay: platform public key: %w", err)
		}
		platform = cfg.PlatformPublicKeyID
		verifier = verifiers.NewSHA256WithRSAPubkeyVerifier(platform, *pub)
		authOpt = option.WithWechatPayPublicKeyAuthCipher(cfg.MchID, cfg.MchCertSerial, mchKey, platform, pub)
	} else {
		cert, err := utils.LoadCertificate(cfg.PlatformCertPEM)
		if err != nil {
			return nil, fmt.Errorf("wechatpay: platform certificate: %w", err)
		}
		if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
			return nil, errors.New("wechatpay: platform certificate has no RSA key")
		}
		platform = utils.GetCertificateSerialNumber(*cert)
		verifier = verifiers.NewSHA256WithRSAVerifier(core.NewCertificateMapWithList([]*x509.Certificate{cert}))
		authOpt = option.WithWechatPayAuthCipher(cfg.MchID, cfg.MchCertSerial, mchKey, []*x509.Certificate{cert})
	}
	base, _ := url.Parse(cfg.BaseURL) // checked by Validate
	hc := &http.Client{Timeout: cfg.Timeout, Transport: rebase{base: base, next: http.DefaultTransport}}
	client, err := core.NewClient(context.Background(), authOpt, option.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("wechatpay: client: %w", err)
	}
	skew := cfg.NotifyMaxSkew
	if skew == 0 {
		skew = 5 * time.Minute
	}
	return &Provider{
		cfg:      cfg,
		client:   client,
		jsapi:    jsapi.JsapiApiService{Client: client},
		refunds:  refunddomestic.RefundsApiService{Client: client},
		notify:   validators.NewWechatPayNotifyValidator(verifier),
		maxSkew:  skew,
		now:      time.Now,
		platform: platform,
	}, nil
}

// rebase sends the SDK's requests, whose URLs are fixed to api.mch.weixin.qq.com, to the
// configured base URL. The request signature covers only the path and query, so it holds.
type rebase struct {
	base *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == r.base.Scheme && req.URL.Host == r.base.Host {
		return r.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.base.Scheme, r.base.Host, r.base.Host
	return r.next.RoundTrip(req)
}

// Channel returns payment.WeChatPay.
func (p *Provider) Channel() payment.Channel { return payment.WeChatPay }

// Prepay opens a JSAPI trade and returns wx.requestPayment's parameters, with paySign:
// RSA-SHA256 by the merchant key over "appId\ntimeStamp\nnonceStr\npackage\n".
func (p *Provider) Prepay(ctx context.Context, r payment.PrepayRequest) (payment.ClientParams, error) {
	if r.OutTradeNo == "" || r.AmountFen <= 0 || r.PayerID == "" || r.Description == "" {
		return payment.ClientParams{}, errors.New("wechatpay: prepay needs an order id, a positive amount, a payer and a description")
	}
	req := jsapi.PrepayRequest{
		Appid:       core.String(p.cfg.AppID),
		Mchid:       core.String(p.cfg.MchID),
		Description: core.String(truncate(r.Description, 127)),
		OutTradeNo:  core.String(r.OutTradeNo),
		NotifyUrl:   core.String(p.cfg.NotifyURL),
		Amount:      &jsapi.Amount{Total: core.Int64(r.AmountFen), Currency: core.String("CNY")},
		Payer:       &jsapi.Payer{Openid: core.String(r.PayerID)},
	}
	if !r.ExpiresAt.IsZero() {
		// WeChat Pay wants whole seconds with an offset: 2025-03-01T18:30:00+08:00.
		req.TimeExpire = core.Time(r.ExpiresAt.Truncate(time.Second).In(chinaTime))
	}
	if r.ClientIP != "" {
		req.SceneInfo = &jsapi.SceneInfo{PayerClientIp: core.String(r.ClientIP)}
	}
	resp, _, err := p.jsapi.PrepayWithRequestPayment(ctx, req)
	if err != nil {
		return payment.ClientParams{}, apiError("prepay", err)
	}
	return payment.ClientParams{
		Channel: payment.WeChatPay,
		Fields: map[string]string{
			"appId":     deref(resp.Appid),
			"timeStamp": deref(resp.TimeStamp),
			"nonceStr":  deref(resp.NonceStr),
			"package":   deref(resp.Package),
			"signType":  deref(resp.SignType),
			"paySign":   deref(resp.PaySign),
		},
	}, nil
}

// envelope is a notification's outer JSON.
type envelope struct {
	ID           string `json:"id"`
	EventType    string `json:"event_type"`
	ResourceType string `json:"resource_type"`
	Resource     *struct {
		Algorithm      string `json:"algorithm"`
		Ciphertext     string `json:"ciphertext"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
		OriginalType   string `json:"original_type"`
	} `json:"resource"`
}

// ParseNotification verifies a payment notification (Wechatpay-Signature over
// "timestamp\nnonce\nbody\n" with the platform key, the serial, a timestamp within five
// minutes), decrypts its resource with the APIv3 key and checks app, merchant and state.
func (p *Provider) ParseNotification(ctx context.Context, header http.Header, body []byte) (payment.Trade, error) {
	if len(body) == 0 || len(body) > maxNotification {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: body of %d bytes", payment.ErrInvalidNotification, len(body))
	}
	if s := strings.TrimSpace(header.Get("Wechatpay-Serial")); s != p.platform {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: serial %q is not the platform's", payment.ErrInvalidNotification, truncate(s, 64))
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(header.Get("Wechatpay-Timestamp")), 10, 64)
	if err != nil {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: no timestamp", payment.ErrInvalidNotification)
	}
	if d := p.now().Sub(time.Unix(ts, 0)); d > p.maxSkew || d < -p.maxSkew {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: timestamp %s off", payment.ErrInvalidNotification, d.Round(time.Second))
	}
	if st := header.Get("Wechatpay-Signature-Type"); st != "" && st != "WECHATPAY2-SHA256-RSA2048" {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: signature type %q", payment.ErrInvalidNotification, truncate(st, 64))
	}
	// The SDK's validator: signature, serial and its own five-minute window.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(string(body)))
	if err != nil {
		return payment.Trade{}, err
	}
	req.Header = header.Clone()
	if err := p.notify.Validate(ctx, req); err != nil {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: %v", payment.ErrInvalidNotification, err)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: %v", payment.ErrInvalidNotification, err)
	}
	if env.EventType != "TRANSACTION.SUCCESS" || env.Resource == nil {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: event %q is not a payment", payment.ErrInvalidNotification, truncate(env.EventType, 64))
	}
	res := env.Resource
	// GCM panics on a nonce of the wrong length; WeChat Pay's is 12 characters.
	if res.Algorithm != "AEAD_AES_256_GCM" || len(res.Nonce) != 12 {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: resource algorithm %q", payment.ErrInvalidNotification, truncate(res.Algorithm, 64))
	}
	plain, err := utils.DecryptAES256GCM(p.cfg.APIv3Key, res.AssociatedData, res.Nonce, res.Ciphertext)
	if err != nil {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: resource does not decrypt", payment.ErrInvalidNotification)
	}
	var tx payments.Transaction
	if err := json.Unmarshal([]byte(plain), &tx); err != nil {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: resource is not a transaction", payment.ErrInvalidNotification)
	}
	t, err := p.trade(tx)
	if err != nil {
		return payment.Trade{}, err
	}
	if t.State != payment.StatePaid {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: TRANSACTION.SUCCESS with state %s", payment.ErrInvalidNotification, t.State)
	}
	return t, nil
}

// trade checks a transaction against the merchant and converts it.
func (p *Provider) trade(tx payments.Transaction) (payment.Trade, error) {
	if deref(tx.Appid) != p.cfg.AppID || deref(tx.Mchid) != p.cfg.MchID {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w", payment.ErrWrongApp)
	}
	if tx.OutTradeNo == nil || *tx.OutTradeNo == "" || tx.Amount == nil || tx.Amount.Total == nil || tx.TradeState == nil {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: transaction lacks out_trade_no, amount or state", payment.ErrInvalidNotification)
	}
	if c := deref(tx.Amount.Currency); c != "" && c != "CNY" {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: currency %q", payment.ErrInvalidNotification, truncate(c, 8))
	}
	t := payment.Trade{
		Channel:    payment.WeChatPay,
		OutTradeNo: *tx.OutTradeNo,
		TradeNo:    deref(tx.TransactionId),
		AmountFen:  *tx.Amount.Total,
	}
	if tx.Payer != nil {
		t.PayerID = deref(tx.Payer.Openid)
	}
	switch *tx.TradeState {
	case "SUCCESS":
		t.State = payment.StatePaid
	case "REFUND":
		t.State = payment.StateRefunded
	case "NOTPAY", "USERPAYING":
		t.State = payment.StatePending
	case "CLOSED", "REVOKED":
		t.State = payment.StateClosed
	case "PAYERROR":
		t.State = payment.StateFailed
	default:
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: trade state %q", payment.ErrInvalidNotification, truncate(*tx.TradeState, 32))
	}
	if t.State == payment.StatePaid || t.State == payment.StateRefunded {
		if t.TradeNo == "" || t.AmountFen <= 0 {
			return payment.Trade{}, fmt.Errorf("wechatpay: %w: paid transaction lacks its id or amount", payment.ErrInvalidNotification)
		}
		at, err := time.Parse(time.RFC3339, deref(tx.SuccessTime))
		if err != nil {
			return payment.Trade{}, fmt.Errorf("wechatpay: %w: success_time", payment.ErrInvalidNotification)
		}
		t.PaidAt = at
	}
	return t, nil
}

// Reply answers a notification: 204 with no body acknowledges it; otherwise a JSON
// failure that makes WeChat Pay retry.
func (p *Provider) Reply(w http.ResponseWriter, err error) {
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	status := http.StatusInternalServerError
	if errors.Is(err, payment.ErrInvalidNotification) || errors.Is(err, payment.ErrWrongApp) {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"code":"FAIL","message":"失败"}`))
}

// Query asks WeChat Pay about a trade by our order id.
func (p *Provider) Query(ctx context.Context, outTradeNo string) (payment.Trade, error) {
	tx, _, err := p.jsapi.QueryOrderByOutTradeNo(ctx, jsapi.QueryOrderByOutTradeNoRequest{
		OutTradeNo: core.String(outTradeNo),
		Mchid:      core.String(p.cfg.MchID),
	})
	if err != nil {
		if core.IsAPIError(err, "ORDER_NOT_EXIST") || core.IsAPIError(err, "ORDERNOTEXIST") {
			return payment.Trade{}, fmt.Errorf("wechatpay: query %s: %w", outTradeNo, payment.ErrTradeNotFound)
		}
		return payment.Trade{}, apiError("query", err)
	}
	t, err := p.trade(*tx)
	if err != nil {
		return payment.Trade{}, err
	}
	if t.OutTradeNo != outTradeNo {
		return payment.Trade{}, fmt.Errorf("wechatpay: %w: query for %s answered for another trade", payment.ErrChannel, outTradeNo)
	}
	return t, nil
}

// Close closes an unpaid trade (POST /v3/pay/transactions/out-trade-no/{no}/close with
// the merchant id; 204 No Content). WeChat Pay answers 202 USER_PAYING while the payer
// is entering a PIN: that trade is not closed. ORDER_CLOSED and an unknown trade need
// no closing.
func (p *Provider) Close(ctx context.Context, outTradeNo string) error {
	if outTradeNo == "" {
		return errors.New("wechatpay: close needs an order id")
	}
	res, err := p.jsapi.CloseOrder(ctx, jsapi.CloseOrderRequest{
		OutTradeNo: core.String(outTradeNo),
		Mchid:      core.String(p.cfg.MchID),
	})
	switch {
	case core.IsAPIError(err, "ORDER_CLOSED") || core.IsAPIError(err, "ORDER_NOT_EXIST") || core.IsAPIError(err, "ORDERNOTEXIST"):
		return nil
	case err != nil:
		return apiError("close", err)
	case res == nil || res.Response == nil:
		return fmt.Errorf("wechatpay: close %s: %w: no answer", outTradeNo, payment.ErrChannel)
	case res.Response.StatusCode != http.StatusNoContent:
		// The SDK takes any 2xx as success; only 204 means closed.
		return fmt.Errorf("wechatpay: close %s: %w: HTTP %d (the payer may be paying)", outTradeNo, payment.ErrChannel, res.Response.StatusCode)
	}
	return nil
}

// Refund asks WeChat Pay to return money.
func (p *Provider) Refund(ctx context.Context, r payment.RefundRequest) (payment.Refund, error) {
	if r.OutTradeNo == "" || r.OutRefundNo == "" || r.RefundFen <= 0 || r.RefundFen > r.TotalFen {
		return payment.Refund{}, errors.New("wechatpay: refund needs ids and 0 < refund ≤ total")
	}
	req := refunddomestic.CreateRequest{
		OutTradeNo:  core.String(r.OutTradeNo),
		OutRefundNo: core.String(r.OutRefundNo),
		Amount: &refunddomestic.AmountReq{
			Refund: core.Int64(r.RefundFen), Total: core.Int64(r.TotalFen), Currency: core.String("CNY"),
		},
	}
	if r.Reason != "" {
		req.Reason = core.String(truncate(r.Reason, 80))
	}
	resp, _, err := p.refunds.Create(ctx, req)
	if err != nil {
		return payment.Refund{}, apiError("refund", err)
	}
	out := payment.Refund{
		Channel:     payment.WeChatPay,
		OutRefundNo: deref(resp.OutRefundNo),
		RefundNo:    deref(resp.RefundId),
		AmountFen:   r.RefundFen,
	}
	if resp.Amount != nil && resp.Amount.Refund != nil {
		out.AmountFen = *resp.Amount.Refund
	}
	if resp.Status != nil {
		switch *resp.Status {
		case refunddomestic.STATUS_SUCCESS:
			out.Done = true
		case refunddomestic.STATUS_PROCESSING:
		default:
			return out, fmt.Errorf("wechatpay: %w: refund status %s", payment.ErrChannel, *resp.Status)
		}
	}
	return out, nil
}

// apiError keeps an SDK error's code and message and drops the response headers and
// body the SDK includes in its text.
func apiError(op string, err error) error {
	var ae *core.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("wechatpay: %s: %w: HTTP %d %s: %s", op, payment.ErrChannel, ae.StatusCode, ae.Code, truncate(ae.Message, 200))
	}
	return fmt.Errorf("wechatpay: %s: %w: %v", op, payment.ErrChannel, err)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
