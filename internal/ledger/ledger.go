// Package ledger is the accounting record of every paid trade (promise O3): amount,
// channel, the channel's trade number, the payer's id (WeChat openid or Alipay
// buyer_id), the client's IP and the times, sealed with the ledger key. That key is a
// vault data key held by no user (store.LedgerKeys), so the entries outlive the
// orders and the users they came from; only the auditor's export opens them.
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

// Entry is one paid trade, in clear.
type Entry struct {
	Channel    string    `json:"channel"`
	TradeNo    string    `json:"trade_no"`
	OrderID    string    `json:"order_id"`
	AmountFen  int64     `json:"amount_fen"`
	PayerID    string    `json:"payer_id"`
	ClientIP   string    `json:"client_ip"`
	Sandbox    bool      `json:"sandbox"`
	OrderedAt  time.Time `json:"ordered_at"`
	PaidAt     time.Time `json:"paid_at"`
	RecordedAt time.Time `json:"recorded_at"`
}

// FromTrade is the entry of a verified paid trade of an order; clientIP is the IP the
// order was paid from ("" when unknown).
func FromTrade(t payment.Trade, o order.Order, clientIP string, now time.Time) Entry {
	paid := t.PaidAt
	if paid.IsZero() {
		paid = now
	}
	return Entry{Channel: string(t.Channel), TradeNo: t.TradeNo, OrderID: o.ID, AmountFen: t.AmountFen, PayerID: t.PayerID,
		ClientIP: clientIP, Sandbox: t.Sandbox, OrderedAt: o.CreatedAt.UTC(), PaidAt: paid.UTC(), RecordedAt: now.UTC()}
}

// Seal seals an entry's fields with the ledger key for the store.
func Seal(ctx context.Context, v *vault.Vault, e Entry) (store.LedgerEntry, error) {
	if e.Channel == "" || e.TradeNo == "" {
		return store.LedgerEntry{}, errors.New("ledger: entry without channel or trade number")
	}
	plain, err := json.Marshal(e)
	if err != nil {
		return store.LedgerEntry{}, err
	}
	sealed, err := v.Seal(ctx, KeyName, plain, store.LedgerContext(e.Channel, e.TradeNo))
	if err != nil {
		return store.LedgerEntry{}, fmt.Errorf("ledger: seal: %w", err)
	}
	return store.LedgerEntry{Channel: e.Channel, TradeNo: e.TradeNo, Sealed: sealed, Sandbox: e.Sandbox, RecordedAt: e.RecordedAt}, nil
}

// Open opens a stored entry.
func Open(ctx context.Context, v *vault.Vault, se store.LedgerEntry) (Entry, error) {
	plain, err := v.Open(ctx, KeyName, se.Sealed, store.LedgerContext(se.Channel, se.TradeNo))
	if err != nil {
		return Entry{}, fmt.Errorf("ledger: open entry %s/%s: %w", se.Channel, se.TradeNo, err)
	}
	var e Entry
	if err := json.Unmarshal(plain, &e); err != nil {
		return Entry{}, fmt.Errorf("ledger: entry %s/%s: %w", se.Channel, se.TradeNo, err)
	}
	if e.Channel != se.Channel || e.TradeNo != se.TradeNo {
		return Entry{}, fmt.Errorf("ledger: entry %s/%s names another trade", se.Channel, se.TradeNo)
	}
	return e, nil
}

// WriteCSV writes entries as CSV with a header row, amounts in yuan and fen.
func WriteCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"recorded_at", "paid_at", "ordered_at", "channel", "trade_no", "order_id", "amount_fen", "amount_yuan",
		"payer_id", "client_ip", "sandbox"})
	for _, e := range entries {
		cw.Write([]string{e.RecordedAt.Format(time.RFC3339), e.PaidAt.Format(time.RFC3339), e.OrderedAt.Format(time.RFC3339),
			e.Channel, e.TradeNo, e.OrderID, strconv.FormatInt(e.AmountFen, 10), order.FormatFen(e.AmountFen),
			e.PayerID, e.ClientIP, strconv.FormatBool(e.Sandbox)})
	}
	cw.Flush()
	return cw.Error()
}
