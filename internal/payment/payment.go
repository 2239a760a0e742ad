// Package payment is the seam between orders and the payment channels (promise O2): a
// Provider interface with a WeChat Pay, an Alipay and a sandbox implementation in the
// packages below, and Apply, which moves an order to paid once however often a channel
// repeats its notification.
//
// Payer ids (WeChat openid, Alipay buyer_id) and client IPs are personal data (O3): they
// pass through here to the accounting ledger and never into logs or error messages.
package payment

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Channel names a payment channel; it is also stored on paid orders.
type Channel string

// The channels.
const (
	WeChatPay Channel = "wechatpay"
	Alipay    Channel = "alipay"
	Sandbox   Channel = "sandbox" // no money moves; for the embedded default and demos
)

// State is a trade's state at the channel, in the channels' common terms.
type State string

// The states.
const (
	StatePending  State = "pending"  // created, not paid yet (or the payer is entering a PIN)
	StatePaid     State = "paid"     // money taken
	StateClosed   State = "closed"   // closed or revoked unpaid
	StateRefunded State = "refunded" // paid, then (partly) refunded
	StateFailed   State = "failed"   // the payment failed
)

// PrepayRequest asks a channel to open a trade for an order.
type PrepayRequest struct {
	OutTradeNo  string // the order id
	Description string // shown to the payer by the channel; no personal data
	AmountFen   int64
	// PayerID is the payer's WeChat openid or Alipay buyer_id, from the mini-program login.
	PayerID string
	// ClientIP is the payer's IP address, which WeChat Pay asks for. Personal data.
	ClientIP string
	// ExpiresAt is when the channel must stop accepting payment: the order's expiry.
	ExpiresAt time.Time
}

// LogValue keeps the payer id and IP out of logs.
func (r PrepayRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("out_trade_no", r.OutTradeNo),
		slog.Int64("amount_fen", r.AmountFen),
	)
}

// ClientParams is what the client passes to the channel's payment call: for WeChat
// wx.requestPayment's timeStamp, nonceStr, package, signType and paySign (and appId); for
// Alipay my.tradePay's tradeNO; for the sandbox the notification to post back.
type ClientParams struct {
	Channel Channel           `json:"channel"`
	Sandbox bool              `json:"sandbox,omitempty"`
	Fields  map[string]string `json:"fields"`
}

// LogValue logs only the channel: the fields are for the client (and the sandbox's
// carry the payer id).
func (c ClientParams) LogValue() slog.Value {
	return slog.GroupValue(slog.String("channel", string(c.Channel)), slog.Bool("sandbox", c.Sandbox))
}

// Trade is a channel's word on a trade, from a verified notification or a query.
type Trade struct {
	Channel    Channel
	OutTradeNo string // our order id
	TradeNo    string // the channel's own trade number
	AmountFen  int64  // the order total the channel charged
	PayerID    string // openid or buyer_id: personal, for the ledger only
	PaidAt     time.Time
	State      State
	Sandbox    bool // no money moved
}

// LogValue keeps the payer id out of logs.
func (t Trade) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("channel", string(t.Channel)),
		slog.String("out_trade_no", t.OutTradeNo),
		slog.String("trade_no", t.TradeNo),
		slog.Int64("amount_fen", t.AmountFen),
		slog.String("state", string(t.State)),
		slog.Bool("sandbox", t.Sandbox),
	)
}

// RefundRequest asks the channel to return money; only an operator override of the
// refund rule leads here (O5).
type RefundRequest struct {
	OutTradeNo  string
	OutRefundNo string // our id for this refund; repeating it repeats nothing
	TotalFen    int64  // the order total
	RefundFen   int64
	Reason      string // shown to the payer
}

// Refund is the channel's answer to a refund request.
type Refund struct {
	Channel     Channel
	OutRefundNo string
	RefundNo    string // the channel's id for the refund
	AmountFen   int64
	Done        bool // money returned; false while the channel is still processing
	Sandbox     bool
}

// Provider is one payment channel.
type Provider interface {
	Channel() Channel
	// Prepay opens a trade at the channel and returns what the client needs to pay it.
	Prepay(ctx context.Context, r PrepayRequest) (ClientParams, error)
	// ParseNotification verifies a notification's signature, freshness, app and merchant
	// and decodes it. body is the whole request body, read by the caller under a limit.
	// Any failure wraps ErrInvalidNotification or ErrWrongApp and means: change nothing.
	ParseNotification(ctx context.Context, header http.Header, body []byte) (Trade, error)
	// Reply answers the channel's notification request: err == nil acknowledges it (and
	// stops the channel's retries), anything else asks the channel to send it again.
	Reply(w http.ResponseWriter, err error)
	// Query asks the channel about a trade, for reconciliation when a notification is late.
	// A trade the channel does not know wraps ErrTradeNotFound.
	Query(ctx context.Context, outTradeNo string) (Trade, error)
	// Refund returns money for a paid trade.
	Refund(ctx context.Context, r RefundRequest) (Refund, error)
	// Close closes an unpaid trade at the channel so it can no longer be paid: for an
	// order that expired unpaid, after Query found it unpaid. A trade the channel does
	// not know, or one already closed, needs no closing: nil. A trade paid meanwhile, or
	// whose payer is confirming it at this moment, is not closed: an error wrapping
	// ErrChannel, and the caller queries it again later.
	Close(ctx context.Context, outTradeNo string) error
}

// Errors that callers tell apart. Their text is safe to log: no payer data.
var (
	// ErrInvalidNotification: a bad or missing signature, a stale timestamp, a body that
	// does not decrypt or decode. Not from the channel, or not now.
	ErrInvalidNotification = errors.New("payment: invalid notification")
	// ErrWrongApp: correctly signed, but for another app id or merchant.
	ErrWrongApp = errors.New("payment: notification for another app or merchant")
	// ErrTradeNotFound: the channel does not know the trade.
	ErrTradeNotFound = errors.New("payment: trade not found at the channel")
	// ErrChannel: the channel refused a request or answered with something unverifiable.
	ErrChannel = errors.New("payment: channel error")
)
