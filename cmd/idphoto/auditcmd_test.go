package main

import (
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
)

// 'idphoto audit verify' passes on an intact log and fails on a tampered database.
func TestPromiseS2AuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	st := testStore(t, dir)
	recordReads(t, st, 3)
	st.Close()

	code, out, errs := runCLI(t, "audit", "verify", "--data", dir)
	if code != exitOK || !strings.Contains(out, "3 entries") {
		t.Fatalf("intact: exit %d: %s %s", code, out, errs)
	}
	day := time.Now().UTC().Format(time.DateOnly)
	next := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	code, out, _ = runCLI(t, "audit", "reads", "--data", dir, "--actor", "staff-7", "--from", day, "--to", next, "--user", "user-x")
	if code != exitOK || !strings.Contains(out, audit.Subject("user-x")) || !strings.Contains(out, "read: true") {
		t.Errorf("reads: exit %d: %s", code, out)
	}

	tamper(t, dir, "DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET subject = 'someone else' WHERE seq = 2")
	code, _, errs = runCLI(t, "audit", "verify", "--data", dir)
	if code != exitFailed || !strings.Contains(errs, "entry 2") {
		t.Fatalf("tampered: exit %d, %q; want %d naming entry 2", code, errs, exitFailed)
	}
}

// 'idphoto purge --dry-run' counts and deletes nothing; without it, it deletes.
func TestPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	oldPhoto(t, dir)
	code, out, errs := runCLI(t, "purge", "--data", dir, "--dry-run")
	if code != exitOK || !strings.Contains(out, "would delete 0 jobs, 1 photos") {
		t.Fatalf("dry run: exit %d: %s %s", code, out, errs)
	}
	code, out, _ = runCLI(t, "purge", "--data", dir)
	if code != exitOK || !strings.Contains(out, "deleted 0 jobs, 1 photos") {
		t.Fatalf("purge: exit %d: %s", code, out)
	}
	code, out, _ = runCLI(t, "purge", "--data", dir)
	if code != exitOK || !strings.Contains(out, "deleted 0 jobs, 0 photos") {
		t.Fatalf("second purge: exit %d: %s", code, out)
	}
}
