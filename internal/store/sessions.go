package store

import (
	"context"
	"fmt"
	"time"
)

// Session is a signed-in device. TokenHash is the SHA-256 of the bearer token: the
// token itself is never stored. DeviceSealed is the device's UUID, model, OS and app
// version, sealed by the vault; it stays on this row and is never joined to photos (S5).
type Session struct {
	ID           string
	UserID       string
	TokenHash    []byte
	DeviceSealed []byte
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// CreateSession adds a session.
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, user_id, device_sealed, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		se.ID, se.TokenHash, se.UserID, se.DeviceSealed, millis(se.CreatedAt), millis(se.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionByTokenHash finds the unexpired session of a token.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (Session, error) {
	var se Session
	var created, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT id, token_hash, user_id, device_sealed, created_at, expires_at
		FROM sessions WHERE token_hash = $1 AND expires_at > $2`, hash, millis(now)).
		Scan(&se.ID, &se.TokenHash, &se.UserID, &se.DeviceSealed, &created, &expires)
	se.CreatedAt, se.ExpiresAt = fromMillis(created), fromMillis(expires)
	return se, one(err, "session by token", "")
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM sessions WHERE id = $1", id)
	return affected(res, err, "delete session", id)
}
