package httpapi

import (
	"errors"
	"net/http"

	"github.com/idphoto/idphoto/internal/privacy"
)

// Deleting an order's personal data, or all the user's data but the account (R3):
// privacy requests, logged with their due date and audited by the privacy service.

// Error codes of these deletions: the order still needs its personal data.
const (
	CodeOrderNotShipped = privacy.ReasonNotShipped // 409: a paid print order not shipped yet
	CodeOrderOpen       = privacy.ReasonOpen       // 409: an order not paid yet: cancel it instead
)

// eraseRefusal is the answer to an order whose personal data can't go now.
func eraseRefusal(err error) error {
	switch {
	case errors.Is(err, privacy.ErrOrderNotShipped):
		return &apiError{Code: CodeOrderNotShipped, Err: err,
			Msg: "this order is being printed and posted: its details are needed until it is shipped; delete them once it has been shipped"}
	case errors.Is(err, privacy.ErrOrderOpen):
		return &apiError{Code: CodeOrderOpen, Err: err,
			Msg: "this order is not paid: cancel it (POST /api/v1/orders/{id}/cancel), then delete its personal data"}
	}
	return err
}

// erasedResponse is what a deletion removed, and the orders it kept with why.
type erasedResponse struct {
	Orders  int                 `json:"erased_orders"`
	Jobs    int                 `json:"deleted_jobs"`
	Photos  int                 `json:"deleted_photos"`
	Exports int                 `json:"deleted_exports"`
	Profile bool                `json:"deleted_profile"`
	Kept    []privacy.KeptOrder `json:"kept_orders"`
}

func erasedJSON(e privacy.Erased) erasedResponse {
	if e.Kept == nil {
		e.Kept = []privacy.KeptOrder{}
	}
	return erasedResponse{Orders: e.Orders, Jobs: e.Jobs, Photos: e.Photos, Exports: e.Exports, Profile: e.Profile, Kept: e.Kept}
}

// eraseOrder deletes one order's personal data: DELETE /orders/{id}/personal-data.
// The order's record stays; a paid print order not shipped yet and an unpaid order
// are refused with 409 and their reason.
func (a *API) eraseOrder(w http.ResponseWriter, r *http.Request, user string) {
	o, err := a.userOrder(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	res, err := a.privacy.EraseOrder(r.Context(), user, o.ID)
	if err != nil {
		a.respondError(w, r, eraseRefusal(err))
		return
	}
	writeJSON(w, http.StatusOK, erasedJSON(res))
}

// deleteEverything deletes all the user's data but the account: DELETE /me/data.
// It answers 200 even when some orders keep their personal data (a paid print order
// not shipped yet, an unpaid order): they are listed in kept_orders with the reason,
// and the same request once they are shipped or cancelled takes the rest.
func (a *API) deleteEverything(w http.ResponseWriter, r *http.Request, user string) {
	res, err := a.privacy.DeleteEverything(r.Context(), user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, erasedJSON(res))
}
