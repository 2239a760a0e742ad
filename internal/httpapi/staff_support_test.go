package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/store"
)

// The operator reads the support tickets in clear; each read is in the audit log
// first, naming no user (tickets lead to none); a user is refused.
func TestOpsSupportAudited(t *testing.T) {
	e := newStaffEnv(t)
	tok := e.session()
	opID, op := e.staff(store.RoleOperator)
	list := func() []struct{ ID, Contact, Text string } {
		t.Helper()
		res := e.do("GET", "/api/v1/ops/support", op, "", nil)
		if res.status != http.StatusOK || res.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("GET /ops/support: %d %s", res.status, res.body)
		}
		var out struct {
			Tickets []struct{ ID, Contact, Text string }
		}
		res.json(t, &out)
		return out.Tickets
	}
	if ts := list(); len(ts) != 0 {
		t.Fatalf("tickets before any: %+v", ts)
	}
	if res := e.do("POST", "/api/v1/support", tok, "application/json", []byte(`{"contact":"13912345678","text":"照片打印尺寸不对"}`)); res.status != http.StatusCreated {
		t.Fatalf("POST /support: %d %s", res.status, res.body)
	}
	ts := list()
	if len(ts) != 1 || ts[0].Contact != "13912345678" || ts[0].Text != "照片打印尺寸不对" || ts[0].ID == "" {
		t.Fatalf("tickets: %+v", ts)
	}
	if res := e.do("GET", "/api/v1/ops/support", tok, "", nil); res.code() != "forbidden" {
		t.Fatalf("a user reading tickets: %d %s", res.status, res.body)
	}
	var reads []string
	e.store.AuditEntries(context.Background(), func(en store.AuditEntry) error {
		if en.Action == "support.read" {
			if en.Actor != opID || en.Subject != "" {
				t.Errorf("support read entry %+v", en)
			}
			reads = append(reads, en.Detail)
		}
		if strings.Contains(en.Detail, "139123") {
			t.Errorf("a ticket's contact in the audit log: %q", en.Detail)
		}
		return nil
	})
	if strings.Join(reads, ",") != "0 tickets,1 tickets" {
		t.Fatalf("support reads audited: %q", reads)
	}
}
