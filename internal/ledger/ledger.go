// Package ledger is the accounting record of every paid trade and every refund
// (promise O3): amount, channel, the channel's trade (and refund) number, the payer's
// id (WeChat openid or Alipay buyer_id), the client's IP and the times, sealed with
// the ledger key. That key is a vault data key held by no user (store.LedgerKeys), so
// the entries outlive the orders and the users they came from; only the auditor's
// export opens them.
package ledger

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// KeyName names the ledger key in the ledger's vault.
const KeyName = "ledger"

// Entry is one paid trade or one refund, in clear.
type Entry struct {
	// Kind is store.LedgerPayment or store.LedgerRefund; empty in entries written
	// before refunds were entered, which are all payments.
	Kind    string `json:"kind,omitempty"`
	Channel string `json:"channel"`
	// TradeNo is the channel's trade number: the trade paid, or the trade a refund
	// returns.
	TradeNo string `json:"trade_no"`
	// RefundNo is a refund's number at the channel; it keys the refund's entry.
	RefundNo string `json:"refund_no,omitempty"`
	OrderID  string `json:"order_id"`
	// AmountFen is what came in: negative for a refund.
	AmountFen  int64     `json:"amount_fen"`
	PayerID    string    `json:"payer_id"`
	ClientIP   string    `json:"client_ip"`
	Sandbox    bool      `json:"sandbox"`
	OrderedAt  time.Time `json:"ordered_at"`
	PaidAt     time.Time `json:"paid_at"`
	RefundedAt time.Time `json:"refunded_at,omitzero"`
	RecordedAt time.Time `json:"recorded_at"`
}

// IsRefund reports whether the entry is a refund's.
func (e Entry) IsRefund() bool { return e.Kind == store.LedgerRefund }

// key is what keys the entry in the store, and its vault context.
func (e Entry) key() (kind, no, context string) {
	if e.IsRefund() {
		return store.LedgerRefund, e.RefundNo, store.LedgerRefundContext(e.Channel, e.RefundNo)
	}
	return store.LedgerPayment, e.TradeNo, store.LedgerContext(e.Channel, e.TradeNo)
}

// FromTrade is the entry of a verified paid trade of an order; clientIP is the IP the
// order was paid from ("" when unknown).
func FromTrade(t payment.Trade, o order.Order, clientIP string, now time.Time) Entry {
	paid := t.PaidAt
	if paid.IsZero() {
		paid = now
	}
	return Entry{Kind: store.LedgerPayment, Channel: string(t.Channel), TradeNo: t.TradeNo, OrderID: o.ID, AmountFen: t.AmountFen,
		PayerID: t.PayerID, ClientIP: clientIP, Sandbox: t.Sandbox, OrderedAt: o.CreatedAt.UTC(), PaidAt: paid.UTC(), RecordedAt: now.UTC()}
}

// FromRefund is the entry of a refund the channel accepted: paid is the entry of the
// payment it returns (its trade, order, payer and times), the amount is negative.
// The client IP is the payment's and is not repeated. A channel that gave no refund
// number of its own is entered under ours (OutRefundNo), which is unique too.
func FromRefund(r payment.Refund, paid Entry, now time.Time) Entry {
	no := r.RefundNo
	if no == "" {
		no = r.OutRefundNo
	}
	return Entry{Kind: store.LedgerRefund, Channel: string(r.Channel), TradeNo: paid.TradeNo, RefundNo: no, OrderID: paid.OrderID,
		AmountFen: -r.AmountFen, PayerID: paid.PayerID, Sandbox: r.Sandbox || paid.Sandbox, OrderedAt: paid.OrderedAt, PaidAt: paid.PaidAt,
		RefundedAt: now.UTC(), RecordedAt: now.UTC()}
}

// Seal seals an entry's fields with the ledger key for the store.
func Seal(ctx context.Context, v *vault.Vault, e Entry) (store.LedgerEntry, error) {
	kind, no, vctx := e.key()
	if e.Channel == "" || no == "" {
		return store.LedgerEntry{}, errors.New("ledger: entry without channel or trade (refund) number")
	}
	if e.IsRefund() != (e.AmountFen < 0) {
		return store.LedgerEntry{}, errors.New("ledger: a refund's amount is negative, a payment's positive")
	}
	plain, err := json.Marshal(e)
	if err != nil {
		return store.LedgerEntry{}, err
	}
	sealed, err := v.Seal(ctx, KeyName, plain, vctx)
	if err != nil {
		return store.LedgerEntry{}, fmt.Errorf("ledger: seal: %w", err)
	}
	return store.LedgerEntry{Channel: e.Channel, TradeNo: no, Kind: kind, Sealed: sealed, Sandbox: e.Sandbox, RecordedAt: e.RecordedAt}, nil
}

// Open opens a stored entry.
func Open(ctx context.Context, v *vault.Vault, se store.LedgerEntry) (Entry, error) {
	vctx := store.LedgerContext(se.Channel, se.TradeNo)
	if se.Kind == store.LedgerRefund {
		vctx = store.LedgerRefundContext(se.Channel, se.TradeNo)
	}
	plain, err := v.Open(ctx, KeyName, se.Sealed, vctx)
	if err != nil {
		return Entry{}, fmt.Errorf("ledger: open entry %s/%s: %w", se.Channel, se.TradeNo, err)
	}
	var e Entry
	if err := json.Unmarshal(plain, &e); err != nil {
		return Entry{}, fmt.Errorf("ledger: entry %s/%s: %w", se.Channel, se.TradeNo, err)
	}
	if e.Kind == "" {
		e.Kind = store.LedgerPayment
	}
	if kind, no, _ := e.key(); e.Channel != se.Channel || no != se.TradeNo || kind != se.Kind {
		return Entry{}, fmt.Errorf("ledger: entry %s/%s names another trade", se.Channel, se.TradeNo)
	}
	return e, nil
}

// WriteCSV writes entries as CSV with a header row, amounts in yuan and fen (a
// refund's negative). The columns after sandbox came with refunds: kind (payment or
// refund), the refund's number at the channel and its time.
func WriteCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"recorded_at", "paid_at", "ordered_at", "channel", "trade_no", "order_id", "amount_fen", "amount_yuan",
		"payer_id", "client_ip", "sandbox", "kind", "refund_no", "refunded_at"})
	for _, e := range entries {
		kind, refunded := e.Kind, ""
		if kind == "" {
			kind = store.LedgerPayment
		}
		if !e.RefundedAt.IsZero() {
			refunded = e.RefundedAt.Format(time.RFC3339)
		}
		cw.Write([]string{e.RecordedAt.Format(time.RFC3339), e.PaidAt.Format(time.RFC3339), e.OrderedAt.Format(time.RFC3339),
			e.Channel, e.TradeNo, e.OrderID, strconv.FormatInt(e.AmountFen, 10), order.FormatFen(e.AmountFen),
			e.PayerID, e.ClientIP, strconv.FormatBool(e.Sandbox), kind, e.RefundNo, refunded})
	}
	cw.Flush()
	return cw.Error()
}
