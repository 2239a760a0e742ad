package pipeline

import (
	"errors"

	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/matte"
)

// Codes are stable: the service maps them to HTTP statuses, clients to messages.
const (
	CodeBadRequest     = "bad_request"
	CodeNotImage       = "not_image"
	CodeEmpty          = "empty_file"
	CodeTooLarge       = "file_too_large"
	CodeTooManyPixels  = "too_many_pixels"
	CodeUnsupported    = "unsupported_format"
	CodeCorrupt        = "corrupt_image"
	CodeNoFace         = "no_face"
	CodeManyFaces      = "many_faces"
	CodeHeadTilted     = "head_tilted"
	CodeUnmeasurable   = "head_unmeasurable"
	CodeBusyBackground = "busy_background"
	CodeCanceled       = "canceled"
	CodeInternal       = "internal"
)

// Error is a pipeline failure: a stable code, a message safe to show the user (one
// line, no personal or face data), and the cause for the operator's logs.
type Error struct {
	Code string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// classify turns a step's error into an *Error with a code.
func classify(step string, err error) error {
	if pe, ok := Coded(err); ok {
		return pe
	}
	return &Error{Code: CodeInternal, Msg: "internal error in step " + step, Err: err}
}

// Coded gives err its stable code and a message for the user when it is one the
// pipeline knows: an *Error already, a decoding error of imageio, a refusal of the
// matte. ok is false for anything else (an internal failure).
func Coded(err error) (*Error, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe, true
	}
	table := []struct {
		target error
		code   string
	}{
		{imageio.ErrEmpty, CodeEmpty},
		{imageio.ErrTooLarge, CodeTooLarge},
		{imageio.ErrTooManyPixels, CodeTooManyPixels},
		{imageio.ErrUnsupported, CodeUnsupported},
		{imageio.ErrNotImage, CodeNotImage},
		{imageio.ErrCorrupt, CodeCorrupt},
		{imageio.ErrTruncated, CodeCorrupt},
		{matte.ErrBusyBackground, CodeBusyBackground},
	}
	for _, t := range table {
		if errors.Is(err, t.target) {
			msg := err.Error() // imageio's messages are written for users, numbers included
			if t.target == matte.ErrBusyBackground {
				msg = t.target.Error() // the matte's detail is for the logs
			}
			return &Error{Code: t.code, Msg: msg, Err: err}, true
		}
	}
	return nil, false
}
