package store

import (
	"context"
	"fmt"
	"time"

	"github.com/idphoto/idphoto/internal/order"
)

// The print-order rule (R2): a print order (one with mailing details) and every
// personal thing of it, the name, address and phone and the photos of its jobs, are
// kept 30 days after payment, then deleted. The ledger entry of its payment stays (O3).

// printKept is true of a job (alias %[1]s) that a paid print order still keeps: one
// paid at or after the bind parameter %[2]s. The e-photo rule (R1) leaves such jobs.
const printKept = `EXISTS (SELECT 1 FROM order_jobs oj JOIN orders o ON o.id = oj.order_id
	WHERE oj.job_id = %[1]s.id AND o.mailing_sealed IS NOT NULL AND o.paid_at >= %[2]s)`

// orderNotHeld is true of an order (alias o) that no legal hold live at the bind
// parameter now names: not the order, its user, nor its jobs' photos.
func orderNotHeld(now string) string {
	return `NOT EXISTS (SELECT 1 FROM legal_holds h WHERE ` + liveHold(now) + ` AND
	((h.scope = 'user' AND h.target_id = o.user_id) OR (h.scope = 'order' AND h.target_id = o.id) OR (h.scope = 'photo' AND h.target_id IN
		(SELECT j.photo_id FROM order_jobs oj JOIN jobs j ON j.id = oj.job_id WHERE oj.order_id = o.id))))`
}

// ExpiredPrintOrders lists the print orders due for deletion as of now: paid before
// paidBefore, or never paid and expired before unpaidBefore; none under a legal hold.
func (s *Store) ExpiredPrintOrders(ctx context.Context, now, paidBefore, unpaidBefore time.Time) ([]Order, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+orderColumns+` FROM orders o WHERE mailing_sealed IS NOT NULL AND
		((paid_at > 0 AND paid_at < $1) OR (paid_at = 0 AND expires_at < $2)) AND `+orderNotHeld("$3")+" ORDER BY created_at, id",
		millis(paidBefore), millis(unpaidBefore), millis(now))
	if err != nil {
		return nil, fmt.Errorf("store: expired print orders: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: expired print orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OrderJobs lists the jobs an order is for.
func (s *Store) OrderJobs(ctx context.Context, orderID string) ([]Job, error) {
	return scanJobs(s.r.QueryContext(ctx, "SELECT "+jobColumns+` FROM jobs WHERE id IN
		(SELECT job_id FROM order_jobs WHERE order_id = $1) ORDER BY created_at, id`, orderID))
}

// DeleteOrderRow removes an order row and its links to jobs (the sweep); the ledger
// has no key to it and keeps its entry.
func (s *Store) DeleteOrderRow(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM orders WHERE id = $1", id)
	return affected(res, err, "delete order", id)
}

// OrdersToClose lists the orders whose retention period has ended with nothing left
// to do (O1): fulfilled e-photo orders paid before ephotoPaidBefore (R1) and shipped
// print orders paid before printPaidBefore (R2), oldest payment first, at most limit.
// The sweep closes them; legal holds do not matter, closing deletes nothing.
func (s *Store) OrdersToClose(ctx context.Context, ephotoPaidBefore, printPaidBefore time.Time, limit int) ([]Order, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+orderColumns+` FROM orders WHERE paid_at > 0 AND
		((status = $1 AND paid_at < $2) OR (status = $3 AND paid_at < $4)) ORDER BY paid_at, id LIMIT $5`,
		string(order.StatusFulfilled), millis(ephotoPaidBefore), string(order.StatusShipped), millis(printPaidBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("store: orders to close: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: orders to close: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
