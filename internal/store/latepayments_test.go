package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/store"
)

// A late payment is flagged once with its ledger entry, listed until refunded, and
// its refund is entered once; an order's refund enters the ledger with the order's
// move to refunded, once per refund number.
func TestLatePaymentsAndRefunds(t *testing.T) { eachDialect(t, testLatePaymentsAndRefunds) }

func testLatePaymentsAndRefunds(t *testing.T, s *store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	oid := order.NewID()
	lp := store.LatePayment{Channel: "wechatpay", TradeNo: "4200000077", OrderID: oid, AmountFen: 500, OrderStatus: "cancelled", FoundAt: now}
	pay := store.LedgerEntry{Channel: "wechatpay", TradeNo: "4200000077", Kind: store.LedgerPayment, Sealed: []byte("p"), RecordedAt: now}
	for i, want := range []bool{true, false} {
		if added, err := s.RecordLatePayment(ctx, lp, pay); err != nil || added != want {
			t.Fatalf("record %d: added %v, %v", i, added, err)
		}
	}
	if _, err := s.RecordLatePayment(ctx, store.LatePayment{Channel: "wechatpay"}, pay); err == nil {
		t.Error("a late payment without a trade was recorded")
	}
	open, err := s.LatePayments(ctx, false, 10)
	if err != nil || len(open) != 1 || open[0].OrderID != oid || open[0].AmountFen != 500 || open[0].OrderStatus != "cancelled" ||
		!open[0].FoundAt.Equal(now) || !open[0].RefundedAt.IsZero() {
		t.Fatalf("open late payments: %+v %v", open, err)
	}
	if e, err := s.LedgerEntryOf(ctx, "wechatpay", "4200000077"); err != nil || e.Kind != store.LedgerPayment || string(e.Sealed) != "p" {
		t.Fatalf("ledger entry of the late payment: %+v %v", e, err)
	}
	refund := store.LedgerEntry{Channel: "wechatpay", TradeNo: "5030000077", Kind: store.LedgerRefund, Sealed: []byte("r"), RecordedAt: now}
	for range 2 {
		if err := s.RefundLatePayment(ctx, "wechatpay", "4200000077", "5030000077", now, refund); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RefundLatePayment(ctx, "alipay", "4200000077", "x", now, refund); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refund of an unknown late payment: %v", err)
	}
	if open, _ := s.LatePayments(ctx, false, 10); len(open) != 0 {
		t.Fatalf("refunded, still open: %+v", open)
	}
	all, err := s.LatePayments(ctx, true, 10)
	if err != nil || len(all) != 1 || all[0].RefundNo != "5030000077" || !all[0].RefundedAt.Equal(now) {
		t.Fatalf("all late payments: %+v %v", all, err)
	}
	if p, err := s.LatePaymentOf(ctx, "wechatpay", "4200000077"); err != nil || p.RefundNo != "5030000077" {
		t.Fatalf("late payment: %+v %v", p, err)
	}
	es, err := s.LedgerEntries(ctx, now.Add(-time.Minute), now.Add(time.Minute))
	if err != nil || len(es) != 2 {
		t.Fatalf("ledger: %+v %v", es, err)
	}
	kinds := map[string]string{}
	for _, e := range es {
		kinds[e.TradeNo] = e.Kind
	}
	if kinds["4200000077"] != store.LedgerPayment || kinds["5030000077"] != store.LedgerRefund {
		t.Fatalf("ledger kinds: %v", kinds)
	}
	if err := s.AddLedgerEntry(ctx, store.LedgerEntry{Channel: "x", TradeNo: "1", Kind: "gift", Sealed: []byte("g"), RecordedAt: now}); err == nil {
		t.Error("an entry of an unknown kind was written")
	}

	// An order's refund.
	user, photo := userWithPhoto(t, s, now)
	job := newJob(t, s, user, photo, now)
	if err := s.RecordPreview(ctx, user, job, now); err != nil {
		t.Fatal(err)
	}
	o, _ := order.New(order.DefaultConfig(), order.NewID(), user, []order.Line{{Kind: order.KindEPhoto, JobID: job}}, now)
	if err := s.CreateOrder(ctx, store.Order{Order: *o}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateOrder(ctx, o.ID, func(so *store.Order) error {
		if err := so.Apply(order.EventPay, now); err != nil {
			return err
		}
		return so.MarkPaid("alipay", "2025000088", now)
	}); err != nil {
		t.Fatal(err)
	}
	ov := &order.Override{Operator: "op", Reason: "wrong size"}
	orderRefund := store.LedgerEntry{Channel: "alipay", TradeNo: "2025000088/R" + o.ID, Kind: store.LedgerRefund, Sealed: []byte("r2"), RecordedAt: now}
	if err := s.RecordRefund(ctx, o.ID, func(so *store.Order) error { return errors.New("channel said no") }, orderRefund); err == nil {
		t.Fatal("fn's error was not returned")
	}
	if es, _ := s.LedgerEntries(ctx, now.Add(-time.Minute), now.Add(time.Minute)); len(es) != 2 {
		t.Fatalf("a refused refund entered the ledger: %d entries", len(es))
	}
	if err := s.RecordRefund(ctx, o.ID, func(so *store.Order) error { return so.Refund(ov, now) }, pay); err == nil {
		t.Fatal("a refund with a payment's entry was recorded")
	}
	for range 2 {
		if err := s.RecordRefund(ctx, o.ID, func(so *store.Order) error {
			if so.Status == order.StatusRefunded {
				return nil
			}
			return so.Refund(ov, now)
		}, orderRefund); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.GetOrder(ctx, user, o.ID); got.Status != order.StatusRefunded {
		t.Fatalf("order after its refund: %s", got.Status)
	}
	if es, _ := s.LedgerEntries(ctx, now.Add(-time.Minute), now.Add(time.Minute)); len(es) != 3 {
		t.Fatalf("ledger after the order's refund, twice: %d entries, want 3", len(es))
	}
}
