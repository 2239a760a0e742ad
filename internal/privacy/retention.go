package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
)

// Rule is one line of the declared retention table (R1, R7): data of a class, kept
// for Period from the event Clock names, then Action.
type Rule struct {
	Class  Class
	What   string
	Clock  string
	Period time.Duration // 0 with Action "keep": kept for a legal need
	Action string        // "delete" or "keep"
}

// Rules is the retention table the sweep carries out, with the config's numbers.
func (c Config) Rules() []Rule {
	return []Rule{
		{ClassShipping, "print order: the order, its name, address and phone, its jobs' files and rows; then their source photos (R2)", "payment", c.PrintTTL, "delete"},
		{ClassShipping, "unpaid print order: the order and its mailing details", "order expired", c.UnpaidTTL, "delete"},
		{ClassUsage, "shipped print order: closed, nothing left to do (O1), just before the rule above deletes it", "payment", c.PrintTTL, "close"},
		{ClassUsage, "fulfilled e-photo order: closed, nothing left to do (O1), when its files go", "payment", c.PaidTTL, "close"},
		{ClassContact, "support ticket: contact and text (S4)", "ticket received", c.SupportTTL, "delete"},
		{ClassUsage, "every account and everything of it, once the service's closing date has passed", "closing date", 0, "delete"},
		{ClassPseudonymous, "consent records (R8)", "record", 0, "keep"},
		{ClassUsage, "what a legal hold names (a user, an order or a photo): kept past every period above, until released or its end (R7)", "hold", 0, "keep"},
		{ClassPhoto, "unpaid job: finished file, preview, report, row", "job created", c.UnpaidTTL, "delete"},
		{ClassPhoto, "source photo with no kept job", "photo uploaded", c.UnpaidTTL, "delete"},
		{ClassPhoto, "paid e-photo: finished file, preview, report, row; then its source photo", "payment", c.PaidTTL, "delete"},
		{ClassPhoto, "export archive", "export made", c.ExportTTL, "delete"},
		{ClassDevice, "session and its device data", "session expiry", 0, "delete"},
		{ClassPseudonymous, "audit log", "entry", 0, "keep"},
		{ClassPseudonymous, "privacy request log", "request", 0, "keep"},
		{ClassPaymentID, "accounting ledger (O3)", "payment", 0, "keep"},
	}
}

// Report is what a sweep deleted (or, dry, would delete): counts only.
type Report struct {
	DryRun   bool `json:"dry_run"`
	Orders   int  `json:"orders"`
	Closed   int  `json:"closed_orders"` // fulfilled or shipped orders closed (O1), not deleted
	Tickets  int  `json:"support_tickets"`
	Users    int  `json:"users"` // erased because the service closed
	Jobs     int  `json:"jobs"`
	Photos   int  `json:"photos"`
	Blobs    int  `json:"blobs"`
	Exports  int  `json:"exports"`
	Sessions int  `json:"sessions"`
}

// Sweep carries out the retention table as of now: it deletes the blobs from disk,
// then the rows, then records what it did. Legal holds are skipped. A dry run only
// counts.
func (s *Service) Sweep(ctx context.Context, dryRun bool) (Report, error) {
	now := s.now()
	rep := Report{DryRun: dryRun}
	unpaid, paid, print := now.Add(-s.cfg.UnpaidTTL), now.Add(-s.cfg.PaidTTL), now.Add(-s.cfg.PrintTTL)
	if err := s.sweepClosed(ctx, now, &rep); err != nil {
		return rep, err
	}
	if err := s.closeOrders(ctx, now, paid, print, &rep); err != nil {
		return rep, err
	}
	if err := s.sweepPrintOrders(ctx, now, print, unpaid, &rep); err != nil {
		return rep, err
	}
	if err := s.sweepSupport(ctx, now, &rep); err != nil {
		return rep, err
	}
	jobs, err := s.store.ExpiredJobs(ctx, now, unpaid, paid, print)
	if err != nil {
		return rep, err
	}
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		keys := JobBlobs(j.ID)
		if !dryRun {
			if err := s.deleteBlobs(ctx, keys...); err != nil {
				return rep, err
			}
			if err := s.store.DeleteJobRow(ctx, j.ID); err != nil {
				return rep, err
			}
		}
		rep.Jobs++
		rep.Blobs += len(keys)
	}
	photos, err := s.store.ExpiredPhotos(ctx, now, unpaid, unpaid, paid, print)
	if err != nil {
		return rep, err
	}
	for _, p := range photos {
		if !dryRun {
			if err := s.deleteBlobs(ctx, p.BlobKey); err != nil {
				return rep, err
			}
			if err := s.store.DeletePhotoRow(ctx, p.ID); err != nil {
				return rep, err
			}
		}
		rep.Photos++
		rep.Blobs++
	}
	exports, err := s.store.SpentExports(ctx, now)
	if err != nil {
		return rep, err
	}
	for _, e := range exports {
		if !dryRun {
			if err := s.deleteBlobs(ctx, e.BlobKey); err != nil {
				return rep, err
			}
			if err := s.store.DeleteExport(ctx, e.ID); err != nil {
				return rep, err
			}
		}
		rep.Exports++
		rep.Blobs++
	}
	if !dryRun {
		n, err := s.store.DeleteExpiredSessions(ctx, now)
		if err != nil {
			return rep, err
		}
		rep.Sessions = int(n)
	}
	counts, _ := json.Marshal(rep)
	if err := s.store.RecordRetentionRun(ctx, now, dryRun, string(counts)); err != nil {
		return rep, err
	}
	if !dryRun && rep.changed() > 0 {
		if err := s.audit.Record(ctx, audit.Entry{Actor: audit.ActorSystem, Action: audit.ActionRetention, Detail: string(counts)}); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// Run sweeps now and then every cfg.SweepEvery until ctx ends (serve's loop).
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		rep, err := s.Sweep(ctx, false)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Error("retention sweep failed", slog.String("error", err.Error()))
		case rep.changed()+rep.Sessions > 0:
			s.log.Info("retention sweep", slog.Int("users", rep.Users), slog.Int("orders", rep.Orders), slog.Int("closed_orders", rep.Closed),
				slog.Int("support_tickets", rep.Tickets), slog.Int("jobs", rep.Jobs), slog.Int("photos", rep.Photos),
				slog.Int("blobs", rep.Blobs), slog.Int("exports", rep.Exports), slog.Int("sessions", rep.Sessions))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// String is the report for an operator.
func (r Report) String() string {
	verb := "deleted"
	if r.DryRun {
		verb = "would delete"
	}
	s := fmt.Sprintf("%s %d jobs, %d photos, %d exports (%d blobs), %d expired sessions, %d print orders, %d support tickets",
		verb, r.Jobs, r.Photos, r.Exports, r.Blobs, r.Sessions, r.Orders, r.Tickets)
	if r.Closed > 0 {
		closed := "closed"
		if r.DryRun {
			closed = "would close"
		}
		s += fmt.Sprintf("; %s %d orders", closed, r.Closed)
	}
	if r.Users > 0 {
		s += fmt.Sprintf("; the service has closed: %d accounts erased", r.Users)
	}
	return s
}

// deleted counts what the sweep deleted but expired sessions.
func (r Report) deleted() int {
	return r.Users + r.Orders + r.Tickets + r.Jobs + r.Photos + r.Exports
}

// changed counts what the sweep changed: what it deleted and the orders it closed.
func (r Report) changed() int { return r.deleted() + r.Closed }
