package store

import (
	"context"
	"path/filepath"
	"testing"
)

// The pragmas are set on purpose on every connection, writer and readers alike.
func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "db.sqlite")
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]string{"busy_timeout": "5000", "journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "secure_delete": "1"}
	for pool, conn := range map[string]func(string) string{
		"writer": func(q string) string { var v string; s.w.QueryRowContext(ctx, q).Scan(&v); return v },
		"reader": func(q string) string { var v string; s.r.QueryRowContext(ctx, q).Scan(&v); return v },
	} {
		for p, w := range want {
			if got := conn("PRAGMA " + p); got != w {
				t.Errorf("%s: %s = %q, want %q", pool, p, got, w)
			}
		}
	}
	if s.w.Stats().MaxOpenConnections != 1 {
		t.Errorf("writer pool has %d connections, want 1", s.w.Stats().MaxOpenConnections)
	}
	if _, err := s.r.ExecContext(ctx, "DELETE FROM users"); err == nil {
		t.Error("a reader connection wrote")
	}
}
