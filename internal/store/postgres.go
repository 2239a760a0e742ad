package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL is for several serve instances on one database. Reads and writes share
// one pool; transactions run at READ COMMITTED, and each one that reads before it
// writes makes what it read hold until it commits:
//
//   - an order's update (payments, the pay step, shipping, refunds, expiry) selects
//     the order FOR UPDATE: a second update of it waits, then sees the first's result,
//     so five notifications of one payment apply it once; a delivery locks the
//     orders it notes, so deliveries of two jobs of one order see each other;
//   - the audit log's append locks the table against other appenders (readers go on):
//     the last entry's hash it read is still the last when it inserts;
//   - a one-time export link is claimed by one UPDATE … WHERE used_at IS NULL, a key's
//     re-wrapping by one UPDATE … WHERE wrapped = old: PostgreSQL re-checks the WHERE
//     on the row a concurrent writer left, so only one claim or swap wins;
//   - a job starts by UPDATE … WHERE state = 'queued': one instance gets it;
//   - first logins, secrets, previews, ledger entries and keys are inserted with
//     ON CONFLICT, which waits for a concurrent insert of the same key.
//
// A deadlock (an order locked by a payment while a cancellation deletes the user) or
// a serialization failure aborts one transaction; inTx runs it again, a few times.
type postgresDialect struct{}

// openPostgres opens the pool and checks that the server answers. Errors never
// repeat the URL (it may hold a password).
func openPostgres(ctx context.Context, cfg Config) (*sql.DB, error) {
	pc, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, errors.New("store: the database URL does not parse as a PostgreSQL connection string")
	}
	if _, ok := pc.RuntimeParams["application_name"]; !ok {
		pc.RuntimeParams["application_name"] = "idphoto"
	}
	db := stdlib.OpenDB(*pc)
	db.SetMaxOpenConns(cfg.Conns)
	db.SetMaxIdleConns(cfg.Conns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL: %w", err)
	}
	return db, nil
}

func (postgresDialect) name() string { return "postgres" }

func (postgresDialect) shared() bool { return true }

// migrationLock is the advisory lock's key (any number; advisory locks are per
// database): "idph" in ASCII.
const migrationLock = 0x69647068

// lockMigrations holds a session-level advisory lock on a connection of its own
// until unlock.
func (postgresDialect) lockMigrations(ctx context.Context, db *sql.DB) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock)
		conn.Close()
	}, nil
}

func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

// lockAppend takes a lock that conflicts with itself and with inserts, not with
// reads. table is one of the store's fixed names, never input.
func (postgresDialect) lockAppend(ctx context.Context, tx *sql.Tx, table string) error {
	_, err := tx.ExecContext(ctx, "LOCK TABLE "+table+" IN SHARE ROW EXCLUSIVE MODE")
	return err
}

func (postgresDialect) retry(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

func (postgresDialect) tables(ctx context.Context, db *sql.DB) ([]string, error) {
	return firstColumn(db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`))
}

func (postgresDialect) columns(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	return firstColumn(db.QueryContext(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table))
}

// shredded vacuums the data keys' table: the deleted row versions are freed for
// reuse now rather than whenever autovacuum comes by. PostgreSQL has no
// secure_delete: until reused, and in the write-ahead log and base backups until they
// are recycled, the old bytes remain. They are a data key wrapped by the master key,
// useless without it; keep the master key out of the database's backups.
func (postgresDialect) shredded(ctx context.Context, db *sql.DB) {
	db.ExecContext(ctx, "VACUUM (SKIP_LOCKED) data_keys")
}
