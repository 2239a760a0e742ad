package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AuditEntry is one row of the audit log. The chain's hashing is the audit
// package's: the store only keeps the rows and appends them one at a time.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Actor    string
	Action   string
	Subject  string // a pseudonym, never a user id
	Detail   string // no personal data
	PrevHash []byte
	Hash     []byte
}

// AppendAudit adds an entry after the last one. hash is given the entry with Seq,
// At and PrevHash set and returns its hash; the read of the last entry and the
// insert are one transaction that no other append interleaves with, so the chain
// never forks.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry, hash func(AuditEntry) []byte) (AuditEntry, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.d.lockAppend(ctx, tx, "audit_log"); err != nil {
			return err
		}
		var seq sql.NullInt64
		var prev []byte
		err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&seq, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		e.Seq = seq.Int64 + 1
		if prev == nil {
			prev = []byte{}
		}
		e.PrevHash = prev
		e.Hash = hash(e)
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.Seq, millis(e.At), e.Actor, e.Action, e.Subject, e.Detail, e.PrevHash, e.Hash)
		return err
	})
	if err != nil {
		return e, fmt.Errorf("store: append audit: %w", err)
	}
	return e, nil
}

// AuditEntries calls fn for every entry in order of seq.
func (s *Store) AuditEntries(ctx context.Context, fn func(AuditEntry) error) error {
	rows, err := s.r.QueryContext(ctx, "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq")
	if err != nil {
		return fmt.Errorf("store: audit entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return fmt.Errorf("store: audit entries: %w", err)
		}
		e.At = fromMillis(at)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditSubjects lists, once each, the subjects of the actor's entries with one of
// the actions in [from, to).
func (s *Store) AuditSubjects(ctx context.Context, actor string, actions []string, from, to time.Time) ([]string, error) {
	q := "SELECT DISTINCT subject FROM audit_log WHERE actor = $1 AND at >= $2 AND at < $3 AND subject <> ''"
	args := []any{actor, millis(from), millis(to)}
	if len(actions) > 0 {
		q += " AND action IN ("
		for i, a := range actions {
			if i > 0 {
				q += ", "
			}
			args = append(args, a)
			q += fmt.Sprintf("$%d", len(args))
		}
		q += ")"
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY subject", args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit subjects: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sub string
		if err := rows.Scan(&sub); err != nil {
			return nil, fmt.Errorf("store: audit subjects: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}
