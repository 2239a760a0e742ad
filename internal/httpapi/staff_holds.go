package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

// Legal holds (R7): operators list, place and release them; each placing and release
// is audited by the privacy service with the operator's id.

// CodeBadHold: a hold's scope, id, reason or end was refused (the message says which).
const CodeBadHold = "bad_hold" // 400

type holdJSON struct {
	ID         string     `json:"id"`
	Scope      string     `json:"scope"`
	TargetID   string     `json:"target_id"`
	Reason     string     `json:"reason"`
	PlacedBy   string     `json:"placed_by"`
	CreatedAt  time.Time  `json:"created_at"`
	Until      *time.Time `json:"until,omitempty"`
	ReleasedAt *time.Time `json:"released_at,omitempty"`
}

func holdOf(h store.LegalHold) holdJSON {
	return holdJSON{ID: h.ID, Scope: h.Scope, TargetID: h.TargetID, Reason: h.Reason, PlacedBy: h.PlacedBy,
		CreatedAt: h.CreatedAt.UTC(), Until: optTime(h.Until), ReleasedAt: optTime(h.ReleasedAt)}
}

// holdError maps the privacy service's refusals.
func holdError(err error) error {
	switch {
	case errors.Is(err, privacy.ErrBadHold):
		msg, _ := strings.CutPrefix(err.Error(), privacy.ErrBadHold.Error()+": ")
		return &apiError{Code: CodeBadHold, Msg: msg, Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &apiError{Code: CodeNotFound, Msg: "no such hold, or no such user, order or photo to hold", Err: err}
	}
	return err
}

// opsHolds lists the holds in force.
func (a *API) opsHolds(w http.ResponseWriter, r *http.Request, _ string) {
	hs, err := a.privacy.Holds(r.Context())
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	out := struct {
		Holds []holdJSON `json:"holds"`
	}{Holds: []holdJSON{}}
	for _, h := range hs {
		out.Holds = append(out.Holds, holdOf(h))
	}
	writeJSON(w, http.StatusOK, out)
}

// opsPlaceHold places a hold: {scope, target_id, reason, until?: "YYYY-MM-DD", the
// last day held, China time}.
func (a *API) opsPlaceHold(w http.ResponseWriter, r *http.Request, staff string) {
	var req struct {
		Scope    string `json:"scope"`
		TargetID string `json:"target_id"`
		Reason   string `json:"reason"`
		Until    string `json:"until"`
	}
	if err := decodeJSON(w, r, &req, 2<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	hr := privacy.HoldRequest{Scope: req.Scope, TargetID: req.TargetID, Reason: req.Reason}
	if req.Until != "" {
		var err error
		if hr.Until, err = privacy.ParseHoldUntil(req.Until); err != nil {
			a.respondError(w, r, holdError(err))
			return
		}
	}
	h, err := a.privacy.PlaceHold(r.Context(), staff, hr)
	if err != nil {
		a.respondError(w, r, holdError(err))
		return
	}
	w.Header().Set("Location", Prefix+"/ops/holds/"+h.ID)
	writeJSON(w, http.StatusCreated, holdOf(h))
}

// opsReleaseHold releases a hold: the sweep deletes what it kept once its periods
// have passed.
func (a *API) opsReleaseHold(w http.ResponseWriter, r *http.Request, staff string) {
	h, err := a.privacy.ReleaseHold(r.Context(), staff, r.PathValue("id"))
	if err != nil {
		a.respondError(w, r, holdError(err))
		return
	}
	writeJSON(w, http.StatusOK, holdOf(h))
}
