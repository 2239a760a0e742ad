package privacy_test

import (
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/store"
)

// ephotoOrder makes an e-photo order of the job paid at paid, and when deliver is set
// fulfils it, as its first download does.
func (f *fixture) ephotoOrder(user, job string, paid time.Time, deliver bool) string {
	f.t.Helper()
	if err := f.store.RecordPreview(f.ctx, user, job, paid); err != nil {
		f.t.Fatal(err)
	}
	o, err := order.New(order.DefaultConfig(), order.NewID(), user, []order.Line{{Kind: order.KindEPhoto, JobID: job}}, paid)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.CreateOrder(f.ctx, store.Order{Order: *o}); err != nil {
		f.t.Fatal(err)
	}
	err = f.store.UpdateOrder(f.ctx, o.ID, func(so *store.Order) error {
		if err := so.Apply(order.EventPay, paid); err != nil {
			return err
		}
		if err := so.MarkPaid("sandbox", "SANDBOX-"+o.ID[:12], paid); err != nil {
			return err
		}
		if deliver {
			return so.Apply(order.EventFulfil, paid.Add(time.Minute))
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return o.ID
}

func (f *fixture) orderStatus(user, id string) store.Order {
	f.t.Helper()
	o, err := f.store.GetOrder(f.ctx, user, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return o
}

// O1: an order reaches closed when nothing is left to do: the sweep closes a
// fulfilled e-photo order when its files' period (R1, 7 days from payment) ends, and a
// shipped print order at the end of its 30 days (R2), just before deleting it; one a
// legal hold keeps stays, closed. A paid order never delivered, and a print order
// within its period, are left as they are; a dry run closes nothing.
func TestPromiseO1SweepClosesOrders(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	paid := time.Now()
	_, job1 := f.photo(u, []byte("e-photo"))
	fulfilled := f.ephotoOrder(u, job1, paid, true)
	_, job2 := f.photo(u, []byte("never downloaded"))
	undelivered := f.ephotoOrder(u, job2, paid, false)
	_, job3 := f.photo(u, []byte("print"))
	printed, _ := f.printOrder(u, job3, paid)
	if err := f.store.UpdateOrder(f.ctx, printed.ID, func(o *store.Order) error {
		return o.Apply(order.EventShip, paid.Add(24*time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateLegalHold(f.ctx, store.LegalHold{ID: store.NewID(), Scope: "order", TargetID: printed.ID,
		Reason: "tax inspection", CreatedAt: paid}); err != nil {
		t.Fatal(err)
	}

	if rep, err := f.at(paid.Add(6*24*time.Hour)).Sweep(f.ctx, false); err != nil || rep.Closed != 0 {
		t.Fatalf("day 6: %+v, %v; want nothing closed", rep, err)
	}
	day8 := paid.Add(8 * 24 * time.Hour)
	if rep, err := f.at(day8).Sweep(f.ctx, true); err != nil || rep.Closed != 1 {
		t.Fatalf("day 8, dry run: %+v, %v; want 1 to close", rep, err)
	}
	if got := f.orderStatus(u, fulfilled); got.Status != order.StatusFulfilled {
		t.Fatalf("a dry run closed an order: %s", got.Status)
	}
	rep, err := f.at(day8).Sweep(f.ctx, false)
	if err != nil || rep.Closed != 1 || rep.Orders != 0 {
		t.Fatalf("day 8: %+v, %v; want 1 closed", rep, err)
	}
	if got := f.orderStatus(u, fulfilled); got.Status != order.StatusClosed || !got.ClosedAt.Equal(day8.Truncate(time.Millisecond)) {
		t.Fatalf("day 8: fulfilled e-photo order %s, closed at %v", got.Status, got.ClosedAt)
	}
	if got := f.orderStatus(u, undelivered); got.Status != order.StatusPaid {
		t.Fatalf("day 8: undelivered e-photo order %s; want paid", got.Status)
	}
	if got := f.orderStatus(u, printed.ID); got.Status != order.StatusShipped {
		t.Fatalf("day 8: shipped print order %s; want shipped until day 30", got.Status)
	}
	rep, err = f.at(paid.Add(31*24*time.Hour)).Sweep(f.ctx, false)
	if err != nil || rep.Closed != 1 || rep.Orders != 0 {
		t.Fatalf("day 31: %+v, %v; want the held print order closed, not deleted", rep, err)
	}
	if got := f.orderStatus(u, printed.ID); got.Status != order.StatusClosed || got.ClosedAt.IsZero() {
		t.Fatalf("day 31: held print order %s", got.Status)
	}
	if rep, err := f.at(paid.Add(32*24*time.Hour)).Sweep(f.ctx, false); err != nil || rep.Closed != 0 {
		t.Fatalf("day 32: %+v, %v; closed orders closed again", rep, err)
	}
	// A closed order can still be refunded by an operator's override (O5).
	if got := f.orderStatus(u, fulfilled); order.CheckRefund(&got.Order, &order.Override{Operator: "op", Reason: "r"}) != nil {
		t.Error("a closed order can't be refunded by override")
	}
}
