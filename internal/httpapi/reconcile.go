package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/payment"
	"github.com/idphoto/idphoto/internal/store"
)

// Reconciliation (O2): a notification can be lost or late, and an unpaid order must
// not stay open for ever. A loop asks the channels about orders left in paying and
// applies a paid trade exactly as its notification would (payment.Apply and the
// ledger entry in one transaction, so a late notification afterwards is a duplicate);
// the same loop expires open orders whose unpaid time ran out. Before it expires an
// order that reached a channel, it asks the channel once more (a late payment wins)
// and closes the trade there, so that nobody can pay an expired order.

// ReconcileConfig is the reconciliation loop's timing.
type ReconcileConfig struct {
	// Every is how often the loop runs.
	Every time.Duration
	// After is how long an order stays in paying before the channels are asked.
	After time.Duration
	// Batch bounds the orders looked at in one run.
	Batch int
}

// DefaultReconcileConfig: every minute, orders left paying 5 minutes, 200 at a time.
func DefaultReconcileConfig() ReconcileConfig {
	return ReconcileConfig{Every: time.Minute, After: 5 * time.Minute, Batch: 200}
}

// Validate reports a config that can't work.
func (c ReconcileConfig) Validate() error {
	if c.Every <= 0 || c.After < 0 || c.Batch < 1 {
		return errors.New("httpapi: reconcile: every must be positive, after not negative, batch at least 1")
	}
	return nil
}

// Reconciled counts what one run did.
type Reconciled struct {
	Checked int // orders looked at
	Paid    int // paid trades applied (their notification had not come)
	Closed  int // unpaid trades closed at their channel before their order expired
	Expired int // orders expired unpaid
	Failed  int // orders left for the next run: a channel failed, or a trade did not fit
}

// Reconcile runs once at the time now (the clock is the caller's, for tests): it asks
// every enabled channel about each order in paying untouched since now-After, applies
// a paid trade, and expires the open orders past their unpaid time that no channel
// reports paid, after closing their trades at the channels.
func (a *API) Reconcile(ctx context.Context, now time.Time, cfg ReconcileConfig) (Reconciled, error) {
	var res Reconciled
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	os, err := a.store.OrdersToReconcile(ctx, now.Add(-cfg.After), now, cfg.Batch)
	if err != nil {
		return res, err
	}
	for _, o := range os {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Checked++
		if now.Before(o.ExpiresAt) {
			if o.Status != order.StatusPaying {
				continue
			}
			// Paying a while, not due: only ask whether it was paid.
			if _, paid, err := a.queryChannels(ctx, o.Order); err != nil {
				res.Failed++
			} else if paid == payment.Applied {
				res.Paid++
			}
			continue
		}
		out, err := a.settleUnpaid(ctx, o, now, order.EventExpire)
		res.Closed += out.closed
		switch {
		case err != nil:
			res.Failed++
		case out.paid:
			res.Paid++
		case out.ended:
			res.Expired++
		}
	}
	return res, nil
}

var errNoChange = errors.New("httpapi: no change")

// settled is what settleUnpaid did to one order.
type settled struct {
	paid   bool // a late payment was found and applied (not just seen applied)
	closed int  // trades closed at their channels
	ended  bool // the order moved to expired or cancelled
}

// settleUnpaid ends an open order by ev: EventExpire when its unpaid time ran out,
// EventCancel when its user gave up. An order that reached a channel (paying) is asked
// about first: a paid trade is applied and wins. Its trades still open are then closed
// at their channels, and only then does the order move. A channel that can't answer or
// close leaves the order as it is (an error): it may yet be paid; try again later.
func (a *API) settleUnpaid(ctx context.Context, o store.Order, now time.Time, ev order.Event) (settled, error) {
	var out settled
	if o.Status == order.StatusPaying {
		trades, paid, err := a.queryChannels(ctx, o.Order)
		if err != nil {
			return out, err
		}
		if paid != 0 {
			out.paid = paid == payment.Applied
			return out, nil // paid: nothing to close or expire
		}
		for _, t := range trades {
			if t.State != payment.StatePending {
				continue // closed, failed or refunded: nothing left to pay
			}
			if err := a.pay[t.Channel].Close(ctx, o.ID); err != nil {
				a.log.WarnContext(ctx, "reconcile: channel close failed", slog.String("channel", string(t.Channel)),
					slog.String("order", o.ID), slog.String("error", err.Error()))
				return out, err
			}
			out.closed++
			a.log.InfoContext(ctx, "trade closed at the channel", slog.String("channel", string(t.Channel)), slog.String("order", o.ID))
		}
	}
	err := a.store.UpdateOrder(ctx, o.ID, func(so *store.Order) error {
		if so.Status != o.Status {
			return errNoChange // moved meanwhile (paid by a notification, or expired)
		}
		if ev != order.EventExpire {
			return so.Apply(ev, now)
		}
		if !so.ExpireIfDue(now) {
			return errNoChange
		}
		return nil
	})
	switch {
	case errors.Is(err, errNoChange):
		return out, nil
	case err != nil:
		a.log.ErrorContext(ctx, "unpaid order not ended", slog.String("order", o.ID), slog.String("event", string(ev)),
			slog.String("error", err.Error()))
		return out, err
	}
	out.ended = true
	return out, nil
}

// queryChannels asks each enabled real channel about the order's trade and applies the
// first paid one: paid is Applied when this call paid the order, Duplicate when a
// notification did meanwhile, 0 when no channel has it paid. trades are the channels'
// answers, for the trades they know. A channel's failure, or a paid trade that does not
// fit the order, is an error: the order stays as it is.
func (a *API) queryChannels(ctx context.Context, o order.Order) (trades []payment.Trade, paid payment.Outcome, err error) {
	var errs []error
	// Not the sandbox: it "pays" at prepay, before the user confirms, and its
	// notification comes from the client, so none is ever lost in transit.
	for _, ch := range []payment.Channel{payment.WeChatPay, payment.Alipay} {
		prov := a.pay[ch]
		if prov == nil {
			continue
		}
		t, err := prov.Query(ctx, o.ID)
		if errors.Is(err, payment.ErrTradeNotFound) {
			continue
		}
		if err != nil {
			a.log.WarnContext(ctx, "reconcile: channel query failed", slog.String("channel", string(ch)),
				slog.String("order", o.ID), slog.String("error", err.Error()))
			errs = append(errs, err)
			continue
		}
		if t.OutTradeNo != o.ID {
			continue
		}
		trades = append(trades, t)
		if t.State != payment.StatePaid {
			continue
		}
		out, err := a.applyTrade(ctx, t)
		if err != nil {
			a.log.ErrorContext(ctx, "payment not applied: an operator must look", "trade", t, "error", err.Error())
			return trades, 0, err
		}
		a.log.InfoContext(ctx, "payment reconciled", "trade", t, "outcome", out.String())
		return trades, out, nil
	}
	return trades, 0, errors.Join(errs...)
}

// RunReconciler runs Reconcile at once (what a crash left behind) and then every
// cfg.Every until ctx ends.
func (a *API) RunReconciler(ctx context.Context, cfg ReconcileConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	tick := time.NewTicker(cfg.Every)
	defer tick.Stop()
	for {
		res, err := a.Reconcile(ctx, a.now(), cfg)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			a.log.ErrorContext(ctx, "reconcile failed", slog.String("error", err.Error()))
		case res.Paid+res.Closed+res.Expired+res.Failed > 0:
			a.log.InfoContext(ctx, "reconciled", slog.Int("checked", res.Checked), slog.Int("paid", res.Paid),
				slog.Int("closed", res.Closed), slog.Int("expired", res.Expired), slog.Int("failed", res.Failed))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
