package privacy

import (
	"context"
	"errors"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/store"
)

// The rules of the retention table added with print orders, support and closing:
// each is one step of Sweep.

// sweepPrintOrders deletes the print orders past their period (R2): the files and rows
// of their jobs, then the order row with its mailing details. The source photos go in
// the same sweep, by the photo rule, once no kept job needs them; the ledger entry of
// the payment stays (O3).
func (s *Service) sweepPrintOrders(ctx context.Context, now, paidBefore, unpaidBefore time.Time, rep *Report) error {
	orders, err := s.store.ExpiredPrintOrders(ctx, now, paidBefore, unpaidBefore)
	if err != nil {
		return err
	}
	for _, o := range orders {
		if err := ctx.Err(); err != nil {
			return err
		}
		jobs, err := s.store.OrderJobs(ctx, o.ID)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			keys := JobBlobs(j.ID)
			if !rep.DryRun {
				if err := s.deleteBlobs(ctx, keys...); err != nil {
					return err
				}
				if err := s.store.DeleteJobRow(ctx, j.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			rep.Jobs++
			rep.Blobs += len(keys)
		}
		if !rep.DryRun {
			if err := s.store.DeleteOrderRow(ctx, o.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		rep.Orders++
	}
	return nil
}

// closeOrders closes the orders with nothing left to do (O1): a fulfilled e-photo
// order once its files' period (R1) has ended, a shipped print order once its period
// (R2) has, both counted from payment. For an e-photo order that is when its files
// are deleted; a print order is closed just before its row is deleted in the same run,
// or stays closed when a legal hold keeps it. Closing goes through the order's state
// machine and deletes nothing.
func (s *Service) closeOrders(ctx context.Context, now, ephotoPaidBefore, printPaidBefore time.Time, rep *Report) error {
	const batch = 500
	for {
		os, err := s.store.OrdersToClose(ctx, ephotoPaidBefore, printPaidBefore, batch)
		if err != nil {
			return err
		}
		for _, o := range os {
			if err := ctx.Err(); err != nil {
				return err
			}
			rep.Closed++
			if rep.DryRun {
				continue
			}
			err := s.store.UpdateOrder(ctx, o.ID, func(so *store.Order) error {
				if so.Status != o.Status {
					return errOrderMoved
				}
				return so.Apply(order.EventClose, now)
			})
			if errors.Is(err, errOrderMoved) || errors.Is(err, store.ErrNotFound) {
				rep.Closed-- // refunded or deleted meanwhile
				continue
			}
			if err != nil {
				return err
			}
		}
		if rep.DryRun || len(os) < batch {
			return nil
		}
	}
}

var errOrderMoved = errors.New("privacy: the order moved meanwhile")

// sweepSupport deletes the support tickets past their period (S4).
func (s *Service) sweepSupport(ctx context.Context, now time.Time, rep *Report) error {
	n, err := s.store.DeleteSupportTickets(ctx, now.Add(-s.cfg.SupportTTL), rep.DryRun)
	rep.Tickets += n
	return err
}

// sweepClosed erases everything personal once the closing date has passed: every
// account not under a legal hold (blobs, rows, data key), every support ticket and the
// support key. What stays is pseudonymous: the audit, request and consent logs, and
// the accounting ledger (O3).
func (s *Service) sweepClosed(ctx context.Context, now time.Time, rep *Report) error {
	c, err := s.store.GetClosing(ctx)
	if errors.Is(err, store.ErrNotFound) || (err == nil && now.Before(c.Effective)) {
		return nil
	}
	if err != nil {
		return err
	}
	users, err := s.store.UserIDs(ctx, false, now)
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !rep.DryRun {
			photos, exports, err := s.eraseAccount(ctx, u)
			if err != nil {
				return err
			}
			rep.Photos += photos
			rep.Exports += exports
		}
		rep.Users++
	}
	n, err := s.store.DeleteSupportTickets(ctx, now.Add(time.Hour), rep.DryRun)
	if err != nil {
		return err
	}
	rep.Tickets += n
	if !rep.DryRun {
		return s.store.SupportKeys().DeleteKey(ctx, SupportKeyName)
	}
	return nil
}

// ClosingZone is the zone of closing dates: the service's users are in China.
var ClosingZone = time.FixedZone("CST", 8*3600)

// ParseClosingDate reads a closing date, YYYY-MM-DD: the service closes at the start
// of that day, China time.
func ParseClosingDate(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, ClosingZone)
}

// ClosingDate writes a closing time as the date ParseClosingDate reads.
func ClosingDate(t time.Time) string { return t.In(ClosingZone).Format(time.DateOnly) }

// AnnounceClosing marks the service as closing on effective: the API tells every
// client, and from that day the sweep erases every account. It is audited.
func (s *Service) AnnounceClosing(ctx context.Context, effective time.Time) error {
	if err := s.store.SetClosing(ctx, store.Closing{Effective: effective, Announced: s.now()}); err != nil {
		return err
	}
	return s.audit.Record(ctx, auditEntry(ActionClosing, "effective="+ClosingDate(effective)))
}

// CancelClosing withdraws the notice (store.ErrNotFound when there is none).
func (s *Service) CancelClosing(ctx context.Context) error {
	if err := s.store.CancelClosing(ctx); err != nil {
		return err
	}
	return s.audit.Record(ctx, auditEntry(ActionClosing, "cancelled"))
}

// Closing returns the closing notice; ok is false while the service is not closing.
func (s *Service) Closing(ctx context.Context) (c store.Closing, ok bool, err error) {
	c, err = s.store.GetClosing(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return c, false, nil
	}
	return c, err == nil, err
}

// ActionClosing is the audit action of a closing notice announced or cancelled.
const ActionClosing = "service.closing"

func auditEntry(action, detail string) audit.Entry {
	return audit.Entry{Actor: audit.ActorSystem, Action: action, Detail: detail}
}
