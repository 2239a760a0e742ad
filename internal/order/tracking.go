package order

import (
	"errors"
	"strings"
)

// ErrBadTrackingNo is CheckTrackingNo's refusal; its text is safe to show.
var ErrBadTrackingNo = errors.New("tracking number: 4 to 40 letters, digits or dashes")

// CheckTrackingNo returns a parcel's tracking number without surrounding space, or
// ErrBadTrackingNo: carriers' numbers are 4 to 40 letters, digits or dashes.
func CheckTrackingNo(s string) (string, error) {
	tn := strings.TrimSpace(s)
	if len(tn) < 4 || len(tn) > 40 || strings.Trim(strings.ToUpper(tn), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		return "", ErrBadTrackingNo
	}
	return tn, nil
}
