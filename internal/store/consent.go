package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Kinds of consent record (R8).
const (
	ConsentPolicy  = "policy"  // a policy version was accepted
	ConsentPurpose = "purpose" // a separate purpose was granted or withdrawn (P9)
)

// Consent is one record of the append-only consent log. Subject is the user's
// pseudonym; Name is the policy id or the purpose.
type Consent struct {
	Subject string
	Kind    string
	Name    string
	Version string // the policy version; "" for a purpose
	Granted bool
	At      time.Time
}

// AddConsent appends a record; records are never changed or removed (triggers refuse).
func (s *Store) AddConsent(ctx context.Context, c Consent) error {
	if c.Subject == "" || c.Name == "" {
		return errors.New("store: consent without subject or name")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO consents (subject, kind, name, version, granted, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.Subject, c.Kind, c.Name, c.Version, bit(c.Granted), millis(c.At))
	if err != nil {
		return fmt.Errorf("store: add consent: %w", err)
	}
	return nil
}

func scanConsents(rows *sql.Rows, err error) ([]Consent, error) {
	if err != nil {
		return nil, fmt.Errorf("store: consents: %w", err)
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var at int64
		if err := rows.Scan(&c.Subject, &c.Kind, &c.Name, &c.Version, &c.Granted, &at); err != nil {
			return nil, fmt.Errorf("store: consents: %w", err)
		}
		c.At = fromMillis(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Consents lists a subject's records, oldest first.
func (s *Store) Consents(ctx context.Context, subject string) ([]Consent, error) {
	return scanConsents(s.r.QueryContext(ctx, `SELECT subject, kind, name, version, granted, at FROM consents
		WHERE subject = $1 ORDER BY seq`, subject))
}

// LatestConsents returns, per kind and name, a subject's latest record.
func (s *Store) LatestConsents(ctx context.Context, subject string) ([]Consent, error) {
	return scanConsents(s.r.QueryContext(ctx, `SELECT subject, kind, name, version, granted, at FROM consents c
		WHERE subject = $1 AND seq = (SELECT MAX(seq) FROM consents d WHERE d.subject = c.subject AND d.kind = c.kind AND d.name = c.name)
		ORDER BY kind, name`, subject))
}
