package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/imageio/exiftest"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

func (e *env) putJSON(path, tok string, v any) response {
	e.t.Helper()
	b, _ := json.Marshal(v)
	return e.do("PUT", path, tok, "application/json", b)
}

// corrections lists the user's privacy requests of kind correction, answered.
func (e *env) corrections(user string) []string {
	e.t.Helper()
	rs, err := e.store.PrivacyRequests(context.Background(), audit.Subject(user))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		if r.Kind == store.RequestCorrection && !r.DoneAt.IsZero() && r.DueAt.After(r.ReceivedAt) {
			out = append(out, r.Scope)
		}
	}
	return out
}

type profileBody struct {
	DisplayName string `json:"display_name"`
	Shipping    struct {
		Name, Address, Phone string
	}
}

// R5, S2, S1: a user reads and corrects their profile (display name, default shipping
// contact) with the print orders' rules for name, address and phone, every field
// optional; bad fields answer 400 bad_profile; another user sees only their own; the
// profile is sealed at rest; every change is a correction request.
func TestPromiseR5ProfileReadAndCorrect(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	user := e.lastUser()
	other := e.session()

	res := e.do("GET", "/api/v1/me/profile", tok, "", nil)
	var p profileBody
	res.json(t, &p)
	if res.status != http.StatusOK || p.DisplayName != "" || p.Shipping.Phone != "" {
		t.Fatalf("a new profile: %d %s", res.status, res.body)
	}
	for _, tc := range []struct {
		body any
		code string
	}{
		{map[string]any{"display_name": strings.Repeat("名", 33)}, "bad_profile"},
		{map[string]any{"display_name": "a\nb"}, "bad_profile"},
		{map[string]any{"shipping": map[string]string{"phone": "12345"}}, "bad_profile"},
		{map[string]any{"shipping": map[string]string{"phone": "23812345678"}}, "bad_profile"},
		{map[string]any{"shipping": map[string]string{"address": "北京"}}, "bad_profile"},
		{map[string]any{"shipping": map[string]string{"name": strings.Repeat("张", 33)}}, "bad_profile"},
		{map[string]any{"nickname": "x"}, "bad_request"},
	} {
		if res := e.putJSON("/api/v1/me/profile", tok, tc.body); res.code() != tc.code || res.status != http.StatusBadRequest {
			t.Errorf("PUT %v: %d %s, want 400 %s", tc.body, res.status, res.body, tc.code)
		}
	}
	if res := e.do("PUT", "/api/v1/me/profile", tok, "text/plain", []byte("x")); res.status != http.StatusUnsupportedMediaType {
		t.Errorf("text body: %d", res.status)
	}
	// Empty fields are allowed: a display name alone.
	if res := e.putJSON("/api/v1/me/profile", tok, map[string]any{"display_name": "  小张  "}); res.status != http.StatusOK {
		t.Fatalf("display name only: %d %s", res.status, res.body)
	}
	res = e.putJSON("/api/v1/me/profile", tok, map[string]any{"display_name": "小张",
		"shipping": map[string]string{"name": "张三丰", "address": "广东省深圳市南山区科技园路1号", "phone": "+86 139-8765-4321"}})
	if res.status != http.StatusOK {
		t.Fatalf("PUT profile: %d %s", res.status, res.body)
	}
	res = e.do("GET", "/api/v1/me/profile", tok, "", nil)
	res.json(t, &p)
	if p.DisplayName != "小张" || p.Shipping.Name != "张三丰" || p.Shipping.Phone != "13987654321" || !strings.Contains(p.Shipping.Address, "科技园") {
		t.Fatalf("profile after PUT: %s", res.body)
	}
	res = e.do("GET", "/api/v1/me/profile", other, "", nil)
	if res.status != http.StatusOK || strings.Contains(string(res.body), "13987654321") || strings.Contains(string(res.body), "小张") {
		t.Errorf("another user's GET /me/profile: %d %s", res.status, res.body)
	}
	if hits := e.filesHolding(t, "13987654321", "科技园", "小张"); len(hits) > 0 {
		t.Errorf("the profile is in clear in %v", hits)
	}
	if got := e.corrections(user); len(got) != 2 || got[0] != "profile" {
		t.Errorf("correction requests: %v, want 2 of the profile", got)
	}
}

// R5, S2, O4: the owner corrects an unshipped print order's recipient (paid or not):
// the answer is masked, the operator sees the new details, the change is a correction
// request. Another user's id answers 404 and changes nothing; bad details 400; an
// e-photo order 409 order_state; once shipped 409 order_shipped.
func TestPromiseR5CorrectShippingUntilShipped(t *testing.T) {
	e := newStaffEnv(t)
	tok := e.session()
	user := e.userOf(tok)
	other := e.session()
	job := e.madeJob(tok)
	o := e.printOrder(tok, job)
	var ephoto orderJSON
	e.postJSON("/api/v1/orders", tok, map[string]any{"job_id": job, "items": []map[string]any{{"kind": "ephoto"}}}).json(t, &ephoto)

	fixed := map[string]string{"name": "李四", "address": "北京市朝阳区建国路88号", "phone": "139 0000 1111"}
	path := "/api/v1/orders/" + o.ID + "/shipping"
	if res := e.putJSON(path, other, fixed); res.status != http.StatusNotFound || res.code() != "not_found" {
		t.Errorf("another user's correction: %d %s", res.status, res.body)
	}
	if res := e.putJSON("/api/v1/orders/nope/shipping", tok, fixed); res.status != http.StatusNotFound {
		t.Errorf("a bad id: %d %s", res.status, res.body)
	}
	if res := e.putJSON(path, tok, map[string]string{"name": "李四", "address": "北京市朝阳区建国路88号", "phone": "110"}); res.code() != "bad_order" {
		t.Errorf("a bad phone: %d %s", res.status, res.body)
	}
	if res := e.putJSON("/api/v1/orders/"+ephoto.ID+"/shipping", tok, fixed); res.status != http.StatusConflict || res.code() != "order_state" {
		t.Errorf("an e-photo order: %d %s", res.status, res.body)
	}
	res := e.putJSON(path, tok, fixed)
	var got orderJSON
	res.json(t, &got)
	if res.status != http.StatusOK || got.Mailing == nil || got.Mailing.Phone != "139****1111" || strings.Contains(string(res.body), "建国路") {
		t.Fatalf("correction: %d %s", res.status, res.body)
	}

	e.paySandbox(tok, o.ID)
	fixed["address"] = "北京市朝阳区建国路99号"
	if res := e.putJSON(path, tok, fixed); res.status != http.StatusOK {
		t.Fatalf("correction of the paid order: %d %s", res.status, res.body)
	}
	_, op := e.staff(store.RoleOperator)
	list := e.do("GET", "/api/v1/ops/print-orders?status=paid", op, "", nil)
	if !strings.Contains(string(list.body), "建国路99号") || !strings.Contains(string(list.body), "13900001111") || strings.Contains(string(list.body), "科技园") {
		t.Fatalf("the operator's list after the correction: %s", list.body)
	}
	if res := e.postJSON("/api/v1/ops/orders/"+o.ID+"/ship", op, map[string]string{"tracking_no": "SF1234567890"}); res.status != http.StatusOK {
		t.Fatalf("ship: %d %s", res.status, res.body)
	}
	if res := e.putJSON(path, tok, fixed); res.status != http.StatusConflict || res.code() != "order_shipped" {
		t.Errorf("after shipping: %d %s, want 409 order_shipped", res.status, res.body)
	}
	if got := e.corrections(user); len(got) != 2 || got[0] != "order.shipping" {
		t.Errorf("correction requests: %v, want 2 of order.shipping", got)
	}
	if hits := e.filesHolding(t, "建国路"); len(hits) > 0 {
		t.Errorf("the corrected address is in clear in %v", hits)
	}
}

// R7, S2: operators list, place and release legal holds through the API; users and
// auditors get 403; bad holds 400 bad_hold; an unknown target or hold 404. Each
// placing and release is audited with the operator's id.
func TestPromiseR7HoldRoutes(t *testing.T) {
	e := newStaffEnv(t)
	tok := e.session()
	user := e.userOf(tok)
	photo := e.uploadOK(tok, portrait(t, "hivision-test1.jpg"))
	opID, op := e.staff(store.RoleOperator)
	_, aud := e.staff(store.RoleAuditor)

	hold := map[string]string{"scope": "photo", "target_id": photo, "reason": "court order 2026-17", "until": time.Now().AddDate(1, 0, 0).Format(time.DateOnly)}
	for _, who := range []string{tok, aud} {
		if res := e.postJSON("/api/v1/ops/holds", who, hold); res.status != http.StatusForbidden {
			t.Errorf("POST /ops/holds by a non-operator: %d", res.status)
		}
		if res := e.do("GET", "/api/v1/ops/holds", who, "", nil); res.status != http.StatusForbidden {
			t.Errorf("GET /ops/holds by a non-operator: %d", res.status)
		}
	}
	for _, bad := range []map[string]string{
		{"scope": "account", "target_id": photo, "reason": "x"},
		{"scope": "photo", "target_id": photo, "reason": ""},
		{"scope": "photo", "target_id": photo, "reason": "x", "until": "someday"},
		{"scope": "photo", "target_id": photo, "reason": "x", "until": "2001-01-01"},
		{"scope": "order", "target_id": photo, "reason": "x"},
	} {
		if res := e.postJSON("/api/v1/ops/holds", op, bad); res.status != http.StatusBadRequest || res.code() != "bad_hold" {
			t.Errorf("hold %v: %d %s, want 400 bad_hold", bad, res.status, res.body)
		}
	}
	if res := e.postJSON("/api/v1/ops/holds", op, map[string]string{"scope": "user", "target_id": store.NewID(), "reason": "x"}); res.status != http.StatusNotFound {
		t.Errorf("a hold on no user: %d %s", res.status, res.body)
	}
	res := e.postJSON("/api/v1/ops/holds", op, hold)
	var h struct {
		ID, Scope, Reason string
		TargetID          string `json:"target_id"`
		PlacedBy          string `json:"placed_by"`
		Until             *time.Time
	}
	res.json(t, &h)
	if res.status != http.StatusCreated || h.TargetID != photo || h.PlacedBy != opID || h.Until == nil {
		t.Fatalf("POST /ops/holds: %d %s", res.status, res.body)
	}
	if list := e.do("GET", "/api/v1/ops/holds", op, "", nil); list.status != http.StatusOK || !strings.Contains(string(list.body), h.ID) {
		t.Fatalf("GET /ops/holds: %d %s", list.status, list.body)
	}
	if res := e.do("DELETE", "/api/v1/ops/holds/"+h.ID, op, "", nil); res.status != http.StatusOK || !strings.Contains(string(res.body), "released_at") {
		t.Fatalf("DELETE hold: %d %s", res.status, res.body)
	}
	if res := e.do("DELETE", "/api/v1/ops/holds/"+h.ID, op, "", nil); res.status != http.StatusNotFound {
		t.Errorf("DELETE again: %d %s", res.status, res.body)
	}
	if list := e.do("GET", "/api/v1/ops/holds", op, "", nil); strings.Contains(string(list.body), h.ID) {
		t.Errorf("a released hold is listed: %s", list.body)
	}
	n := 0
	e.store.AuditEntries(context.Background(), func(en store.AuditEntry) error {
		if en.Action == audit.ActionLegalHold {
			n++
			if en.Actor != opID || en.Subject != audit.Subject(user) || strings.Contains(en.Detail, "court") {
				t.Errorf("hold entry %+v", en)
			}
		}
		return nil
	})
	if n != 2 {
		t.Errorf("%d hold entries, want 2", n)
	}
}

// P9, R8: withdrawing photo_location and people_count through the API erases the
// place and the people count from the stored rows (the sealed metadata, opened), not
// only from the answers; a photo uploaded afterwards stores neither.
func TestPromiseP9WithdrawalErasesStoredRows(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	photo := exiftest.JPEG(portrait(t, "hivision-test3.jpg"), exiftest.Block(testFields))
	tok := e.session()
	user := e.lastUser()
	e.grant(tok, "photo_location", true)
	e.grant(tok, "people_count", true)
	ids := []string{e.uploadOK(tok, photo), e.uploadOK(tok, photo)}
	stored := func(id string) map[string]any {
		t.Helper()
		var sealed []byte
		if err := e.db().QueryRow("SELECT meta_sealed FROM photos WHERE id = ?", id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		plain, err := e.vault.Open(context.Background(), user, sealed, privacy.MetaContext(id))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(plain, &m)
		return m
	}
	for _, id := range ids {
		if m := stored(id); m["place"] == nil || m["people"] == nil {
			t.Fatalf("not stored with consent: %v", m)
		}
	}
	e.grant(tok, "photo_location", false)
	for _, id := range ids {
		if m := stored(id); m["place"] != nil || m["people"] == nil || m["camera"] == nil {
			t.Errorf("after withdrawing photo_location: %v", m)
		}
	}
	e.grant(tok, "people_count", false)
	for _, id := range ids {
		if m := stored(id); m["place"] != nil || m["people"] != nil || m["taken"] == nil {
			t.Errorf("after withdrawing people_count: %v", m)
		}
	}
	late := e.uploadOK(tok, photo)
	if m := stored(late); m["place"] != nil || m["people"] != nil {
		t.Errorf("uploaded after the withdrawal: %v", m)
	}
	res := e.do("GET", "/api/v1/photos/"+ids[0], tok, "", nil)
	if bytes.Contains(res.body, []byte(`"place"`)) || bytes.Contains(res.body, []byte(`"people"`)) {
		t.Errorf("served after the withdrawal: %s", res.body)
	}
}
