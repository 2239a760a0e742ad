package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Login links a WeChat or Alipay identity to an account. Lookup is a keyed hash of
// the channel's id (the caller's HMAC); SubjectSealed is the id sealed with the user's
// data key.
type Login struct {
	Lookup        []byte
	Channel       string
	UserID        string
	SubjectSealed []byte
	CreatedAt     time.Time
	LastAt        time.Time
}

// LoginUser finds the account of a login by its lookup hash and notes the time, or
// makes the account newUser for it. seal is called once the new user exists (their
// data key needs the row) and returns the channel's id sealed for them. It returns the
// user id and whether the account is new. Two first logins at once make one account:
// the loser's user is removed and the winner's returned.
func (s *Store) LoginUser(ctx context.Context, l Login, newUser User, seal func(userID string) ([]byte, error)) (string, bool, error) {
	find := func() (string, error) {
		var user string
		err := s.r.QueryRowContext(ctx, "SELECT user_id FROM logins WHERE lookup = $1", l.Lookup).Scan(&user)
		return user, err
	}
	user, err := find()
	if err == nil {
		if _, err := s.w.ExecContext(ctx, "UPDATE logins SET last_at = $1 WHERE lookup = $2", millis(l.LastAt), l.Lookup); err != nil {
			return "", false, fmt.Errorf("store: login: %w", err)
		}
		return user, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("store: login: %w", err)
	}
	newUser.Role = RoleUser
	if err := s.CreateUser(ctx, newUser); err != nil {
		return "", false, err
	}
	sealed, err := seal(newUser.ID)
	if err != nil {
		s.DeleteUser(ctx, newUser.ID)
		return "", false, err
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO logins (lookup, channel, user_id, subject_sealed, created_at, last_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (lookup) DO NOTHING`,
		l.Lookup, l.Channel, newUser.ID, sealed, millis(l.CreatedAt), millis(l.LastAt))
	if err != nil {
		s.DeleteUser(ctx, newUser.ID)
		return "", false, fmt.Errorf("store: login: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 { // another first login won
		s.DeleteUser(ctx, newUser.ID)
		user, err := find()
		if err != nil {
			return "", false, fmt.Errorf("store: login: %w", err)
		}
		return user, false, nil
	}
	return newUser.ID, true, nil
}

// UserLogins returns a user's logins (for payments: the sealed openid or user id).
func (s *Store) UserLogins(ctx context.Context, userID string) ([]Login, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT lookup, channel, user_id, subject_sealed, created_at, last_at FROM logins
		WHERE user_id = $1 ORDER BY created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: user logins: %w", err)
	}
	defer rows.Close()
	var out []Login
	for rows.Next() {
		var l Login
		var c, last int64
		if err := rows.Scan(&l.Lookup, &l.Channel, &l.UserID, &l.SubjectSealed, &c, &last); err != nil {
			return nil, fmt.Errorf("store: user logins: %w", err)
		}
		l.CreatedAt, l.LastAt = fromMillis(c), fromMillis(last)
		out = append(out, l)
	}
	return out, rows.Err()
}

// ServiceSecret returns a sealed secret of the service, making it with create on first
// use (create's answer is stored unless another caller stored one first).
func (s *Store) ServiceSecret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error) {
	var sealed []byte
	err := s.r.QueryRowContext(ctx, "SELECT sealed FROM service_secrets WHERE name = $1", name).Scan(&sealed)
	if err == nil {
		return sealed, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: service secret %s: %w", name, err)
	}
	fresh, err := create()
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_secrets (name, sealed, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, name, fresh, millis(s.now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT sealed FROM service_secrets WHERE name = $1", name).Scan(&sealed)
	})
	if err != nil {
		return nil, fmt.Errorf("store: service secret %s: %w", name, err)
	}
	return sealed, nil
}

// CreateStaff adds a staff member (operator or auditor), then their sealed name (seal
// is called once the user exists: their data key needs the row), then their session.
func (s *Store) CreateStaff(ctx context.Context, u User, seal func(userID string) ([]byte, error), se Session) error {
	if u.Role != RoleOperator && u.Role != RoleAuditor {
		return fmt.Errorf("store: create staff: role %q is not a staff role", u.Role)
	}
	if err := s.CreateUser(ctx, u); err != nil {
		return err
	}
	name, err := seal(u.ID)
	if err == nil {
		_, err = s.w.ExecContext(ctx, "UPDATE users SET name_sealed = $1 WHERE id = $2", name, u.ID)
	}
	if err == nil {
		se.UserID = u.ID
		err = s.CreateSession(ctx, se)
	}
	if err != nil {
		s.DeleteUser(ctx, u.ID)
		return fmt.Errorf("store: create staff: %w", err)
	}
	return nil
}

// Staff lists the operators and auditors with their sealed names.
func (s *Store) Staff(ctx context.Context) ([]StaffMember, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, role, name_sealed, created_at FROM users WHERE role <> $1 ORDER BY created_at, id", RoleUser)
	if err != nil {
		return nil, fmt.Errorf("store: staff: %w", err)
	}
	defer rows.Close()
	var out []StaffMember
	for rows.Next() {
		var m StaffMember
		var c int64
		if err := rows.Scan(&m.ID, &m.Role, &m.NameSealed, &c); err != nil {
			return nil, fmt.Errorf("store: staff: %w", err)
		}
		m.CreatedAt = fromMillis(c)
		out = append(out, m)
	}
	return out, rows.Err()
}

// StaffMember is an operator or auditor.
type StaffMember struct {
	User
	NameSealed []byte
}

// OrdersByStatus lists every user's orders in a status, oldest first, at most limit:
// the operator's work list. Callers audit what they show.
func (s *Store) OrdersByStatus(ctx context.Context, status string, limit int) ([]Order, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE status = $1 ORDER BY created_at, id LIMIT $2", status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: orders by status: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: orders by status: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SetTracking stores a shipped order's sealed tracking number.
func (s *Store) SetTracking(ctx context.Context, orderID string, sealed []byte) error {
	res, err := s.w.ExecContext(ctx, "UPDATE orders SET tracking_sealed = $1 WHERE id = $2", sealed, orderID)
	return affected(res, err, "set tracking", orderID)
}

// Tracking returns an order's sealed tracking number (nil when none).
func (s *Store) Tracking(ctx context.Context, orderID string) ([]byte, error) {
	var sealed []byte
	err := s.r.QueryRowContext(ctx, "SELECT tracking_sealed FROM orders WHERE id = $1", orderID).Scan(&sealed)
	return sealed, one(err, "tracking", orderID)
}
