package ledger_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

func newVault(t *testing.T) *vault.Vault {
	t.Helper()
	mk, err := vault.ParseMasterKey(vault.NewMasterKeyText())
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New([]vault.Key{mk}, vault.NewMemoryKeys())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// O3, O5: a refund is entered like a payment, sealed with the ledger key, keyed by
// the channel's refund number, with a negative amount and the trade it returns; an
// entry opens only as what it was sealed as.
func TestPromiseO3RefundEntry(t *testing.T) {
	ctx := context.Background()
	v := newVault(t)
	now := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	o := order.Order{ID: "0123456789abcdef0123456789abcdef", CreatedAt: now.Add(-time.Hour)}
	paid := ledger.FromTrade(payment.Trade{Channel: payment.WeChatPay, OutTradeNo: o.ID, TradeNo: "4200000001", AmountFen: 500,
		PayerID: "openid-1", PaidAt: now.Add(-50 * time.Minute), State: payment.StatePaid}, o, "203.0.113.9", now.Add(-50*time.Minute))
	sp, err := ledger.Seal(ctx, v, paid)
	if err != nil || sp.Kind != store.LedgerPayment || sp.TradeNo != "4200000001" {
		t.Fatalf("payment: %+v %v", sp, err)
	}
	ref := ledger.FromRefund(payment.Refund{Channel: payment.WeChatPay, OutRefundNo: "R" + o.ID, RefundNo: "5030000001", AmountFen: 500, Done: true},
		paid, now)
	sr, err := ledger.Seal(ctx, v, ref)
	if err != nil || sr.Kind != store.LedgerRefund || sr.TradeNo != "5030000001" || sr.Channel != "wechatpay" {
		t.Fatalf("refund: %+v %v", sr, err)
	}
	got, err := ledger.Open(ctx, v, sr)
	if err != nil || !got.IsRefund() || got.AmountFen != -500 || got.TradeNo != "4200000001" || got.RefundNo != "5030000001" ||
		got.OrderID != o.ID || got.PayerID != "openid-1" || got.ClientIP != "" || !got.RefundedAt.Equal(now) {
		t.Fatalf("opened refund: %+v %v", got, err)
	}
	// Relabelled in the clear columns, an entry does not open.
	for name, se := range map[string]store.LedgerEntry{
		"refund as payment":  {Channel: sr.Channel, TradeNo: sr.TradeNo, Kind: store.LedgerPayment, Sealed: sr.Sealed},
		"payment as refund":  {Channel: sp.Channel, TradeNo: sp.TradeNo, Kind: store.LedgerRefund, Sealed: sp.Sealed},
		"refund on a trade":  {Channel: sr.Channel, TradeNo: "4200000001", Kind: store.LedgerRefund, Sealed: sr.Sealed},
		"another channel":    {Channel: "alipay", TradeNo: sr.TradeNo, Kind: store.LedgerRefund, Sealed: sr.Sealed},
		"payment as another": {Channel: sp.Channel, TradeNo: "4200000002", Kind: store.LedgerPayment, Sealed: sp.Sealed},
	} {
		if _, err := ledger.Open(ctx, v, se); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	// The sign goes with the kind.
	bad := ref
	bad.AmountFen = 500
	if _, err := ledger.Seal(ctx, v, bad); err == nil {
		t.Error("a refund with a positive amount was sealed")
	}
	// A channel with no refund number of its own: ours keys the entry.
	noID := ledger.FromRefund(payment.Refund{Channel: payment.Alipay, OutRefundNo: "R" + o.ID, AmountFen: 500}, paid, now)
	if noID.RefundNo != "R"+o.ID {
		t.Errorf("refund without the channel's number: keyed %q", noID.RefundNo)
	}

	var buf bytes.Buffer
	if err := ledger.WriteCSV(&buf, []ledger.Entry{paid, got}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("csv: %v %v", rows, err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, c := range []struct {
		row                            int
		kind, yuan, refundNo, refunded string
	}{{1, "payment", "5.00", "", ""}, {2, "refund", "-5.00", "5030000001", now.Format(time.RFC3339)}} {
		r := rows[c.row]
		if r[col["kind"]] != c.kind || r[col["amount_yuan"]] != c.yuan || r[col["refund_no"]] != c.refundNo ||
			r[col["refunded_at"]] != c.refunded || r[col["trade_no"]] != "4200000001" {
			t.Errorf("csv row %d: %v", c.row, r)
		}
	}
}
