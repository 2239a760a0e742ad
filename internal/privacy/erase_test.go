package privacy_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// ship marks a paid print order shipped, with a sealed tracking number, and gives it
// the payer's IP sealed with the ledger key, as the pay step does.
func (f *fixture) ship(o store.Order, lv *vault.Vault) {
	f.t.Helper()
	ip, err := lv.Seal(f.ctx, ledger.KeyName, []byte("203.0.113.7"), "order.pay_ip:"+o.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.store.UpdateOrder(f.ctx, o.ID, func(so *store.Order) error {
		so.PayIPSealed = ip
		return so.Apply(order.EventShip, time.Now())
	})
	if err != nil {
		f.t.Fatal(err)
	}
	tr, err := f.vault.Seal(f.ctx, o.UserID, []byte("SF1234567890"), "order.tracking:"+o.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.SetTracking(f.ctx, o.ID, tr); err != nil {
		f.t.Fatal(err)
	}
}

// ledgerOpens checks that the ledger entry of the order's payment still opens.
func (f *fixture) ledgerOpens(lv *vault.Vault, o store.Order) {
	f.t.Helper()
	e, err := f.store.LedgerEntryOf(f.ctx, o.Channel, o.TradeNo)
	if err != nil {
		f.t.Fatalf("ledger entry of order %s: %v", o.ID, err)
	}
	if le, err := ledger.Open(f.ctx, lv, e); err != nil || le.OrderID != o.ID || le.AmountFen != o.TotalFen {
		f.t.Errorf("ledger entry after the deletion: %+v, %v", le, err)
	}
}

// personal reports which personal fields of the order row are left.
func (f *fixture) personal(user, id string) []string {
	f.t.Helper()
	o, err := f.store.GetOrder(f.ctx, user, id)
	if err != nil {
		f.t.Fatalf("order %s: %v", id, err)
	}
	var left []string
	if o.MailingSealed != nil {
		left = append(left, "mailing")
	}
	if o.PayIPSealed != nil {
		left = append(left, "pay_ip")
	}
	if tr, _ := f.store.Tracking(f.ctx, id); tr != nil {
		left = append(left, "tracking")
	}
	return left
}

// R3: the user deletes one order's personal data. A paid print order not shipped yet
// is refused, with nothing logged or deleted; once shipped, its mailing details,
// tracking number, payer's IP (the ledger has its copy), its job's files and its
// source photo go, and its record stays: items, amount, status, times. Another photo
// stays, another user's request for it is not found, and the ledger entry opens.
func TestPromiseR3EraseOrderPersonalData(t *testing.T) {
	f := newFixture(t)
	u, other := f.user(), f.user()
	photo, job := f.photo(u, []byte("order photo"))
	keptPhoto, _ := f.photo(u, []byte("library photo"))
	paid := time.Now()
	o, lv := f.printOrder(u, job, paid)

	if _, err := f.svc.EraseOrder(f.ctx, u, o.ID); !errors.Is(err, privacy.ErrOrderNotShipped) {
		t.Fatalf("unshipped paid print order: %v, want ErrOrderNotShipped", err)
	}
	if n := len(f.files()); n != 8 {
		t.Fatalf("refused, yet %d files of 8 are left", n)
	}
	if reqs, _ := f.store.PrivacyRequests(f.ctx, audit.Subject(u)); len(reqs) != 0 {
		t.Fatalf("a refused request was logged: %+v", reqs)
	}
	if _, err := f.svc.EraseOrder(f.ctx, other, o.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's order: %v, want not found", err)
	}

	f.ship(o, lv)
	if left := f.personal(u, o.ID); len(left) != 3 {
		t.Fatalf("shipped order holds %v, want mailing, pay_ip and tracking", left)
	}
	res, err := f.svc.EraseOrder(f.ctx, u, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Orders != 1 || res.Jobs != 1 || res.Photos != 1 {
		t.Errorf("erased %+v, want 1 order, 1 job, 1 photo", res)
	}
	if left := f.personal(u, o.ID); len(left) != 0 {
		t.Errorf("the order row still holds %v", left)
	}
	if n := len(f.files()); n != 4 {
		t.Errorf("%d files left, want the other photo's 4", n)
	}
	if dirs := f.emptyDirs(); len(dirs) != 0 {
		t.Errorf("empty folders left: %v", dirs)
	}
	if _, err := f.store.GetPhoto(f.ctx, u, photo); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("source photo row: %v", err)
	}
	if _, err := f.store.GetJob(f.ctx, u, job); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("job row: %v", err)
	}
	if _, err := f.store.GetPhoto(f.ctx, u, keptPhoto); err != nil {
		t.Errorf("the photo of no order: %v", err)
	}
	after, err := f.store.GetOrder(f.ctx, u, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != order.StatusShipped || after.TotalFen != o.TotalFen || len(after.Items) != len(o.Items) ||
		!after.PaidAt.Equal(o.PaidAt) || after.TradeNo != o.TradeNo {
		t.Errorf("the order's record changed: %+v, was %+v", after.Order, o.Order)
	}
	f.ledgerOpens(lv, after)
	reqs, err := f.store.PrivacyRequests(f.ctx, audit.Subject(u))
	if err != nil || len(reqs) != 1 || reqs[0].Kind != store.RequestDeletion || reqs[0].Scope != "order" ||
		reqs[0].DoneAt.IsZero() || !reqs[0].DueAt.After(reqs[0].ReceivedAt) {
		t.Errorf("request log: %+v, %v", reqs, err)
	}
	if n, err := f.svc.Audit().Verify(f.ctx); err != nil || n != 1 {
		t.Errorf("audit: %d entries, %v", n, err)
	}
	// Again: nothing left to delete, and no error.
	if res, err := f.svc.EraseOrder(f.ctx, u, o.ID); err != nil || res.Jobs+res.Photos != 0 {
		t.Errorf("second erasure: %+v, %v", res, err)
	}
}

// R3: an open order is refused (the user cancels it instead); a job two orders are
// for stays for the other one, and goes with it.
func TestPromiseR3EraseOrderOpenAndSharedJob(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	_, job := f.photo(u, []byte("shared job"))
	now := time.Now()
	first, lv := f.printOrder(u, job, now)
	second, _ := f.printOrder(u, job, now)
	f.ship(first, lv)
	f.ship(second, lv)
	if _, err := f.svc.EraseOrder(f.ctx, u, first.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(f.files()); n != 4 {
		t.Fatalf("%d files left: the job the second order is for must stay", n)
	}
	if res, err := f.svc.EraseOrder(f.ctx, u, second.ID); err != nil || res.Jobs != 1 || res.Photos != 1 {
		t.Fatalf("second order: %+v, %v", res, err)
	}
	if n := len(f.files()); n != 0 {
		t.Errorf("%d files left", n)
	}

	_, job2 := f.photo(u, []byte("open order"))
	if err := f.store.RecordPreview(f.ctx, u, job2, now); err != nil {
		t.Fatal(err)
	}
	o, err := order.New(order.DefaultConfig(), order.NewID(), u, []order.Line{{Kind: order.KindEPhoto, JobID: job2}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateOrder(f.ctx, store.Order{Order: *o}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EraseOrder(f.ctx, u, o.ID); !errors.Is(err, privacy.ErrOrderOpen) {
		t.Errorf("open order: %v, want ErrOrderOpen", err)
	}
}

// R3: "delete everything" leaves the account and nothing else of the user: no file
// in the blob folder but those of a paid print order not shipped yet (named in the
// answer, with its mailing details), no profile, no export; the shipped order keeps
// its record without its personal data, both ledger entries open, and the user's
// consents and request log stay.
func TestPromiseR3DeleteEverythingKeepsAccount(t *testing.T) {
	f := newFixture(t)
	u, other := f.user(), f.user()
	f.photo(u, []byte("library"))
	_, shippedJob := f.photo(u, []byte("shipped"))
	_, waitingJob := f.photo(u, []byte("waiting"))
	f.photo(other, []byte("someone else"))
	now := time.Now()
	shipped, lv := f.printOrder(u, shippedJob, now)
	f.ship(shipped, lv)
	waiting, lv2 := f.printOrder(u, waitingJob, now)
	if err := f.svc.SetProfile(f.ctx, u, privacy.Profile{DisplayName: "Zhang", Shipping: privacy.Contact{Name: "张三"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Export(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	before := len(f.files())

	res, err := f.svc.DeleteEverything(f.ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if res.Photos != 2 || res.Jobs != 2 || res.Orders != 1 || res.Exports != 1 || !res.Profile ||
		len(res.Kept) != 1 || res.Kept[0].OrderID != waiting.ID || res.Kept[0].Reason != privacy.ReasonNotShipped {
		t.Errorf("erased %+v", res)
	}
	// Left: the other user's photo and the waiting order's photo, 4 files each.
	if n := len(f.files()); n != 8 || before != 8+4+4+1 {
		t.Errorf("%d files left of %d, want 8", n, before)
	}
	if dirs := f.emptyDirs(); len(dirs) != 0 {
		t.Errorf("empty folders left: %v", dirs)
	}
	if ps, _ := f.store.UserPhotos(f.ctx, u); len(ps) != 1 {
		t.Errorf("%d photos left, want the waiting order's", len(ps))
	}
	if left := f.personal(u, shipped.ID); len(left) != 0 {
		t.Errorf("the shipped order still holds %v", left)
	}
	if left := f.personal(u, waiting.ID); len(left) != 1 || left[0] != "mailing" {
		t.Errorf("the waiting order holds %v, want its mailing details", left)
	}
	if p, err := f.svc.Profile(f.ctx, u); err != nil || p != (privacy.Profile{}) {
		t.Errorf("profile: %+v, %v", p, err)
	}
	if es, _ := f.store.UserExports(f.ctx, u); len(es) != 0 {
		t.Errorf("exports left: %d", len(es))
	}
	if _, err := f.store.GetUser(f.ctx, u); err != nil {
		t.Errorf("the account: %v", err)
	}
	cur, _ := f.store.GetOrder(f.ctx, u, shipped.ID)
	f.ledgerOpens(lv, cur)
	f.ledgerOpens(lv2, waiting)
	reqs, _ := f.store.PrivacyRequests(f.ctx, audit.Subject(u))
	if len(reqs) == 0 || reqs[len(reqs)-1].Scope != "everything" || reqs[len(reqs)-1].DoneAt.IsZero() {
		t.Errorf("request log: %+v", reqs)
	}

	// Once shipped, the order's personal data goes too.
	f.ship(waiting, lv2)
	res, err = f.svc.DeleteEverything(f.ctx, u)
	if err != nil || len(res.Kept) != 0 || res.Photos != 1 {
		t.Fatalf("after shipping: %+v, %v", res, err)
	}
	if n := len(f.files()); n != 4 {
		t.Errorf("%d files left, want the other user's 4", n)
	}
}

// ledgerVaults keeps one ledger vault per fixture's store: the ledger key, once
// wrapped, opens only with the master key that wrapped it.
var ledgerVaults sync.Map

func (f *fixture) ledgerVault() *vault.Vault {
	f.t.Helper()
	if lv, ok := ledgerVaults.Load(f.store); ok {
		return lv.(*vault.Vault)
	}
	mk, _ := vault.ParseMasterKey(vault.NewMasterKeyText())
	lv, err := vault.New([]vault.Key{mk}, f.store.LedgerKeys())
	if err != nil {
		f.t.Fatal(err)
	}
	ledgerVaults.Store(f.store, lv)
	f.t.Cleanup(func() { ledgerVaults.Delete(f.store) })
	return lv
}
