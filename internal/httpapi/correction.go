package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

// Correction (R5): the user's profile, and the shipping details of a print order not
// shipped yet. Each change is a privacy request of kind correction (R6), logged with
// its due date and answered at once, and audited.

// Error codes of corrections.
const (
	CodeBadProfile   = "bad_profile"   // 400: a profile field refused (the message says which)
	CodeOrderShipped = "order_shipped" // 409: the order is in the post: its shipping details are final
)

// maxDisplayName bounds a profile's display name, in characters.
const maxDisplayName = 32

// profileJSON is GET and PUT /me/profile. The shipping contact is the user's own
// default, shown to them in clear to prefill a print order; every field may be empty.
type profileJSON struct {
	DisplayName string      `json:"display_name"`
	Shipping    mailingJSON `json:"shipping"`
}

func profileOf(p privacy.Profile) profileJSON {
	return profileJSON{DisplayName: p.DisplayName, Shipping: mailingJSON(p.Shipping)}
}

func (a *API) getProfile(w http.ResponseWriter, r *http.Request, user string) {
	p, err := a.privacy.Profile(r.Context(), user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, profileOf(p))
}

// checkProfile validates and normalises a profile: the display name, and the shipping
// contact by the print orders' own rules (normaliseMailing), each field optional.
func checkProfile(p *profileJSON) error {
	p.DisplayName = strings.TrimSpace(p.DisplayName)
	if utf8.RuneCountInString(p.DisplayName) > maxDisplayName || !utf8.ValidString(p.DisplayName) ||
		strings.ContainsFunc(p.DisplayName, unicode.IsControl) {
		return fail(CodeBadProfile, "display_name: at most 32 characters, one line")
	}
	if msg := normaliseMailing(&p.Shipping, true); msg != "" {
		return fail(CodeBadProfile, "shipping: "+strings.TrimPrefix(msg, "mailing "))
	}
	return nil
}

// putProfile replaces the user's profile: a correction request.
func (a *API) putProfile(w http.ResponseWriter, r *http.Request, user string) {
	var req profileJSON
	if err := decodeJSON(w, r, &req, 4<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := checkProfile(&req); err != nil {
		a.respondError(w, r, err)
		return
	}
	p := privacy.Profile{DisplayName: req.DisplayName, Shipping: privacy.Contact(req.Shipping)}
	if err := a.privacy.SetProfile(r.Context(), user, p); err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, profileOf(p))
}

// shippingEditable says why an order's shipping details can't be corrected now, or
// nil: only a print order, not shipped, not cancelled, expired or refunded.
func shippingEditable(o store.Order) error {
	switch {
	case !o.HasMailing() || len(o.MailingSealed) == 0:
		return fail(CodeOrderState, "this order is not mailed: it has no shipping details")
	case !o.ShippedAt.IsZero() || o.Status == order.StatusShipped || o.Status == order.StatusClosed:
		return fail(CodeOrderShipped, "the order has been shipped: its shipping details can no longer be changed")
	case o.Status != order.StatusCreated && o.Status != order.StatusPaying && o.Status != order.StatusPaid:
		return fail(CodeOrderState, "the order is "+string(o.Status)+": nothing will be shipped")
	}
	return nil
}

// correctShipping replaces the recipient of the user's print order while it is not
// shipped: PUT /orders/{id}/shipping {name, address, phone}, by the print orders' rules.
func (a *API) correctShipping(w http.ResponseWriter, r *http.Request, user string) {
	o, err := a.userOrder(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	var m mailingJSON
	if err := decodeJSON(w, r, &m, 2<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := checkMailing(&m); err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := shippingEditable(o); err != nil {
		a.respondError(w, r, err)
		return
	}
	ctx := r.Context()
	plain, _ := json.Marshal(m)
	sealed, err := a.vault.Seal(ctx, user, plain, mailingContext(o.ID))
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	err = a.privacy.Correct(ctx, user, "order.shipping", func() error {
		return a.store.UpdateOrder(ctx, o.ID, func(so *store.Order) error {
			if so.UserID != user {
				return store.ErrNotFound
			}
			if err := shippingEditable(*so); err != nil {
				return err // shipped meanwhile
			}
			so.MailingSealed = sealed
			o = *so
			return nil
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		err = fail(CodeNotFound, "no such order")
	}
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.orderJSON(r, o))
}
