package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/idphoto/idphoto/internal/order"
)

// Store is what Apply needs from the order store.
type Store interface {
	// Update loads the order with this id, calls fn on it and saves it if fn returns nil,
	// or returns fn's error and saves nothing. Updates of one order must not interleave:
	// a transaction holding the row (SQL), a mutex (memory). An unknown id returns an
	// error wrapping ErrOrderNotFound.
	Update(ctx context.Context, orderID string, fn func(o *order.Order) error) error
}

// ErrOrderNotFound is what a Store returns for an unknown order.
var ErrOrderNotFound = errors.New("payment: order not found")

// Errors from Apply for a verified trade that does not fit its order. The service should
// answer the channel with failure and alert an operator: money may have moved.
var (
	ErrAmountMismatch = errors.New("payment: paid amount differs from the order total")
	// ErrNotPayable: the order was cancelled, expired or paid through another trade, yet
	// the channel says this trade is paid. An operator must look (and likely refund).
	ErrNotPayable = errors.New("payment: order cannot take this payment")
)

// Outcome says what Apply did.
type Outcome int

// The outcomes.
const (
	// Applied: the order moved to paid now. Exactly one call per paid order sees this;
	// the caller writes the ledger entry then (keyed by channel and trade number, so a
	// crash between the two is repaired by reconciliation without double entries).
	Applied Outcome = iota + 1
	// Duplicate: the order was already paid by this very trade; nothing changed.
	Duplicate
	// NotPaid: the trade is not paid (pending, closed, failed); nothing changed.
	NotPaid
	// Flagged: the trade is paid but its order could not take it (ErrNotPayable:
	// cancelled, expired, or paid through another trade). Apply never returns it; the
	// service does, once it has confirmed the trade with the channel, entered it in the
	// ledger and flagged it for an operator to refund, so the money is not lost.
	Flagged
)

func (o Outcome) String() string {
	switch o {
	case Applied:
		return "applied"
	case Duplicate:
		return "duplicate"
	case NotPaid:
		return "not paid"
	case Flagged:
		return "flagged for refund"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Apply records a verified trade on its order, once: the first paid notification (or
// query result) moves the order to paid, repeats of it change nothing, and a trade that
// does not match the order (amount, channel, an order no longer open) changes nothing and
// returns an error. It is safe to call concurrently for the same trade when the Store
// serialises updates of one order.
func Apply(ctx context.Context, s Store, t Trade) (Outcome, error) {
	if t.OutTradeNo == "" || t.TradeNo == "" || t.Channel == "" {
		return 0, errors.New("payment: apply: trade without ids or channel")
	}
	if t.State != StatePaid {
		return NotPaid, nil
	}
	var out Outcome
	err := s.Update(ctx, t.OutTradeNo, func(o *order.Order) error {
		if o.Status.Paid() {
			if o.Channel == string(t.Channel) && o.TradeNo == t.TradeNo {
				out = Duplicate
				return errDuplicate // save nothing
			}
			return fmt.Errorf("%w: order %s is already paid by another trade", ErrNotPayable, o.ID)
		}
		if !o.Status.Open() {
			return fmt.Errorf("%w: order %s is %s", ErrNotPayable, o.ID, o.Status)
		}
		if t.AmountFen != o.TotalFen {
			return fmt.Errorf("%w: order %s: paid %d fen, total %d fen", ErrAmountMismatch, o.ID, t.AmountFen, o.TotalFen)
		}
		paidAt := t.PaidAt
		if paidAt.IsZero() {
			paidAt = time.Now()
		}
		// A notification can overtake the client's pay step; paid is reachable only
		// from paying, so take that step here.
		if o.Status == order.StatusCreated {
			if err := o.Apply(order.EventPay, paidAt); err != nil {
				return err
			}
		}
		if err := o.MarkPaid(string(t.Channel), t.TradeNo, paidAt); err != nil {
			return err
		}
		out = Applied
		return nil
	})
	if errors.Is(err, errDuplicate) {
		return Duplicate, nil
	}
	if err != nil {
		return 0, fmt.Errorf("payment: apply trade %s: %w", t.OutTradeNo, err)
	}
	return out, nil
}

var errDuplicate = errors.New("payment: duplicate")
