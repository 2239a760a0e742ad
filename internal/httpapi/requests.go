package httpapi

import (
	"net/http"
	"time"

	"github.com/idphoto/idphoto/internal/audit"
	"github.com/idphoto/idphoto/internal/workday"
)

// myRequestJSON is one of the user's own privacy requests (R6).
type myRequestJSON struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`  // access, correction, deletion, cancellation
	Scope      string    `json:"scope"` // photo, photos, account, export, profile, order.shipping
	ReceivedAt time.Time `json:"received_at"`
	// DueDate is the last day to answer (China time, working days counted); DueAt the
	// instant after it, from which an open request is overdue.
	DueDate string     `json:"due_date"`
	DueAt   time.Time  `json:"due_at"`
	Status  string     `json:"status"` // open, overdue or done
	DoneAt  *time.Time `json:"done_at,omitempty"`
}

// maxMyRequests bounds GET /me/requests: each profile or shipping correction is a
// request, so a user can make as many as they like; the newest are shown.
const maxMyRequests = 200

// myRequests lists the user's own privacy requests and their due dates, newest first
// (the newest maxMyRequests). The request log keys them by the user's pseudonym;
// nobody else's come back (S2).
func (a *API) myRequests(w http.ResponseWriter, r *http.Request, user string) {
	rs, err := a.store.RecentPrivacyRequests(r.Context(), audit.Subject(user), maxMyRequests)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	now := a.now()
	out := struct {
		Requests []myRequestJSON `json:"requests"`
	}{Requests: make([]myRequestJSON, 0, len(rs))}
	for _, q := range rs {
		j := myRequestJSON{ID: q.ID, Kind: q.Kind, Scope: q.Scope, ReceivedAt: q.ReceivedAt.UTC(),
			DueDate: q.DueAt.Add(-time.Nanosecond).In(workday.Shanghai).Format(time.DateOnly), DueAt: q.DueAt.UTC(),
			Status: "open", DoneAt: optTime(q.DoneAt)}
		switch {
		case j.DoneAt != nil:
			j.Status = "done"
		case !now.Before(q.DueAt):
			j.Status = "overdue"
		}
		out.Requests = append(out.Requests, j)
	}
	writeJSON(w, http.StatusOK, out)
}
