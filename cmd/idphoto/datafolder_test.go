package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// The tests of the commands on the data folder share these.

// withMasterKey sets a new master key in the environment, where the commands read
// it, and returns it.
func withMasterKey(t *testing.T) string {
	t.Helper()
	key := vault.NewMasterKeyText()
	t.Setenv("IDPHOTO_MASTER_KEY", key)
	t.Setenv("IDPHOTO_MASTER_KEY_FILE", "")
	return key
}

// cliOn runs idphoto commands on the data folder dir (--data dir appended) and stops
// the test when one does not exit with want. It returns what the command printed,
// stdout then stderr.
func cliOn(t *testing.T, dir string) func(want int, args ...string) string {
	return func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(context.Background(), append(args, "--data", dir), &out, &errb); code != want {
			t.Fatalf("%v: exit %d, want %d: %s%s", args, code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
}

// testStore opens the SQLite database of the data folder dir for a test to fill or
// read; the test closes it before a command opens the folder.
func testStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := openDataStore(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// oldPhoto writes into dir a user and their photo uploaded two days ago, so past
// the unpaid period: the next purge deletes the photo unless it is held.
func oldPhoto(t *testing.T, dir string) (user string, p store.Photo) {
	t.Helper()
	ctx := context.Background()
	st := testStore(t, dir)
	defer st.Close()
	user = store.NewID()
	old := time.Now().Add(-48 * time.Hour)
	if err := st.CreateUser(ctx, store.User{ID: user, Role: store.RoleUser, CreatedAt: old}); err != nil {
		t.Fatal(err)
	}
	p = store.Photo{ID: store.NewID(), UserID: user, Format: "jpeg", Width: 1, Height: 1, CreatedAt: old}
	p.BlobKey = "photos/" + p.ID
	if err := st.CreatePhoto(ctx, p); err != nil {
		t.Fatal(err)
	}
	return user, p
}

// recordReads enters n reads of "user-x" by "staff-7" in st's audit log.
func recordReads(t *testing.T, st *store.Store, n int) *audit.Log {
	t.Helper()
	log := audit.New(st)
	for i := 0; i < n; i++ {
		if err := log.Record(context.Background(), audit.Entry{Actor: "staff-7", Action: audit.ActionRead, Subject: audit.Subject("user-x")}); err != nil {
			t.Fatal(err)
		}
	}
	return log
}

// auditRows is the audit log of the data folder dir, oldest first.
func auditRows(t *testing.T, dir string) []store.AuditEntry {
	t.Helper()
	st := testStore(t, dir)
	defer st.Close()
	var out []store.AuditEntry
	if err := st.AuditEntries(context.Background(), func(e store.AuditEntry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// tamper runs statements on the data folder's SQLite file behind the store's back.
func tamper(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "idphoto.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}
