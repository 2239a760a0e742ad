package order

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrRefundRefused is the refund rule of promise O5. Its message is meant for the user.
var ErrRefundRefused = errors.New("refunds are not available after payment: the photo preview " +
	"was shown and confirmed before paying (付款前已确认照片预览，付款后不予退款)")

// ErrNothingToRefund is returned for an order that was never paid: cancel it instead.
var ErrNothingToRefund = errors.New("this order was not paid, so there is nothing to refund; cancel it instead")

// Override is an operator's decision to refund despite the rule. The caller records it in
// the audit log before calling the channel's refund API.
type Override struct {
	Operator string // who decided
	Reason   string // why, in words
}

// CheckRefund applies the refund rule: with no override every paid order is refused; an
// override needs an operator and a reason. It changes nothing.
func CheckRefund(o *Order, ov *Override) error {
	if !o.Status.Paid() {
		return ErrNothingToRefund
	}
	if o.Status == StatusRefunded {
		return fmt.Errorf("order: order %s is already refunded", o.ID)
	}
	if ov == nil {
		return ErrRefundRefused
	}
	if strings.TrimSpace(ov.Operator) == "" || strings.TrimSpace(ov.Reason) == "" {
		return errors.New("order: a refund override needs an operator and a reason")
	}
	return nil
}

// Refund marks the order refunded under an operator's override, after the channel
// confirmed the refund. Without a valid override it returns CheckRefund's error.
func (o *Order) Refund(ov *Override, now time.Time) error {
	if err := CheckRefund(o, ov); err != nil {
		return err
	}
	return o.move(EventRefund, now)
}
