package store

import (
	"context"
	"fmt"
	"time"
)

// Closing is the service's closing notice: from Effective on, everything personal is
// erased (the policy's promise to delete or anonymise on shutdown).
type Closing struct {
	Effective time.Time
	Announced time.Time
}

// SetClosing announces (or moves) the closing date.
func (s *Store) SetClosing(ctx context.Context, c Closing) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO service_notice (id, effective_at, announced_at) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET effective_at = excluded.effective_at, announced_at = excluded.announced_at`,
		millis(c.Effective), millis(c.Announced))
	if err != nil {
		return fmt.Errorf("store: set closing: %w", err)
	}
	return nil
}

// CancelClosing withdraws the notice; none is ErrNotFound.
func (s *Store) CancelClosing(ctx context.Context) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM service_notice WHERE id = 1")
	return affected(res, err, "cancel closing", "")
}

// GetClosing returns the closing notice, or ErrNotFound while the service is not closing.
func (s *Store) GetClosing(ctx context.Context) (Closing, error) {
	var eff, ann int64
	err := s.r.QueryRowContext(ctx, "SELECT effective_at, announced_at FROM service_notice WHERE id = 1").Scan(&eff, &ann)
	return Closing{Effective: fromMillis(eff), Announced: fromMillis(ann)}, one(err, "closing", "")
}

// UserIDs lists every account (the closing erasure), oldest first; held lists only
// those under a legal hold live at now, !held only the others.
func (s *Store) UserIDs(ctx context.Context, held bool, now time.Time) ([]string, error) {
	not := "NOT "
	if held {
		not = ""
	}
	rows, err := s.r.QueryContext(ctx, "SELECT id FROM users u WHERE "+not+`EXISTS (SELECT 1 FROM legal_holds h
		WHERE `+liveHold("$1")+` AND h.scope = 'user' AND h.target_id = u.id) ORDER BY created_at, id`, millis(now))
	if err != nil {
		return nil, fmt.Errorf("store: user ids: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: user ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
