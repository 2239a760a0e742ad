package main

import (
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

// Making and revoking staff is in the audit log: actor "cli", the member's id (and
// role), never their name; a revoke that finds no staff member writes nothing; the
// chain stays intact.
func TestPromiseS3StaffChangesAudited(t *testing.T) {
	withMasterKey(t)
	dir := t.TempDir()
	cli := cliOn(t, dir)
	idOf := func(out string) string { return strings.Fields(out)[2] }
	op := idOf(cli(exitOK, "staff", "add", "--role", "operator", "--name", "王五"))
	au := idOf(cli(exitOK, "staff", "add", "--role", "auditor", "--name", "赵六"))
	cli(exitOK, "staff", "revoke", op)
	cli(exitOK, "staff", "revoke", op) // again: nothing left to end, still entered
	cli(exitRuntime, "staff", "revoke", store.NewID())

	type row struct{ actor, action, subject, detail string }
	var got []row
	for _, e := range auditRows(t, dir) {
		got = append(got, row{e.Actor, e.Action, e.Subject, e.Detail})
	}
	want := []row{
		{audit.ActorCLI, audit.ActionStaffAdd, "", "staff " + op + " operator"},
		{audit.ActorCLI, audit.ActionStaffAdd, "", "staff " + au + " auditor"},
		{audit.ActorCLI, audit.ActionStaffRevoke, "", "staff " + op + " 1 sessions"},
		{audit.ActorCLI, audit.ActionStaffRevoke, "", "staff " + op + " 0 sessions"},
	}
	if len(got) != len(want) {
		t.Fatalf("audit log:\n%v\nwant\n%v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i+1, got[i], want[i])
		}
		for _, name := range []string{"王五", "赵六"} {
			if strings.Contains(got[i].detail, name) {
				t.Errorf("entry %d holds a name", i+1)
			}
		}
	}
	if out := cli(exitOK, "audit", "verify"); !strings.Contains(out, "intact: 4 entries") {
		t.Fatalf("audit verify: %q", out)
	}
}
