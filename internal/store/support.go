package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idphoto/idphoto/internal/vault"
)

// SupportTicket is a support request (S4): contact and text sealed together with the
// support key, and nothing that leads to an account, a session or a photo.
type SupportTicket struct {
	ID     string
	Sealed []byte
	// CreatedOn is the day (UTC midnight) it came in: no finer, so a ticket can't be
	// matched to a session by its time.
	CreatedOn time.Time
}

// SupportContext is the vault context of a ticket's sealed fields.
func SupportContext(id string) string { return "support:" + id }

// Day is t's day, UTC midnight.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// CreateSupportTicket adds a ticket; its time is kept to the day.
func (s *Store) CreateSupportTicket(ctx context.Context, t SupportTicket) error {
	if t.ID == "" || len(t.Sealed) == 0 {
		return errors.New("store: support ticket without id or fields")
	}
	_, err := s.w.ExecContext(ctx, "INSERT INTO support_tickets (id, ticket_sealed, created_on) VALUES ($1, $2, $3)",
		t.ID, t.Sealed, millis(Day(t.CreatedOn)))
	if err != nil {
		return fmt.Errorf("store: create support ticket: %w", err)
	}
	return nil
}

// SupportTickets lists the tickets, oldest first.
func (s *Store) SupportTickets(ctx context.Context) ([]SupportTicket, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, ticket_sealed, created_on FROM support_tickets ORDER BY created_on, id")
	if err != nil {
		return nil, fmt.Errorf("store: support tickets: %w", err)
	}
	defer rows.Close()
	var out []SupportTicket
	for rows.Next() {
		var t SupportTicket
		var on int64
		if err := rows.Scan(&t.ID, &t.Sealed, &on); err != nil {
			return nil, fmt.Errorf("store: support tickets: %w", err)
		}
		t.CreatedOn = fromMillis(on)
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteSupportTickets removes the tickets that came in before before (the
// retention sweep) and returns how many; dry only counts them.
func (s *Store) DeleteSupportTickets(ctx context.Context, before time.Time, dry bool) (int, error) {
	var n int
	if dry {
		err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM support_tickets WHERE created_on < $1", millis(before)).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("store: count support tickets: %w", err)
		}
		return n, nil
	}
	res, err := s.w.ExecContext(ctx, "DELETE FROM support_tickets WHERE created_on < $1", millis(before))
	if err != nil {
		return 0, fmt.Errorf("store: delete support tickets: %w", err)
	}
	m, err := res.RowsAffected()
	return int(m), err
}

// SupportKeys is the key store of the support desk's vault: a key held by no user, so
// a ticket can't be found through an account (S4). Make the vault with
// vault.New(masters, st.SupportKeys()).
func (s *Store) SupportKeys() vault.KeyStore { return supportKeys{s} }

type supportKeys struct{ s *Store }

func (k supportKeys) LoadKey(ctx context.Context, name string) ([]byte, error) {
	var wrapped []byte
	err := k.s.r.QueryRowContext(ctx, "SELECT wrapped FROM support_keys WHERE name = $1", name).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vault.ErrNoKey
	}
	if err != nil {
		return nil, fmt.Errorf("store: load support key: %w", err)
	}
	return wrapped, nil
}

func (k supportKeys) CreateKey(ctx context.Context, name, masterID string, wrapped []byte) error {
	res, err := k.s.w.ExecContext(ctx, `INSERT INTO support_keys (name, master_key_id, wrapped) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, masterID, wrapped)
	if err != nil {
		return fmt.Errorf("store: create support key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return vault.ErrKeyExists
	}
	return nil
}

func (k supportKeys) ReplaceKey(ctx context.Context, name string, old, wrapped []byte, masterID string) error {
	return k.s.inTx(ctx, func(tx *sql.Tx) error {
		var cur []byte
		err := tx.QueryRowContext(ctx, "SELECT wrapped FROM support_keys WHERE name = $1", name).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !bytes.Equal(cur, old)) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: replace support key: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE support_keys SET wrapped = $1, master_key_id = $2 WHERE name = $3", wrapped, masterID, name); err != nil {
			return fmt.Errorf("store: replace support key: %w", err)
		}
		return nil
	})
}

// DeleteKey shreds the support key (the service's closing): tickets no longer open.
func (k supportKeys) DeleteKey(ctx context.Context, name string) error {
	if _, err := k.s.w.ExecContext(ctx, "DELETE FROM support_keys WHERE name = $1", name); err != nil {
		return fmt.Errorf("store: delete support key: %w", err)
	}
	return nil
}

func (k supportKeys) KeysNotWrappedBy(ctx context.Context, masterID string, limit int) ([]string, error) {
	rows, err := k.s.r.QueryContext(ctx, "SELECT name FROM support_keys WHERE master_key_id <> $1 ORDER BY name LIMIT $2", masterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: support keys to rotate: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: support keys to rotate: %w", err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
