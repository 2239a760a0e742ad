package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// An order needs the job's preview shown to its user; paying it unlocks the job and
// writes the ledger entry once; the ledger outlives the user and the ledger key
// cannot be shredded.
func TestOrdersAndLedger(t *testing.T) { eachDialect(t, testOrdersAndLedger) }

func testOrdersAndLedger(t *testing.T, s *store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	user, photo := userWithPhoto(t, s, now)
	job := newJob(t, s, user, photo, now)
	o, err := order.New(order.DefaultConfig(), order.NewID(), user, []order.Line{{Kind: order.KindEPhoto, JobID: job}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrder(ctx, store.Order{Order: *o}); !errors.Is(err, store.ErrPreviewRequired) {
		t.Fatalf("order before the preview: %v", err)
	}
	other := *o
	other.UserID = store.NewID()
	if err := s.CreateOrder(ctx, store.Order{Order: other}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("order of another user's job: %v", err)
	}
	if err := s.RecordPreview(ctx, user, job, now); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPreview(ctx, user, job, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if at, err := s.PreviewShown(ctx, user, job); err != nil || !at.Equal(now) {
		t.Fatalf("preview shown %v %v: want the first time", at, err)
	}
	if err := s.CreateOrder(ctx, store.Order{Order: *o}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetOrder(ctx, user, o.ID)
	if err != nil || got.TotalFen != 500 || got.Status != order.StatusCreated || len(got.Items) != 1 || !got.ExpiresAt.Equal(o.ExpiresAt) {
		t.Fatalf("get order %+v %v", got, err)
	}
	if _, err := s.GetOrder(ctx, store.NewID(), o.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's order: %v", err)
	}

	entry := store.LedgerEntry{Channel: "wechatpay", TradeNo: "4200", Sealed: []byte("sealed"), RecordedAt: now}
	pay := func(o *store.Order) error {
		if err := o.Apply(order.EventPay, now); err != nil {
			return err
		}
		return o.MarkPaid("wechatpay", "4200", now)
	}
	if err := s.UpdateOrder(ctx, o.ID, func(o *store.Order) error { o.Status = order.StatusPaying; return errors.New("no") }); err == nil {
		t.Fatal("fn's error was not returned")
	}
	if err := s.RecordPayment(ctx, o.ID, pay, entry); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPayment(ctx, o.ID, pay, entry); !errors.Is(err, order.ErrIllegalTransition) {
		t.Fatalf("paid twice: %v", err)
	}
	if j, _ := s.GetJob(ctx, user, job); !j.Unlocked {
		t.Fatal("paying did not unlock the job")
	}
	if err := s.AddLedgerEntry(ctx, entry); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListOrders(ctx, user, 10); len(list) != 1 || list[0].Status != order.StatusPaid || list[0].TradeNo != "4200" {
		t.Fatalf("list %+v", list)
	}

	if err := s.DeleteUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	es, err := s.LedgerEntries(ctx, now.Add(-time.Minute), now.Add(time.Minute))
	if err != nil || len(es) != 1 || es[0].TradeNo != "4200" || string(es[0].Sealed) != "sealed" {
		t.Fatalf("ledger after the user's deletion: %+v %v", es, err)
	}

	mk, _ := vault.ParseMasterKey(vault.NewMasterKeyText())
	lv, err := vault.New([]vault.Key{mk}, s.LedgerKeys())
	if err != nil {
		t.Fatal(err)
	}
	ct, err := lv.Seal(ctx, "ledger", []byte("x"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := lv.Shred(ctx, "ledger"); err == nil {
		t.Fatal("the ledger key was shredded")
	}
	if _, err := lv.Open(ctx, "ledger", ct, "c"); err != nil {
		t.Fatalf("ledger key after a refused shred: %v", err)
	}
}
