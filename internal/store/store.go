// Package store keeps the service's records in SQL: one file per aggregate (users,
// sessions, photos, jobs), hand-written queries with $N placeholders that SQLite and
// PostgreSQL both read, and migrations embedded per dialect. SQLite is the embedded
// default (one file, no server); PostgreSQL serves several instances at once. What
// differs between them (connections, locks, the schema listing, shredding) stays in
// sqlite.go and postgres.go behind the dialect interface.
//
// The store never sees a personal field in clear: callers seal them with the vault
// first (columns named *_sealed). Face data has no column at all (promise P3).
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound means no row matched, or the row belongs to someone else.
var ErrNotFound = errors.New("store: not found")

// ErrSchemaTooNew means the database was migrated by a newer idphoto.
var ErrSchemaTooNew = errors.New("store: database schema is newer than this program")

// Config says where the database is: a PostgreSQL URL, or else a SQLite file.
type Config struct {
	// URL of a PostgreSQL database (postgres://user:password@host/db?sslmode=…).
	// When set, the store runs on PostgreSQL and Path is not used.
	URL string
	// Path of the SQLite file.
	Path string
	// Readers is the size of SQLite's read connection pool (writes use one connection).
	Readers int
	// Conns is the size of PostgreSQL's pool, shared by reads and writes.
	Conns int
	// BusyTimeout is how long a SQLite connection waits for a lock.
	BusyTimeout time.Duration
}

// DefaultConfig keeps the database in ./data/idphoto.db.
func DefaultConfig() Config {
	return Config{Path: "data/idphoto.db", Readers: 4, Conns: 10, BusyTimeout: 5 * time.Second}
}

// Postgres reports whether the config names a PostgreSQL database.
func (c Config) Postgres() bool { return c.URL != "" }

// Validate reports a config that can't work. Its messages never repeat the URL: it
// may hold a password.
func (c Config) Validate() error {
	if c.Postgres() {
		u, err := url.Parse(c.URL)
		switch {
		case err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql"):
			return errors.New("store: the database URL must be postgres://user:password@host:port/database")
		case c.Conns < 2: // migrations hold one connection for their lock and use another
			return errors.New("store: at least two PostgreSQL connections")
		}
		return nil
	}
	switch {
	case c.Path == "":
		return errors.New("store: no database path")
	case c.Readers < 1:
		return errors.New("store: at least one reader connection")
	case c.BusyTimeout < 0:
		return errors.New("store: negative busy timeout")
	}
	return nil
}

// Store is the database. On SQLite: one writer connection (SQLite takes one writer at
// a time, and queueing in Go beats spinning on SQLITE_BUSY) and a pool of readers. On
// PostgreSQL: w and r are one pool, and transactions that read before they write
// lock what they read (see postgres.go).
type Store struct {
	w, r *sql.DB
	d    dialect
	now  func() time.Time
}

// dialect is what differs between the two databases, each in its own file.
type dialect interface {
	// name is the dialect's folder of migrations.
	name() string
	// shared reports whether other processes may use the database at the same time.
	shared() bool
	// lockMigrations keeps two processes from migrating one database at once.
	lockMigrations(ctx context.Context, db *sql.DB) (unlock func(), err error)
	// forUpdate ends a SELECT whose rows the transaction is about to change: the rows
	// stay locked until it ends.
	forUpdate() string
	// lockAppend keeps other writers from appending to table until the transaction
	// ends (a hash chain reads its last entry before adding the next).
	lockAppend(ctx context.Context, tx *sql.Tx, table string) error
	// retry reports an error after which the whole transaction may run again
	// (serialization failure, deadlock).
	retry(err error) bool
	// tables and columns list the live schema.
	tables(ctx context.Context, db *sql.DB) ([]string, error)
	columns(ctx context.Context, db *sql.DB, table string) ([]string, error)
	// shredded runs after rows that must not linger on disk were deleted.
	shredded(ctx context.Context, db *sql.DB)
}

//go:embed migrations
var migrations embed.FS

// Open opens the database, applies the migrations it lacks, and refuses a database
// whose schema is newer than this program knows.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Store{now: time.Now}
	var err error
	if cfg.Postgres() {
		s.d = postgresDialect{}
		s.w, err = openPostgres(ctx, cfg)
		s.r = s.w
	} else {
		s.d = sqliteDialect{}
		s.w, s.r, err = openSQLite(cfg)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dialect names the database the store runs on: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name() }

// Close closes the pools.
func (s *Store) Close() error {
	if s.r == s.w {
		return s.w.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations for %s: %w", dialect, err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("store: migration %s is not named NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: versions must run 1, 2, 3… without gaps", m.name)
		}
	}
	return ms, nil
}

// KnownVersion is the newest schema version this program has migrations for (every
// dialect has the same migrations: a test holds them to it).
func KnownVersion() int {
	ms, err := loadMigrations("sqlite")
	if err != nil {
		return 0
	}
	return len(ms)
}

// Version returns the schema version of the database.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.r.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_version").Scan(&v)
	return int(v.Int64), err
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.d.name())
	if err != nil {
		return err
	}
	// Instances starting together take turns: the second finds the work done.
	unlock, err := s.d.lockMigrations(ctx, s.w)
	if err != nil {
		return fmt.Errorf("store: lock migrations: %w", err)
	}
	defer unlock()
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: schema_version: %w", err)
	}
	var cur sql.NullInt64
	if err := s.w.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_version").Scan(&cur); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if int(cur.Int64) > len(ms) {
		return fmt.Errorf("%w (database %d, program %d): upgrade idphoto", ErrSchemaTooNew, cur.Int64, len(ms))
	}
	for _, m := range ms[cur.Int64:] {
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
				m.version, m.name, s.now().UnixMilli())
			return err
		}); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// txAttempts bounds how often a transaction runs when the database gives up on it
// for a conflict with another (PostgreSQL's serialization failures and deadlocks).
const txAttempts = 5

// inTx runs fn in a write transaction. On PostgreSQL fn may run again, from the
// start, after a conflict with another transaction: it must only read and write
// through tx and set the variables it reports, never act outside the database.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if err == nil || attempt == txAttempts || !s.d.retry(err) {
			return err
		}
		// Let the other transaction finish; spread the retries of several.
		wait := time.Duration(attempt) * time.Duration(5+mrand.IntN(10)) * time.Millisecond
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// bit stores a flag as 0 or 1: the flag columns are integers in both dialects
// (SQLite has no boolean type, and PostgreSQL will not take a bool for an integer).
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random id of 26 lower-case letters and digits (128 bits): ids are
// unguessable, so a leaked one tells nothing about others.
func NewID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("store: no randomness: " + err.Error())
	}
	return idEncoding.EncodeToString(b)
}

// ValidID reports whether s has the form of NewID's ids (checked before any query).
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(v int64) time.Time { return time.UnixMilli(v).UTC() }

// one turns "no rows" into ErrNotFound and wraps the rest with its origin.
func one(err error, what, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", what, id, err)
	}
	return nil
}

// affected turns an update of no row into ErrNotFound.
func affected(res sql.Result, err error, what, id string) error {
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", what, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", what, id, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
