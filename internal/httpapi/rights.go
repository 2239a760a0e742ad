package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/store"
)

// The user's rights over their data (R3, R4, R5): each call is a privacy request,
// logged with its due date and audited by the privacy service.

// deletePhoto deletes one photo, its jobs and everything they made (R3).
func (a *API) deletePhoto(w http.ResponseWriter, r *http.Request, user string) {
	id := r.PathValue("id")
	if !store.ValidID(id) {
		a.respondError(w, r, fail(CodeNotFound, "no such photo"))
		return
	}
	if err := a.privacy.DeletePhoto(r.Context(), user, id); err != nil {
		a.respondError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteAllPhotos deletes the user's whole library (R3).
func (a *API) deleteAllPhotos(w http.ResponseWriter, r *http.Request, user string) {
	n, err := a.privacy.DeleteAllPhotos(r.Context(), user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted_photos": n})
}

// cancelAccount erases the account and shreds its data key (R4); the session
// token stops working with it.
func (a *API) cancelAccount(w http.ResponseWriter, r *http.Request, user string) {
	if err := a.privacy.CancelAccount(r.Context(), user); err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "erased"})
}

type exportResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createExport makes the archive of the user's data now and answers its one-time
// download link (R5).
func (a *API) createExport(w http.ResponseWriter, r *http.Request, user string) {
	e, err := a.privacy.Export(r.Context(), user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, exportResponse{URL: Prefix + "/exports/" + e.Token, ExpiresAt: e.ExpiresAt.UTC()})
}

// getExport serves an export archive once. The link is the credential (a browser
// download carries no bearer token): 256 random bits, stored hashed, expiring.
func (a *API) getExport(w http.ResponseWriter, r *http.Request, _ string) {
	token := r.PathValue("token")
	if len(token) != 43 {
		a.respondError(w, r, fail(CodeNotFound, "no such export, or its link was used or has expired"))
		return
	}
	data, err := a.privacy.FetchExport(r.Context(), token)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="idphoto-export.zip"`)
	w.Write(data)
}

// newPrivacy is the privacy service of d, or one with the default policy.
func newPrivacy(d Deps) (*privacy.Service, error) {
	if d.Privacy != nil {
		return d.Privacy, nil
	}
	return privacy.New(privacy.DefaultConfig(), d.Store, d.Blobs, d.Vault, d.Log)
}

// dropJobBlobs removes what a job made when the job was deleted while it ran (R3).
func (a *API) dropJobBlobs(ctx context.Context, id string) error {
	for _, k := range privacy.JobBlobs(id) {
		if err := a.blobs.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
