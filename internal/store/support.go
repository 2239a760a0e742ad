package store

import (
	"context"
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
// a ticket can't be found through an account (S4); shredding it (the service's
// closing) leaves no ticket readable. Make the vault with
// vault.New(masters, st.SupportKeys()).
func (s *Store) SupportKeys() vault.KeyStore {
	return serviceKeys{s: s, table: "support_keys", what: "support", shreddable: true}
}

// CountSupportTickets says how many tickets are kept.
func (s *Store) CountSupportTickets(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM support_tickets").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count support tickets: %w", err)
	}
	return n, nil
}
