package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/store"
)

type myRequest struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Scope      string     `json:"scope"`
	ReceivedAt time.Time  `json:"received_at"`
	DueDate    string     `json:"due_date"`
	DueAt      time.Time  `json:"due_at"`
	Status     string     `json:"status"`
	DoneAt     *time.Time `json:"done_at"`
}

func (e *env) myRequests(tok string) []myRequest {
	e.t.Helper()
	res := e.do("GET", "/api/v1/me/requests", tok, "", nil)
	if res.status != http.StatusOK {
		e.t.Fatalf("GET /me/requests: %d %s", res.status, res.body)
	}
	var out struct{ Requests []myRequest }
	res.json(e.t, &out)
	if out.Requests == nil {
		e.t.Fatalf("GET /me/requests: no list in %s", res.body)
	}
	return out.Requests
}

// R6 and S2: a user lists their own privacy requests, newest first, with the due date
// in working days and whether each is done, open or overdue; another user never sees
// them, and without a session there is nothing.
func TestPromiseR6MyRequestsAndDueDates(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	a, b := e.session(), e.session()
	if rs := e.myRequests(a); len(rs) != 0 {
		t.Fatalf("a new user's requests: %+v", rs)
	}
	photo := e.uploadOK(a, portrait(t, "hivision-test3.jpg"))
	before := time.Now()
	if res := e.do("POST", "/api/v1/me/export", a, "", nil); res.status != http.StatusCreated {
		t.Fatalf("export: %d %s", res.status, res.body)
	}
	time.Sleep(2 * time.Millisecond) // the log orders by the millisecond
	if res := e.do("DELETE", "/api/v1/photos/"+photo, a, "", nil); res.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}

	rs := e.myRequests(a)
	if len(rs) != 2 || rs[0].Kind != store.RequestDeletion || rs[0].Scope != "photo" || rs[1].Kind != store.RequestAccess {
		t.Fatalf("a's requests, newest first: %+v", rs)
	}
	for _, r := range rs {
		due, err := time.ParseInLocation(time.DateOnly, r.DueDate, time.FixedZone("CST", 8*3600))
		switch {
		case err != nil:
			t.Errorf("due_date %q: %v", r.DueDate, err)
		case r.Status != "done" || r.DoneAt == nil || r.DoneAt.Before(before.Add(-time.Second)):
			t.Errorf("an answered request: %+v", r)
		case !due.Add(24 * time.Hour).Equal(r.DueAt):
			t.Errorf("due_date %s does not end at due_at %s", r.DueDate, r.DueAt)
		// 15 working days are at least three weeks, and no more than five with the
		// longest holidays.
		case r.DueAt.Sub(r.ReceivedAt) < 19*24*time.Hour || r.DueAt.Sub(r.ReceivedAt) > 36*24*time.Hour:
			t.Errorf("received %s, due %s: not 15 working days", r.ReceivedAt, r.DueAt)
		}
	}

	// An open request whose due date has passed is overdue.
	se, err := e.store.SessionByTokenHash(context.Background(), sha(a), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	if err := e.store.CreatePrivacyRequest(context.Background(), store.PrivacyRequest{ID: store.NewID(), Subject: audit.Subject(se.UserID),
		Kind: store.RequestCorrection, Scope: "account", ReceivedAt: old, DueAt: old.Add(21 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rs = e.myRequests(a)
	if len(rs) != 3 || rs[2].Kind != store.RequestCorrection || rs[2].Status != "overdue" || rs[2].DoneAt != nil {
		t.Fatalf("with an overdue request: %+v", rs)
	}

	// S2: b sees none of a's, and a none of b's.
	if rs := e.myRequests(b); len(rs) != 0 {
		t.Fatalf("another user sees %+v", rs)
	}
	if res := e.do("POST", "/api/v1/me/export", b, "", nil); res.status != http.StatusCreated {
		t.Fatalf("b's export: %d", res.status)
	}
	if rs := e.myRequests(b); len(rs) != 1 || rs[0].Kind != store.RequestAccess {
		t.Fatalf("b's requests: %+v", rs)
	}
	if rs := e.myRequests(a); len(rs) != 3 {
		t.Fatalf("a's requests after b's: %+v", rs)
	}
	if res := e.do("GET", "/api/v1/me/requests", "", "", nil); res.status != http.StatusUnauthorized {
		t.Fatalf("without a session: %d", res.status)
	}
}

// Every correction is a request, so a user can log as many as they like: the list
// answers the newest MaxMyRequests of them, newest first, not all.
func TestMyRequestsBounded(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	a := e.session()
	se, err := e.store.SessionByTokenHash(context.Background(), sha(a), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	n := httpapi.MaxMyRequests + 5
	for i := range n {
		at := start.Add(time.Duration(i) * time.Millisecond)
		if err := e.store.CreatePrivacyRequest(context.Background(), store.PrivacyRequest{ID: store.NewID(), Subject: audit.Subject(se.UserID),
			Kind: store.RequestCorrection, Scope: "profile", ReceivedAt: at, DueAt: at.Add(21 * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	rs := e.myRequests(a)
	if len(rs) != httpapi.MaxMyRequests || !rs[0].ReceivedAt.Equal(start.Add(time.Duration(n-1)*time.Millisecond)) {
		t.Fatalf("%d requests, newest %v", len(rs), rs[0].ReceivedAt)
	}
}
