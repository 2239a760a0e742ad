// Package order holds orders for ID photos and prints: their items and prices in integer
// fen, the state machine an order moves through, and the no-refund rule (promises O1, O5).
//
// The package is pure: no storage, no clock of its own, no channel code. The service keeps
// orders in its database and the payment package moves them to paid.
package order

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Status is where an order is in its life.
type Status string

// The statuses. Paying means the client was handed a channel's payment parameters;
// fulfilled is an e-photo order whose file is ready, shipped a print order in the post.
const (
	StatusCreated   Status = "created"
	StatusPaying    Status = "paying"
	StatusPaid      Status = "paid"
	StatusFulfilled Status = "fulfilled"
	StatusShipped   Status = "shipped"
	StatusClosed    Status = "closed"
	StatusCancelled Status = "cancelled"
	StatusExpired   Status = "expired"
	// StatusRefunded is reached only through an operator's override of the refund rule.
	StatusRefunded Status = "refunded"
)

// Statuses lists every status, for exhaustive tests and database checks.
func Statuses() []Status {
	return []Status{StatusCreated, StatusPaying, StatusPaid, StatusFulfilled, StatusShipped,
		StatusClosed, StatusCancelled, StatusExpired, StatusRefunded}
}

// Event is something that happens to an order.
type Event string

// The events.
const (
	EventPay    Event = "pay"    // the client asked for payment parameters (again)
	EventPaid   Event = "paid"   // a verified channel notification or query says paid
	EventFulfil Event = "fulfil" // the e-photo is ready to download
	EventShip   Event = "ship"   // the prints are in the post
	// EventClose: nothing left to do. The retention sweep closes a fulfilled e-photo
	// order when its files' period ends and a shipped print order when its period
	// does, both counted from payment (R1, R2); a paid order never delivered stays paid.
	EventClose  Event = "close"
	EventCancel Event = "cancel" // the user gave up before paying
	EventExpire Event = "expire" // unpaid past its time
	EventRefund Event = "refund" // operator override of the refund rule (O5)
)

// Events lists every event, for exhaustive tests.
func Events() []Event {
	return []Event{EventPay, EventPaid, EventFulfil, EventShip, EventClose, EventCancel,
		EventExpire, EventRefund}
}

// transitions is the whole state machine: from → event → to. Anything missing is illegal.
var transitions = map[Status]map[Event]Status{
	StatusCreated: {
		EventPay:    StatusPaying,
		EventCancel: StatusCancelled,
		EventExpire: StatusExpired,
	},
	StatusPaying: {
		EventPay:    StatusPaying, // the user closed the payment sheet and tries again
		EventPaid:   StatusPaid,
		EventCancel: StatusCancelled,
		EventExpire: StatusExpired,
	},
	StatusPaid: {
		EventFulfil: StatusFulfilled,
		EventShip:   StatusShipped,
		EventRefund: StatusRefunded,
	},
	StatusFulfilled: {
		EventClose:  StatusClosed,
		EventRefund: StatusRefunded,
	},
	StatusShipped: {
		EventClose:  StatusClosed,
		EventRefund: StatusRefunded,
	},
	StatusClosed: {
		EventRefund: StatusRefunded,
	},
}

// ErrIllegalTransition is what every refused transition wraps.
var ErrIllegalTransition = errors.New("order: illegal transition")

// TransitionError says which transition was refused.
type TransitionError struct {
	From  Status
	Event Event
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("order: cannot %s an order that is %s", e.Event, e.From)
}

// Is makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }

// Transition returns the status an event leads to from a status, or a *TransitionError.
func Transition(from Status, ev Event) (Status, error) {
	if to, ok := transitions[from][ev]; ok {
		return to, nil
	}
	return from, &TransitionError{From: from, Event: ev}
}

// Paid reports whether money was taken for an order in this status.
func (s Status) Paid() bool {
	switch s {
	case StatusPaid, StatusFulfilled, StatusShipped, StatusClosed, StatusRefunded:
		return true
	}
	return false
}

// Open reports whether the order can still be paid.
func (s Status) Open() bool { return s == StatusCreated || s == StatusPaying }

// Order is one purchase by one user.
type Order struct {
	// ID is also the out trade number sent to the payment channels: 32 hex characters,
	// inside WeChat Pay's limit of 32 and Alipay's of 64.
	ID       string
	UserID   string
	Items    []Item
	TotalFen int64
	Status   Status

	// Channel and TradeNo are set when the order is paid: the channel's own trade number.
	Channel string
	TradeNo string

	CreatedAt   time.Time
	ExpiresAt   time.Time // an unpaid order expires then
	PaidAt      time.Time
	FulfilledAt time.Time
	ShippedAt   time.Time
	ClosedAt    time.Time
	CancelledAt time.Time
	RefundedAt  time.Time
}

// NewID returns a fresh random order id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// New prices the lines with cfg and returns a created order that expires unpaid after
// cfg.UnpaidTTL.
func New(cfg Config, id, userID string, lines []Line, now time.Time) (*Order, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if id == "" || userID == "" {
		return nil, errors.New("order: an id and a user are required")
	}
	items, total, err := cfg.Price(lines)
	if err != nil {
		return nil, err
	}
	return &Order{
		ID:        id,
		UserID:    userID,
		Items:     items,
		TotalFen:  total,
		Status:    StatusCreated,
		CreatedAt: now,
		ExpiresAt: now.Add(cfg.UnpaidTTL),
	}, nil
}

// Apply moves the order by an event at a time and stamps the matching time field. Beyond
// the state machine it checks what only the order knows: ship needs a mailing item,
// fulfil needs none, expire needs the expiry time to have passed. Payments go through
// MarkPaid and refunds through Refund, which holds the rule of promise O5. On error the
// order is unchanged.
func (o *Order) Apply(ev Event, now time.Time) error {
	switch ev {
	case EventRefund:
		return errors.New("order: refunds go through Refund, which applies the refund rule")
	case EventPaid:
		return errors.New("order: payments go through MarkPaid, which records the trade")
	case EventShip:
		if !o.HasMailing() {
			return fmt.Errorf("order: cannot ship order %s: it has no mailing item", o.ID)
		}
	case EventFulfil:
		if o.HasMailing() {
			return fmt.Errorf("order: order %s has a mailing item: ship it rather than fulfil it", o.ID)
		}
	case EventExpire:
		if now.Before(o.ExpiresAt) {
			return fmt.Errorf("order: order %s does not expire before %s", o.ID, o.ExpiresAt.Format(time.RFC3339))
		}
	}
	return o.move(ev, now)
}

func (o *Order) move(ev Event, now time.Time) error {
	to, err := Transition(o.Status, ev)
	if err != nil {
		return err
	}
	o.Status = to
	switch ev {
	case EventPaid:
		o.PaidAt = now
	case EventFulfil:
		o.FulfilledAt = now
	case EventShip:
		o.ShippedAt = now
	case EventClose:
		o.ClosedAt = now
	case EventCancel, EventExpire:
		o.CancelledAt = now
	case EventRefund:
		o.RefundedAt = now
	}
	return nil
}

// MarkPaid records a verified payment: the channel, its trade number and the time the
// channel says it was paid (paidAt; now when the channel gave none).
func (o *Order) MarkPaid(channel, tradeNo string, paidAt time.Time) error {
	if channel == "" || tradeNo == "" {
		return errors.New("order: a paid order needs a channel and a trade number")
	}
	if err := o.move(EventPaid, paidAt); err != nil {
		return err
	}
	o.Channel, o.TradeNo = channel, tradeNo
	return nil
}

// ExpireIfDue expires an unpaid order whose time is up and reports whether it did.
func (o *Order) ExpireIfDue(now time.Time) bool {
	if !o.Status.Open() || now.Before(o.ExpiresAt) {
		return false
	}
	return o.move(EventExpire, now) == nil
}

// HasMailing reports whether the order includes mailing prints to the user.
func (o *Order) HasMailing() bool {
	for _, it := range o.Items {
		if it.Kind == KindMailing {
			return true
		}
	}
	return false
}
