// Package privacy is the privacy engine (issue 6): deletion at any time (R3),
// account cancellation with crypto-shredding (R4), export (R5), the request log with
// due dates in working days (R6), retention with legal holds (R1, R7) and the data
// map (R9). Every request is logged and audited; what is logged names no one.
//
// Deletion removes the blobs first and the rows after, so a failure half-way leaves
// rows that point at what is left, and running it again finishes the work.
package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
	"github.com/idphoto/idphoto/internal/workday"
)

// Config holds the policy numbers.
type Config struct {
	// UnpaidTTL is how long an unpaid job's results and source photo are kept.
	UnpaidTTL time.Duration
	// PaidTTL is how long a paid e-photo (and its source photo) is kept after payment.
	PaidTTL time.Duration
	// PrintTTL is how long a print order, its mailing details and the photos of its
	// jobs are kept after payment (R2).
	PrintTTL time.Duration
	// SupportTTL is how long a support ticket is kept (S4).
	SupportTTL time.Duration
	// ExportTTL is how long an export's download link works.
	ExportTTL time.Duration
	// SweepEvery is how often serve runs the retention sweep.
	SweepEvery time.Duration
	// DueDays is the working days a request may take (R6).
	DueDays int
}

// DefaultConfig: the published policy (24 hours unpaid, 7 days after payment for
// e-photos, 30 for print orders, 15 working days per request), support tickets kept
// 180 days, and a one-hour export link.
func DefaultConfig() Config {
	return Config{UnpaidTTL: 24 * time.Hour, PaidTTL: 7 * 24 * time.Hour, PrintTTL: 30 * 24 * time.Hour,
		SupportTTL: 180 * 24 * time.Hour, ExportTTL: time.Hour, SweepEvery: time.Hour, DueDays: 15}
}

// Validate reports a config that can't work.
func (c Config) Validate() error {
	switch {
	case c.UnpaidTTL <= 0 || c.PaidTTL <= 0 || c.PrintTTL <= 0 || c.SupportTTL <= 0 || c.ExportTTL <= 0:
		return errors.New("privacy: retention periods must be positive")
	case c.PaidTTL > 7*24*time.Hour:
		return errors.New("privacy: paid e-photos are kept at most 7 days (R1)")
	case c.PrintTTL > 30*24*time.Hour:
		return errors.New("privacy: print orders are kept at most 30 days (R2)")
	case c.SweepEvery <= 0:
		return errors.New("privacy: sweep interval must be positive")
	case c.DueDays < 1:
		return errors.New("privacy: at least 1 working day per request")
	}
	return nil
}

// Service carries out the privacy requests and the retention rules.
type Service struct {
	cfg    Config
	store  *store.Store
	blobs  blob.Store   // raw: deleting needs no key
	sealed *blob.Sealed // nil without a vault: sweeping needs none
	vault  *vault.Vault
	audit  *audit.Log
	cal    *workday.Calendar
	log    *slog.Logger
	now    func() time.Time
}

// New builds the service. v may be nil for a service that only sweeps.
func New(cfg Config, st *store.Store, blobs blob.Store, v *vault.Vault, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st == nil || blobs == nil {
		return nil, errors.New("privacy: missing store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, store: st, blobs: blobs, vault: v, audit: audit.New(st), cal: workday.Default(), log: log, now: time.Now}
	if v != nil {
		s.sealed = blob.NewSealed(blobs, v)
	}
	return s, nil
}

// WithClock returns a copy of the service that reads the time from now (tests, and
// a purge "as of" a date).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	c.audit = s.audit.WithClock(now)
	return &c
}

// Audit is the service's audit log.
func (s *Service) Audit() *audit.Log { return s.audit }

// JobBlobs are the keys of what a job makes (the API writes them: httpapi.jobBlob).
func JobBlobs(jobID string) []string {
	return []string{"jobs/" + jobID + "/file", "jobs/" + jobID + "/preview", "jobs/" + jobID + "/report"}
}

// request logs a request as received, runs do, and records it as done and audited.
// A request whose work fails stays open in the log, for the operator's view.
func (s *Service) request(ctx context.Context, user, kind, scope, action string, do func() (string, error)) error {
	received := s.now()
	r := store.PrivacyRequest{ID: store.NewID(), Subject: audit.Subject(user), Kind: kind, Scope: scope,
		ReceivedAt: received, DueAt: s.cal.DueDate(received, s.cfg.DueDays).End}
	if err := s.store.CreatePrivacyRequest(ctx, r); err != nil {
		return err
	}
	detail, err := do()
	if err != nil {
		return err
	}
	if err := s.store.FinishPrivacyRequest(ctx, r.ID, s.now()); err != nil {
		return err
	}
	return s.audit.Record(ctx, audit.Entry{Actor: audit.ActorUser, Action: action, Subject: r.Subject, Detail: detail})
}

// deleteBlobs removes blobs; a blob already gone is not an error.
func (s *Service) deleteBlobs(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := s.blobs.Delete(ctx, k); err != nil {
			return fmt.Errorf("privacy: delete blob: %w", err)
		}
	}
	return nil
}

// photoBlobs are the keys of a photo and of everything its jobs made.
func (s *Service) photoBlobs(ctx context.Context, p store.Photo) ([]string, error) {
	jobs, err := s.store.UserJobs(ctx, p.UserID, p.ID)
	if err != nil {
		return nil, err
	}
	keys := []string{p.BlobKey}
	for _, j := range jobs {
		keys = append(keys, JobBlobs(j.ID)...)
	}
	return keys, nil
}

func (s *Service) erasePhoto(ctx context.Context, p store.Photo) error {
	keys, err := s.photoBlobs(ctx, p)
	if err != nil {
		return err
	}
	if err := s.deleteBlobs(ctx, keys...); err != nil {
		return err
	}
	if err := s.store.DeletePhoto(ctx, p.UserID, p.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// DeletePhoto deletes one of the user's photos, its jobs and what they made (R3).
// Another user's photo is store.ErrNotFound.
func (s *Service) DeletePhoto(ctx context.Context, user, photoID string) error {
	p, err := s.store.GetPhoto(ctx, user, photoID)
	if err != nil {
		return err
	}
	return s.request(ctx, user, store.RequestDeletion, "photo", audit.ActionDeletePhoto, func() (string, error) {
		return "photos=1", s.erasePhoto(ctx, p)
	})
}

// DeleteAllPhotos deletes the user's whole library (R3) and returns how many photos
// it deleted.
func (s *Service) DeleteAllPhotos(ctx context.Context, user string) (int, error) {
	n := 0
	err := s.request(ctx, user, store.RequestDeletion, "photos", audit.ActionDeletePhotos, func() (string, error) {
		photos, err := s.store.UserPhotos(ctx, user)
		if err != nil {
			return "", err
		}
		for _, p := range photos {
			if err := s.erasePhoto(ctx, p); err != nil {
				return "", err
			}
			n++
		}
		return fmt.Sprintf("photos=%d", n), nil
	})
	return n, err
}

// CancelAccount erases the account (R4): every blob and row of the user, their
// sessions with them, and then their data key, so that copies in backups are
// unreadable. What stays names the user only by pseudonym: the request log, the
// audit log, and the accounting ledger (O3).
func (s *Service) CancelAccount(ctx context.Context, user string) error {
	if _, err := s.store.GetUser(ctx, user); err != nil {
		return err
	}
	return s.request(ctx, user, store.RequestCancellation, "account", audit.ActionCancelAccount, func() (string, error) {
		photos, exports, err := s.eraseAccount(ctx, user)
		return fmt.Sprintf("photos=%d exports=%d", photos, exports), err
	})
}

// eraseAccount deletes every blob of the user, then the user's row (and by cascade
// every row of theirs: sessions, photos, jobs, orders, exports, the data key), then
// shreds the key held in the vault's cache. It returns how many photos and exports
// it deleted.
func (s *Service) eraseAccount(ctx context.Context, user string) (int, int, error) {
	photos, err := s.store.UserPhotos(ctx, user)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range photos {
		if err := s.erasePhoto(ctx, p); err != nil {
			return 0, 0, err
		}
	}
	exports, err := s.store.UserExports(ctx, user)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range exports {
		if err := s.deleteBlobs(ctx, e.BlobKey); err != nil {
			return 0, 0, err
		}
	}
	if err := s.store.DeleteUser(ctx, user); err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, 0, err
	}
	if s.vault != nil {
		if err := s.vault.Shred(ctx, user); err != nil {
			return 0, 0, err
		}
	}
	return len(photos), len(exports), nil
}
