package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Scopes of a legal hold: what it keeps from the retention sweep (R7).
const (
	HoldUser  = "user"  // the user's photos, jobs and orders
	HoldOrder = "order" // an order, its jobs and their photos
	HoldPhoto = "photo" // a photo and its jobs
)

// LegalHold keeps a user's, an order's or a photo's data from the retention sweep.
type LegalHold struct {
	ID         string
	Scope      string // HoldUser, HoldOrder or HoldPhoto
	TargetID   string
	Reason     string // no personal data
	PlacedBy   string // a staff user id, or "cli"
	CreatedAt  time.Time
	Until      time.Time // zero: until released
	ReleasedAt time.Time // zero while not released
}

// liveHold is true of a hold (alias h) in force at the bind parameter now: not
// released, and not past its end.
func liveHold(now string) string {
	return "h.released_at IS NULL AND (h.until_at IS NULL OR h.until_at > " + now + ")"
}

func optNull(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: millis(t), Valid: true}
}

// CreateLegalHold adds a hold; the reason is required.
func (s *Store) CreateLegalHold(ctx context.Context, h LegalHold) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO legal_holds (id, scope, target_id, reason, placed_by, created_at, until_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, h.ID, h.Scope, h.TargetID, h.Reason, h.PlacedBy, millis(h.CreatedAt), optNull(h.Until))
	if err != nil {
		return fmt.Errorf("store: create legal hold: %w", err)
	}
	return nil
}

// ReleaseLegalHold ends a hold; one unknown or already released is ErrNotFound.
func (s *Store) ReleaseLegalHold(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, "UPDATE legal_holds SET released_at = $1 WHERE id = $2 AND released_at IS NULL", millis(at), id)
	return affected(res, err, "release legal hold", id)
}

const holdColumns = "id, scope, target_id, reason, placed_by, created_at, until_at, released_at"

func scanHold(sc interface{ Scan(...any) error }) (LegalHold, error) {
	var h LegalHold
	var created int64
	var until, released sql.NullInt64
	err := sc.Scan(&h.ID, &h.Scope, &h.TargetID, &h.Reason, &h.PlacedBy, &created, &until, &released)
	h.CreatedAt = fromMillis(created)
	if until.Valid {
		h.Until = fromMillis(until.Int64)
	}
	if released.Valid {
		h.ReleasedAt = fromMillis(released.Int64)
	}
	return h, err
}

// GetLegalHold returns a hold, released or not.
func (s *Store) GetLegalHold(ctx context.Context, id string) (LegalHold, error) {
	h, err := scanHold(s.r.QueryRowContext(ctx, "SELECT "+holdColumns+" FROM legal_holds WHERE id = $1", id))
	return h, one(err, "get legal hold", id)
}

// LegalHolds lists the holds in force at now, oldest first.
func (s *Store) LegalHolds(ctx context.Context, now time.Time) ([]LegalHold, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+holdColumns+" FROM legal_holds h WHERE "+liveHold("$1")+" ORDER BY created_at, id", millis(now))
	if err != nil {
		return nil, fmt.Errorf("store: legal holds: %w", err)
	}
	defer rows.Close()
	var out []LegalHold
	for rows.Next() {
		h, err := scanHold(rows)
		if err != nil {
			return nil, fmt.Errorf("store: legal holds: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HoldTargetOwner returns the user whose data a hold of the scope on id would keep:
// the user, or the owner of the order or photo. A target that does not exist is
// ErrNotFound.
func (s *Store) HoldTargetOwner(ctx context.Context, scope, id string) (string, error) {
	var q string
	switch scope {
	case HoldUser:
		q = "SELECT id FROM users WHERE id = $1"
	case HoldOrder:
		q = "SELECT user_id FROM orders WHERE id = $1"
	case HoldPhoto:
		q = "SELECT user_id FROM photos WHERE id = $1"
	default:
		return "", fmt.Errorf("store: hold scope %q: %w", scope, ErrNotFound)
	}
	var owner string
	err := s.r.QueryRowContext(ctx, q, id).Scan(&owner)
	return owner, one(err, "hold target", scope)
}
