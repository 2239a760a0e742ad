package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/idphoto/idphoto/internal/order"
)

// Order is an order as stored: the domain order and its sealed fields.
type Order struct {
	order.Order
	// MailingSealed is a print order's name, address and phone, sealed with the user's
	// data key (context "order.mailing:ID").
	MailingSealed []byte
	// PayIPSealed is the payer's IP at the pay step, sealed with the ledger key
	// (context "order.pay_ip:ID"): it goes to the ledger entry and nowhere else.
	PayIPSealed []byte
}

const orderColumns = `id, user_id, items_json, total_fen, status, channel, trade_no, mailing_sealed, pay_ip_sealed,
	created_at, expires_at, paid_at, fulfilled_at, shipped_at, closed_at, cancelled_at, refunded_at`

// optMillis stores a zero time as 0.
func optMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func optTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMillis(v)
}

func scanOrder(row interface{ Scan(...any) error }) (Order, error) {
	var o Order
	var items, status string
	var t [8]int64
	err := row.Scan(&o.ID, &o.UserID, &items, &o.TotalFen, &status, &o.Channel, &o.TradeNo, &o.MailingSealed, &o.PayIPSealed,
		&t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7])
	if err != nil {
		return o, err
	}
	o.Status = order.Status(status)
	if err := json.Unmarshal([]byte(items), &o.Items); err != nil {
		return o, fmt.Errorf("store: order %s items: %w", o.ID, err)
	}
	o.CreatedAt, o.ExpiresAt = fromMillis(t[0]), fromMillis(t[1])
	o.PaidAt, o.FulfilledAt, o.ShippedAt = optTime(t[2]), optTime(t[3]), optTime(t[4])
	o.ClosedAt, o.CancelledAt, o.RefundedAt = optTime(t[5]), optTime(t[6]), optTime(t[7])
	return o, nil
}

// jobsOf lists the distinct jobs an order's items are for.
func jobsOf(o order.Order) []string {
	var ids []string
	seen := map[string]bool{}
	for _, it := range o.Items {
		if it.JobID != "" && !seen[it.JobID] {
			seen[it.JobID] = true
			ids = append(ids, it.JobID)
		}
	}
	return ids
}

// CreateOrder adds an order. Its jobs must be the user's own and must have had their
// preview shown to the user (O5); otherwise it returns ErrNotFound or
// ErrPreviewRequired and stores nothing.
func (s *Store) CreateOrder(ctx context.Context, o Order) error {
	items, err := json.Marshal(o.Items)
	if err != nil {
		return fmt.Errorf("store: create order: %w", err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, job := range jobsOf(o.Order) {
			var seen sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT p.first_at FROM jobs j
				LEFT JOIN preview_views p ON p.job_id = j.id AND p.user_id = j.user_id
				WHERE j.id = $1 AND j.user_id = $2`, job, o.UserID).Scan(&seen)
			if err := one(err, "create order: job", job); err != nil {
				return err
			}
			if !seen.Valid {
				return ErrPreviewRequired
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO orders (id, user_id, items_json, total_fen, status, channel, trade_no,
			mailing_sealed, pay_ip_sealed, created_at, expires_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			o.ID, o.UserID, string(items), o.TotalFen, string(o.Status), o.Channel, o.TradeNo, o.MailingSealed, o.PayIPSealed,
			millis(o.CreatedAt), millis(o.ExpiresAt), millis(o.CreatedAt))
		if err != nil {
			return fmt.Errorf("store: create order: %w", err)
		}
		for _, job := range jobsOf(o.Order) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO order_jobs (order_id, job_id) VALUES ($1, $2)", o.ID, job); err != nil {
				return fmt.Errorf("store: create order: %w", err)
			}
		}
		return nil
	})
}

// ErrPreviewRequired: an order names a job whose preview its user has not been shown.
var ErrPreviewRequired = errors.New("store: the job's preview was not shown to the user")

// GetOrder returns the user's order; another user's order is ErrNotFound.
func (s *Store) GetOrder(ctx context.Context, userID, id string) (Order, error) {
	o, err := scanOrder(s.r.QueryRowContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE id = $1 AND user_id = $2", id, userID))
	return o, one(err, "get order", id)
}

// OrderByID returns any order: for payment notifications, never for a user's request.
func (s *Store) OrderByID(ctx context.Context, id string) (Order, error) {
	o, err := scanOrder(s.r.QueryRowContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE id = $1", id))
	return o, one(err, "order", id)
}

// ListOrders returns the user's orders, newest first, at most limit.
func (s *Store) ListOrders(ctx context.Context, userID string, limit int) ([]Order, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
		userID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list orders: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// UpdateOrder loads an order, calls fn on it and saves it if fn returns nil; fn's error
// saves nothing. Updates of an order never interleave: on SQLite the transaction holds
// the one writer, on PostgreSQL the order's row is locked until it ends. fn may run
// more than once (a transaction retried after a deadlock): it only decides. When fn
// moves the order to paid, the same transaction unlocks its jobs.
func (s *Store) UpdateOrder(ctx context.Context, id string, fn func(o *Order) error) error {
	return s.updateOrder(ctx, id, fn, nil, nil)
}

// RecordPayment is UpdateOrder for a channel's payment: when fn moves the order to paid,
// the same transaction unlocks its jobs and writes entry to the ledger, so an order is
// never paid without its ledger entry, nor entered twice.
func (s *Store) RecordPayment(ctx context.Context, id string, fn func(o *Order) error, entry LedgerEntry) error {
	return s.updateOrder(ctx, id, fn, &entry, nil)
}

// RecordRefund is UpdateOrder for a refund the channel accepted: when fn returns nil,
// the same transaction writes the refund's ledger entry (once per refund number), so
// an order is never refunded without its entry.
func (s *Store) RecordRefund(ctx context.Context, id string, fn func(o *Order) error, entry LedgerEntry) error {
	if entry.Kind != LedgerRefund {
		return fmt.Errorf("store: refund of order %s with a ledger entry of kind %q", id, entry.Kind)
	}
	return s.updateOrder(ctx, id, fn, nil, &entry)
}

func (s *Store) updateOrder(ctx context.Context, id string, fn func(o *Order) error, entry, refund *LedgerEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		o, err := scanOrder(tx.QueryRowContext(ctx, "SELECT "+orderColumns+" FROM orders WHERE id = $1"+s.d.forUpdate(), id))
		if err := one(err, "update order", id); err != nil {
			return err
		}
		wasPaid := o.Status.Paid()
		if err := fn(&o); err != nil {
			return err
		}
		if o.ID != id {
			return fmt.Errorf("store: update order %s: the id changed", id)
		}
		items, err := json.Marshal(o.Items)
		if err != nil {
			return fmt.Errorf("store: update order %s: %w", id, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE orders SET items_json = $1, total_fen = $2, status = $3, channel = $4, trade_no = $5,
			mailing_sealed = $6, pay_ip_sealed = $7, paid_at = $8, fulfilled_at = $9, shipped_at = $10, closed_at = $11,
			cancelled_at = $12, refunded_at = $13, updated_at = $14 WHERE id = $15`,
			string(items), o.TotalFen, string(o.Status), o.Channel, o.TradeNo, o.MailingSealed, o.PayIPSealed,
			optMillis(o.PaidAt), optMillis(o.FulfilledAt), optMillis(o.ShippedAt), optMillis(o.ClosedAt),
			optMillis(o.CancelledAt), optMillis(o.RefundedAt), millis(s.now()), id)
		if err != nil {
			return fmt.Errorf("store: update order %s: %w", id, err)
		}
		if refund != nil {
			if err := insertLedger(ctx, tx, *refund); err != nil {
				return err
			}
		}
		if wasPaid || !o.Status.Paid() {
			return nil
		}
		now := millis(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET unlocked = 1, updated_at = $1
			WHERE user_id = $2 AND id IN (SELECT job_id FROM order_jobs WHERE order_id = $3)`, now, o.UserID, id); err != nil {
			return fmt.Errorf("store: unlock jobs of order %s: %w", id, err)
		}
		if entry != nil {
			if err := insertLedger(ctx, tx, *entry); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordPreview notes that the job's preview was served to its user (first time kept).
func (s *Store) RecordPreview(ctx context.Context, userID, jobID string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO preview_views (user_id, job_id, first_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, job_id) DO NOTHING`, userID, jobID, millis(at))
	if err != nil {
		return fmt.Errorf("store: record preview of job %s: %w", jobID, err)
	}
	return nil
}

// PreviewShown returns when the job's preview was first served to the user, or
// ErrNotFound.
func (s *Store) PreviewShown(ctx context.Context, userID, jobID string) (time.Time, error) {
	var at int64
	err := s.r.QueryRowContext(ctx, "SELECT first_at FROM preview_views WHERE user_id = $1 AND job_id = $2", userID, jobID).Scan(&at)
	return fromMillis(at), one(err, "preview shown", jobID)
}

// RecordDelivery notes that the clean result of the user's job (its file or print
// sheet) was delivered to them at the time at, under every paid order of theirs that
// pays for it, and fulfils (paid → fulfilled, through the order's state machine) each
// such e-photo order whose jobs have now all been delivered. It returns the ids of the
// orders it fulfilled. Repeated and concurrent deliveries fulfil an order once: each
// write is conditional on the state it moves from. Orders with mailing are shipped, not
// fulfilled; their deliveries are noted all the same.
func (s *Store) RecordDelivery(ctx context.Context, userID, jobID string, at time.Time) ([]string, error) {
	// Most downloads repeat one already noted: a read answers them without the writer.
	var pending int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_jobs oj JOIN orders o ON o.id = oj.order_id
		WHERE oj.job_id = $1 AND oj.delivered_at = 0 AND o.user_id = $2 AND o.status = $3`,
		jobID, userID, string(order.StatusPaid)).Scan(&pending)
	if err != nil {
		return nil, fmt.Errorf("store: record delivery of job %s: %w", jobID, err)
	}
	if pending == 0 {
		return nil, nil
	}
	var fulfilled []string
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		fulfilled = fulfilled[:0]
		// The orders stay locked until the end (PostgreSQL): deliveries of two jobs of
		// one order take turns, so the second counts the first's delivery and fulfils.
		rows, err := tx.QueryContext(ctx, "SELECT "+orderColumns+` FROM orders WHERE user_id = $1 AND status = $2
			AND id IN (SELECT order_id FROM order_jobs WHERE job_id = $3 AND delivered_at = 0) ORDER BY id`+s.d.forUpdate(),
			userID, string(order.StatusPaid), jobID)
		if err != nil {
			return err
		}
		var os []Order
		for rows.Next() {
			o, err := scanOrder(rows)
			if err != nil {
				rows.Close()
				return err
			}
			os = append(os, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range os {
			res, err := tx.ExecContext(ctx, `UPDATE order_jobs SET delivered_at = $1
				WHERE order_id = $2 AND job_id = $3 AND delivered_at = 0`, millis(at), o.ID, jobID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				continue // noted meanwhile by another delivery, which fulfils if due
			}
			if o.HasMailing() {
				continue
			}
			var left int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM order_jobs WHERE order_id = $1 AND delivered_at = 0",
				o.ID).Scan(&left); err != nil {
				return err
			}
			if left > 0 {
				continue
			}
			if err := o.Apply(order.EventFulfil, at); err != nil {
				return err
			}
			res, err = tx.ExecContext(ctx, `UPDATE orders SET status = $1, fulfilled_at = $2, updated_at = $3
				WHERE id = $4 AND status = $5`, string(o.Status), optMillis(o.FulfilledAt), millis(s.now()), o.ID, string(order.StatusPaid))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err == nil && n == 1 {
				fulfilled = append(fulfilled, o.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: record delivery of job %s: %w", jobID, err)
	}
	return fulfilled, nil
}
