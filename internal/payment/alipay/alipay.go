// Package alipay is the Alipay channel for mini-programs, written by hand against the
// open platform's gateway: alipay.trade.create with the buyer's id, RSA2 request
// signing, verified answers and async notifications, trade query, close and refund.
package alipay

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/idphoto/idphoto/internal/alipayopen"
	"github.com/idphoto/idphoto/internal/payment"
)

// DefaultGatewayURL is Alipay's open platform gateway.
const DefaultGatewayURL = "https://openapi.alipay.com/gateway.do"

// Config is an app's Alipay settings. Keys are PEM or the bare base64 Alipay hands out.
type Config struct {
	GatewayURL string
	AppID      string
	// AppPrivateKey signs requests (RSA2); AlipayPublicKey verifies answers and
	// notifications (public-key mode; certificate mode is not supported).
	AppPrivateKey   string
	AlipayPublicKey string
	// SellerID is the merchant's Alipay user id (2088…); when set, notifications for
	// another seller are refused.
	SellerID string
	// NotifyURL is where Alipay posts notifications.
	NotifyURL string
	Timeout   time.Duration
	// NotifyMaxAge bounds the distance between a notification's notify_time (the time
	// this delivery was sent) and now; 0 means five minutes.
	NotifyMaxAge time.Duration
}

// Validate reports a config that can't work. New checks the keys.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.GatewayURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("alipay: gateway URL %q must be absolute", c.GatewayURL))
	}
	if c.AppID == "" {
		errs = append(errs, errors.New("alipay: app id is required"))
	}
	if c.AppPrivateKey == "" || c.AlipayPublicKey == "" {
		errs = append(errs, errors.New("alipay: the app private key and Alipay's public key are required"))
	}
	if n, err := url.Parse(c.NotifyURL); err != nil || (n.Scheme != "https" && n.Scheme != "http") || n.Host == "" {
		errs = append(errs, fmt.Errorf("alipay: notify URL %q must be absolute", c.NotifyURL))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("alipay: timeout must be positive"))
	}
	if c.NotifyMaxAge < 0 {
		errs = append(errs, errors.New("alipay: notify max age must not be negative"))
	}
	return errors.Join(errs...)
}

// Provider is the Alipay channel. It is safe for concurrent use.
type Provider struct {
	cfg    Config
	gw     *alipayopen.Client
	alipay *rsa.PublicKey
	maxAge time.Duration
	now    func() time.Time
}

var _ payment.Provider = (*Provider)(nil)

// New checks the config and loads the keys.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key, err := alipayopen.ParsePrivateKey(cfg.AppPrivateKey)
	if err != nil {
		return nil, fmt.Errorf("alipay: app private key: %w", err)
	}
	pub, err := alipayopen.ParsePublicKey(cfg.AlipayPublicKey)
	if err != nil {
		return nil, fmt.Errorf("alipay: Alipay public key: %w", err)
	}
	age := cfg.NotifyMaxAge
	if age == 0 {
		age = 5 * time.Minute
	}
	p := &Provider{cfg: cfg, gw: alipayopen.NewClient(cfg.GatewayURL, cfg.AppID, key, pub, cfg.Timeout), alipay: pub, maxAge: age, now: time.Now}
	p.gw.Now = func() time.Time { return p.now() }
	return p, nil
}

// Channel returns payment.Alipay.
func (p *Provider) Channel() payment.Channel { return payment.Alipay }

var chinaTime = alipayopen.ChinaTime

const timeLayout = alipayopen.TimeLayout

// call signs and posts one API call through the shared gateway client and decodes its
// verified answer, which must say code 10000, into out.
func (p *Provider) call(ctx context.Context, method string, biz any, notify bool, out any) error {
	var extra url.Values
	if notify {
		extra = url.Values{"notify_url": {p.cfg.NotifyURL}}
	}
	raw, err := p.gw.Call(ctx, method, extra, biz)
	var ae *alipayopen.APIError
	switch {
	case errors.As(err, &ae) && !ae.Signed:
		return fmt.Errorf("alipay: %s: %w: unsigned error %s %s", method, payment.ErrChannel, truncate(ae.Code, 16), truncate(ae.SubCode, 64))
	case errors.As(err, &ae) && ae.SubCode == "ACQ.TRADE_NOT_EXIST":
		return fmt.Errorf("alipay: %s: %w", method, payment.ErrTradeNotFound)
	case errors.As(err, &ae):
		return fmt.Errorf("alipay: %s: %w: %s %s: %s", method, payment.ErrChannel, truncate(ae.Code, 16), truncate(ae.SubCode, 64), truncate(ae.SubMsg, 200))
	case errors.Is(err, alipayopen.ErrTransport):
		return fmt.Errorf("%w: %v", payment.ErrChannel, err)
	case err != nil:
		return err
	}
	var a struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.Code != "10000" {
		return fmt.Errorf("alipay: %s: %w: answer without code 10000", method, payment.ErrChannel)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("alipay: %s: %w: %v", method, payment.ErrChannel, err)
	}
	return nil
}

// buyerIDRE matches an Alipay user id; other payer ids are the newer per-app open ids.
var buyerIDRE = regexp.MustCompile(`^2088[0-9]{12}$`)

// Prepay creates the trade (alipay.trade.create) and returns my.tradePay's tradeNO.
func (p *Provider) Prepay(ctx context.Context, r payment.PrepayRequest) (payment.ClientParams, error) {
	if r.OutTradeNo == "" || r.AmountFen <= 0 || r.PayerID == "" || r.Description == "" {
		return payment.ClientParams{}, errors.New("alipay: prepay needs an order id, a positive amount, a payer and a description")
	}
	biz := map[string]string{
		"out_trade_no": r.OutTradeNo,
		"total_amount": FormatYuan(r.AmountFen),
		"subject":      truncate(r.Description, 256),
		"product_code": "JSAPI_PAY",
	}
	if buyerIDRE.MatchString(r.PayerID) {
		biz["buyer_id"] = r.PayerID
	} else {
		biz["buyer_open_id"] = r.PayerID
	}
	if !r.ExpiresAt.IsZero() {
		biz["time_expire"] = r.ExpiresAt.In(chinaTime).Format(timeLayout)
	}
	var out struct {
		OutTradeNo string `json:"out_trade_no"`
		TradeNo    string `json:"trade_no"`
	}
	if err := p.call(ctx, "alipay.trade.create", biz, true, &out); err != nil {
		return payment.ClientParams{}, err
	}
	if out.TradeNo == "" || out.OutTradeNo != r.OutTradeNo {
		return payment.ClientParams{}, fmt.Errorf("alipay: trade create: %w: answer for another trade", payment.ErrChannel)
	}
	return payment.ClientParams{Channel: payment.Alipay, Fields: map[string]string{"tradeNO": out.TradeNo}}, nil
}

// maxNotification bounds a notification body; real ones are about 2 KB.
const maxNotification = 64 << 10

// ParseNotification verifies an async notification (RSA2 over the sorted parameters
// without sign and sign_type, with Alipay's public key), its app id, seller and
// notify_time, and decodes it.
func (p *Provider) ParseNotification(_ context.Context, _ http.Header, body []byte) (payment.Trade, error) {
	bad := func(format string, a ...any) (payment.Trade, error) {
		return payment.Trade{}, fmt.Errorf("alipay: %w: "+format, append([]any{payment.ErrInvalidNotification}, a...)...)
	}
	if len(body) == 0 || len(body) > maxNotification {
		return bad("body of %d bytes", len(body))
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return bad("body is not a form")
	}
	for k, v := range vals {
		if len(v) != 1 {
			return bad("parameter %q repeated", truncate(k, 32))
		}
	}
	if st := vals.Get("sign_type"); st != "" && st != "RSA2" {
		return bad("sign_type %q", truncate(st, 16))
	}
	if err := Verify(p.alipay, []byte(VerifyContent(vals)), vals.Get("sign")); err != nil {
		return bad("signature: %v", err)
	}
	if vals.Get("app_id") != p.cfg.AppID || (p.cfg.SellerID != "" && vals.Get("seller_id") != p.cfg.SellerID) {
		return payment.Trade{}, fmt.Errorf("alipay: %w", payment.ErrWrongApp)
	}
	sent, err := time.ParseInLocation(timeLayout, vals.Get("notify_time"), chinaTime)
	if err != nil {
		return bad("notify_time")
	}
	if d := p.now().Sub(sent); d > p.maxAge || d < -p.maxAge {
		return bad("notify_time %s off", d.Round(time.Second))
	}
	if vals.Get("notify_type") != "trade_status_sync" {
		return bad("notify_type %q", truncate(vals.Get("notify_type"), 32))
	}
	return trade(vals.Get("out_trade_no"), vals.Get("trade_no"), vals.Get("total_amount"),
		vals.Get("trade_status"), payer(vals.Get("buyer_id"), vals.Get("buyer_open_id")), vals.Get("gmt_payment"))
}

func payer(ids ...string) string {
	for _, id := range ids {
		if id != "" {
			return id
		}
	}
	return ""
}

// trade converts Alipay's fields into a payment.Trade.
func trade(outTradeNo, tradeNo, total, status, payerID, paidAt string) (payment.Trade, error) {
	bad := func(format string, a ...any) (payment.Trade, error) {
		return payment.Trade{}, fmt.Errorf("alipay: %w: "+format, append([]any{payment.ErrInvalidNotification}, a...)...)
	}
	if outTradeNo == "" || tradeNo == "" {
		return bad("trade without out_trade_no or trade_no")
	}
	fen, err := ParseYuan(total)
	if err != nil {
		return bad("%v", err)
	}
	t := payment.Trade{Channel: payment.Alipay, OutTradeNo: outTradeNo, TradeNo: tradeNo, AmountFen: fen, PayerID: payerID}
	switch status {
	case "TRADE_SUCCESS", "TRADE_FINISHED":
		t.State = payment.StatePaid
		if t.PaidAt, err = time.ParseInLocation(timeLayout, paidAt, chinaTime); err != nil {
			return bad("paid trade without its payment time")
		}
		if fen <= 0 {
			return bad("paid trade of %d fen", fen)
		}
	case "WAIT_BUYER_PAY":
		t.State = payment.StatePending
	case "TRADE_CLOSED":
		t.State = payment.StateClosed
	default:
		return bad("trade_status %q", truncate(status, 32))
	}
	return t, nil
}

// Reply writes "success", the only answer that stops Alipay's retries, or "fail".
func (p *Provider) Reply(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err == nil {
		_, _ = io.WriteString(w, "success")
		return
	}
	status := http.StatusInternalServerError
	if errors.Is(err, payment.ErrInvalidNotification) || errors.Is(err, payment.ErrWrongApp) {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "fail")
}

// Query asks Alipay about a trade (alipay.trade.query).
func (p *Provider) Query(ctx context.Context, outTradeNo string) (payment.Trade, error) {
	var out struct {
		OutTradeNo  string `json:"out_trade_no"`
		TradeNo     string `json:"trade_no"`
		TradeStatus string `json:"trade_status"`
		TotalAmount string `json:"total_amount"`
		BuyerUserID string `json:"buyer_user_id"`
		BuyerOpenID string `json:"buyer_open_id"`
		SendPayDate string `json:"send_pay_date"`
	}
	if err := p.call(ctx, "alipay.trade.query", map[string]string{"out_trade_no": outTradeNo}, false, &out); err != nil {
		return payment.Trade{}, err
	}
	if out.OutTradeNo != outTradeNo {
		return payment.Trade{}, fmt.Errorf("alipay: query %s: %w: answer for another trade", outTradeNo, payment.ErrChannel)
	}
	t, err := trade(out.OutTradeNo, out.TradeNo, out.TotalAmount, out.TradeStatus, payer(out.BuyerUserID, out.BuyerOpenID), out.SendPayDate)
	if err != nil {
		return payment.Trade{}, fmt.Errorf("alipay: query %s: %w: %v", outTradeNo, payment.ErrChannel, err)
	}
	return t, nil
}

// Close closes an unpaid trade (alipay.trade.close), its signed answer verified. A trade
// Alipay does not know (ACQ.TRADE_NOT_EXIST) needs no closing; one paid meanwhile
// (ACQ.TRADE_STATUS_ERROR) is not closed and wraps payment.ErrChannel.
func (p *Provider) Close(ctx context.Context, outTradeNo string) error {
	if outTradeNo == "" {
		return errors.New("alipay: close needs an order id")
	}
	var out struct {
		OutTradeNo string `json:"out_trade_no"`
		TradeNo    string `json:"trade_no"`
	}
	err := p.call(ctx, "alipay.trade.close", map[string]string{"out_trade_no": outTradeNo}, false, &out)
	if errors.Is(err, payment.ErrTradeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if out.OutTradeNo != "" && out.OutTradeNo != outTradeNo {
		return fmt.Errorf("alipay: close %s: %w: answer for another trade", outTradeNo, payment.ErrChannel)
	}
	return nil
}

// Refund asks Alipay to return money (alipay.trade.refund). Alipay refunds at once or
// fails; repeating an out_request_no repeats nothing.
func (p *Provider) Refund(ctx context.Context, r payment.RefundRequest) (payment.Refund, error) {
	if r.OutTradeNo == "" || r.OutRefundNo == "" || r.RefundFen <= 0 || r.RefundFen > r.TotalFen {
		return payment.Refund{}, errors.New("alipay: refund needs ids and 0 < refund ≤ total")
	}
	biz := map[string]string{
		"out_trade_no":   r.OutTradeNo,
		"refund_amount":  FormatYuan(r.RefundFen),
		"out_request_no": r.OutRefundNo,
	}
	if r.Reason != "" {
		biz["refund_reason"] = truncate(r.Reason, 256)
	}
	var out struct {
		TradeNo    string `json:"trade_no"`
		OutTradeNo string `json:"out_trade_no"`
		FundChange string `json:"fund_change"`
	}
	if err := p.call(ctx, "alipay.trade.refund", biz, false, &out); err != nil {
		return payment.Refund{}, err
	}
	if out.OutTradeNo != r.OutTradeNo {
		return payment.Refund{}, fmt.Errorf("alipay: refund: %w: answer for another trade", payment.ErrChannel)
	}
	return payment.Refund{
		Channel:     payment.Alipay,
		OutRefundNo: r.OutRefundNo,
		RefundNo:    out.TradeNo + "/" + r.OutRefundNo, // Alipay has no refund id of its own
		AmountFen:   r.RefundFen,
		Done:        true, // code 10000 means refunded; fund_change "N" means already done
	}, nil
}
