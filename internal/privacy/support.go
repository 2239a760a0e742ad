package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idphoto/idphoto/internal/store"
	"github.com/idphoto/idphoto/internal/vault"
)

// SupportKeyName is the name of the support desk's key in its vault.
const SupportKeyName = "support"

// Ticket is a support request as the user wrote it (S4): how to reach them and what
// they said. Nothing in it, or stored with it, leads to their account or photos.
type Ticket struct {
	ID        string    `json:"id"`
	Contact   string    `json:"contact"`
	Text      string    `json:"text"`
	CreatedOn time.Time `json:"created_on"`
}

// Limits of a ticket's fields, in characters.
const (
	MaxContact = 200
	MaxText    = 5000
)

// ErrBadTicket: a ticket's contact or text is empty, too long or not text.
var ErrBadTicket = errors.New("privacy: a ticket needs a contact (at most 200 characters) and a text (at most 5000)")

// SupportDesk keeps support tickets sealed with the support key (a vault made on
// store.SupportKeys, held by no user), so they are readable by the desk and joined
// to nothing.
type SupportDesk struct {
	store *store.Store
	vault *vault.Vault
	now   func() time.Time
}

// NewSupportDesk returns the desk; v must be the support vault.
func NewSupportDesk(st *store.Store, v *vault.Vault) *SupportDesk {
	return &SupportDesk{store: st, vault: v, now: time.Now}
}

func validText(s string, max int) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && strings.TrimSpace(s) != "" && n <= max && !strings.ContainsRune(s, 0)
}

// Submit stores a ticket and returns its id (for the user to quote).
func (d *SupportDesk) Submit(ctx context.Context, contact, text string) (string, error) {
	contact, text = strings.TrimSpace(contact), strings.TrimSpace(text)
	if !validText(contact, MaxContact) || !validText(text, MaxText) {
		return "", ErrBadTicket
	}
	id := store.NewID()
	plain, _ := json.Marshal(Ticket{Contact: contact, Text: text})
	sealed, err := d.vault.Seal(ctx, SupportKeyName, plain, store.SupportContext(id))
	if err != nil {
		return "", err
	}
	if err := d.store.CreateSupportTicket(ctx, store.SupportTicket{ID: id, Sealed: sealed, CreatedOn: d.now()}); err != nil {
		return "", err
	}
	return id, nil
}

// Tickets opens every kept ticket, oldest first (the support staff's view).
func (d *SupportDesk) Tickets(ctx context.Context) ([]Ticket, error) {
	rows, err := d.store.SupportTickets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Ticket, 0, len(rows))
	for _, r := range rows {
		plain, err := d.vault.Open(ctx, SupportKeyName, r.Sealed, store.SupportContext(r.ID))
		if err != nil {
			return nil, err
		}
		var t Ticket
		if err := json.Unmarshal(plain, &t); err != nil {
			return nil, err
		}
		t.ID, t.CreatedOn = r.ID, r.CreatedOn
		out = append(out, t)
	}
	return out, nil
}
