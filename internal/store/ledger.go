package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idphoto/idphoto/internal/vault"
)

// LedgerEntry is one paid trade in the accounting ledger (O3). Its fields (amount, payer
// id, client IP, order, times) are in Sealed, sealed with the ledger key; the channel
// and its trade number key the entry.
type LedgerEntry struct {
	Channel    string
	TradeNo    string
	Sealed     []byte
	Sandbox    bool
	RecordedAt time.Time
}

// LedgerContext is the vault context of an entry's sealed fields: an entry moved to
// another trade does not open.
func LedgerContext(channel, tradeNo string) string { return "ledger:" + channel + ":" + tradeNo }

func insertLedger(ctx context.Context, tx *sql.Tx, e LedgerEntry) error {
	if e.Channel == "" || e.TradeNo == "" || len(e.Sealed) == 0 {
		return errors.New("store: ledger entry without channel, trade number or fields")
	}
	// A trade is entered once: a repeated payment record (reconciliation after a crash)
	// leaves the first entry.
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger (channel, trade_no, entry_sealed, sandbox, recorded_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, trade_no) DO NOTHING`,
		e.Channel, e.TradeNo, e.Sealed, e.Sandbox, millis(e.RecordedAt))
	if err != nil {
		return fmt.Errorf("store: ledger entry: %w", err)
	}
	return nil
}

// AddLedgerEntry writes an entry unless its trade has one.
func (s *Store) AddLedgerEntry(ctx context.Context, e LedgerEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return insertLedger(ctx, tx, e) })
}

// LedgerEntries returns the entries recorded in [from, to), oldest first.
func (s *Store) LedgerEntries(ctx context.Context, from, to time.Time) ([]LedgerEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT channel, trade_no, entry_sealed, sandbox, recorded_at FROM ledger
		WHERE recorded_at >= $1 AND recorded_at < $2 ORDER BY recorded_at, channel, trade_no`, millis(from), millis(to))
	if err != nil {
		return nil, fmt.Errorf("store: ledger entries: %w", err)
	}
	defer rows.Close()
	var out []LedgerEntry
	for rows.Next() {
		var e LedgerEntry
		var at int64
		if err := rows.Scan(&e.Channel, &e.TradeNo, &e.Sealed, &e.Sandbox, &at); err != nil {
			return nil, fmt.Errorf("store: ledger entries: %w", err)
		}
		e.RecordedAt = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LedgerKeys is the key store of the ledger's vault: the same envelope scheme as users'
// data keys, in a table no user row refers to, so deleting or shredding a user never
// touches it; the key itself is never shredded (the ledger outlives everything, O3).
// Make the ledger's vault with vault.New(masters, st.LedgerKeys()).
func (s *Store) LedgerKeys() vault.KeyStore {
	return serviceKeys{s: s, table: "ledger_keys", what: "ledger"}
}
