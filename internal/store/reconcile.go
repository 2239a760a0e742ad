package store

import (
	"context"
	"fmt"
	"time"

	"github.com/idphoto/idphoto/internal/order"
)

// OrdersToReconcile lists, oldest first and at most limit, the open orders that need a
// look from the reconciliation loop: orders in paying whose last change is older than
// payingBefore (their notification may have been lost) and open orders whose unpaid
// time ran out by now.
func (s *Store) OrdersToReconcile(ctx context.Context, payingBefore, now time.Time, limit int) ([]Order, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+orderColumns+` FROM orders
		WHERE (status = $1 AND updated_at < $2) OR (status IN ($3, $4) AND expires_at <= $5)
		ORDER BY created_at, id LIMIT $6`,
		string(order.StatusPaying), millis(payingBefore), string(order.StatusCreated), string(order.StatusPaying), millis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: orders to reconcile: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: orders to reconcile: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
