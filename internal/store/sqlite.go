package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// openSQLite opens the writer and the reader pool. Every connection sets, in this
// order: busy_timeout (before anything that may take a lock), WAL (readers don't
// block the writer), foreign_keys=ON (SQLite's default is off), synchronous=NORMAL
// (safe with WAL: a power cut loses at most the last commits, never the file), and
// secure_delete (deleted rows, such as shredded data keys, are overwritten on disk).
// Writers begin transactions IMMEDIATE so two never deadlock upgrading a read lock.
func openSQLite(cfg Config) (w, r *sql.DB, err error) {
	if dir := filepath.Dir(cfg.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("store: %w", err)
		}
	}
	dsn := func(extra url.Values) string {
		q := url.Values{}
		q.Set("_busy_timeout", fmt.Sprint(cfg.BusyTimeout.Milliseconds()))
		q.Set("_journal_mode", "WAL")
		q.Set("_foreign_keys", "1")
		q.Set("_synchronous", "NORMAL")
		q.Add("_pragma", "secure_delete(ON)")
		for k, v := range extra {
			q[k] = v
		}
		return "file:" + (&url.URL{Path: cfg.Path}).EscapedPath() + "?" + q.Encode()
	}
	w, err = sql.Open("sqlite", dsn(url.Values{"_txlock": {"immediate"}}))
	if err != nil {
		return nil, nil, fmt.Errorf("store: open %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("store: open database: %w", err)
	}
	// The database file holds sealed personal data: only the service's user reads it.
	os.Chmod(cfg.Path, 0o600)
	r, err = sql.Open("sqlite", dsn(url.Values{"_query_only": {"1"}}))
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("store: open readers: %w", err)
	}
	r.SetMaxOpenConns(cfg.Readers)
	r.SetMaxIdleConns(cfg.Readers)
	return w, r, nil
}

// sqliteDialect is the embedded default. Its writer is one connection, so a write
// transaction has the database to itself: nothing to lock, nothing to retry.
type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite" }

// shared is false: the file is the service's own (one serve per data folder).
func (sqliteDialect) shared() bool { return false }

func (sqliteDialect) lockMigrations(context.Context, *sql.DB) (func(), error) {
	return func() {}, nil // the one writer connection already takes turns
}

func (sqliteDialect) forUpdate() string { return "" }

func (sqliteDialect) lockAppend(context.Context, *sql.Tx, string) error { return nil }

func (sqliteDialect) retry(error) bool { return false }

func (sqliteDialect) tables(ctx context.Context, db *sql.DB) ([]string, error) {
	return firstColumn(db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"))
}

func (sqliteDialect) columns(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	return firstColumn(db.QueryContext(ctx, "SELECT name FROM pragma_table_info($1) ORDER BY cid", table))
}

// shredded moves the write-ahead log into the database file and truncates it, so
// that a deleted row's old bytes do not linger in the log (secure_delete has
// overwritten them in the file).
func (sqliteDialect) shredded(ctx context.Context, db *sql.DB) {
	db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
}
