// Package audit is the append-only, hash-chained audit log (promises S2, S3): staff
// reads of personal data, exports, deletions, consent changes and refunds. Each
// entry's hash covers its fields and the previous entry's hash, so changing or
// removing an entry breaks the chain from there on, and Verify says where.
//
// Entries name the user they concern by a pseudonym (Subject), never by the user id:
// the log outlives an account's erasure and must then hold nothing that is the user's.
// Whoever knows a user id can still find that user's entries by computing Subject.
// Details hold counts and kinds, never personal data.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"time"

	"github.com/idphoto/idphoto/internal/store"
)

// Actions recorded.
const (
	ActionRead          = "read"           // a staff member read a user's personal data
	ActionExport        = "export"         // an export archive was made
	ActionExportFetch   = "export.fetch"   // an export archive was downloaded
	ActionDeletePhoto   = "delete.photo"   // one photo and what was made of it
	ActionDeletePhotos  = "delete.photos"  // the whole library
	ActionCancelAccount = "account.cancel" // the account and its data key
	ActionConsent       = "consent"        // a consent granted or withdrawn
	ActionRefund        = "refund"         // an operator's refund override
	ActionRetention     = "retention"      // a retention sweep (counts)
	ActionLegalHold     = "legal_hold"     // a hold placed or released
	ActionCorrection    = "correction"     // the user corrected their profile or an order's shipping details
	ActionStaffAdd      = "staff.add"      // a staff member was made (detail: their id and role)
	ActionStaffRevoke   = "staff.revoke"   // a staff member's tokens were ended (detail: their id)
	ActionShip          = "order.ship"     // an operator marked a print order shipped
	ActionLedgerExport  = "ledger.export"  // an auditor exported the ledger (detail: range and count)
)

// ActorUser is the actor of what a user does to their own data; ActorSystem of what
// the service does by rule (retention). Staff are named by their user id.
const (
	ActorUser   = "user"
	ActorSystem = "system"
	// ActorCLI is whoever ran a command on the service's own machine (staff add and
	// revoke, fulfilment and ledger commands): the shell account, not a staff token.
	ActorCLI = "cli"
)

// Subject is the pseudonym of a user in the audit log and the request log.
func Subject(userID string) string {
	if userID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("idphoto/subject/" + userID))
	return "s_" + enc.EncodeToString(sum[:16])
}

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Entry is what a caller records.
type Entry struct {
	Actor   string
	Action  string
	Subject string // from Subject(userID), or "" for entries about no user
	Detail  string // no personal data
}

// Log appends to and checks the audit log in the store.
type Log struct {
	store *store.Store
	now   func() time.Time
}

// New returns the log kept in st.
func New(st *store.Store) *Log { return &Log{store: st, now: time.Now} }

// WithClock returns a copy of the log that timestamps entries with now (tests).
func (l *Log) WithClock(now func() time.Time) *Log { return &Log{store: l.store, now: now} }

// Record appends an entry.
func (l *Log) Record(ctx context.Context, e Entry) error {
	if e.Actor == "" || e.Action == "" {
		return errors.New("audit: an entry needs an actor and an action")
	}
	_, err := l.store.AppendAudit(ctx, store.AuditEntry{
		At: l.now().UTC().Truncate(time.Millisecond), Actor: e.Actor, Action: e.Action, Subject: e.Subject, Detail: e.Detail,
	}, Hash)
	return err
}

// Hash is the hash of an entry: SHA-256 over the previous hash and every field,
// each length-prefixed so that no two different entries encode alike.
func Hash(e store.AuditEntry) []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var num [8]byte
	binary.BigEndian.PutUint64(num[:], uint64(e.Seq))
	field(num[:])
	binary.BigEndian.PutUint64(num[:], uint64(e.At.UnixMilli()))
	field(num[:])
	field([]byte(e.Actor))
	field([]byte(e.Action))
	field([]byte(e.Subject))
	field([]byte(e.Detail))
	field(e.PrevHash)
	return h.Sum(nil)
}

// ErrTampered means the chain is broken: an entry was changed, removed or inserted.
var ErrTampered = errors.New("audit: the log has been tampered with")

// ReadsBy answers "whose data did this staff member read in [from, to)": the
// pseudonyms of the users, once each. With a user id, Subject finds the user's.
func (l *Log) ReadsBy(ctx context.Context, actor string, from, to time.Time) ([]string, error) {
	return l.store.AuditSubjects(ctx, actor, []string{ActionRead, ActionExport}, from, to)
}
