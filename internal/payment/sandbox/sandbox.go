// Package sandbox is a payment channel in which no money moves, for the embedded default
// and demos: a new user can complete an order in the browser with no merchant account.
// Every output says SANDBOX: the client parameters, the trade numbers, the trades.
//
// Prepay "pays" at once and hands the client a notification signed with HMAC-SHA256
// under a key that never leaves the server; the client posts it to the notify endpoint,
// which runs the same verify-then-apply path as the real channels. The service must
// never enable this channel next to a real one without labelling it in the UI.
package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/idphoto/idphoto/internal/payment"
)

// Notice is the label on everything the sandbox produces.
const Notice = "SANDBOX: test payment, no money moves"

// SignatureHeader carries a sandbox notification's HMAC.
const SignatureHeader = "X-Sandbox-Signature"

// Config is the sandbox's configuration.
type Config struct {
	AppID string // names this sandbox in notifications; default "sandbox"
	// Key signs notifications; empty means a random key per process.
	Key []byte
	// NotifyMaxAge bounds a notification's age; 0 means five minutes.
	NotifyMaxAge time.Duration
}

// Provider is the sandbox channel. It is safe for concurrent use.
type Provider struct {
	appID  string
	key    []byte
	maxAge time.Duration
	now    func() time.Time

	mu     sync.Mutex
	trades map[string]*payment.Trade
}

var _ payment.Provider = (*Provider)(nil)

// New returns a sandbox channel.
func New(cfg Config) (*Provider, error) {
	if cfg.NotifyMaxAge < 0 {
		return nil, errors.New("sandbox: notify max age must not be negative")
	}
	p := &Provider{appID: cfg.AppID, key: cfg.Key, maxAge: cfg.NotifyMaxAge, now: time.Now, trades: map[string]*payment.Trade{}}
	if p.appID == "" {
		p.appID = "sandbox"
	}
	if len(p.key) == 0 {
		p.key = make([]byte, 32)
		_, _ = rand.Read(p.key)
	} else if len(p.key) < 16 {
		return nil, errors.New("sandbox: key must be at least 16 bytes")
	}
	if p.maxAge == 0 {
		p.maxAge = 5 * time.Minute
	}
	return p, nil
}

// Channel returns payment.Sandbox.
func (p *Provider) Channel() payment.Channel { return payment.Sandbox }

// notification is the sandbox's wire format.
type notification struct {
	Notice     string    `json:"notice"`
	Sandbox    bool      `json:"sandbox"`
	AppID      string    `json:"app_id"`
	OutTradeNo string    `json:"out_trade_no"`
	TradeNo    string    `json:"trade_no"`
	AmountFen  int64     `json:"amount_fen"`
	PayerID    string    `json:"payer_id"`
	PaidAt     time.Time `json:"paid_at"`
	SentAt     time.Time `json:"sent_at"`
}

func (p *Provider) sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// build encodes and signs a notification.
func (p *Provider) build(n notification, key []byte) (http.Header, []byte) {
	body, _ := json.Marshal(n)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(SignatureHeader, p.sign(key, body))
	return h, body
}

// Prepay pays the trade at once and returns the signed notification for the client to
// post to the notify endpoint: fields sandbox, notice, notification and signature.
func (p *Provider) Prepay(_ context.Context, r payment.PrepayRequest) (payment.ClientParams, error) {
	if r.OutTradeNo == "" || r.AmountFen <= 0 {
		return payment.ClientParams{}, errors.New("sandbox: prepay needs an order id and a positive amount")
	}
	now := p.now().UTC().Truncate(time.Second)
	p.mu.Lock()
	t := p.trades[r.OutTradeNo]
	switch {
	case t == nil:
		t = &payment.Trade{Channel: payment.Sandbox, OutTradeNo: r.OutTradeNo, TradeNo: "SANDBOX-" + randomHex(12),
			AmountFen: r.AmountFen, PayerID: r.PayerID, PaidAt: now, State: payment.StatePaid, Sandbox: true}
		p.trades[r.OutTradeNo] = t
	case t.AmountFen != r.AmountFen:
		p.mu.Unlock()
		return payment.ClientParams{}, fmt.Errorf("sandbox: %w: order %s prepaid before with another amount", payment.ErrChannel, r.OutTradeNo)
	}
	tr := *t
	p.mu.Unlock()
	h, body := p.build(p.notificationOf(tr, now), p.key)
	return payment.ClientParams{
		Channel: payment.Sandbox,
		Sandbox: true,
		Fields: map[string]string{
			"sandbox":      "true",
			"notification": string(body),
			"signature":    h.Get(SignatureHeader),
		},
	}, nil
}

func (p *Provider) notificationOf(t payment.Trade, sent time.Time) notification {
	return notification{Notice: Notice, Sandbox: true, AppID: p.appID, OutTradeNo: t.OutTradeNo, TradeNo: t.TradeNo,
		AmountFen: t.AmountFen, PayerID: t.PayerID, PaidAt: t.PaidAt, SentAt: sent}
}

// ParseNotification verifies the HMAC, app id and age of a sandbox notification.
func (p *Provider) ParseNotification(_ context.Context, h http.Header, body []byte) (payment.Trade, error) {
	bad := func(why string) (payment.Trade, error) {
		return payment.Trade{}, fmt.Errorf("sandbox: %w: %s", payment.ErrInvalidNotification, why)
	}
	if len(body) == 0 || len(body) > 16<<10 {
		return bad("body size")
	}
	got, err := base64.StdEncoding.DecodeString(h.Get(SignatureHeader))
	if err != nil {
		return bad("signature is not base64")
	}
	want, _ := base64.StdEncoding.DecodeString(p.sign(p.key, body))
	if !hmac.Equal(got, want) {
		return bad("signature does not verify")
	}
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return bad("body is not a notification")
	}
	if n.AppID != p.appID {
		return payment.Trade{}, fmt.Errorf("sandbox: %w", payment.ErrWrongApp)
	}
	if d := p.now().Sub(n.SentAt); d > p.maxAge || d < -p.maxAge {
		return bad(fmt.Sprintf("sent %s off", d.Round(time.Second)))
	}
	if !n.Sandbox || n.OutTradeNo == "" || n.TradeNo == "" || n.AmountFen <= 0 || n.PaidAt.IsZero() {
		return bad("incomplete notification")
	}
	return payment.Trade{Channel: payment.Sandbox, OutTradeNo: n.OutTradeNo, TradeNo: n.TradeNo, AmountFen: n.AmountFen,
		PayerID: n.PayerID, PaidAt: n.PaidAt, State: payment.StatePaid, Sandbox: true}, nil
}

// Reply answers 204 or 400 "fail".
func (p *Provider) Reply(w http.ResponseWriter, err error) {
	if err == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, "fail")
}

// Query returns the sandbox's trade.
func (p *Provider) Query(_ context.Context, outTradeNo string) (payment.Trade, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.trades[outTradeNo]
	if t == nil {
		return payment.Trade{}, fmt.Errorf("sandbox: query %s: %w", outTradeNo, payment.ErrTradeNotFound)
	}
	return *t, nil
}

// Close does nothing: a sandbox trade is paid at prepay and moves no money, so an
// order that expires without its notification posted leaves nothing open to close.
func (p *Provider) Close(context.Context, string) error { return nil }

// Refund marks the sandbox trade refunded; no money moves either way.
func (p *Provider) Refund(_ context.Context, r payment.RefundRequest) (payment.Refund, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.trades[r.OutTradeNo]
	if t == nil {
		return payment.Refund{}, fmt.Errorf("sandbox: refund %s: %w", r.OutTradeNo, payment.ErrTradeNotFound)
	}
	if t.State != payment.StatePaid || r.RefundFen <= 0 || r.RefundFen > t.AmountFen || r.TotalFen != t.AmountFen {
		return payment.Refund{}, fmt.Errorf("sandbox: refund %s: %w: not refundable", r.OutTradeNo, payment.ErrChannel)
	}
	t.State = payment.StateRefunded
	return payment.Refund{Channel: payment.Sandbox, OutRefundNo: r.OutRefundNo, RefundNo: "SANDBOX-R-" + randomHex(8),
		AmountFen: r.RefundFen, Done: true, Sandbox: true}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
