package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/store/pgtest"
	_ "modernc.org/sqlite"
)

// One PostgreSQL cluster for the whole test binary (when one is needed), stopped at
// the end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// dialects are the databases the store runs on; every test of the store's behaviour
// runs on each.
var dialects = []string{"sqlite", "postgres"}

// eachDialect runs f as a subtest per dialect, each on a fresh, migrated store.
func eachDialect(t *testing.T, f func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			s, _ := openDialect(t, d)
			f(t, s)
		})
	}
}

// dialectConfig is the config of a fresh, empty database of the dialect: a SQLite
// file in a temporary folder, or a PostgreSQL database of its own.
func dialectConfig(t testing.TB, dialect string) store.Config {
	t.Helper()
	cfg := store.DefaultConfig()
	switch dialect {
	case "sqlite":
		cfg.Path = filepath.Join(t.TempDir(), "idphoto.db")
	case "postgres":
		cfg.URL = pgtest.DB(t)
	default:
		t.Fatalf("dialect %q", dialect)
	}
	return cfg
}

// openDialect is a fresh, migrated store of the dialect, closed when the test ends,
// with its config for what reaches behind the store (rawDB, the SQLite file).
func openDialect(t testing.TB, dialect string) (*store.Store, store.Config) {
	t.Helper()
	cfg := dialectConfig(t, dialect)
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg
}

// rawDB opens the database of cfg without the store, for what the store won't do.
func rawDB(t testing.TB, cfg store.Config) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", cfg.Path
	if cfg.Postgres() {
		driver, dsn = "pgx", cfg.URL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
