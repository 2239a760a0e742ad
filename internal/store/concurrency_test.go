package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/store"
)

// newOrder makes a user, a job with its preview shown and an order for it.
func newOrder(t *testing.T, s *store.Store) (user, job string, o *order.Order) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	user, photo := userWithPhoto(t, s, now)
	job = previewedJob(t, s, user, photo, now)
	o, err := order.New(order.DefaultConfig(), order.NewID(), user, []order.Line{{Kind: order.KindEPhoto, JobID: job}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrder(ctx, store.Order{Order: *o}); err != nil {
		t.Fatal(err)
	}
	return user, job, o
}

var errAlreadyPaid = errors.New("already paid")

// Five notifications of one payment at once: one applies it (one ledger entry, the
// job unlocked), the four others find it paid. On PostgreSQL this holds because the
// order's row is locked while it is updated.
func TestConcurrentPaymentAppliedOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		user, job, o := newOrder(t, s)
		now := time.Now()
		entry := store.LedgerEntry{Channel: "wechatpay", TradeNo: "4200000001", Sealed: []byte("sealed"), RecordedAt: now}
		pay := func(so *store.Order) error {
			if so.Status.Paid() {
				return errAlreadyPaid
			}
			if err := so.Apply(order.EventPay, now); err != nil {
				return err
			}
			// Widen the window between the read and the write.
			time.Sleep(20 * time.Millisecond)
			return so.MarkPaid("wechatpay", "4200000001", now)
		}
		const n = 5
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.RecordPayment(ctx, o.ID, pay, entry)
			}()
		}
		wg.Wait()
		close(errs)
		applied, dup := 0, 0
		for err := range errs {
			switch {
			case err == nil:
				applied++
			case errors.Is(err, errAlreadyPaid):
				dup++
			default:
				t.Errorf("notification: %v", err)
			}
		}
		if applied != 1 || dup != n-1 {
			t.Fatalf("%d applied, %d found it paid; want 1 and %d", applied, dup, n-1)
		}
		got, err := s.GetOrder(ctx, user, o.ID)
		if err != nil || got.Status != order.StatusPaid || got.TradeNo != "4200000001" {
			t.Fatalf("order %+v %v", got, err)
		}
		if es, _ := s.LedgerEntries(ctx, now.Add(-time.Minute), now.Add(time.Minute)); len(es) != 1 {
			t.Fatalf("%d ledger entries", len(es))
		}
		if j, _ := s.GetJob(ctx, user, job); !j.Unlocked {
			t.Fatal("the job is still locked")
		}
	})
}

func chainHash(e store.AuditEntry) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "%d|%s|%s|%x", e.Seq, e.Actor, e.Action, e.PrevHash))
	return h[:]
}

// Appends from many goroutines make one chain: seq 1..n, each entry's prev_hash the
// hash of the one before it.
func TestConcurrentAuditAppendsChain(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const n = 20
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := store.AuditEntry{At: time.Now(), Actor: fmt.Sprint("staff", i), Action: "read"}
				if _, err := s.AppendAudit(ctx, e, chainHash); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var prev []byte
		seq := int64(0)
		err := s.AuditEntries(ctx, func(e store.AuditEntry) error {
			seq++
			if e.Seq != seq || !bytes.Equal(e.PrevHash, prev) || !bytes.Equal(e.Hash, chainHash(e)) {
				return fmt.Errorf("entry %d (seq %d) does not follow its predecessor", seq, e.Seq)
			}
			prev = e.Hash
			return nil
		})
		if err != nil || seq != n {
			t.Fatalf("%d entries, %v", seq, err)
		}
	})
}

// An export link works once, even when five downloads start together; a rotation
// that lost the race to another does not overwrite the key it changed.
func TestExportClaimedOnceAndKeySwap(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now()
		u := store.NewID()
		s.CreateUser(ctx, store.User{ID: u, Role: store.RoleUser, CreatedAt: now})
		hash := bytes.Repeat([]byte{9}, 32)
		ex := store.Export{ID: store.NewID(), UserID: u, TokenHash: hash, BlobKey: "exports/x", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateExport(ctx, ex); err != nil {
			t.Fatal(err)
		}
		const n = 5
		got := make(chan error, n)
		for range n {
			go func() {
				_, err := s.UseExport(ctx, hash, now)
				got <- err
			}()
		}
		ok := 0
		for range n {
			switch err := <-got; {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrNotFound):
				t.Errorf("claim: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d claims won, want 1", ok)
		}
		if spent, _ := s.SpentExports(ctx, now); len(spent) != 1 {
			t.Errorf("spent exports: %d", len(spent))
		}
		other := bytes.Repeat([]byte{8}, 32)
		if err := s.CreateExport(ctx, store.Export{ID: store.NewID(), UserID: u, TokenHash: other, BlobKey: "exports/y", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UseExport(ctx, other, now.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an expired export: %v", err)
		}

		if err := s.CreateKey(ctx, u, "m1", []byte("wrapped-1")); err != nil {
			t.Fatal(err)
		}
		if err := s.ReplaceKey(ctx, u, []byte("stale"), []byte("wrapped-2"), "m2"); err != nil {
			t.Fatal(err)
		}
		if w, _ := s.LoadKey(ctx, u); string(w) != "wrapped-1" {
			t.Fatalf("a stale swap overwrote the key: %q", w)
		}
		if err := s.ReplaceKey(ctx, u, []byte("wrapped-1"), []byte("wrapped-2"), "m2"); err != nil {
			t.Fatal(err)
		}
		if w, _ := s.LoadKey(ctx, u); string(w) != "wrapped-2" {
			t.Fatalf("swap: %q", w)
		}
		if left, _ := s.KeysNotWrappedBy(ctx, "m2", 10); len(left) != 0 {
			t.Errorf("keys left to rotate: %v", left)
		}
	})
}

// Deliveries of the three jobs of each of several e-photo orders, all at once: every
// order is fulfilled, once. (On PostgreSQL each delivery would otherwise count the
// others' uncommitted deliveries as pending, and none would fulfil the order.)
func TestConcurrentDeliveriesFulfilOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		user, photo := userWithPhoto(t, s, now)
		const orders = 8
		var jobs, ids []string
		for i := range orders {
			var lines []order.Line
			for range 3 {
				j := previewedJob(t, s, user, photo, now)
				jobs = append(jobs, j)
				lines = append(lines, order.Line{Kind: order.KindEPhoto, JobID: j})
			}
			o, err := order.New(order.DefaultConfig(), order.NewID(), user, lines, now)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateOrder(ctx, store.Order{Order: *o}); err != nil {
				t.Fatal(err)
			}
			trade := fmt.Sprint("2024", i)
			if err := s.RecordPayment(ctx, o.ID, func(so *store.Order) error {
				if err := so.Apply(order.EventPay, now); err != nil {
					return err
				}
				return so.MarkPaid("alipay", trade, now)
			}, store.LedgerEntry{Channel: "alipay", TradeNo: trade, Sealed: []byte("s"), RecordedAt: now}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		for round := range 2 { // the second round repeats every delivery
			var wg sync.WaitGroup
			fulfilled := make(chan []string, len(jobs))
			for _, j := range jobs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ids, err := s.RecordDelivery(ctx, user, j, now)
					if err != nil {
						t.Error(err)
					}
					fulfilled <- ids
				}()
			}
			wg.Wait()
			close(fulfilled)
			n := 0
			for ids := range fulfilled {
				n += len(ids)
			}
			if want := orders * (1 - round); n != want {
				t.Errorf("round %d: orders fulfilled %d times, want %d", round, n, want)
			}
		}
		for _, id := range ids {
			if got, _ := s.GetOrder(ctx, user, id); got.Status != order.StatusFulfilled {
				t.Errorf("order %s is %s", id, got.Status)
			}
		}
	})
}
