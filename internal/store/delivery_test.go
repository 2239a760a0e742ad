package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/store"
)

// An e-photo order is fulfilled (paid → fulfilled) once every job it pays for has been
// delivered, exactly once however many deliveries race; an unpaid order and a print
// order are not; the jobs' payment time, the retention clock, does not move.
func TestPromiseO1EPhotoOrderFulfilledOnDelivery(t *testing.T) { eachDialect(t, testDelivery) }

func testDelivery(t *testing.T, s *store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	user, photo := userWithPhoto(t, s, now)
	var jobs []string
	for range 3 {
		jobs = append(jobs, previewedJob(t, s, user, photo, now))
	}
	newOrder := func(lines ...order.Line) string {
		o, err := order.New(order.DefaultConfig(), order.NewID(), user, lines, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateOrder(ctx, store.Order{Order: *o, MailingSealed: mailingOf(o)}); err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	trade := 0
	pay := func(id string) {
		trade++
		no := "T" + time.Now().Format("150405.000000") + string(rune('a'+trade))
		if err := s.UpdateOrder(ctx, id, func(o *store.Order) error {
			if err := o.Apply(order.EventPay, now); err != nil {
				return err
			}
			return o.MarkPaid("sandbox", no, now)
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Two e-photos in one order, a print order of the first, and an unpaid order.
	both := newOrder(order.Line{Kind: order.KindEPhoto, JobID: jobs[0]}, order.Line{Kind: order.KindEPhoto, JobID: jobs[1]})
	prints := newOrder(order.Line{Kind: order.KindPrint, JobID: jobs[0], Copies: 4}, order.Line{Kind: order.KindMailing})
	unpaid := newOrder(order.Line{Kind: order.KindEPhoto, JobID: jobs[2]})
	pay(both)
	pay(prints)
	// The e-photo retention (R1) as the sweep asks for it: jobs paid before a cutoff.
	var epoch time.Time
	due := func() []string {
		js, err := s.ExpiredJobs(ctx, time.Now(), epoch, time.Now().Add(time.Hour), epoch)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, j := range js {
			ids = append(ids, j.ID)
		}
		return ids
	}
	dueBefore := due()

	at := now.Add(time.Minute)
	if ids, err := s.RecordDelivery(ctx, user, jobs[0], at); err != nil || len(ids) != 0 {
		t.Fatalf("first of two jobs delivered: fulfilled %v %v", ids, err)
	}
	if o, _ := s.GetOrder(ctx, user, both); o.Status != order.StatusPaid {
		t.Fatalf("order with one job left: %s", o.Status)
	}
	if ids, err := s.RecordDelivery(ctx, store.NewID(), jobs[1], at); err != nil || len(ids) != 0 {
		t.Fatalf("another user's download: %v %v", ids, err)
	}
	if ids, err := s.RecordDelivery(ctx, user, jobs[2], at); err != nil || len(ids) != 0 {
		t.Fatalf("delivery under an unpaid order: %v %v", ids, err)
	}

	// The last job, downloaded eight times at once: fulfilled once.
	var mu sync.Mutex
	var fulfilled []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ids, err := s.RecordDelivery(ctx, user, jobs[1], at.Add(time.Second))
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			fulfilled = append(fulfilled, ids...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if !slices.Equal(fulfilled, []string{both}) {
		t.Fatalf("fulfilled %v, want [%s] once", fulfilled, both)
	}
	o, err := s.GetOrder(ctx, user, both)
	if err != nil || o.Status != order.StatusFulfilled || !o.FulfilledAt.Equal(at.Add(time.Second)) || !o.PaidAt.Equal(now) {
		t.Fatalf("order after delivery: %+v %v", o, err)
	}
	if ids, err := s.RecordDelivery(ctx, user, jobs[0], at.Add(time.Hour)); err != nil || len(ids) != 0 {
		t.Fatalf("a later download: %v %v", ids, err)
	}
	if o, _ := s.GetOrder(ctx, user, prints); o.Status != order.StatusPaid {
		t.Fatalf("print order after its job's download: %s (it is shipped, not fulfilled)", o.Status)
	}
	if o, _ := s.GetOrder(ctx, user, unpaid); o.Status != order.StatusCreated {
		t.Fatalf("unpaid order: %s", o.Status)
	}
	// Retention still counts from payment: delivery changes what is due for nothing.
	if got := due(); !slices.Equal(got, dueBefore) || !slices.Contains(got, jobs[1]) {
		t.Fatalf("jobs due for deletion: %v before delivery, %v after", dueBefore, got)
	}
}

// mailingOf is a stand-in sealed mailing for print orders (the store keeps bytes).
func mailingOf(o *order.Order) []byte {
	if o.HasMailing() {
		return []byte("sealed")
	}
	return nil
}
