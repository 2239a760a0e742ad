package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/idphoto/idphoto/internal/privacy"
)

// Policies and consent (R8, P9), support tickets (S4) and the closing notice.

// CodeConsentRequired: the user has not accepted the current major version of the
// privacy policy; the clients show it as a pop-up and POST /me/consents.
const CodeConsentRequired = "consent_required" // 428

// HeaderClosing is on every answer while the service is closing: the closing date.
const HeaderClosing = "X-Idphoto-Service-Closing"

// consentBody is the 428 answer: the error and the policy to accept.
type consentBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Policy  string `json:"policy"`
	Version string `json:"version"`
}

// consented refuses a processing route (photos, jobs, orders) to a user who has not
// accepted the current major version of the privacy policy.
func (a *API) consented(h func(http.ResponseWriter, *http.Request, string)) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, user string) {
		p, err := a.privacy.RequireConsent(r.Context(), user)
		if errors.Is(err, privacy.ErrConsentRequired) {
			writeJSON(w, http.StatusPreconditionRequired, consentBody{Code: CodeConsentRequired,
				Message: "please read and accept the privacy policy (" + p.Title + " " + p.Version + ") first",
				Policy:  p.ID, Version: p.Version})
			return
		}
		if err != nil {
			a.respondError(w, r, err)
			return
		}
		h(w, r, user)
	}
}

func (a *API) getPolicies(w http.ResponseWriter, _ *http.Request, _ string) {
	writeJSON(w, http.StatusOK, map[string]any{"policies": privacy.Policies()})
}

func (a *API) getConsents(w http.ResponseWriter, r *http.Request, user string) {
	st, err := a.privacy.Consents(r.Context(), user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// consentError maps the privacy service's refusals to 400s.
func consentError(err error) error {
	switch {
	case errors.Is(err, privacy.ErrUnknownPolicy):
		return &apiError{Code: CodeBadRequest, Msg: "no such policy: see GET /api/v1/policies", Err: err}
	case errors.Is(err, privacy.ErrNotCurrent):
		return &apiError{Code: CodeBadRequest, Msg: "that is not the policy's current version: see GET /api/v1/policies", Err: err}
	case errors.Is(err, privacy.ErrUnknownPurpose):
		return &apiError{Code: CodeNotFound, Msg: "no such purpose: photo_location or people_count", Err: err}
	}
	return err
}

// acceptPolicy records the acceptance of a policy's current version.
func (a *API) acceptPolicy(w http.ResponseWriter, r *http.Request, user string) {
	var req struct {
		Policy  string `json:"policy"`
		Version string `json:"version"`
	}
	if err := decodeJSON(w, r, &req, 1<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := a.privacy.AcceptPolicy(r.Context(), user, req.Policy, req.Version); err != nil {
		a.respondError(w, r, consentError(err))
		return
	}
	a.getConsents(w, r, user)
}

// setPurpose grants or withdraws a separate purpose (P9).
func (a *API) setPurpose(w http.ResponseWriter, r *http.Request, user string) {
	var req struct {
		Granted *bool `json:"granted"`
	}
	if err := decodeJSON(w, r, &req, 1<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	if req.Granted == nil {
		a.respondError(w, r, fail(CodeBadRequest, `"granted": true or false is required`))
		return
	}
	if err := a.privacy.SetPurpose(r.Context(), user, r.PathValue("purpose"), *req.Granted); err != nil {
		a.respondError(w, r, consentError(err))
		return
	}
	a.getConsents(w, r, user)
}

// createTicket takes a support request with or without a session token, and looks
// at neither the token nor anything else of the request but its body: the ticket is
// stored joined to nothing (S4).
func (a *API) createTicket(w http.ResponseWriter, r *http.Request, _ string) {
	if a.support == nil {
		a.respondError(w, r, fail(CodeUnavailable, "the support desk is not set up on this server"))
		return
	}
	var req struct {
		Contact string `json:"contact"`
		Text    string `json:"text"`
	}
	if err := decodeJSON(w, r, &req, 32<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	id, err := a.support.Submit(r.Context(), req.Contact, req.Text)
	if errors.Is(err, privacy.ErrBadTicket) {
		a.respondError(w, r, &apiError{Code: CodeBadRequest, Msg: "a ticket needs a contact (at most 200 characters) and a text (at most 5000)", Err: err})
		return
	}
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

type statusJSON struct {
	Status  string       `json:"status"` // "ok" or "closing"
	Closing *closingJSON `json:"closing,omitempty"`
}

type closingJSON struct {
	Effective string    `json:"effective"` // YYYY-MM-DD, China time
	At        time.Time `json:"effective_at"`
}

// serviceStatus tells clients whether the service is closing, and when.
func (a *API) serviceStatus(w http.ResponseWriter, r *http.Request, _ string) {
	c, ok, err := a.privacy.Closing(r.Context())
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if !ok {
		writeJSON(w, http.StatusOK, statusJSON{Status: "ok"})
		return
	}
	writeJSON(w, http.StatusOK, statusJSON{Status: "closing", Closing: &closingJSON{Effective: privacy.ClosingDate(c.Effective), At: c.Effective.UTC()}})
}

// closingHeader puts the closing date on every answer while the service is closing.
// One read of a one-row table per request; a failure to read it leaves the header off
// and the request to fail or succeed on its own.
func (a *API) closingHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok, err := a.privacy.Closing(r.Context()); err == nil && ok {
			w.Header().Set(HeaderClosing, privacy.ClosingDate(c.Effective))
		}
		next.ServeHTTP(w, r)
	})
}

// newSupport is the support desk on the support vault, or nil without one.
func newSupport(d Deps) *privacy.SupportDesk {
	if d.Support == nil {
		return nil
	}
	return privacy.NewSupportDesk(d.Store, d.Support)
}
