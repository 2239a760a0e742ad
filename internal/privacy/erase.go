package privacy

import (
	"context"
	"errors"
	"fmt"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/store"
)

// Deleting an order's personal data, or everything but the account (R3). An order's
// record (items, amounts, times, status) stays, so the user's order history and the
// accounting ledger (O3) keep agreeing; its mailing details, tracking number, the
// files of its jobs and their source photos go.

// The audit actions of these requests.
const (
	ActionDeleteOrder      = "delete.order"      // one order's personal data
	ActionDeleteEverything = "delete.everything" // all the user's data but the account
)

// Why an order's personal data is kept.
var (
	// ErrOrderNotShipped: a paid print order not shipped yet needs its mailing details
	// and its photos to be printed and posted.
	ErrOrderNotShipped = errors.New("privacy: the print order is paid and not shipped yet")
	// ErrOrderOpen: an order not paid yet, which its user can cancel instead.
	ErrOrderOpen = errors.New("privacy: the order is not paid yet")
)

// The reasons of KeptOrder, the API's error codes of the same refusals.
const (
	ReasonNotShipped = "order_not_shipped"
	ReasonOpen       = "order_open"
)

func reasonOf(err error) string {
	if errors.Is(err, ErrOrderNotShipped) {
		return ReasonNotShipped
	}
	return ReasonOpen
}

// OrderErasable reports why an order's personal data can't be deleted now, or nil.
// The statuses it allows lead only to statuses it allows, so a check made before the
// work holds until the end.
func OrderErasable(o store.Order) error {
	switch {
	case o.Status.Open():
		return ErrOrderOpen
	case o.Status == order.StatusPaid && o.HasMailing():
		return ErrOrderNotShipped
	}
	return nil
}

// KeptOrder is an order whose personal data a request left, and why.
type KeptOrder struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"` // ReasonNotShipped or ReasonOpen
}

// Erased counts what a deletion removed, and names the orders it kept.
type Erased struct {
	Orders  int         `json:"orders"` // orders whose personal data is gone
	Jobs    int         `json:"jobs"`
	Photos  int         `json:"photos"`
	Exports int         `json:"exports"`
	Profile bool        `json:"profile"`
	Kept    []KeptOrder `json:"kept_orders"`
}

func (e Erased) detail() string {
	return fmt.Sprintf("orders=%d jobs=%d photos=%d exports=%d kept_orders=%d", e.Orders, e.Jobs, e.Photos, e.Exports, len(e.Kept))
}

// EraseOrder deletes the personal data of one of the user's orders (R3): the files
// and rows of its jobs (a job another order is for stays, for that order), the
// source photos no job is left of, the mailing details, the tracking number, and the
// payer's IP once the ledger has its copy. Another user's order is store.ErrNotFound;
// an open order is ErrOrderOpen, a paid print order not shipped yet ErrOrderNotShipped,
// both refused before anything is logged or deleted.
func (s *Service) EraseOrder(ctx context.Context, user, orderID string) (Erased, error) {
	var res Erased
	o, err := s.store.GetOrder(ctx, user, orderID)
	if err != nil {
		return res, err
	}
	if err := OrderErasable(o); err != nil {
		return res, err
	}
	err = s.request(ctx, user, store.RequestDeletion, "order", ActionDeleteOrder, func() (string, error) {
		err := s.eraseOrder(ctx, user, o.ID, &res)
		return res.detail(), err
	})
	return res, err
}

func (s *Service) eraseOrder(ctx context.Context, user, orderID string, res *Erased) error {
	jobs, err := s.store.OrderJobs(ctx, orderID)
	if err != nil {
		return err
	}
	var photos []string
	for _, j := range jobs {
		other, err := s.store.JobInOtherOrder(ctx, j.ID, orderID)
		if err != nil {
			return err
		}
		if other {
			// Kept for the other order; without this order's link, erasing that
			// one later takes it.
			if err := s.store.UnlinkOrderJob(ctx, orderID, j.ID); err != nil {
				return err
			}
			continue
		}
		if err := s.eraseJob(ctx, j.ID); err != nil {
			return err
		}
		res.Jobs++
		photos = append(photos, j.PhotoID)
	}
	if err := s.clearOrder(ctx, user, orderID); err != nil {
		return err
	}
	res.Orders++
	// A source photo goes once no job is left of it, as the sweep decides.
	for _, id := range photos {
		left, err := s.store.UserJobs(ctx, user, id)
		if err != nil {
			return err
		}
		if len(left) > 0 {
			continue
		}
		p, err := s.store.GetPhoto(ctx, user, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // two jobs of one photo, or gone meanwhile
		}
		if err != nil {
			return err
		}
		if err := s.erasePhoto(ctx, p); err != nil {
			return err
		}
		res.Photos++
	}
	return nil
}

// eraseJob deletes a job's files, then its row.
func (s *Service) eraseJob(ctx context.Context, jobID string) error {
	if err := s.deleteBlobs(ctx, JobBlobs(jobID)...); err != nil {
		return err
	}
	if err := s.store.DeleteJobRow(ctx, jobID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// clearOrder removes the order row's personal fields, checking again under the
// row's lock.
func (s *Service) clearOrder(ctx context.Context, user, orderID string) error {
	return s.store.ClearOrderPersonal(ctx, user, orderID, func(o store.Order) error { return OrderErasable(o) })
}

// DeleteEverything deletes all the user's data but the account (R3): every photo
// with its jobs' files, every order's personal data, the profile and the export
// archives. The account stays, with its sessions and logins, its consents (R8) and
// its request log (R6). Orders that OrderErasable refuses keep their personal data,
// and their jobs and source photos; they are named in the result with the reason.
func (s *Service) DeleteEverything(ctx context.Context, user string) (Erased, error) {
	var res Erased
	if _, err := s.store.GetUser(ctx, user); err != nil {
		return res, err
	}
	err := s.request(ctx, user, store.RequestDeletion, "everything", ActionDeleteEverything, func() (string, error) {
		err := s.eraseEverything(ctx, user, &res)
		return res.detail(), err
	})
	return res, err
}

func (s *Service) eraseEverything(ctx context.Context, user string, res *Erased) error {
	orders, err := s.store.UserOrders(ctx, user)
	if err != nil {
		return err
	}
	res.Kept = []KeptOrder{}
	kept := map[string]bool{} // jobs of kept orders
	var erasable []store.Order
	for _, o := range orders {
		why := OrderErasable(o)
		if why == nil {
			erasable = append(erasable, o)
			continue
		}
		res.Kept = append(res.Kept, KeptOrder{OrderID: o.ID, Reason: reasonOf(why)})
		jobs, err := s.store.OrderJobs(ctx, o.ID)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			kept[j.ID] = true
		}
	}
	photos, err := s.store.UserPhotos(ctx, user)
	if err != nil {
		return err
	}
	for _, p := range photos {
		jobs, err := s.store.UserJobs(ctx, user, p.ID)
		if err != nil {
			return err
		}
		needed := false
		for _, j := range jobs {
			needed = needed || kept[j.ID]
		}
		if !needed {
			if err := s.erasePhoto(ctx, p); err != nil {
				return err
			}
			res.Photos++
			res.Jobs += len(jobs)
			continue
		}
		for _, j := range jobs {
			if kept[j.ID] {
				continue
			}
			if err := s.eraseJob(ctx, j.ID); err != nil {
				return err
			}
			res.Jobs++
		}
	}
	for _, o := range erasable {
		jobs, err := s.store.OrderJobs(ctx, o.ID)
		if err != nil {
			return err
		}
		for _, j := range jobs { // only kept orders' jobs are left
			if err := s.store.UnlinkOrderJob(ctx, o.ID, j.ID); err != nil {
				return err
			}
		}
		if err := s.clearOrder(ctx, user, o.ID); err != nil {
			return err
		}
		res.Orders++
	}
	exports, err := s.store.UserExports(ctx, user)
	if err != nil {
		return err
	}
	for _, e := range exports {
		if err := s.deleteBlobs(ctx, e.BlobKey); err != nil {
			return err
		}
		if err := s.store.DeleteExport(ctx, e.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		res.Exports++
	}
	sealed, err := s.store.ProfileSealed(ctx, user)
	if err != nil {
		return err
	}
	if sealed != nil {
		if err := s.store.SetProfileSealed(ctx, user, nil); err != nil {
			return err
		}
		res.Profile = true
	}
	return nil
}
