package privacy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

// R7: a hold placed by staff keeps a photo, and another an order, from the sweep long
// past their periods; released, the next sweep deletes them. Every placing and release
// is an audit entry with the staff member's id, the scope and the target, never the
// reason; refused holds change nothing.
func TestPromiseR7HoldsPlacedAndReleased(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	photo, _ := f.photo(u, []byte("held photo"))
	_, printJob := f.photo(u, []byte("held print"))
	paid := time.Now()
	o, _ := f.printOrder(u, printJob, paid)
	staff := store.NewID()
	const reason = "court order 2026-17 of a person named Zhang"

	for _, bad := range []privacy.HoldRequest{
		{Scope: "account", TargetID: u, Reason: "x"},
		{Scope: store.HoldPhoto, TargetID: "../etc", Reason: "x"},
		{Scope: store.HoldOrder, TargetID: u, Reason: "x"}, // a user id is not an order id
		{Scope: store.HoldPhoto, TargetID: photo, Reason: "  "},
		{Scope: store.HoldPhoto, TargetID: photo, Reason: "two\nlines"},
		{Scope: store.HoldPhoto, TargetID: photo, Reason: strings.Repeat("x", privacy.MaxHoldReason+1)},
		{Scope: store.HoldPhoto, TargetID: photo, Reason: "x", Until: paid.Add(-time.Hour)},
	} {
		if _, err := f.svc.PlaceHold(f.ctx, staff, bad); !errors.Is(err, privacy.ErrBadHold) {
			t.Errorf("PlaceHold(%+v) = %v, want ErrBadHold", bad, err)
		}
	}
	if _, err := f.svc.PlaceHold(f.ctx, staff, privacy.HoldRequest{Scope: store.HoldPhoto, TargetID: store.NewID(), Reason: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a hold on no photo: %v, want ErrNotFound", err)
	}
	ph, err := f.svc.PlaceHold(f.ctx, staff, privacy.HoldRequest{Scope: store.HoldPhoto, TargetID: photo, Reason: reason})
	if err != nil {
		t.Fatal(err)
	}
	oh, err := f.svc.PlaceHold(f.ctx, staff, privacy.HoldRequest{Scope: store.HoldOrder, TargetID: o.ID, Reason: "tax inspection"})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := f.svc.Holds(f.ctx)
	if err != nil || len(hs) != 2 {
		t.Fatalf("holds: %+v, %v", hs, err)
	}
	for _, h := range hs {
		if h.ID == ph.ID && (h.PlacedBy != staff || h.Reason != reason || h.TargetID != photo || !h.Until.IsZero()) {
			t.Errorf("the photo's hold as listed: %+v", h)
		}
	}

	late := f.at(paid.Add(60 * 24 * time.Hour)) // past the 24 h, 7 days and 30 days
	rep, err := late.Sweep(f.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orders != 0 || rep.Photos != 0 || rep.Jobs != 0 || len(f.files()) != 8 {
		t.Fatalf("with the holds: %v, %d files; want everything kept", rep, len(f.files()))
	}
	if _, err := f.store.GetPhoto(f.ctx, u, photo); err != nil {
		t.Errorf("held photo: %v", err)
	}
	if _, err := f.store.GetOrder(f.ctx, u, o.ID); err != nil {
		t.Errorf("held order: %v", err)
	}
	if jobs, _ := f.store.OrderJobs(f.ctx, o.ID); len(jobs) != 1 {
		t.Errorf("the held order's job: %d", len(jobs))
	}

	for _, h := range []store.LegalHold{ph, oh} {
		if _, err := late.ReleaseHold(f.ctx, staff, h.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := late.ReleaseHold(f.ctx, staff, ph.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("released twice: %v", err)
	}
	rep, err = late.Sweep(f.ctx, false)
	if err != nil || rep.Orders != 1 || rep.Jobs != 2 || rep.Photos != 2 || len(f.files()) != 0 {
		t.Fatalf("released: %v, %v, %d files", rep, err, len(f.files()))
	}
	if dirs := f.emptyDirs(); len(dirs) != 0 {
		t.Errorf("empty folders left: %v", dirs)
	}

	// The audit log: four entries of the staff member, naming the user by pseudonym,
	// the scope and target, and never the reason.
	var got []string
	f.store.AuditEntries(f.ctx, func(e store.AuditEntry) error {
		if e.Action != audit.ActionLegalHold {
			return nil
		}
		got = append(got, e.Detail)
		if e.Actor != staff || e.Subject != audit.Subject(u) {
			t.Errorf("hold entry %+v: want actor %s and the user's pseudonym", e, staff)
		}
		if strings.Contains(e.Detail, "Zhang") || strings.Contains(e.Detail, "court") || strings.Contains(e.Detail, u) {
			t.Errorf("hold entry names the reason or the user: %q", e.Detail)
		}
		return nil
	})
	if len(got) != 4 || !strings.Contains(got[0], "placed hold="+ph.ID+" scope=photo target="+photo) ||
		!strings.Contains(got[3], "released hold="+oh.ID+" scope=order target="+o.ID) {
		t.Errorf("hold entries: %q", got)
	}
	if _, err := f.svc.Audit().Verify(f.ctx); err != nil {
		t.Error(err)
	}
}

// R7: a hold with an end keeps its data through its last day and not after: the
// sweep as of the next day deletes, with no one releasing it.
func TestPromiseR7HoldLapsesAtItsEnd(t *testing.T) {
	f := newFixture(t)
	u := f.user()
	f.photo(u, []byte("held a while"))
	until, err := privacy.ParseHoldUntil(privacy.ClosingDate(time.Now().Add(10 * 24 * time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PlaceHold(f.ctx, privacy.ActorCLI, privacy.HoldRequest{Scope: store.HoldUser, TargetID: u, Reason: "audit 2026", Until: until}); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.at(until.Add(-time.Minute)).Sweep(f.ctx, false); err != nil || rep.Photos != 0 {
		t.Fatalf("on the last day: %v, %v", rep, err)
	}
	if hs, _ := f.at(until.Add(-time.Minute)).Holds(f.ctx); len(hs) != 1 {
		t.Errorf("holds on the last day: %d", len(hs))
	}
	if rep, err := f.at(until.Add(time.Minute)).Sweep(f.ctx, false); err != nil || rep.Photos != 1 || len(f.files()) != 0 {
		t.Fatalf("after the end: %v, %v, %d files", rep, err, len(f.files()))
	}
	if hs, _ := f.at(until.Add(time.Minute)).Holds(f.ctx); len(hs) != 0 {
		t.Errorf("a lapsed hold is still listed: %+v", hs)
	}
}
