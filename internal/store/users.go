package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idphoto/idphoto/internal/vault"
)

// Roles.
const (
	RoleUser     = "user"
	RoleOperator = "operator"
	RoleAuditor  = "auditor"
)

// User is an account. Anonymous device users have no personal fields yet.
type User struct {
	ID        string
	Role      string
	CreatedAt time.Time
}

// CreateUser adds a user.
func (s *Store) CreateUser(ctx context.Context, u User) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO users (id, role, created_at) VALUES ($1, $2, $3)",
		u.ID, u.Role, millis(u.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	return nil
}

// GetUser returns a user by id.
func (s *Store) GetUser(ctx context.Context, id string) (User, error) {
	var u User
	var created int64
	err := s.r.QueryRowContext(ctx, "SELECT id, role, created_at FROM users WHERE id = $1", id).Scan(&u.ID, &u.Role, &created)
	u.CreatedAt = fromMillis(created)
	return u, one(err, "get user", id)
}

// DeleteUser removes a user and, by cascade, their data key, sessions, photos and
// jobs rows. Blobs are the caller's to delete.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM users WHERE id = $1", id)
	if err := affected(res, err, "delete user", id); err != nil {
		return err
	}
	s.d.shredded(ctx, s.w)
	return nil
}

// The data keys implement vault.KeyStore.
var _ vault.KeyStore = (*Store)(nil)

// LoadKey returns the user's wrapped data key, or vault.ErrNoKey.
func (s *Store) LoadKey(ctx context.Context, user string) ([]byte, error) {
	var wrapped []byte
	err := s.r.QueryRowContext(ctx, "SELECT wrapped FROM data_keys WHERE user_id = $1", user).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vault.ErrNoKey
	}
	if err != nil {
		return nil, fmt.Errorf("store: load data key: %w", err)
	}
	return wrapped, nil
}

// CreateKey stores the first wrapped data key of a user.
func (s *Store) CreateKey(ctx context.Context, user, masterID string, wrapped []byte) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO data_keys (user_id, master_key_id, wrapped) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO NOTHING`, user, masterID, wrapped)
	if err != nil {
		return fmt.Errorf("store: create data key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vault.ErrKeyExists
	}
	return nil
}

// ReplaceKey swaps a wrapped key for its re-wrapped form if it has not changed: one
// compare-and-swap statement, so a key shredded or re-wrapped meanwhile stays as it is.
func (s *Store) ReplaceKey(ctx context.Context, user string, old, wrapped []byte, masterID string) error {
	_, err := s.w.ExecContext(ctx, "UPDATE data_keys SET wrapped = $1, master_key_id = $2 WHERE user_id = $3 AND wrapped = $4",
		wrapped, masterID, user, old)
	if err != nil {
		return fmt.Errorf("store: replace data key: %w", err)
	}
	return nil
}

// DeleteKey shreds the user's data key. On SQLite the row is overwritten on disk
// (secure_delete) and the write-ahead log truncated; on PostgreSQL the table is
// vacuumed (see postgresDialect.shredded).
func (s *Store) DeleteKey(ctx context.Context, user string) error {
	if _, err := s.w.ExecContext(ctx, "DELETE FROM data_keys WHERE user_id = $1", user); err != nil {
		return fmt.Errorf("store: delete data key: %w", err)
	}
	s.d.shredded(ctx, s.w)
	return nil
}

// KeysNotWrappedBy lists users whose data key another master key wraps.
func (s *Store) KeysNotWrappedBy(ctx context.Context, masterID string, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT user_id FROM data_keys WHERE master_key_id <> $1 ORDER BY user_id LIMIT $2", masterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: keys to rotate: %w", err)
	}
	defer rows.Close()
	var users []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("store: keys to rotate: %w", err)
		}
		users = append(users, u)
	}
	return users, rows.Err()
}
