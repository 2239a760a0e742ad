package store

import (
	"context"
	"fmt"
	"time"
)

// StaffTokens is how many live sessions (bearer tokens) a staff member holds and
// until when the last one works.
type StaffTokens struct {
	Live  int
	Until time.Time
}

// LiveStaffTokens returns the live sessions of every staff member who has any.
func (s *Store) LiveStaffTokens(ctx context.Context, now time.Time) (map[string]StaffTokens, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT s.user_id, COUNT(*), MAX(s.expires_at) FROM sessions s
		JOIN users u ON u.id = s.user_id WHERE u.role <> $1 AND s.expires_at > $2 GROUP BY s.user_id`, RoleUser, millis(now))
	if err != nil {
		return nil, fmt.Errorf("store: staff tokens: %w", err)
	}
	defer rows.Close()
	out := map[string]StaffTokens{}
	for rows.Next() {
		var id string
		var t StaffTokens
		var until int64
		if err := rows.Scan(&id, &t.Live, &until); err != nil {
			return nil, fmt.Errorf("store: staff tokens: %w", err)
		}
		t.Until = fromMillis(until)
		out[id] = t
	}
	return out, rows.Err()
}

// RevokeStaff ends every session of a staff member at once and returns how many it
// ended. The account and its sealed name stay, so the audit log's entries keep an
// actor to point at; 'idphoto staff add' makes a new member to restore access. A user
// who is not staff is ErrNotFound.
func (s *Store) RevokeStaff(ctx context.Context, id string) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1
		AND user_id IN (SELECT id FROM users WHERE id = $1 AND role <> $2)`, id, RoleUser)
	if err != nil {
		return 0, fmt.Errorf("store: revoke staff %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		var role string
		err := s.r.QueryRowContext(ctx, "SELECT role FROM users WHERE id = $1", id).Scan(&role)
		if err := one(err, "revoke staff", id); err != nil {
			return 0, err
		}
		if role == RoleUser {
			return 0, fmt.Errorf("store: revoke staff %s: not a staff member: %w", id, ErrNotFound)
		}
	}
	return n, nil
}
