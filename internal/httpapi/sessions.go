package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/store"
)

// deviceInfo is what a client says about its device (S5): kept sealed on the session.
type deviceInfo struct {
	UUID       string `json:"uuid,omitempty"`
	Model      string `json:"model,omitempty"`
	OS         string `json:"os,omitempty"`
	AppVersion string `json:"app_version,omitempty"`
}

func (d deviceInfo) empty() bool { return d == deviceInfo{} }

type sessionRequest struct {
	Device deviceInfo `json:"device"`
}

type sessionResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// createSession makes an anonymous user and a session for a device. The token goes to
// the client once; the database keeps its SHA-256.
func (a *API) createSession(w http.ResponseWriter, r *http.Request, _ string) {
	var req sessionRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req, 4<<10); err != nil {
			a.respondError(w, r, err)
			return
		}
	}
	for _, f := range []string{req.Device.UUID, req.Device.Model, req.Device.OS, req.Device.AppVersion} {
		if len(f) > 128 {
			a.respondError(w, r, fail(CodeBadRequest, "device fields are at most 128 characters"))
			return
		}
	}
	ctx := r.Context()
	now := a.now()
	user := store.User{ID: store.NewID(), Role: store.RoleUser, CreatedAt: now}
	if err := a.store.CreateUser(ctx, user); err != nil {
		a.respondError(w, r, err)
		return
	}
	token, hash := newToken()
	se := store.Session{ID: store.NewID(), UserID: user.ID, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(a.cfg.SessionTTL)}
	if !req.Device.empty() {
		plain, _ := json.Marshal(req.Device)
		sealed, err := a.vault.Seal(ctx, user.ID, plain, "session.device:"+se.ID)
		if err != nil {
			a.respondError(w, r, err)
			return
		}
		se.DeviceSealed = sealed
	}
	if err := a.store.CreateSession(ctx, se); err != nil {
		a.respondError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sessionResponse{Token: token, ExpiresAt: se.ExpiresAt.UTC()})
}

// newToken returns a bearer token (256 random bits) and its hash.
func newToken() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// authenticated finds the session of the bearer token; no token, or one that is not a
// live session's, is 401.
func (a *API) authenticated(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || len(token) != 43 {
			a.respondError(w, r, fail(CodeUnauthorized, "a session token is required: POST /api/v1/sessions"))
			return
		}
		se, err := a.store.SessionByTokenHash(r.Context(), hashToken(token), a.now())
		if errors.Is(err, store.ErrNotFound) {
			a.respondError(w, r, fail(CodeUnauthorized, "the session token is not valid or has expired"))
			return
		}
		if err != nil {
			a.respondError(w, r, err)
			return
		}
		h(w, r, se.UserID)
	}
}

// decodeJSON reads one JSON object of at most limit bytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := mediaType(r); ct != "application/json" {
		return fail(CodeUnsupportedMedia, "send application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fail(CodeTooLarge, "request body is too large")
		}
		return &apiError{Code: CodeBadRequest, Msg: "the body is not the JSON object expected", Err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail(CodeBadRequest, "one JSON object expected")
	}
	return nil
}

func mediaType(r *http.Request) string {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(ct))
}
