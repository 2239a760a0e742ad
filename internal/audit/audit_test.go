package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

func openLog(t *testing.T) (*audit.Log, string) {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "idphoto.db")
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return audit.New(st), cfg.Path
}

func fill(t *testing.T, l *audit.Log, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := l.Record(context.Background(), audit.Entry{Actor: "staff1", Action: audit.ActionRead, Subject: audit.Subject("u" + string(rune('a'+i))), Detail: "profile"}); err != nil {
			t.Fatal(err)
		}
	}
}

// tamper changes the database as someone with write access to the file could.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range append([]string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}, stmts...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestPromiseS2AuditChainVerifies(t *testing.T) {
	l, _ := openLog(t)
	fill(t, l, 5)
	n, err := l.Verify(context.Background())
	if err != nil || n != 5 {
		t.Fatalf("Verify = %d, %v; want 5, nil", n, err)
	}
}

func TestPromiseS2AuditDetectsTampering(t *testing.T) {
	for _, tc := range []struct{ name, stmt string }{
		{"changed detail", "UPDATE audit_log SET detail = 'nothing' WHERE seq = 2"},
		{"changed subject", "UPDATE audit_log SET subject = 's_someoneelse' WHERE seq = 3"},
		{"removed entry", "DELETE FROM audit_log WHERE seq = 2"},
		{"removed first", "DELETE FROM audit_log WHERE seq = 1"},
		{"rehashed entry", "UPDATE audit_log SET detail = 'x', hash = randomblob(32) WHERE seq = 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, path := openLog(t)
			fill(t, l, 4)
			tamper(t, path, tc.stmt)
			if _, err := l.Verify(context.Background()); !errors.Is(err, audit.ErrTampered) {
				t.Fatalf("Verify = %v, want ErrTampered", err)
			}
		})
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	l, path := openLog(t)
	fill(t, l, 2)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE audit_log SET detail = 'x'"); err == nil {
		t.Error("UPDATE of the audit log succeeded")
	}
	if _, err := db.Exec("DELETE FROM audit_log"); err == nil {
		t.Error("DELETE from the audit log succeeded")
	}
}

func TestPromiseS3WhoseDataDidStaffRead(t *testing.T) {
	l, _ := openLog(t)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	rec := func(at time.Time, actor, action, user string) {
		t.Helper()
		if err := l.WithClock(func() time.Time { return at }).Record(ctx, audit.Entry{Actor: actor, Action: action, Subject: audit.Subject(user)}); err != nil {
			t.Fatal(err)
		}
	}
	rec(day(1), "alice", audit.ActionRead, "user-a")
	rec(day(2), "alice", audit.ActionRead, "user-b")
	rec(day(2), "alice", audit.ActionRead, "user-b")
	rec(day(3), "bob", audit.ActionRead, "user-c")
	rec(day(4), "alice", audit.ActionDeletePhoto, "user-d")
	rec(day(9), "alice", audit.ActionRead, "user-e")
	got, err := l.ReadsBy(ctx, "alice", day(1), day(5))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{audit.Subject("user-a"): true, audit.Subject("user-b"): true}
	if len(got) != len(want) {
		t.Fatalf("ReadsBy = %v, want the subjects of user-a and user-b", got)
	}
	for _, s := range got {
		if !want[s] {
			t.Errorf("unexpected subject %s", s)
		}
	}
	if _, err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}
