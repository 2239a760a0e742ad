package store

import (
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

// checkpoint moves the write-ahead log into the database file and truncates it, so
// that a deleted row's old bytes do not linger in the log (used after shredding).
func (s *Store) checkpoint() {
	s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
}
