// Package face finds faces and their keypoints in a photo.
//
// Face data lives only in memory for one pipeline run (promise P3): nothing in this
// package writes it anywhere, and its String forms hold no coordinates.
package face

import (
	"context"
	"image"
	"math"
)

// Point is a position in source-image pixels (x right, y down).
type Point struct{ X, Y float64 }

// Rect is an axis-aligned box in source-image pixels.
type Rect struct{ Min, Max Point }

// Dx is the width of r.
func (r Rect) Dx() float64 { return r.Max.X - r.Min.X }

// Dy is the height of r.
func (r Rect) Dy() float64 { return r.Max.Y - r.Min.Y }

// Center is the middle of r.
func (r Rect) Center() Point { return Point{(r.Min.X + r.Max.X) / 2, (r.Min.Y + r.Max.Y) / 2} }

// Face is one detected face. LeftEye is the eye with the smaller x in the image (the
// subject's right eye); RightEye the other. Chin is found by FindChin, zero until then.
type Face struct {
	Box      Rect
	LeftEye  Point
	RightEye Point
	Nose     Point
	Mouth    Point
	Chin     Point
	Score    float64
}

// EyeMid is the midpoint of the eyes.
func (f Face) EyeMid() Point {
	return Point{(f.LeftEye.X + f.RightEye.X) / 2, (f.LeftEye.Y + f.RightEye.Y) / 2}
}

// EyeDistance is the distance between the eye centres in pixels.
func (f Face) EyeDistance() float64 {
	return math.Hypot(f.RightEye.X-f.LeftEye.X, f.RightEye.Y-f.LeftEye.Y)
}

// Roll is the angle of the eye line in degrees; positive when the right-hand eye (in
// the image) is lower, i.e. the head is turned clockwise as seen in the image.
func (f Face) Roll() float64 {
	return math.Atan2(f.RightEye.Y-f.LeftEye.Y, f.RightEye.X-f.LeftEye.X) * 180 / math.Pi
}

// String hides the coordinates so a face can never reach a log line by accident.
func (f Face) String() string { return "face{redacted}" }

// Detector finds every face in img. Implementations must be safe for concurrent use.
type Detector interface {
	Detect(ctx context.Context, img image.Image) ([]Face, error)
}
