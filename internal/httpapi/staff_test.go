package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/httpapi"
	"github.com/idphoto/idphoto/internal/login"
	"github.com/idphoto/idphoto/internal/login/fakelogin"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/payment/alipay"
	"github.com/idphoto/idphoto/internal/payment/fakegw"
	"github.com/idphoto/idphoto/internal/payment/sandbox"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// staffEnv is a running API with the fake login servers, the fake Alipay payment
// gateway and the sandbox.
type staffEnv struct {
	*payEnv
	wxLogin  *fakelogin.WeChat
	aliLogin *fakelogin.Alipay
	aliPay   *alipay.Provider
}

func sha(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

func newStaffEnv(t *testing.T) *staffEnv {
	t.Helper()
	s := openStorage(t)
	lv, _ := vault.New([]vault.Key{s.mk}, s.st.LedgerKeys())
	sv, _ := vault.New([]vault.Key{s.mk}, s.st.SupportKeys())
	srv, set := lateServer(t)
	ag, err := fakegw.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	ap, err := alipay.New(ag.Config(srv.URL + "/api/v1/pay/notify/alipay"))
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := sandbox.New(sandbox.Config{})
	wl := fakelogin.NewWeChat()
	al, err := fakelogin.NewAlipay()
	if err != nil {
		t.Fatal(err)
	}
	wx, err := login.NewWeChat(wl.Config())
	if err != nil {
		t.Fatal(err)
	}
	ali, err := login.NewAlipay(al.Config())
	if err != nil {
		t.Fatal(err)
	}
	e := s.start(t, testConfig(), httpapi.Deps{Engine: realEngine(t),
		Payments: []payment.Provider{ap, sb}, Ledger: lv, Logins: []login.Provider{wx, ali}, Support: sv},
		srv, set, ag.Close, wl.Close, al.Close)
	return &staffEnv{payEnv: &payEnv{env: e, ledger: lv, alipay: ag, wxLogin: wl, aliLogin: al}, wxLogin: wl, aliLogin: al, aliPay: ap}
}

// staff makes a staff member as 'idphoto staff add' does and returns id and token.
func (e *staffEnv) staff(role string) (string, string) {
	e.t.Helper()
	ctx := context.Background()
	tok, hash := httpapi.NewStaffToken()
	now := time.Now()
	u := store.User{ID: store.NewID(), Role: role, CreatedAt: now}
	err := e.store.CreateStaff(ctx, u, func(id string) ([]byte, error) { return e.vault.Seal(ctx, id, []byte("王操作"), "user.name:"+id) },
		store.Session{ID: store.NewID(), TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID, tok
}

type loginJSON struct {
	Token   string
	NewUser bool `json:"new_user"`
}

func (e *staffEnv) userOf(tok string) string {
	e.t.Helper()
	se, err := e.store.SessionByTokenHash(context.Background(), sha(tok), time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return se.UserID
}

// Logins through the fake WeChat and Alipay servers: one account per openid (a second
// login finds it), bad codes answer a stable 4xx code, a forged Alipay answer is 502,
// and neither the openid nor the session_key is in the database or the logs.
func TestLoginMiniPrograms(t *testing.T) {
	e := newStaffEnv(t)
	openid := fakelogin.NewOpenID()
	var first, second loginJSON
	res := e.postJSON("/api/v1/login/wechat", "", map[string]any{"code": e.wxLogin.Code(openid), "device": map[string]string{"model": "iPhone"}})
	if res.status != http.StatusCreated {
		t.Fatalf("first login: %d %s", res.status, res.body)
	}
	res.json(t, &first)
	res = e.postJSON("/api/v1/login/wechat", "", map[string]any{"code": e.wxLogin.Code(openid)})
	if res.status != http.StatusOK {
		t.Fatalf("second login: %d %s", res.status, res.body)
	}
	res.json(t, &second)
	if !first.NewUser || second.NewUser || first.Token == second.Token || e.userOf(first.Token) != e.userOf(second.Token) {
		t.Fatalf("logins %+v %+v", first, second)
	}
	if res := e.do("GET", "/api/v1/orders", second.Token, "", nil); res.status != http.StatusOK {
		t.Fatalf("the login's token: %d", res.status)
	}
	var other loginJSON
	e.postJSON("/api/v1/login/wechat", "", map[string]any{"code": e.wxLogin.Code(fakelogin.NewOpenID())}).json(t, &other)
	if e.userOf(other.Token) == e.userOf(first.Token) {
		t.Fatal("two openids, one account")
	}

	for name, res := range map[string]response{
		"unknown code": e.postJSON("/api/v1/login/wechat", "", map[string]string{"code": "0a1b2c3d4e5f"}),
		"used code": func() response {
			c := e.wxLogin.Code(openid)
			e.postJSON("/api/v1/login/wechat", "", map[string]string{"code": c})
			return e.postJSON("/api/v1/login/wechat", "", map[string]string{"code": c})
		}(),
		"alipay bad code": e.postJSON("/api/v1/login/alipay", "", map[string]string{"auth_code": "nope"}),
	} {
		if res.status != http.StatusBadRequest || res.code() != "login_code_invalid" {
			t.Errorf("%s: %d %s", name, res.status, res.body)
		}
	}
	if res := e.postJSON("/api/v1/login/wechat", "", map[string]string{"code": ""}); res.code() != "bad_request" {
		t.Errorf("empty code: %d %s", res.status, res.body)
	}

	alipayUser := fakelogin.NewUserID()
	var a1, a2 loginJSON
	e.postJSON("/api/v1/login/alipay", "", map[string]string{"auth_code": e.aliLogin.Code(alipayUser)}).json(t, &a1)
	e.postJSON("/api/v1/login/alipay", "", map[string]string{"auth_code": e.aliLogin.Code(alipayUser)}).json(t, &a2)
	if a1.Token == "" || !a1.NewUser || a2.NewUser || e.userOf(a1.Token) != e.userOf(a2.Token) {
		t.Fatalf("alipay logins %+v %+v", a1, a2)
	}
	code := e.aliLogin.Code(alipayUser)
	if err := e.aliLogin.Forge(); err != nil {
		t.Fatal(err)
	}
	if res := e.postJSON("/api/v1/login/alipay", "", map[string]string{"auth_code": code}); res.status != http.StatusBadGateway || res.code() != "login_channel_error" {
		t.Errorf("forged alipay answer: %d %s", res.status, res.body)
	}

	e.store.Close()
	db, _ := os.ReadFile(filepath.Join(e.dir, "idphoto.db"))
	wal, _ := os.ReadFile(filepath.Join(e.dir, "idphoto.db-wal"))
	secrets := append([]string{openid, alipayUser}, e.wxLogin.SessionKeys...)
	secrets = append(secrets, e.aliLogin.Tokens...)
	for _, s := range secrets {
		if bytes.Contains(db, []byte(s)) || bytes.Contains(wal, []byte(s)) || strings.Contains(e.logs.String(), s) {
			t.Errorf("%q is in the database or the logs in clear", s)
		}
	}
}

// pathMatches: a concrete path fits a route pattern, each {name} one segment.
func pathMatches(pattern, path string) bool {
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != qs[i] {
			return false
		}
	}
	return true
}

// Every staff route answers 403 to a user's token, and the auditor's to an
// operator's; none answers without a token.
func TestPromiseS2StaffRoutesNeedTheirRole(t *testing.T) {
	e := newStaffEnv(t)
	user := e.session()
	_, op := e.staff(store.RoleOperator)
	_, aud := e.staff(store.RoleAuditor)
	id := strings.Repeat("a", 32)
	routes := []struct{ method, path, role string }{
		{"GET", "/api/v1/ops/print-orders?status=paid", store.RoleOperator},
		{"POST", "/api/v1/ops/orders/" + id + "/ship", store.RoleOperator},
		{"POST", "/api/v1/ops/orders/" + id + "/refund", store.RoleOperator},
		{"GET", "/api/v1/ops/orders/" + id + "/sheet", store.RoleOperator},
		{"GET", "/api/v1/ops/late-payments", store.RoleOperator},
		{"POST", "/api/v1/ops/late-payments/alipay/T" + id + "/refund", store.RoleOperator},
		{"GET", "/api/v1/ops/requests", store.RoleOperator},
		{"GET", "/api/v1/ops/holds", store.RoleOperator},
		{"POST", "/api/v1/ops/holds", store.RoleOperator},
		{"DELETE", "/api/v1/ops/holds/" + store.NewID(), store.RoleOperator},
		{"GET", "/api/v1/ops/support", store.RoleOperator},
		{"GET", "/api/v1/audit/ledger.csv?from=2024-01-01&to=2030-01-01", store.RoleAuditor},
		{"GET", "/api/v1/audit/reads?actor=" + store.NewID() + "&from=2024-01-01&to=2030-01-01", store.RoleAuditor},
	}
	// Every staff route of the route table is in the list above: a new one can't be
	// left out of this check.
	for _, rt := range e.api.Routes() {
		method, path, _ := strings.Cut(rt, " ")
		if !strings.HasPrefix(path, "/api/v1/ops/") && !strings.HasPrefix(path, "/api/v1/audit/") {
			continue
		}
		found := false
		for _, l := range routes {
			found = found || (l.method == method && pathMatches(path, strings.Split(l.path, "?")[0]))
		}
		if !found {
			t.Errorf("staff route %s is not checked for its role", rt)
		}
	}
	for _, rt := range routes {
		for name, tok := range map[string]string{"user": user, "operator": op, "auditor": aud} {
			res := e.do(rt.method, rt.path, tok, "application/json", []byte(`{}`))
			if name == rt.role {
				if res.status == http.StatusForbidden {
					t.Errorf("%s %s: the %s was refused", rt.method, rt.path, name)
				}
				continue
			}
			if res.status != http.StatusForbidden || res.code() != "forbidden" {
				t.Errorf("%s %s as %s: %d %s", rt.method, rt.path, name, res.status, res.body)
			}
		}
		if res := e.do(rt.method, rt.path, "", "", nil); res.status != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d", rt.method, rt.path, res.status)
		}
	}
}

// A print order through to shipped: order → sandbox payment → the operator lists it
// with the mailing details in clear (audited) → ship → shipped; the user still sees
// them masked; the auditor finds the read and the ledger; the chain verifies. Then an
// Alipay order refunded by the operator's override through the fake gateway, audited.
func TestPromiseO4PrintOrderShippedByOperator(t *testing.T) {
	e := newStaffEnv(t)
	tok := e.session()
	o := e.printOrder(tok, e.madeJob(tok))
	e.paySandbox(tok, o.ID)

	opID, op := e.staff(store.RoleOperator)
	_, aud := e.staff(store.RoleAuditor)
	list := e.do("GET", "/api/v1/ops/print-orders?status=paid", op, "", nil)
	if list.status != http.StatusOK || !strings.Contains(string(list.body), "13812345678") || !strings.Contains(string(list.body), "科技园") ||
		!strings.Contains(string(list.body), o.ID) {
		t.Fatalf("operator's list: %d %s", list.status, list.body)
	}
	if res := e.postJSON("/api/v1/ops/orders/"+o.ID+"/ship", op, map[string]string{"tracking_no": "bad no!"}); res.code() != "bad_request" {
		t.Fatalf("bad tracking number: %d %s", res.status, res.body)
	}
	if res := e.postJSON("/api/v1/ops/orders/"+o.ID+"/ship", op, map[string]string{"tracking_no": "SF1234567890"}); res.status != http.StatusOK {
		t.Fatalf("ship: %d %s", res.status, res.body)
	}
	if res := e.postJSON("/api/v1/ops/orders/"+o.ID+"/ship", op, map[string]string{"tracking_no": "SF1234567890"}); res.code() != "order_state" {
		t.Fatalf("ship twice: %d %s", res.status, res.body)
	}
	got := e.getOrder(tok, o.ID)
	if got.Status != "shipped" || got.Mailing == nil || got.Mailing.Phone != "138****5678" || got.TrackingNo != "SF1234567890" {
		t.Fatalf("the user's view after shipping: %+v", got)
	}
	if l := e.do("GET", "/api/v1/ops/print-orders", op, "", nil); strings.Contains(string(l.body), o.ID) {
		t.Fatal("a shipped order is still to fulfil")
	}

	user := e.userOf(tok)
	day := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	reads := e.do("GET", "/api/v1/audit/reads?actor="+opID+"&from="+day+"&to="+tomorrow, aud, "", nil)
	if reads.status != http.StatusOK || !strings.Contains(string(reads.body), audit.Subject(user)) || strings.Contains(string(reads.body), user) {
		t.Fatalf("audit reads: %d %s", reads.status, reads.body)
	}
	csv := e.do("GET", "/api/v1/audit/ledger.csv?from="+day+"&to="+tomorrow, aud, "", nil)
	if csv.status != http.StatusOK || !strings.Contains(string(csv.body), o.ID) || !strings.Contains(string(csv.body), "25.00") {
		t.Fatalf("ledger csv: %d %s", csv.status, csv.body)
	}

	// The refund override through the fake Alipay gateway, for a user logged in
	// through Alipay (whose user id pays).
	tok = e.loginSession("alipay", fakelogin.NewUserID())
	alipayUser := e.userOf(tok)
	o2, _ := e.orderFor(tok)
	e.startPay(tok, o2.ID, "alipay")
	if err := e.alipay.Pay(o2.ID); err != nil {
		t.Fatal(err)
	}
	h, body, err := e.alipay.Notification(o2.ID, fakegw.Notify{})
	if err != nil {
		t.Fatal(err)
	}
	if st, b, err := e.alipay.Send(context.Background(), e.alipay.NotifyURL(o2.ID), h, body); err != nil || !e.alipay.Accepted(st, b) {
		t.Fatalf("alipay notification: %d %s %v", st, b, err)
	}
	if res := e.postJSON("/api/v1/orders/"+o2.ID+"/refund", tok, nil); res.code() != "refund_refused" && res.code() != "unsupported_media_type" {
		t.Fatalf("user refund: %d %s", res.status, res.body)
	}
	if res := e.postJSON("/api/v1/ops/orders/"+o2.ID+"/refund", op, map[string]string{"reason": ""}); res.code() != "bad_request" {
		t.Fatalf("refund without a reason: %d %s", res.status, res.body)
	}
	res := e.postJSON("/api/v1/ops/orders/"+o2.ID+"/refund", op, map[string]string{"reason": "printed the wrong size"})
	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"done":true`) {
		t.Fatalf("refund override: %d %s", res.status, res.body)
	}
	if got := e.getOrder(tok, o2.ID); got.Status != "refunded" {
		t.Fatalf("after the override: %+v", got)
	}
	tr, err := e.aliPay.Query(context.Background(), o2.ID)
	if err != nil || tr.State != payment.StateClosed {
		t.Fatalf("the gateway's trade after the refund: %+v %v", tr, err)
	}

	ctx := context.Background()
	log := audit.New(e.store)
	if n, err := log.Verify(ctx); err != nil || n < 4 {
		t.Fatalf("audit chain: %d entries, %v", n, err)
	}
	actions := map[string]int{}
	e.store.AuditEntries(ctx, func(en store.AuditEntry) error {
		if en.Actor == opID && (en.Subject == audit.Subject(user) || en.Subject == audit.Subject(alipayUser)) {
			actions[en.Action]++
		}
		if strings.Contains(en.Detail, "wrong size") || strings.Contains(en.Detail, "138") {
			t.Errorf("personal data in an audit entry: %q", en.Detail)
		}
		return nil
	})
	if actions[audit.ActionRead] < 1 || actions["order.ship"] != 1 || actions[audit.ActionRefund] != 1 {
		t.Fatalf("audit entries of the operator: %v", actions)
	}
}
