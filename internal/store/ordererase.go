package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Erasing an order's personal data at the user's request (R3): the order's record
// (items, amounts, times, status) stays, so the user's history and the ledger agree;
// what names or locates a person goes.

// UserOrders lists every order of the user, oldest first.
func (s *Store) UserOrders(ctx context.Context, userID string) ([]Order, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE user_id = $1 ORDER BY created_at, id", userID)
	if err != nil {
		return nil, fmt.Errorf("store: user orders: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: user orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// ClearOrderPersonal removes the personal fields of the user's order in one guarded
// update: check sees the order as locked and may refuse (its error is returned and
// nothing changes). The mailing details and the tracking number go; the payer's IP
// goes only when the ledger holds the entry of the order's trade, which keeps its own
// copy (O3): before that, a payment still to be entered needs it.
func (s *Store) ClearOrderPersonal(ctx context.Context, userID, id string, check func(Order) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := scanOrder(tx.QueryRowContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE id = $1 AND user_id = $2"+s.d.forUpdate(), id, userID))
		if err := one(err, "clear order", id); err != nil {
			return err
		}
		if err := check(o); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE orders SET mailing_sealed = NULL, tracking_sealed = NULL,
			pay_ip_sealed = CASE WHEN trade_no <> '' AND EXISTS (SELECT 1 FROM ledger l
				WHERE l.channel = orders.channel AND l.trade_no = orders.trade_no) THEN NULL ELSE pay_ip_sealed END,
			updated_at = $1 WHERE id = $2`, millis(s.now()), id)
		if err != nil {
			return fmt.Errorf("store: clear order %s: %w", id, err)
		}
		return nil
	})
}

// JobInOtherOrder reports whether another order than orderID is for the job.
func (s *Store) JobInOtherOrder(ctx context.Context, jobID, orderID string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM order_jobs WHERE job_id = $1 AND order_id <> $2", jobID, orderID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: orders of job %s: %w", jobID, err)
	}
	return n > 0, nil
}

// UnlinkOrderJob removes the link from an order to a job that another order keeps.
func (s *Store) UnlinkOrderJob(ctx context.Context, orderID, jobID string) error {
	if _, err := s.w.ExecContext(ctx, "DELETE FROM order_jobs WHERE order_id = $1 AND job_id = $2", orderID, jobID); err != nil {
		return fmt.Errorf("store: unlink job %s: %w", jobID, err)
	}
	return nil
}
