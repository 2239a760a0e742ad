package privacy_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/ledger"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// printOrder makes a paid print order (a sheet of the job, mailed) with sealed
// mailing details and its ledger entry; it returns the order and the ledger vault.
func (f *fixture) printOrder(user, job string, paid time.Time) (store.Order, *vault.Vault) {
	f.t.Helper()
	if err := f.store.RecordPreview(f.ctx, user, job, paid); err != nil {
		f.t.Fatal(err)
	}
	lines := []order.Line{{Kind: order.KindPrint, JobID: job, Copies: 8, Quantity: 1}, {Kind: order.KindMailing}}
	o, err := order.New(order.DefaultConfig(), order.NewID(), user, lines, paid)
	if err != nil {
		f.t.Fatal(err)
	}
	so := store.Order{Order: *o}
	if so.MailingSealed, err = f.vault.Seal(f.ctx, user, []byte(`{"name":"张三","address":"北京市海淀区某路1号","phone":"13812341234"}`), "order.mailing:"+o.ID); err != nil {
		f.t.Fatal(err)
	}
	if err := f.store.CreateOrder(f.ctx, so); err != nil {
		f.t.Fatal(err)
	}
	lv := f.ledgerVault()
	entry, err := ledger.Seal(f.ctx, lv, ledger.Entry{Channel: "wechatpay", TradeNo: "42" + o.ID[:8], OrderID: o.ID, AmountFen: o.TotalFen,
		PayerID: "openid-x", PaidAt: paid, RecordedAt: paid})
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.store.RecordPayment(f.ctx, o.ID, func(o *store.Order) error {
		if err := o.Apply(order.EventPay, paid); err != nil {
			return err
		}
		return o.MarkPaid("wechatpay", entry.TradeNo, paid)
	}, entry)
	if err != nil {
		f.t.Fatal(err)
	}
	so, err = f.store.GetOrder(f.ctx, user, o.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return so, lv
}

// R2: a print order, its name, address and phone, and the photos of its jobs are kept
// 29 days after payment (past the e-photos' 7) and gone at 31: rows, and blobs from
// disk; the ledger entry of its payment still opens.
func TestPromiseR2PrintOrderDeletedThirtyDaysAfterPayment(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	photo, job := f.photo(u, []byte("print photo bytes"))
	paid := time.Now()
	o, lv := f.printOrder(u, job, paid)
	if o.PaidAt.IsZero() || len(o.MailingSealed) == 0 {
		t.Fatalf("order %+v: not paid or no mailing", o.Order)
	}
	for _, day := range []int{8, 29} {
		rep, err := f.at(paid.Add(time.Duration(day)*24*time.Hour)).Sweep(f.ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Orders+rep.Jobs+rep.Photos != 0 || len(f.files()) != 4 {
			t.Fatalf("day %d: %v, %d files; want the print order kept", day, rep, len(f.files()))
		}
	}
	if _, err := f.store.GetOrder(f.ctx, u, o.ID); err != nil {
		t.Fatalf("day 29: order: %v", err)
	}
	dry, err := f.at(paid.Add(31*24*time.Hour)).Sweep(f.ctx, true)
	if err != nil || dry.Orders != 1 || len(f.files()) != 4 {
		t.Fatalf("day 31, dry run: %v, %v, %d files", dry, err, len(f.files()))
	}
	rep, err := f.at(paid.Add(31*24*time.Hour)).Sweep(f.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orders != 1 || rep.Jobs != 1 || rep.Photos != 1 {
		t.Errorf("day 31: %v, want 1 order, 1 job, 1 photo", rep)
	}
	if files := f.files(); len(files) != 0 {
		t.Errorf("day 31: files left on disk: %v", files)
	}
	if dirs := f.emptyDirs(); len(dirs) != 0 {
		t.Errorf("day 31: empty folders left: %v", dirs)
	}
	if _, err := f.store.GetOrder(f.ctx, u, o.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("day 31: order row: %v", err)
	}
	if _, err := f.store.GetPhoto(f.ctx, u, photo); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("day 31: photo row: %v", err)
	}
	if _, err := f.store.GetJob(f.ctx, u, job); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("day 31: job row: %v", err)
	}
	// The mailing details are nowhere in the database file, sealed or not.
	db, _ := os.ReadFile(filepath.Join(f.dir, "idphoto.db"))
	if bytes.Contains(db, o.MailingSealed[len(o.MailingSealed)-16:]) {
		t.Error("the sealed mailing details are still in the database file")
	}
	es, err := f.store.LedgerEntries(f.ctx, paid.Add(-time.Hour), paid.Add(time.Hour))
	if err != nil || len(es) != 1 {
		t.Fatalf("ledger after the sweep: %v, %v", es, err)
	}
	if e, err := ledger.Open(f.ctx, lv, es[0]); err != nil || e.OrderID != o.ID {
		t.Errorf("ledger entry after the sweep: %+v, %v", e, err)
	}
}

// R2 and R7: a legal hold on the user keeps the print order past 30 days.
func TestPromiseR2PrintOrderLegalHold(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	_, job := f.photo(u, []byte("held print"))
	paid := time.Now()
	o, _ := f.printOrder(u, job, paid)
	if err := f.store.CreateLegalHold(f.ctx, store.LegalHold{ID: store.NewID(), Scope: "user", TargetID: u, Reason: "tax inspection", CreatedAt: paid}); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.at(paid.Add(40*24*time.Hour)).Sweep(f.ctx, false); err != nil || rep.Orders != 0 {
		t.Fatalf("held: %v, %v", rep, err)
	}
	if _, err := f.store.GetOrder(f.ctx, u, o.ID); err != nil {
		t.Errorf("held order: %v", err)
	}
}

// R8: accepting a policy and granting or withdrawing a purpose is an append-only
// record and an audit entry; processing is refused until the current major version of
// the privacy policy is accepted; the export carries the records.
func TestPromiseR8ConsentRecordsAndGate(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	pol, err := f.svc.RequireConsent(f.ctx, u)
	if !errors.Is(err, privacy.ErrConsentRequired) || pol.ID != privacy.PolicyPrivacy || pol.Version != "1.0" {
		t.Fatalf("before accepting: %+v, %v", pol, err)
	}
	if err := f.svc.AcceptPolicy(f.ctx, u, privacy.PolicyPrivacy, "0.9"); !errors.Is(err, privacy.ErrNotCurrent) {
		t.Errorf("old version: %v", err)
	}
	if err := f.svc.AcceptPolicy(f.ctx, u, "cookies", "1.0"); !errors.Is(err, privacy.ErrUnknownPolicy) {
		t.Errorf("unknown policy: %v", err)
	}
	if err := f.svc.AcceptPolicy(f.ctx, u, privacy.PolicyPrivacy, "1.0"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequireConsent(f.ctx, u); err != nil {
		t.Fatalf("after accepting: %v", err)
	}
	for _, g := range []bool{true, false} {
		if err := f.svc.SetPurpose(f.ctx, u, privacy.PurposePhotoLocation, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.SetPurpose(f.ctx, u, "face_id", true); !errors.Is(err, privacy.ErrUnknownPurpose) {
		t.Errorf("unknown purpose: %v", err)
	}
	if ok, _ := f.svc.PurposeGranted(f.ctx, u, privacy.PurposePhotoLocation); ok {
		t.Error("photo_location is granted after its withdrawal")
	}
	st, err := f.svc.Consents(f.ctx, u)
	if err != nil || len(st.History) != 3 || st.Policies[0].Required || st.Policies[0].Accepted != "1.0" {
		t.Fatalf("state %+v, %v", st, err)
	}
	n, err := f.svc.Audit().Verify(f.ctx)
	if err != nil || n != 3 {
		t.Errorf("audit: %d entries, %v; want 3", n, err)
	}
	// Append-only: the database refuses to change or remove a record.
	db, err := sql.Open("sqlite", filepath.Join(f.dir, "idphoto.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(f.ctx, "UPDATE consents SET granted = 1"); err == nil {
		t.Error("a consent record was updated")
	}
	if _, err := db.ExecContext(f.ctx, "DELETE FROM consents"); err == nil {
		t.Error("a consent record was deleted")
	}
	// The records are pseudonymous: the user id is in none of them.
	recs, _ := f.store.Consents(f.ctx, audit.Subject(u))
	for _, r := range recs {
		if strings.Contains(r.Subject, u) {
			t.Errorf("record names the user: %+v", r)
		}
	}
	// Cancelling the account leaves the records, which no longer lead to anyone.
	if err := f.svc.CancelAccount(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	if recs, _ := f.store.Consents(f.ctx, audit.Subject(u)); len(recs) != 3 {
		t.Errorf("%d records after cancellation, want 3", len(recs))
	}
}

// R8: the published policies are idphoto's own two documents, version 1.0, with dates,
// and the privacy policy states the very numbers the retention rules enforce.
func TestPromiseR8PoliciesPublished(t *testing.T) {
	ps := privacy.Policies()
	if len(ps) != 2 {
		t.Fatalf("%d policies", len(ps))
	}
	for _, p := range ps {
		if p.Version != "1.0" || p.Effective.IsZero() || len(p.Text) < 1000 || p.Title == "" {
			t.Errorf("policy %s %s: %d bytes, effective %v", p.ID, p.Version, len(p.Text), p.Effective)
		}
	}
	p, _ := privacy.CurrentPolicy(privacy.PolicyPrivacy)
	if !p.Gates {
		t.Error("the privacy policy does not gate processing")
	}
	cfg := privacy.DefaultConfig()
	days := func(d time.Duration) int { return int(d / (24 * time.Hour)) }
	for _, said := range []string{
		fmt.Sprintf("%d 小时后删除", int(cfg.UnpaidTTL/time.Hour)),
		fmt.Sprintf("付款后保存 %d 天", days(cfg.PaidTTL)),
		fmt.Sprintf("付款后 %d 天，删除订单及其全部个人信息", days(cfg.PrintTTL)),
		fmt.Sprintf("客服记录：%d 天后删除", days(cfg.SupportTTL)),
		fmt.Sprintf("%d 个工作日内", cfg.DueDays),
		fmt.Sprintf("%d days after payment. Print orders", days(cfg.PaidTTL)),
	} {
		if !strings.Contains(p.Text, said) {
			t.Errorf("the privacy policy does not say %q, which the retention rules enforce", said)
		}
	}
	for _, v := range []string{"1", "1.x", "+1.0", "1.-1", ""} {
		if _, _, err := privacy.ParseVersion(v); err == nil {
			t.Errorf("version %q accepted", v)
		}
	}
}

// S4: a ticket's contact and text are not in the database in clear, its table has no
// column that could join it to a user, a session or a photo, and it is deleted after
// its own period.
func TestPromiseS4SupportTicketUnlinked(t *testing.T) {
	f := newFixture(t)
	mk, _ := vault.ParseMasterKey(vault.NewMasterKeyText())
	sv, err := vault.New([]vault.Key{mk}, f.store.SupportKeys())
	if err != nil {
		t.Fatal(err)
	}
	desk := privacy.NewSupportDesk(f.store, sv)
	const contact, text = "support-contact-13912345678@example.com", "my print never arrived: ticket-text-marker"
	id, err := desk.Submit(f.ctx, contact, text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Submit(f.ctx, "", "x"); !errors.Is(err, privacy.ErrBadTicket) {
		t.Errorf("no contact: %v", err)
	}
	ts, err := desk.Tickets(f.ctx)
	if err != nil || len(ts) != 1 || ts[0].ID != id || ts[0].Contact != contact || ts[0].Text != text {
		t.Fatalf("tickets %+v, %v", ts, err)
	}
	for _, name := range []string{"idphoto.db", "idphoto.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(f.dir, name))
		if bytes.Contains(b, []byte("13912345678")) || bytes.Contains(b, []byte("ticket-text-marker")) {
			t.Errorf("the ticket is in %s in clear", name)
		}
	}
	cols, err := f.store.Columns(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols["support_tickets"] {
		fld := privacy.DataMap["support_tickets"][c]
		if strings.Contains(c, "user") || strings.Contains(c, "session") || strings.Contains(c, "photo") ||
			strings.Contains(c, "job") || strings.Contains(c, "order") || fld.Class == privacy.ClassUsage || fld.Class == privacy.ClassDevice {
			t.Errorf("support_tickets.%s (%s) could join a ticket to an account", c, fld.Class)
		}
	}
	if rep, err := f.at(time.Now().Add(179*24*time.Hour)).Sweep(f.ctx, false); err != nil || rep.Tickets != 0 {
		t.Errorf("day 179: %v, %v", rep, err)
	}
	if rep, err := f.at(time.Now().Add(182*24*time.Hour)).Sweep(f.ctx, false); err != nil || rep.Tickets != 1 {
		t.Errorf("day 182: %v, %v", rep, err)
	}
	if ts, _ := desk.Tickets(f.ctx); len(ts) != 0 {
		t.Errorf("tickets after their period: %d", len(ts))
	}
}

// Closing: before the date the sweep keeps everything; after it, every account, its
// files and rows, and every ticket are gone; the ledger and the pseudonymous logs stay.
func TestPromiseShutdownErasesAfterDate(t *testing.T) {
	f := newFixture(t)
	u1, u2 := f.user(), f.user()
	_, job := f.photo(u1, []byte("one"))
	f.photo(u2, []byte("two"))
	paid := time.Now()
	f.printOrder(u1, job, paid)
	if err := f.svc.AcceptPolicy(f.ctx, u1, privacy.PolicyPrivacy, "1.0"); err != nil {
		t.Fatal(err)
	}
	eff := paid.Add(12 * time.Hour).Truncate(time.Millisecond)
	if err := f.svc.AnnounceClosing(f.ctx, eff); err != nil {
		t.Fatal(err)
	}
	if c, ok, err := f.svc.Closing(f.ctx); err != nil || !ok || !c.Effective.Equal(eff) {
		t.Fatalf("closing %v %v %v", c, ok, err)
	}
	if rep, err := f.at(eff.Add(-time.Minute)).Sweep(f.ctx, false); err != nil || rep.Users != 0 || len(f.files()) != 8 {
		t.Fatalf("before the date: %v, %v, %d files", rep, err, len(f.files()))
	}
	rep, err := f.at(eff.Add(time.Minute)).Sweep(f.ctx, false)
	if err != nil || rep.Users != 2 {
		t.Fatalf("after the date: %v, %v", rep, err)
	}
	if files := f.files(); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
	if dirs := f.emptyDirs(); len(dirs) != 0 {
		t.Errorf("empty folders left: %v", dirs)
	}
	if ids, _ := f.store.UserIDs(f.ctx, false, time.Now()); len(ids) != 0 {
		t.Errorf("accounts left: %d", len(ids))
	}
	for _, u := range []string{u1, u2} {
		if k, err := f.store.LoadKey(f.ctx, u); err == nil {
			t.Errorf("data key left: %d bytes", len(k))
		}
	}
	if es, _ := f.store.LedgerEntries(f.ctx, paid.Add(-time.Hour), paid.Add(time.Hour)); len(es) != 1 {
		t.Errorf("ledger: %d entries, want 1", len(es))
	}
	if _, err := f.svc.Audit().Verify(f.ctx); err != nil {
		t.Errorf("audit: %v", err)
	}
}
