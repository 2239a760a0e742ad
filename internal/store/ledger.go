package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idphoto/idphoto/internal/vault"
)

// LedgerEntry is one paid trade, or one refund, in the accounting ledger (O3). Its
// fields (amount, payer id, client IP, order, times) are in Sealed, sealed with the
// ledger key; the channel and its trade number (a refund's: the channel's refund
// number) key the entry.
type LedgerEntry struct {
	Channel    string
	TradeNo    string
	Kind       string // LedgerPayment or LedgerRefund
	Sealed     []byte
	Sandbox    bool
	RecordedAt time.Time
}

// The kinds of ledger entry.
const (
	LedgerPayment = "payment"
	LedgerRefund  = "refund"
)

// LedgerContext is the vault context of an entry's sealed fields: an entry moved to
// another trade does not open.
func LedgerContext(channel, tradeNo string) string { return "ledger:" + channel + ":" + tradeNo }

// LedgerRefundContext is LedgerContext of a refund's entry: a refund's fields do not
// open as a payment's, nor the other way round.
func LedgerRefundContext(channel, refundNo string) string {
	return "ledger-refund:" + channel + ":" + refundNo
}

func insertLedger(ctx context.Context, tx *sql.Tx, e LedgerEntry) error {
	if e.Channel == "" || e.TradeNo == "" || len(e.Sealed) == 0 {
		return errors.New("store: ledger entry without channel, trade number or fields")
	}
	if e.Kind == "" {
		e.Kind = LedgerPayment
	}
	if e.Kind != LedgerPayment && e.Kind != LedgerRefund {
		return fmt.Errorf("store: ledger entry of kind %q", e.Kind)
	}
	// A trade (or a refund) is entered once: a repeated record (reconciliation after a
	// crash, a refund repeated) leaves the first entry.
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger (channel, trade_no, kind, entry_sealed, sandbox, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel, trade_no) DO NOTHING`,
		e.Channel, e.TradeNo, e.Kind, e.Sealed, bit(e.Sandbox), millis(e.RecordedAt))
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
	rows, err := s.r.QueryContext(ctx, "SELECT "+ledgerColumns+` FROM ledger
		WHERE recorded_at >= $1 AND recorded_at < $2 ORDER BY recorded_at, channel, trade_no`, millis(from), millis(to))
	if err != nil {
		return nil, fmt.Errorf("store: ledger entries: %w", err)
	}
	defer rows.Close()
	var out []LedgerEntry
	for rows.Next() {
		e, err := scanLedger(rows)
		if err != nil {
			return nil, fmt.Errorf("store: ledger entries: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const ledgerColumns = "channel, trade_no, kind, entry_sealed, sandbox, recorded_at"

func scanLedger(row interface{ Scan(...any) error }) (LedgerEntry, error) {
	var e LedgerEntry
	var at int64
	err := row.Scan(&e.Channel, &e.TradeNo, &e.Kind, &e.Sealed, &e.Sandbox, &at)
	e.RecordedAt = fromMillis(at)
	return e, err
}

// LedgerEntryOf returns the entry of the channel's trade (or refund) number, or
// ErrNotFound.
func (s *Store) LedgerEntryOf(ctx context.Context, channel, tradeNo string) (LedgerEntry, error) {
	e, err := scanLedger(s.r.QueryRowContext(ctx, "SELECT "+ledgerColumns+" FROM ledger WHERE channel = $1 AND trade_no = $2",
		channel, tradeNo))
	return e, one(err, "ledger entry", channel+"/"+tradeNo)
}

// LedgerKeys is the key store of the ledger's vault: the same envelope scheme as users'
// data keys, in a table no user row refers to, so deleting or shredding a user never
// touches it; the key itself is never shredded (the ledger outlives everything, O3).
// Make the ledger's vault with vault.New(masters, st.LedgerKeys()).
func (s *Store) LedgerKeys() vault.KeyStore {
	return serviceKeys{s: s, table: "ledger_keys", what: "ledger"}
}
