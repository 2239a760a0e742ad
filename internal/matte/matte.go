// Package matte separates the person from the backdrop: an alpha matte, edge
// refinement, and foreground colour estimation so no halo of the old backdrop remains.
package matte

import (
	"context"
	"errors"
	"image"

	"github.com/idphoto/idphoto/internal/face"
)

// ErrBusyBackground is returned by mattes that only handle plain backdrops.
var ErrBusyBackground = errors.New("background too busy for the plain-backdrop matte: run 'idphoto models pull'")

// Hint tells a matter where the person is, so it can work on a head-and-shoulders crop.
type Hint struct {
	Face face.Face
}

// Matter computes an alpha matte the size of img: 255 is person, 0 is backdrop.
// Implementations must be safe for concurrent use.
type Matter interface {
	Matte(ctx context.Context, img image.Image, hint Hint) (*image.Gray, error)
}
