// Package imageio reads and writes the photos idphoto handles.
//
// Every upload is treated as hostile: the type is found from magic bytes, the
// byte count is capped while reading, and the pixel count is checked from the
// header before any pixel is decoded. Errors are sentinels (use errors.Is)
// whose messages are one line a user can read; typed errors wrapping them
// carry the numbers.
//
// Output files carry no metadata except their resolution (JFIF density or a
// PNG pHYs chunk): no EXIF, no text, no thumbnails.
package imageio

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits bound what Decode accepts. A field that is zero or negative takes
// the value from DefaultLimits, so an upload is never unbounded.
type Limits struct {
	MaxBytes  int64 // size of the encoded file
	MaxPixels int64 // width × height as stored in the file
}

// DefaultLimits returns 50 MiB and 50 megapixels: above any phone camera,
// far below what would exhaust a small server.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 50 << 20, MaxPixels: 50_000_000}
}

// Validate reports limits that cannot be meant. Zero fields are allowed:
// they mean the default.
func (l Limits) Validate() error {
	if l.MaxBytes < 0 || l.MaxPixels < 0 {
		return errors.New("imageio: limits must not be negative")
	}
	return nil
}

func (l Limits) orDefault() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	return l
}

// Format is an image file format, named as in MIME subtypes.
type Format string

// The formats Decode reads. Encode writes JPEG and PNG.
const (
	FormatJPEG Format = "jpeg"
	FormatPNG  Format = "png"
	FormatWebP Format = "webp"
	FormatHEIC Format = "heic"
)

// Info describes a decoded image.
type Info struct {
	Format Format
	// Width and Height are the size after the orientation was applied,
	// that is, the size of the returned image.
	Width, Height int
	// Orientation is the EXIF orientation (1-8) that Decode applied; 1 when
	// the file has none. HEIC files are always 1: the HEIF decoder applies
	// the container's own rotation and mirror boxes, which take precedence
	// over EXIF in that format.
	Orientation int
}

// Sentinel errors. Their messages are safe to show to the user.
var (
	ErrEmpty         = errors.New("file is empty")
	ErrNotImage      = errors.New("not an image")
	ErrUnsupported   = errors.New("image format not supported, use JPEG, PNG, WebP or HEIC")
	ErrTooLarge      = errors.New("file is too large")
	ErrTooManyPixels = errors.New("image has too many pixels")
	// ErrTruncated means the data ended early, ErrCorrupt that it is wrong.
	// Users cannot tell the two apart, so they read the same.
	ErrTruncated = errors.New("image data is damaged or incomplete")
	ErrCorrupt   = errors.New("image data is damaged or incomplete")
	// ErrNoDPI is returned by ReadDPI for a file without a resolution.
	ErrNoDPI = errors.New("image has no resolution (DPI) information")
	// ErrSizeUnreachable is returned by EncodeJPEGInRange when no quality
	// gives a file inside the requested size range.
	ErrSizeUnreachable = errors.New("file size range cannot be reached")
)

// TooLargeError is returned when the file exceeds Limits.MaxBytes.
type TooLargeError struct {
	Size  int64 // bytes, or 0 when the reader could not say how many
	Limit int64
}

func (e *TooLargeError) Error() string {
	size, limit := megabytes(e.Size), megabytes(e.Limit)
	if e.Size <= e.Limit || size == limit { // unknown, or too close to print
		return "file is larger than the " + limit + " limit"
	}
	return "file is " + size + ", limit is " + limit
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// TooManyPixelsError is returned when the dimensions in the header exceed
// Limits.MaxPixels.
type TooManyPixelsError struct {
	Width, Height int
	Limit         int64
}

func (e *TooManyPixelsError) Error() string {
	got := int64(e.Width) * int64(e.Height)
	size, limit := megapixels(got), megapixels(e.Limit)
	if size == limit {
		return "image is larger than the " + limit + " limit"
	}
	return "image is " + size + ", limit is " + limit
}

func (e *TooManyPixelsError) Unwrap() error { return ErrTooManyPixels }

// UnsupportedError names a recognised format that idphoto does not read.
type UnsupportedError struct {
	Name string // "AVIF", "GIF", ...
}

func (e *UnsupportedError) Error() string {
	return e.Name + " images are not supported, use JPEG, PNG, WebP or HEIC"
}

func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// DecodeError is a damaged file. Error() is the public message; the
// decoder's own error stays reachable through errors.Is/As for logs.
type DecodeError struct {
	Kind   error // ErrTruncated or ErrCorrupt
	Format Format
	Cause  error
}

func (e *DecodeError) Error() string { return e.Kind.Error() }

func (e *DecodeError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// SizeRangeError is returned with ErrSizeUnreachable; Got is the size of
// the file returned alongside it.
type SizeRangeError struct {
	Got, Quality int // bytes, JPEG quality
	MinKB, MaxKB int // the requested range; 0 = no bound
}

func (e *SizeRangeError) Error() string {
	got := kilobytes(e.Got)
	switch {
	case e.MaxKB > 0 && e.Got > e.MaxKB*1024:
		return fmt.Sprintf("smallest file is %s (JPEG quality %d), above the %d KB maximum", got, e.Quality, e.MaxKB)
	case e.Quality >= 100:
		return fmt.Sprintf("largest file is %s (JPEG quality 100), below the %d KB minimum", got, e.MinKB)
	default:
		return fmt.Sprintf("no JPEG quality gives %d-%d KB; closest under the maximum is %s (quality %d)", e.MinKB, e.MaxKB, got, e.Quality)
	}
}

func (e *SizeRangeError) Unwrap() error { return ErrSizeUnreachable }

// megabytes formats n bytes for people: MB means MiB and KB KiB, as file
// managers show them.
func megabytes(n int64) string {
	switch {
	case n >= 1<<20:
		return decimal(float64(n)/(1<<20)) + " MB"
	case n >= 1<<10:
		return kilobytes(int(n))
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func kilobytes(n int) string {
	return decimal(float64(n)/1024) + " KB"
}

func megapixels(n int64) string {
	return decimal(float64(n)/1e6) + " MP"
}

// decimal prints whole numbers without a fraction and small ones with one
// digit, so "50 MB" and "1.5 MB" both read naturally.
func decimal(v float64) string {
	if v >= 10 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s
}
