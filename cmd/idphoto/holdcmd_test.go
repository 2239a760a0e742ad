package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

// R7: 'idphoto hold add' keeps a photo past its period from 'idphoto purge'; 'hold
// list' shows it; after 'hold release' purge deletes it. Each is audited as "cli".
func TestPromiseR7HoldCommand(t *testing.T) {
	dir := t.TempDir()
	u, p := oldPhoto(t, dir)

	for _, bad := range [][]string{
		{"hold", "add", "--data", dir, "--scope", "account", "--id", p.ID, "--reason", "x"},
		{"hold", "add", "--data", dir, "--scope", "photo", "--id", p.ID},
		{"hold", "add", "--data", dir, "--scope", "photo", "--id", p.ID, "--reason", "x", "--until", "2020-01-01"},
		{"hold", "add", "--data", dir, "--scope", "photo", "--id", store.NewID(), "--reason", "x"},
		{"hold", "release", "--data", dir},
		{"hold", "frobnicate"},
	} {
		if code, out, errs := runCLI(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s %s", bad, code, exitUsage, out, errs)
		}
	}
	code, out, errs := runCLI(t, "hold", "add", "--data", dir, "--scope", "photo", "--id", p.ID, "--reason", "court order 17")
	id := strings.TrimSpace(out)
	if code != exitOK || !store.ValidID(id) {
		t.Fatalf("hold add: exit %d: %q %s", code, out, errs)
	}
	if code, out, _ := runCLI(t, "hold", "list", "--data", dir); code != exitOK || !strings.Contains(out, id) || !strings.Contains(out, "court order 17") ||
		!strings.Contains(out, p.ID) {
		t.Fatalf("hold list: exit %d: %s", code, out)
	}
	if code, out, _ := runCLI(t, "purge", "--data", dir); code != exitOK || !strings.Contains(out, "deleted 0 jobs, 0 photos") {
		t.Fatalf("purge with the hold: exit %d: %s", code, out)
	}
	if code, out, errs := runCLI(t, "hold", "release", "--data", dir, id); code != exitOK || !strings.Contains(out, "released") {
		t.Fatalf("hold release: exit %d: %s %s", code, out, errs)
	}
	if code, _, _ := runCLI(t, "hold", "release", "--data", dir, id); code != exitUsage {
		t.Errorf("released twice: exit %d", code)
	}
	if code, out, _ := runCLI(t, "purge", "--data", dir); code != exitOK || !strings.Contains(out, "deleted 0 jobs, 1 photos") {
		t.Fatalf("purge after the release: exit %d: %s", code, out)
	}

	n := 0
	for _, e := range auditRows(t, dir) {
		if e.Action == audit.ActionLegalHold {
			n++
			if e.Actor != "cli" || e.Subject != audit.Subject(u) || strings.Contains(e.Detail, "court") {
				t.Errorf("hold entry %+v", e)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d hold entries, want 2", n)
	}
}

// S3: 'idphoto audit anchor' prints the head; 'audit verify --anchor' passes on the
// untouched log, with the anchor given or the file of anchors, and fails once the
// newest entry is cut off (around the triggers), which plain verify does not see.
func TestPromiseS3AuditAnchorCommand(t *testing.T) {
	dir := t.TempDir()
	st := testStore(t, dir)
	file := filepath.Join(t.TempDir(), "audit-anchor.txt")
	if _, _, err := recordReads(t, st, 3).AppendAnchor(context.Background(), file); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errs := runCLI(t, "audit", "anchor", "--data", dir)
	anchor := strings.TrimSpace(out)
	if code != exitOK || !strings.HasPrefix(anchor, "3 ") || len(anchor) != 2+64 {
		t.Fatalf("audit anchor: exit %d: %q %s", code, out, errs)
	}
	colon := strings.Replace(anchor, " ", ":", 1)
	for _, a := range []string{colon, file} {
		if code, out, errs := runCLI(t, "audit", "verify", "--data", dir, "--anchor", a); code != exitOK || !strings.Contains(out, "3 entries") {
			t.Fatalf("verify --anchor %s: exit %d: %s %s", a, code, out, errs)
		}
	}
	if code, _, _ := runCLI(t, "audit", "verify", "--data", dir, "--anchor", "nonsense"); code != exitUsage {
		t.Errorf("a bad anchor: exit %d, want %d", code, exitUsage)
	}

	tamper(t, dir, "DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE seq = 3")
	if code, out, errs := runCLI(t, "audit", "verify", "--data", dir); code != exitOK {
		t.Fatalf("plain verify after the cut (the chain is still whole): exit %d: %s %s", code, out, errs)
	}
	for _, a := range []string{colon, file} {
		code, _, errs := runCLI(t, "audit", "verify", "--data", dir, "--anchor", a)
		if code != exitFailed || !strings.Contains(errs, "entry 3") {
			t.Errorf("verify --anchor %s after the cut: exit %d, %q; want %d naming entry 3", a, code, errs, exitFailed)
		}
	}
	if b, err := os.ReadFile(file); err != nil || !strings.HasPrefix(string(b), anchor+" ") {
		t.Errorf("anchor file: %q, %v", b, err)
	}
}
