package httpapi

import (
	"fmt"
	"net/http"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/privacy"
)

// actionSupportRead: an operator read the support tickets. Tickets lead to no account
// (S4), so the entry names no subject; it says how many were shown.
const actionSupportRead = "support.read"

// opsSupport shows the operator the support tickets in clear, oldest first. The read
// is audited before any ticket is opened; a failed entry shows nothing.
func (a *API) opsSupport(w http.ResponseWriter, r *http.Request, staff string) {
	if a.support == nil {
		a.respondError(w, r, fail(CodeUnavailable, "the support desk is not set up on this server"))
		return
	}
	ctx := r.Context()
	n, err := a.store.CountSupportTickets(ctx)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if err := a.audit.Record(ctx, audit.Entry{Actor: staff, Action: actionSupportRead, Detail: fmt.Sprintf("%d tickets", n)}); err != nil {
		a.respondError(w, r, err)
		return
	}
	ts, err := a.support.Tickets(ctx)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if ts == nil {
		ts = []privacy.Ticket{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct {
		Tickets []privacy.Ticket `json:"tickets"`
	}{ts})
}
