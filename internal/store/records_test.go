package store_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/store"
)

// The retention sweep's queries: what is due, what a legal hold keeps, what is deleted.
func TestRetentionQueries(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		old := now.Add(-48 * time.Hour)
		var users, photos, jobs []string
		for range 2 {
			user, p := userWithPhoto(t, s, old)
			users, photos, jobs = append(users, user), append(photos, p), append(jobs, newJob(t, s, user, p, old))
		}
		u, held := users[0], users[1]
		h := store.LegalHold{ID: store.NewID(), Scope: store.HoldUser, TargetID: held, Reason: "court order 12", PlacedBy: "cli", CreatedAt: now}
		if err := s.CreateLegalHold(ctx, h); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateLegalHold(ctx, store.LegalHold{ID: store.NewID(), Scope: "planet", TargetID: u, Reason: "x", CreatedAt: now}); err == nil {
			t.Error("a hold of an unknown scope was stored")
		}
		if hs, err := s.LegalHolds(ctx, now); err != nil || len(hs) != 1 || hs[0].Reason != h.Reason || hs[0].PlacedBy != "cli" {
			t.Fatalf("holds %+v %v", hs, err)
		}
		if owner, err := s.HoldTargetOwner(ctx, store.HoldPhoto, photos[1]); err != nil || owner != held {
			t.Errorf("hold target owner %q %v", owner, err)
		}
		dayAgo := now.Add(-24 * time.Hour)
		js, err := s.ExpiredJobs(ctx, now, dayAgo, dayAgo, dayAgo)
		if err != nil || len(js) != 1 || js[0].ID != jobs[0] {
			t.Fatalf("expired jobs %+v %v, want only the unheld one", js, err)
		}
		// The unheld photo's only job is due: so is the photo.
		ps, err := s.ExpiredPhotos(ctx, now, dayAgo, dayAgo, dayAgo, dayAgo)
		if err != nil || len(ps) != 1 || ps[0].ID != photos[0] {
			t.Fatalf("expired photos %+v %v", ps, err)
		}
		// A job unlocked (paid) now keeps its photo.
		if err := s.UnlockJob(ctx, u, jobs[0]); err != nil {
			t.Fatal(err)
		}
		if ps, _ := s.ExpiredPhotos(ctx, now, dayAgo, dayAgo, dayAgo, dayAgo); len(ps) != 0 {
			t.Fatalf("expired photos while their jobs are kept: %+v", ps)
		}
		if err := s.DeleteJobRow(ctx, jobs[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePhotoRow(ctx, photos[0]); err != nil {
			t.Fatal(err)
		}
		if ids, err := s.UserIDs(ctx, true, now); err != nil || !slices.Equal(ids, []string{held}) {
			t.Errorf("held users %v %v", ids, err)
		}
		if err := s.ReleaseLegalHold(ctx, h.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseLegalHold(ctx, h.ID, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("released twice: %v", err)
		}
		if got, err := s.GetLegalHold(ctx, h.ID); err != nil || !got.ReleasedAt.Equal(now) {
			t.Errorf("released hold %+v %v", got, err)
		}
		if js, _ := s.ExpiredJobs(ctx, now, dayAgo, dayAgo, dayAgo); len(js) != 1 || js[0].ID != jobs[1] {
			t.Errorf("after the release: %+v", js)
		}
		if err := s.RecordRetentionRun(ctx, now, true, `{"jobs":1}`); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordRetentionRun(ctx, now, false, `{"jobs":1}`); err != nil {
			t.Fatal(err)
		}
		if ids, _ := s.UserIDs(ctx, false, now); len(ids) != 2 {
			t.Errorf("users not held: %v", ids)
		}
		se := store.Session{ID: store.NewID(), UserID: u, TokenHash: []byte("h"), CreatedAt: old, ExpiresAt: dayAgo}
		s.CreateSession(ctx, se)
		if n, err := s.DeleteExpiredSessions(ctx, now); err != nil || n != 1 {
			t.Errorf("expired sessions deleted: %d %v", n, err)
		}
	})
}

// Privacy requests with their due dates, consents with their latest state, support
// tickets kept to the day, and the closing notice.
func TestRequestsConsentsTicketsNotice(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		r := store.PrivacyRequest{ID: store.NewID(), Subject: "pseud", Kind: store.RequestAccess, Scope: "export", ReceivedAt: now, DueAt: now.Add(72 * time.Hour)}
		if err := s.CreatePrivacyRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		if open, _ := s.OpenPrivacyRequests(ctx); len(open) != 1 || !open[0].DoneAt.IsZero() {
			t.Fatalf("open requests %+v", open)
		}
		if err := s.FinishPrivacyRequest(ctx, r.ID, now); err != nil {
			t.Fatal(err)
		}
		if rs, _ := s.PrivacyRequests(ctx, "pseud"); len(rs) != 1 || !rs[0].DoneAt.Equal(now) || !rs[0].DueAt.Equal(r.DueAt) {
			t.Fatalf("requests %+v", rs)
		}
		// The user's own view is bounded, newest first.
		for i := 1; i <= 4; i++ {
			at := now.Add(time.Duration(i) * time.Second)
			if err := s.CreatePrivacyRequest(ctx, store.PrivacyRequest{ID: store.NewID(), Subject: "pseud", Kind: store.RequestCorrection,
				Scope: "profile", ReceivedAt: at, DueAt: at.Add(72 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if rs, err := s.RecentPrivacyRequests(ctx, "pseud", 3); err != nil || len(rs) != 3 ||
			!rs[0].ReceivedAt.Equal(now.Add(4*time.Second)) || !rs[2].ReceivedAt.Equal(now.Add(2*time.Second)) {
			t.Fatalf("recent requests %+v, %v", rs, err)
		}

		for i, granted := range []bool{true, false, true, false} {
			c := store.Consent{Subject: "pseud", Kind: store.ConsentPurpose, Name: "photo_location", Granted: granted, At: now.Add(time.Duration(i) * time.Second)}
			if err := s.AddConsent(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		s.AddConsent(ctx, store.Consent{Subject: "pseud", Kind: store.ConsentPolicy, Name: "privacy", Version: "1.0", Granted: true, At: now})
		if all, _ := s.Consents(ctx, "pseud"); len(all) != 5 || !all[0].Granted || all[1].Granted {
			t.Fatalf("consents %+v", all)
		}
		latest, err := s.LatestConsents(ctx, "pseud")
		if err != nil || len(latest) != 2 || latest[0].Kind != store.ConsentPolicy || latest[1].Granted {
			t.Fatalf("latest consents %+v %v", latest, err)
		}

		noon := time.Date(2025, 3, 4, 12, 30, 0, 0, time.UTC)
		if err := s.CreateSupportTicket(ctx, store.SupportTicket{ID: store.NewID(), Sealed: []byte("sealed"), CreatedOn: noon}); err != nil {
			t.Fatal(err)
		}
		if ts, _ := s.SupportTickets(ctx); len(ts) != 1 || !ts[0].CreatedOn.Equal(store.Day(noon)) {
			t.Fatalf("tickets %+v", ts)
		}
		if n, _ := s.DeleteSupportTickets(ctx, noon.Add(48*time.Hour), true); n != 1 {
			t.Errorf("dry run counted %d", n)
		}
		if n, _ := s.DeleteSupportTickets(ctx, noon.Add(48*time.Hour), false); n != 1 {
			t.Errorf("deleted %d", n)
		}
		if n, _ := s.CountSupportTickets(ctx); n != 0 {
			t.Errorf("%d tickets left", n)
		}

		if _, err := s.GetClosing(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("closing before any notice: %v", err)
		}
		for _, eff := range []time.Time{now.Add(30 * 24 * time.Hour), now.Add(60 * 24 * time.Hour)} {
			if err := s.SetClosing(ctx, store.Closing{Effective: eff, Announced: now}); err != nil {
				t.Fatal(err)
			}
		}
		if c, err := s.GetClosing(ctx); err != nil || !c.Effective.Equal(now.Add(60*24*time.Hour)) {
			t.Fatalf("closing %+v %v", c, err)
		}
		if err := s.CancelClosing(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelClosing(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cancelled twice: %v", err)
		}
	})
}

// Mini-program logins make one account per identity, staff have sealed names and
// revocable sessions, the service's secret is made once.
func TestLoginsStaffSecrets(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		seal := func(id string) ([]byte, error) { return []byte("sealed:" + id), nil }
		l := store.Login{Lookup: bytes.Repeat([]byte{1}, 32), Channel: "wechat", CreatedAt: now, LastAt: now}
		first, isNew, err := s.LoginUser(ctx, l, store.User{ID: store.NewID(), CreatedAt: now}, seal)
		if err != nil || !isNew {
			t.Fatalf("first login: %v %v", isNew, err)
		}
		again, isNew, err := s.LoginUser(ctx, l, store.User{ID: store.NewID(), CreatedAt: now}, seal)
		if err != nil || isNew || again != first {
			t.Fatalf("second login: %s %v %v, want %s", again, isNew, err, first)
		}
		if ls, _ := s.UserLogins(ctx, first); len(ls) != 1 || string(ls[0].SubjectSealed) != "sealed:"+first {
			t.Fatalf("logins %+v", ls)
		}

		staff := store.User{ID: store.NewID(), Role: store.RoleOperator, CreatedAt: now}
		se := store.Session{ID: store.NewID(), TokenHash: bytes.Repeat([]byte{2}, 32), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateStaff(ctx, staff, seal, se); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.Staff(ctx); len(m) != 1 || string(m[0].NameSealed) != "sealed:"+staff.ID {
			t.Fatalf("staff %+v", m)
		}
		if tok, _ := s.LiveStaffTokens(ctx, now); tok[staff.ID].Live != 1 {
			t.Fatalf("staff tokens %+v", tok)
		}
		if n, err := s.RevokeStaff(ctx, staff.ID); err != nil || n != 1 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		if _, err := s.RevokeStaff(ctx, first); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoking a user: %v", err)
		}

		made := 0
		create := func() ([]byte, error) { made++; return []byte("secret"), nil }
		for range 2 {
			if b, err := s.ServiceSecret(ctx, "login_lookup", create); err != nil || string(b) != "secret" {
				t.Fatalf("secret %q %v", b, err)
			}
		}
		if made != 1 {
			t.Errorf("the secret was made %d times", made)
		}
		if err := s.SetProfileSealed(ctx, first, []byte("profile")); err != nil {
			t.Fatal(err)
		}
		if b, err := s.ProfileSealed(ctx, first); err != nil || string(b) != "profile" {
			t.Errorf("profile %q %v", b, err)
		}
	})
}

// The operator's and the reconciler's views of orders, and print orders' tracking.
func TestOrderViews(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		user, job, o := newOrder(t, s)
		now := time.Now()
		if err := s.UpdateOrder(ctx, o.ID, func(so *store.Order) error { return so.Apply(order.EventPay, now) }); err != nil {
			t.Fatal(err)
		}
		if os, err := s.OrdersToReconcile(ctx, now.Add(time.Minute), now, 10); err != nil || len(os) != 1 || os[0].ID != o.ID {
			t.Fatalf("to reconcile %+v %v", os, err)
		}
		if os, _ := s.OrdersByStatus(ctx, string(order.StatusPaying), 10); len(os) != 1 {
			t.Fatalf("paying orders %+v", os)
		}
		if js, _ := s.OrderJobs(ctx, o.ID); len(js) != 1 || js[0].ID != job {
			t.Fatalf("order jobs %+v", js)
		}
		if err := s.SetTracking(ctx, o.ID, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		if b, _ := s.Tracking(ctx, o.ID); string(b) != "sealed" {
			t.Errorf("tracking %q", b)
		}
		if err := s.DeleteOrderRow(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetOrder(ctx, user, o.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted order: %v", err)
		}
	})
}
