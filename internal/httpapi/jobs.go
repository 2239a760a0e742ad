package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/idphoto/idphoto/internal/compose"
	"github.com/idphoto/idphoto/internal/spec"
	"github.com/idphoto/idphoto/internal/store"
)

type jobRequest struct {
	PhotoID    string `json:"photo_id"`
	Spec       string `json:"spec"`
	Background string `json:"background"`
}

type jobResponse struct {
	ID         string    `json:"id"`
	State      string    `json:"state"`
	Spec       string    `json:"spec"`
	Background string    `json:"background"`
	ErrorCode  string    `json:"error_code,omitempty"`
	Unlocked   bool      `json:"unlocked"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (a *API) jobJSON(j store.Job) jobResponse {
	return jobResponse{ID: j.ID, State: j.State, Spec: j.SpecID, Background: j.Background, ErrorCode: j.ErrorCode,
		Unlocked: j.Unlocked || a.cfg.UnlockAll, CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC()}
}

// createJob queues an ID photo of one of the user's photos: 202 with the job, or 429
// with Retry-After when the queue is full.
func (a *API) createJob(w http.ResponseWriter, r *http.Request, user string) {
	var req jobRequest
	if err := decodeJSON(w, r, &req, 4<<10); err != nil {
		a.respondError(w, r, err)
		return
	}
	s, err := a.specs.Lookup(req.Spec)
	if err != nil {
		if errors.Is(err, spec.ErrUnknownSpec) {
			a.respondError(w, r, &apiError{Code: CodeUnknownSpec, Msg: err.Error(), Err: err})
			return
		}
		a.respondError(w, r, err)
		return
	}
	if req.Background == "" && len(s.Backgrounds) > 0 {
		req.Background = s.Backgrounds[0]
	}
	bg, err := compose.ParseBackground(req.Background)
	if err != nil {
		a.respondError(w, r, &apiError{Code: CodeBadBackground, Msg: err.Error(), Err: err})
		return
	}
	ctx := r.Context()
	if !store.ValidID(req.PhotoID) {
		a.respondError(w, r, fail(CodeNotFound, "no such photo"))
		return
	}
	if _, err := a.store.GetPhoto(ctx, user, req.PhotoID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = fail(CodeNotFound, "no such photo")
		}
		a.respondError(w, r, err)
		return
	}
	if !a.pool.reserve() {
		a.respondError(w, r, fail(CodeQueueFull, "too many photos are being made: try again in a few seconds"))
		return
	}
	j := store.Job{ID: store.NewID(), UserID: user, PhotoID: req.PhotoID, SpecID: s.ID, Background: bg.String(), CreatedAt: a.now()}
	if err := a.store.CreateJob(ctx, j); err != nil {
		a.pool.release()
		a.respondError(w, r, err)
		return
	}
	a.pool.submitReserved(j.ID)
	j.State, j.UpdatedAt = store.JobQueued, j.CreatedAt
	w.Header().Set("Location", Prefix+"/jobs/"+j.ID)
	writeJSON(w, http.StatusAccepted, a.jobJSON(j))
}

// userJob returns the user's job named in the path, or a 404 error.
func (a *API) userJob(r *http.Request, user string) (store.Job, error) {
	id := r.PathValue("id")
	if !store.ValidID(id) {
		return store.Job{}, fail(CodeNotFound, "no such job")
	}
	j, err := a.store.GetJob(r.Context(), user, id)
	if errors.Is(err, store.ErrNotFound) {
		return j, fail(CodeNotFound, "no such job")
	}
	return j, err
}

func (a *API) getJob(w http.ResponseWriter, r *http.Request, user string) {
	j, err := a.userJob(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.jobJSON(j))
}

// jobEvents streams the job's state as server-sent events ("event: status") until it
// is done or failed.
func (a *API) jobEvents(w http.ResponseWriter, r *http.Request, user string) {
	j, err := a.userJob(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	changed, cancel := a.hub.subscribe(j.ID)
	defer cancel()
	// Polling too: another instance may run the job.
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	deadline := time.NewTimer(a.cfg.JobTimeout + time.Minute)
	defer deadline.Stop()
	last := ""
	for {
		if state := j.State + "/" + j.ErrorCode; state != last {
			last = state
			b, _ := json.Marshal(a.jobJSON(j))
			if _, err := fmt.Fprintf(w, "event: status\ndata: %s\n\n", b); err != nil {
				return
			}
			rc.Flush()
		}
		if j.Finished() {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-deadline.C:
			return
		case <-changed:
		case <-tick.C:
		}
		if j, err = a.store.GetJob(r.Context(), user, j.ID); err != nil {
			return
		}
	}
}

// report is what GET /jobs/{id}/report answers: how the photo came out, never where
// the face was in the upload.
type report struct {
	JobID      string      `json:"job_id"`
	State      string      `json:"state"`
	Spec       string      `json:"spec"`
	Background string      `json:"background"`
	ErrorCode  string      `json:"error_code,omitempty"`
	Error      string      `json:"error,omitempty"`
	Width      int         `json:"width,omitempty"`
	Height     int         `json:"height,omitempty"`
	Format     string      `json:"format,omitempty"`
	Bytes      int         `json:"bytes,omitempty"`
	Quality    int         `json:"jpeg_quality,omitempty"`
	Layout     *layoutJSON `json:"layout,omitempty"`
	Misses     []string    `json:"misses"`
	Warnings   []string    `json:"warnings"`
	// Checks is the compliance report (promise P5) when the engine makes one.
	Checks json.RawMessage `json:"checks,omitempty"`
}

// layoutJSON is where the head sits in the finished photo, as fractions of it.
type layoutJSON struct {
	CrownTop       float64 `json:"crown_top"`
	HeadHeight     float64 `json:"head_height"`
	EyeFromBottom  float64 `json:"eye_from_bottom"`
	ChinFromBottom float64 `json:"chin_from_bottom"`
	FaceWidth      float64 `json:"face_width"`
	CenterX        float64 `json:"center_x"`
}

func (a *API) jobReport(w http.ResponseWriter, r *http.Request, user string) {
	j, err := a.userJob(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if !j.Finished() {
		writeJSON(w, http.StatusOK, report{JobID: j.ID, State: j.State, Spec: j.SpecID, Background: j.Background, Misses: []string{}, Warnings: []string{}})
		return
	}
	b, err := a.blobs.Get(r.Context(), user, jobBlob(j.ID, "report"))
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

func (a *API) jobPreview(w http.ResponseWriter, r *http.Request, user string) {
	a.serveResult(w, r, user, "preview", false)
}

// finishedJob is the user's job from the path when it is done and, when what names a
// paid result, unlocked; otherwise it answers the error and returns false.
func (a *API) finishedJob(w http.ResponseWriter, r *http.Request, user, what string) (store.Job, bool) {
	j, err := a.userJob(r, user)
	if err != nil {
		a.respondError(w, r, err)
		return j, false
	}
	switch j.State {
	case store.JobFailed:
		a.respondError(w, r, fail(CodeJobFailed, "the photo could not be made: see the job's report"))
		return j, false
	case store.JobDone:
	default:
		a.respondError(w, r, fail(CodeNotReady, "the photo is not made yet"))
		return j, false
	}
	if what != "" && !j.Unlocked && !a.cfg.UnlockAll {
		a.respondError(w, r, fail(CodePaymentRequired, what+" is unlocked by an order"))
		return j, false
	}
	return j, true
}

// jobFile is the clean file: 402 until the job is paid for (or UnlockAll).
func (a *API) jobFile(w http.ResponseWriter, r *http.Request, user string) {
	a.serveResult(w, r, user, "file", true)
}

func (a *API) serveResult(w http.ResponseWriter, r *http.Request, user, name string, paid bool) {
	what := ""
	if paid {
		what = "the clean photo"
	}
	j, ok := a.finishedJob(w, r, user, what)
	if !ok {
		return
	}
	b, err := a.blobs.Get(r.Context(), user, jobBlob(j.ID, name))
	if err != nil {
		a.respondError(w, r, err)
		return
	}
	if name == "preview" {
		// Checkout needs this record, and it is why refunds are refused (O5).
		if err := a.store.RecordPreview(r.Context(), user, j.ID, a.now()); err != nil {
			a.respondError(w, r, err)
			return
		}
	}
	if paid {
		a.delivered(r, user, j.ID)
	}
	ct := http.DetectContentType(b)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if paid {
		ext := ".jpg"
		if ct == "image/png" {
			ext = ".png"
		}
		w.Header().Set("Content-Disposition", `attachment; filename="idphoto-`+j.SpecID+ext+`"`)
	}
	w.Write(b)
}

// delivered notes that the job's clean result is being delivered to its owner, which
// fulfils an e-photo order once all its jobs were (O1). The user paid: a failure here is
// logged and the download goes on.
func (a *API) delivered(r *http.Request, user, jobID string) {
	ctx := r.Context()
	ids, err := a.store.RecordDelivery(ctx, user, jobID, a.now())
	if err != nil {
		a.log.ErrorContext(ctx, "delivery not recorded", slog.String("job", jobID), slog.String("error", err.Error()))
		return
	}
	for _, id := range ids {
		a.log.InfoContext(ctx, "order fulfilled", slog.String("order", id))
	}
}

func jobBlob(id, name string) string { return "jobs/" + id + "/" + name }
