package store_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/store"
)

// Every migration of one dialect has its twin, of the same number and name, in the
// other: a change to the schema is made for both or fails here.
func TestMigrationsHaveTwins(t *testing.T) {
	names := map[string][]string{}
	for _, d := range dialects {
		es, err := os.ReadDir(filepath.Join("migrations", d))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			names[d] = append(names[d], e.Name())
		}
		if len(names[d]) == 0 {
			t.Fatalf("no migrations for %s", d)
		}
	}
	for _, n := range names["sqlite"] {
		if !slices.Contains(names["postgres"], n) {
			t.Errorf("migrations/sqlite/%s has no twin in migrations/postgres", n)
		}
	}
	for _, n := range names["postgres"] {
		if !slices.Contains(names["sqlite"], n) {
			t.Errorf("migrations/postgres/%s has no twin in migrations/sqlite", n)
		}
	}
}

// After all migrations, both dialects have the same tables with the same columns
// (the data map classifies them once for both).
func TestDialectSchemasAgree(t *testing.T) {
	ctx := context.Background()
	schemas := map[string]map[string][]string{}
	for _, d := range dialects {
		s, _ := openDialect(t, d)
		cols, err := s.Columns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for table := range cols {
			slices.Sort(cols[table])
		}
		schemas[d] = cols
	}
	lite, pg := schemas["sqlite"], schemas["postgres"]
	if len(lite) < 10 {
		t.Fatalf("only %d SQLite tables", len(lite))
	}
	for table, cols := range lite {
		if !slices.Equal(cols, pg[table]) {
			t.Errorf("%s: SQLite has %v, PostgreSQL %v", table, cols, pg[table])
		}
	}
	for table := range pg {
		if _, ok := lite[table]; !ok {
			t.Errorf("PostgreSQL has a table %s that SQLite has not", table)
		}
	}
}

// The audit log and the consent log refuse changes and removals, whoever writes.
func TestAppendOnlyTables(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, cfg := openDialect(t, d)
			if _, err := s.AppendAudit(ctx, store.AuditEntry{At: time.Now(), Actor: "a", Action: "x"}, func(store.AuditEntry) []byte { return []byte("h") }); err != nil {
				t.Fatal(err)
			}
			if err := s.AddConsent(ctx, store.Consent{Subject: "p", Kind: store.ConsentPolicy, Name: "privacy", Version: "1", Granted: true, At: time.Now()}); err != nil {
				t.Fatal(err)
			}
			db := rawDB(t, cfg)
			stmts := []string{
				"UPDATE audit_log SET actor = 'b'", "DELETE FROM audit_log",
				"UPDATE consents SET granted = 0", "DELETE FROM consents",
			}
			if d == "postgres" {
				stmts = append(stmts, "TRUNCATE audit_log", "TRUNCATE consents")
			}
			for _, q := range stmts {
				_, err := db.ExecContext(ctx, q)
				if err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: %v, want refused as append-only", q, err)
				}
			}
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE actor = 'a'").Scan(&n); err != nil || n != 1 {
				t.Errorf("audit entries left: %d %v", n, err)
			}
		})
	}
}

// Unlocking a job sets its payment time once (a trigger in each dialect), and a photo
// added without a sort key sorts by its upload month (in China time).
func TestTriggers(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			s, cfg := openDialect(t, d)
			now := time.Now()
			u, p := userWithPhoto(t, s, now)
			j := newJob(t, s, u, p, now)
			db := rawDB(t, cfg)
			var sortAt, created int64
			if err := db.QueryRowContext(ctx, "SELECT sort_at, created_at FROM photos WHERE id = $1", p).Scan(&sortAt, &created); err != nil ||
				int(sortAt) != store.UploadMonth(time.UnixMilli(created)) {
				t.Errorf("sort_at %d, created_at %d (want its month in UTC+8), %v", sortAt, created, err)
			}
			paidAt := func() *int64 {
				var v *int64
				if err := db.QueryRowContext(ctx, "SELECT paid_at FROM jobs WHERE id = $1", j).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			if v := paidAt(); v != nil {
				t.Fatalf("paid_at %d before the unlock", *v)
			}
			if err := s.UnlockJob(ctx, u, j); err != nil {
				t.Fatal(err)
			}
			first := paidAt()
			if first == nil || *first < now.UnixMilli()-1000 {
				t.Fatalf("paid_at after the unlock: %v", first)
			}
			time.Sleep(5 * time.Millisecond)
			if err := s.UnlockJob(ctx, u, j); err != nil {
				t.Fatal(err)
			}
			if again := paidAt(); again == nil || *again != *first {
				t.Errorf("a second unlock moved paid_at from %d to %v", *first, again)
			}
		})
	}
}

// On PostgreSQL, times (milliseconds) are BIGINT: its INTEGER is 32 bits, where
// SQLite's is 64, and would overflow. Sealed fields are BYTEA.
func TestPostgresColumnTypes(t *testing.T) {
	_, cfg := openDialect(t, "postgres")
	rows, err := rawDB(t, cfg).Query(`SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, col, typ string
		if err := rows.Scan(&table, &col, &typ); err != nil {
			t.Fatal(err)
		}
		n++
		switch {
		case (col == "at" || strings.HasSuffix(col, "_at") || strings.HasSuffix(col, "_on")) && typ != "bigint":
			t.Errorf("%s.%s is %s, want bigint (milliseconds)", table, col, typ)
		case (strings.HasSuffix(col, "_sealed") || strings.HasSuffix(col, "hash") || col == "wrapped") && typ != "bytea":
			t.Errorf("%s.%s is %s, want bytea", table, col, typ)
		}
	}
	if n < 50 {
		t.Fatalf("only %d columns", n)
	}
}

// A PostgreSQL URL that can't work is refused before any connection, and the error
// never repeats the URL (it may hold a password).
func TestConfigValidatePostgres(t *testing.T) {
	for _, c := range []struct {
		url   string
		conns int
		ok    bool
	}{
		{"postgres://idphoto:s3cret@db:5432/idphoto", 10, true},
		{"postgresql://idphoto:s3cret@db/idphoto?sslmode=verify-full", 2, true},
		{"mysql://idphoto:s3cret@db/idphoto", 10, false},
		{"idphoto:s3cret@db", 10, false},
		{"postgres://idphoto:s3cret@db/idphoto", 1, false},
	} {
		cfg := store.DefaultConfig()
		cfg.URL, cfg.Conns = c.url, c.conns
		err := cfg.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s with %d connections: %v", c.url, c.conns, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
}
