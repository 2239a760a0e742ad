package privacy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/store"
)

// Legal holds (R7): an operator keeps a user's, an order's or a photo's data from the
// retention sweep for a legal need (a court order, a tax inspection), with a reason and
// optionally an end. Placing and releasing a hold are audited: who, which scope, which
// target, never the reason (the operator's words).

// ErrBadHold is a hold refused for its scope, target id, reason or end; the wrapped
// message says which.
var ErrBadHold = errors.New("privacy: bad legal hold")

// ActorCLI is the actor of holds placed or released on the command line, where no
// staff session exists.
const ActorCLI = "cli"

// MaxHoldReason bounds a hold's reason, in characters.
const MaxHoldReason = 200

// HoldRequest asks for a hold.
type HoldRequest struct {
	Scope    string    // store.HoldUser, HoldOrder or HoldPhoto
	TargetID string    // the user, order or photo id
	Reason   string    // why, with no personal data: "court order 2026-17"
	Until    time.Time // zero: until released
}

func badHold(msg string) error { return fmt.Errorf("%w: %s", ErrBadHold, msg) }

// validTarget checks an id's form for its scope before any query: user and photo ids
// are store.NewID's, order ids 32 lower-case hex.
func validTarget(scope, id string) bool {
	if scope == store.HoldOrder {
		return len(id) == 32 && strings.Trim(id, "0123456789abcdef") == ""
	}
	return store.ValidID(id)
}

// CheckHold validates a hold request as of now and returns it normalised.
func CheckHold(r HoldRequest, now time.Time) (HoldRequest, error) {
	r.Reason = strings.TrimSpace(r.Reason)
	switch r.Scope {
	case store.HoldUser, store.HoldOrder, store.HoldPhoto:
	default:
		return r, badHold("scope: user, order or photo")
	}
	if !validTarget(r.Scope, r.TargetID) {
		return r, badHold("id: not the id of a " + r.Scope)
	}
	if r.Reason == "" || utf8.RuneCountInString(r.Reason) > MaxHoldReason || !utf8.ValidString(r.Reason) ||
		strings.ContainsFunc(r.Reason, unicode.IsControl) {
		return r, badHold(fmt.Sprintf("reason: 1 to %d characters, one line", MaxHoldReason))
	}
	if !r.Until.IsZero() && !r.Until.After(now) {
		return r, badHold("until: a date in the future")
	}
	return r, nil
}

// PlaceHold places a hold for staff (a staff user id, or ActorCLI) and audits it. A
// target that does not exist is store.ErrNotFound.
func (s *Service) PlaceHold(ctx context.Context, staff string, r HoldRequest) (store.LegalHold, error) {
	now := s.now()
	r, err := CheckHold(r, now)
	if err != nil {
		return store.LegalHold{}, err
	}
	owner, err := s.store.HoldTargetOwner(ctx, r.Scope, r.TargetID)
	if err != nil {
		return store.LegalHold{}, err
	}
	h := store.LegalHold{ID: store.NewID(), Scope: r.Scope, TargetID: r.TargetID, Reason: r.Reason, PlacedBy: staff,
		CreatedAt: now, Until: r.Until}
	if err := s.store.CreateLegalHold(ctx, h); err != nil {
		return h, err
	}
	return h, s.audit.Record(ctx, audit.Entry{Actor: staff, Action: audit.ActionLegalHold, Subject: audit.Subject(owner),
		Detail: holdDetail("placed", h)})
}

// ReleaseHold ends a hold for staff and audits it; a hold unknown or already released
// is store.ErrNotFound.
func (s *Service) ReleaseHold(ctx context.Context, staff, id string) (store.LegalHold, error) {
	if !store.ValidID(id) {
		return store.LegalHold{}, store.ErrNotFound
	}
	h, err := s.store.GetLegalHold(ctx, id)
	if err != nil {
		return h, err
	}
	now := s.now()
	if err := s.store.ReleaseLegalHold(ctx, id, now); err != nil {
		return h, err
	}
	h.ReleasedAt = now
	// The owner of an order or a photo may be gone by now: the entry then names no one.
	owner, err := s.store.HoldTargetOwner(ctx, h.Scope, h.TargetID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return h, err
	}
	if h.Scope == store.HoldUser {
		owner = h.TargetID
	}
	return h, s.audit.Record(ctx, audit.Entry{Actor: staff, Action: audit.ActionLegalHold, Subject: audit.Subject(owner),
		Detail: holdDetail("released", h)})
}

// Holds lists the holds in force now.
func (s *Service) Holds(ctx context.Context) ([]store.LegalHold, error) {
	return s.store.LegalHolds(ctx, s.now())
}

// holdDetail is an audit entry's detail: the hold, its scope and target (a user is
// named by the entry's pseudonym only), its end; never the reason.
func holdDetail(verb string, h store.LegalHold) string {
	d := verb + " hold=" + h.ID + " scope=" + h.Scope
	if h.Scope != store.HoldUser {
		d += " target=" + h.TargetID
	}
	if !h.Until.IsZero() {
		d += " until=" + h.Until.UTC().Format(time.DateOnly)
	}
	return d
}

// ParseHoldUntil reads a hold's last day, YYYY-MM-DD: the hold keeps the data through
// that day, China time, and ends at the start of the next.
func ParseHoldUntil(s string) (time.Time, error) {
	d, err := ParseClosingDate(s)
	if err != nil {
		return d, badHold("until: a date, YYYY-MM-DD")
	}
	return d.AddDate(0, 0, 1), nil
}
