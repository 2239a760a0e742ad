package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

// rawSession is a session that has accepted nothing yet.
func (e *env) rawSession() string {
	e.t.Helper()
	res := e.do("POST", "/api/v1/sessions", "", "application/json", []byte(`{}`))
	if res.status != http.StatusCreated {
		e.t.Fatalf("POST /sessions: %d %s", res.status, res.body)
	}
	var s struct{ Token string }
	res.json(e.t, &s)
	return s.Token
}

// R8: every processing route answers 428 consent_required, naming the policy and its
// version, until the current privacy policy is accepted; the policies are public.
func TestPromiseR8ProcessingNeedsConsent(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.rawSession()
	for _, p := range []string{"/api/v1/photos", "/api/v1/jobs", "/api/v1/orders"} {
		res := e.do("POST", p, tok, "application/json", []byte(`{}`))
		var body struct{ Code, Message, Policy, Version string }
		res.json(t, &body)
		if res.status != http.StatusPreconditionRequired || body.Code != "consent_required" || body.Policy != "privacy" || body.Version != "1.0" || body.Message == "" {
			t.Errorf("POST %s before consent: %d %s", p, res.status, res.body)
		}
	}
	res := e.do("GET", "/api/v1/policies", "", "", nil)
	if res.status != 200 || !strings.Contains(string(res.body), `"version":"1.0"`) {
		t.Fatalf("GET /policies: %d", res.status)
	}
	if res := e.do("POST", "/api/v1/me/consents", tok, "application/json", []byte(`{"policy":"privacy","version":"2.0"}`)); res.status != 400 {
		t.Errorf("accepting a version that is not current: %d %s", res.status, res.body)
	}
	e.accept(tok)
	if res := e.do("POST", "/api/v1/photos", tok, "application/json", []byte(`{}`)); res.status == http.StatusPreconditionRequired {
		t.Errorf("POST /photos after consent: %d %s", res.status, res.body)
	}
	for _, g := range []string{"true", "false"} {
		if res := e.do("POST", "/api/v1/me/consents/people_count", tok, "application/json", []byte(`{"granted":`+g+`}`)); res.status != 200 {
			t.Errorf("people_count %s: %d %s", g, res.status, res.body)
		}
	}
	if res := e.do("POST", "/api/v1/me/consents/face_id", tok, "application/json", []byte(`{"granted":true}`)); res.status != 404 {
		t.Errorf("unknown purpose: %d", res.status)
	}
	var st privacy.ConsentState
	e.do("GET", "/api/v1/me/consents", tok, "", nil).json(t, &st)
	if len(st.History) != 3 || st.Policies[0].Required {
		t.Errorf("consents %+v", st)
	}
}

// S4: a ticket is taken with or without a token and nothing in the database ties it
// to the session's user.
func TestPromiseS4SupportWithOrWithoutToken(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	for _, token := range []string{"", tok} {
		res := e.do("POST", "/api/v1/support", token, "application/json", []byte(`{"contact":"13912345678","text":"where is my print?"}`))
		if res.status != http.StatusCreated {
			t.Fatalf("POST /support (token %v): %d %s", token != "", res.status, res.body)
		}
	}
	if res := e.do("POST", "/api/v1/support", "", "application/json", []byte(`{"contact":"","text":"x"}`)); res.status != 400 {
		t.Errorf("no contact: %d", res.status)
	}
	ts, err := e.store.SupportTickets(t.Context())
	if err != nil || len(ts) != 2 {
		t.Fatalf("tickets %d, %v", len(ts), err)
	}
	users := e.users(t)
	for _, tk := range ts {
		for _, u := range users {
			if strings.Contains(string(tk.Sealed), u) || strings.Contains(tk.ID, u) {
				t.Error("a ticket holds a user id")
			}
		}
		if !tk.CreatedOn.Equal(store.Day(tk.CreatedOn)) {
			t.Errorf("ticket time %v is finer than a day", tk.CreatedOn)
		}
	}
}

// Closing: once announced, every answer carries the closing date and /status says so.
func TestPromiseShutdownNoticeHeader(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	if res := e.do("GET", "/healthz", "", "", nil); res.header.Get(httpapiHeader) != "" {
		t.Fatal("closing header before any notice")
	}
	eff, _ := privacy.ParseClosingDate("2027-03-01")
	if err := e.store.SetClosing(t.Context(), store.Closing{Effective: eff, Announced: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/healthz", "/api/v1/status", "/api/v1/nowhere"} {
		if res := e.do("GET", p, "", "", nil); res.header.Get(httpapiHeader) != "2027-03-01" {
			t.Errorf("GET %s: header %q", p, res.header.Get(httpapiHeader))
		}
	}
	var st struct {
		Status  string
		Closing struct{ Effective string }
	}
	e.do("GET", "/api/v1/status", "", "", nil).json(t, &st)
	if st.Status != "closing" || st.Closing.Effective != "2027-03-01" {
		t.Errorf("status %+v", st)
	}
}

const httpapiHeader = "X-Idphoto-Service-Closing"
