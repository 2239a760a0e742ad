package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/store"
)

// Error codes of the API: stable, documented in api/openapi.yaml, one HTTP status each.
const (
	CodeBadRequest       = "bad_request"            // 400: malformed JSON, missing field
	CodeEmpty            = pipeline.CodeEmpty       // 400: a 0-byte photo
	CodeUnknownSpec      = "unknown_spec"           // 400
	CodeBadBackground    = "bad_background"         // 400
	CodeUnauthorized     = "unauthorized"           // 401: no token, or not a live one
	CodePaymentRequired  = "payment_required"       // 402: the clean file is locked
	CodeNotFound         = "not_found"              // 404: no such id for this user
	CodeMethodNotAllowed = "method_not_allowed"     // 405
	CodeNotReady         = "not_ready"              // 409: the job has not finished
	CodeJobFailed        = "job_failed"             // 409: the job failed; its report says why
	CodeTooLarge         = pipeline.CodeTooLarge    // 413
	CodeUnsupportedMedia = "unsupported_media_type" // 415: body not multipart or JSON
	CodeNotImage         = pipeline.CodeNotImage    // 415
	CodeUnsupported      = pipeline.CodeUnsupported // 415: GIF, AVIF, …
	CodeTooManyPixels    = pipeline.CodeTooManyPixels
	CodeCorrupt          = pipeline.CodeCorrupt // 422: truncated or damaged
	CodeQueueFull        = "queue_full"         // 429, with Retry-After
	CodeInternal         = "internal"           // 500
	CodeUnavailable      = "unavailable"        // 503: shutting down, database down

	// Orders and payments.
	CodeBadOrder        = "bad_order"        // 400: items or mailing details refused
	CodeUnknownChannel  = "unknown_channel"  // 400: a payment channel not enabled here
	CodeUnknownPaper    = "unknown_paper"    // 400
	CodePreviewRequired = "preview_required" // 409: order before the job's preview was shown
	CodeOrderState      = "order_state"      // 409: the order cannot do that now (paid, expired…)
	CodeNotPrintable    = "not_printable"    // 409: print sheets are for paid or shipped print orders
	CodeRefundRefused   = "refund_refused"   // 422: the no-refund rule (O5)
	CodeChannel         = "channel_error"    // 502: the payment channel failed or refused

	// Logins and staff.
	CodeForbidden    = "forbidden"           // 403: the route needs a staff role this session lacks
	CodeLoginCode    = "login_code_invalid"  // 400: the channel refused the mini-program's login code
	CodeLoginChannel = "login_channel_error" // 502: the login channel failed
	// CodeLoginRequired: paying with WeChat Pay or Alipay needs the user's login through
	// that channel, whose id pays.
	CodeLoginRequired = "login_required" // 409
)

var statusOf = map[string]int{
	CodeBadRequest:       http.StatusBadRequest,
	CodeEmpty:            http.StatusBadRequest,
	CodeUnknownSpec:      http.StatusBadRequest,
	CodeBadBackground:    http.StatusBadRequest,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodePaymentRequired:  http.StatusPaymentRequired,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeNotReady:         http.StatusConflict,
	CodeJobFailed:        http.StatusConflict,
	CodeTooLarge:         http.StatusRequestEntityTooLarge,
	CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
	CodeNotImage:         http.StatusUnsupportedMediaType,
	CodeUnsupported:      http.StatusUnsupportedMediaType,
	CodeTooManyPixels:    http.StatusUnprocessableEntity,
	CodeCorrupt:          http.StatusUnprocessableEntity,
	CodeQueueFull:        http.StatusTooManyRequests,
	CodeInternal:         http.StatusInternalServerError,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeBadOrder:         http.StatusBadRequest,
	CodeUnknownChannel:   http.StatusBadRequest,
	CodeUnknownPaper:     http.StatusBadRequest,
	CodePreviewRequired:  http.StatusConflict,
	CodeOrderState:       http.StatusConflict,
	CodeNotPrintable:     http.StatusConflict,
	CodeRefundRefused:    http.StatusUnprocessableEntity,
	CodeChannel:          http.StatusBadGateway,
	CodeConsentRequired:  http.StatusPreconditionRequired,
	CodeForbidden:        http.StatusForbidden,
	CodeLoginCode:        http.StatusBadRequest,
	CodeLoginChannel:     http.StatusBadGateway,
	CodeLoginRequired:    http.StatusConflict,
	// Corrections and legal holds (issue 6).
	CodeBadProfile:   http.StatusBadRequest,
	CodeOrderShipped: http.StatusConflict,
	CodeBadHold:      http.StatusBadRequest,
	// Deleting an order's personal data (R3).
	CodeOrderNotShipped: http.StatusConflict,
	CodeOrderOpen:       http.StatusConflict,
}

// Codes lists every error code the API answers with.
func Codes() []string {
	codes := make([]string, 0, len(statusOf))
	for c := range statusOf {
		codes = append(codes, c)
	}
	return codes
}

// apiError is a failure with a public code and message; Err is for the logs only.
type apiError struct {
	Code string
	Msg  string
	Err  error
}

func (e *apiError) Error() string { return e.Code + ": " + e.Msg }
func (e *apiError) Unwrap() error { return e.Err }

func fail(code, msg string) *apiError { return &apiError{Code: code, Msg: msg} }

// errorBody is the JSON of every error.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// respondError is the one place an error becomes a response. A 500 never shows the
// cause; the cause is logged once, here, without personal data.
func (a *API) respondError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var pe *pipeline.Error
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &pe) && statusOf[pe.Code] != 0 && pe.Code != CodeInternal:
		ae = &apiError{Code: pe.Code, Msg: pe.Msg, Err: err}
	case errors.Is(err, store.ErrNotFound), errors.Is(err, blob.ErrNotFound):
		ae = &apiError{Code: CodeNotFound, Msg: "not found", Err: err}
	default:
		ae = &apiError{Code: CodeInternal, Msg: "internal error", Err: err}
	}
	status := statusOf[ae.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		a.log.ErrorContext(r.Context(), "request failed", slog.String("code", ae.Code), slog.String("error", errText(ae.Err)))
	}
	if ae.Code == CodeQueueFull {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, errorBody{Code: ae.Code, Message: ae.Msg})
}

// errText is an error for the logs. Errors from the pipeline carry only a code here:
// their messages may hold head measurements (P3).
func errText(err error) string {
	if err == nil {
		return ""
	}
	var pe *pipeline.Error
	if errors.As(err, &pe) {
		return "pipeline: " + pe.Code
	}
	return err.Error()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
