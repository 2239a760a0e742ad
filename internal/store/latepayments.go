package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LatePayment is a verified, paid trade whose order could not take it: the order was
// cancelled or expired, or paid through another trade, when the money came. Its
// ledger entry is written with it; an operator refunds it (O5's override) and the
// refund's entry follows. It names the order, never the user, and outlives both.
type LatePayment struct {
	Channel     string
	TradeNo     string
	OrderID     string
	AmountFen   int64
	OrderStatus string // what the order was when the payment came
	Sandbox     bool
	FoundAt     time.Time
	RefundedAt  time.Time // zero until refunded
	RefundNo    string    // the channel's refund number, once refunded
}

const latePaymentColumns = `channel, trade_no, order_id, amount_fen, order_status, sandbox, found_at, refunded_at, refund_no`

func scanLatePayment(row interface{ Scan(...any) error }) (LatePayment, error) {
	var p LatePayment
	var found, refunded int64
	err := row.Scan(&p.Channel, &p.TradeNo, &p.OrderID, &p.AmountFen, &p.OrderStatus, &p.Sandbox, &found, &refunded, &p.RefundNo)
	p.FoundAt, p.RefundedAt = fromMillis(found), optTime(refunded)
	return p, err
}

// RecordLatePayment flags a late payment for refund and writes its ledger entry, in
// one transaction. A trade is flagged once: a repeated notification or query of it
// changes nothing, and added says whether this call flagged it.
func (s *Store) RecordLatePayment(ctx context.Context, p LatePayment, entry LedgerEntry) (added bool, err error) {
	if p.Channel == "" || p.TradeNo == "" || p.OrderID == "" || p.AmountFen <= 0 {
		return false, fmt.Errorf("store: late payment without channel, trade, order or amount")
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO late_payments (channel, trade_no, order_id, amount_fen, order_status, sandbox, found_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (channel, trade_no) DO NOTHING`,
			p.Channel, p.TradeNo, p.OrderID, p.AmountFen, p.OrderStatus, bit(p.Sandbox), millis(p.FoundAt))
		if err != nil {
			return fmt.Errorf("store: late payment: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: late payment: %w", err)
		}
		added = n == 1
		return insertLedger(ctx, tx, entry)
	})
	return added, err
}

// LatePayments lists the late payments, oldest first: only those not refunded yet
// unless all.
func (s *Store) LatePayments(ctx context.Context, all bool, limit int) ([]LatePayment, error) {
	q := "SELECT " + latePaymentColumns + " FROM late_payments"
	if !all {
		q += " WHERE refunded_at = 0"
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY found_at, channel, trade_no LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("store: late payments: %w", err)
	}
	defer rows.Close()
	var out []LatePayment
	for rows.Next() {
		p, err := scanLatePayment(rows)
		if err != nil {
			return nil, fmt.Errorf("store: late payments: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// LatePaymentOf returns the late payment of the channel's trade, or ErrNotFound.
func (s *Store) LatePaymentOf(ctx context.Context, channel, tradeNo string) (LatePayment, error) {
	p, err := scanLatePayment(s.r.QueryRowContext(ctx, "SELECT "+latePaymentColumns+
		" FROM late_payments WHERE channel = $1 AND trade_no = $2", channel, tradeNo))
	return p, one(err, "late payment", channel+"/"+tradeNo)
}

// RefundLatePayment marks a late payment refunded by the channel's refund refundNo
// and writes the refund's ledger entry, in one transaction. A payment refunded before
// keeps its first refund; the entry is written once per refund number all the same.
func (s *Store) RefundLatePayment(ctx context.Context, channel, tradeNo, refundNo string, at time.Time, entry LedgerEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE late_payments SET refunded_at = $1, refund_no = $2
			WHERE channel = $3 AND trade_no = $4 AND refunded_at = 0`, millis(at), refundNo, channel, tradeNo)
		if err != nil {
			return fmt.Errorf("store: refund late payment: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: refund late payment: %w", err)
		} else if n == 0 {
			var found int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM late_payments WHERE channel = $1 AND trade_no = $2", channel, tradeNo).Scan(&found)
			if err := one(err, "refund late payment", channel+"/"+tradeNo); err != nil {
				return err
			}
		}
		return insertLedger(ctx, tx, entry)
	})
}
