package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"github.com/gen2brain/heic"
	"golang.org/x/image/webp"

	"github.com/idphoto/idphoto/internal/imageio/jpegscale"
)

// sniffWindow is how much of the file Decode gives to Sniff: enough for an
// ftyp box with a long list of compatible brands.
const sniffWindow = 4096

// Decode reads one image from r, treating it as hostile.
//
// It reads at most lim.MaxBytes+1 bytes (more is ErrTooLarge), finds the
// format from magic bytes, reads the dimensions from the header and refuses
// more than lim.MaxPixels before decoding, then decodes and applies the EXIF
// orientation. Errors wrap the package's sentinels; the decoders of other
// packages are guarded so that a panic in them becomes ErrCorrupt.
//
// The image type depends on the format (often *image.YCbCr); an image that
// had to be turned is an *image.NRGBA. Use ToNRGBA for one type.
func Decode(r io.Reader, lim Limits) (image.Image, Info, error) {
	u, err := readUpload(r, lim)
	if err != nil {
		return nil, Info{}, err
	}
	return u.decode()
}

// decode is Decode of an upload whose header has been read.
func (u *upload) decode() (image.Image, Info, error) {
	img, info, err := u.decodeUpright()
	if err != nil || info.Orientation <= 1 {
		return img, info, err
	}
	img = orient(ToNRGBA(img), info.Orientation)
	info.Width, info.Height = img.Bounds().Dx(), img.Bounds().Dy()
	return img, info, nil
}

// DecodeWork is Decode for the pipeline's working copy: it shrinks the photo so its
// long side is at most maxSide while converting it, then applies the orientation to
// the small copy. Info describes the photo as decoded, orientation applied.
//
// A JPEG at least twice maxSide is decoded straight at a half, quarter or eighth of
// its size (package jpegscale), which skips most of a full decode's work; a JPEG
// that decoder does not read goes through image/jpeg like every other format.
func DecodeWork(r io.Reader, lim Limits, maxSide int) (*image.NRGBA, Info, error) {
	u, err := readUpload(r, lim)
	if err != nil {
		return nil, Info{}, err
	}
	return u.work(maxSide, nil)
}

// work makes the working copy of u. grow, when not nil, is called before a photo is
// decoded at full size rather than scaled (Budget takes the difference).
func (u *upload) work(maxSide int, grow func() error) (*image.NRGBA, Info, error) {
	work, info, ok := u.scaledJPEG(maxSide)
	if !ok {
		if grow != nil {
			if err := grow(); err != nil {
				return nil, Info{}, err
			}
		}
		var img image.Image
		var err error
		if img, info, err = u.decodeUpright(); err != nil {
			return nil, info, err
		}
		work = ShrinkImage(img, maxSide)
	}
	if info.Orientation > 1 {
		work = orient(work, info.Orientation)
		if info.Orientation >= 5 {
			info.Width, info.Height = info.Height, info.Width
		}
	}
	return work, info, nil
}

// scaledJPEG decodes a JPEG at the smallest of 1/8, 1/4 and 1/2 of its size that
// keeps its long side at least maxSide, then shrinks it to the size ShrinkImage
// gives. ok is false when the photo is too small for that or jpegscale refuses it:
// image/jpeg then decodes it, or says what is wrong with it.
func (u *upload) scaledJPEG(maxSide int) (*image.NRGBA, Info, bool) {
	w, h := u.cfg.Width, u.cfg.Height
	scale := jpegScale(u, maxSide)
	if scale == 0 {
		return nil, Info{}, false
	}
	img, err := guard(FormatJPEG, func() (image.Image, error) {
		return jpegscale.Decode(u.data, scale, u.lim.MaxPixels)
	})
	if err != nil {
		return nil, Info{}, false
	}
	dw, dh := fitSize(w, h, maxSide)
	work := shrinkPlanes(img, float64(w)/float64(scale), float64(h)/float64(scale), dw, dh)
	return work, Info{Format: FormatJPEG, Width: w, Height: h, Orientation: ReadOrientation(u.data)}, true
}

// jpegScale is the scale scaledJPEG decodes u at (8, 4 or 2), or 0 when it decodes
// it in full.
func jpegScale(u *upload, maxSide int) int {
	if u.format != FormatJPEG || maxSide <= 0 {
		return 0
	}
	for _, s := range []int{8, 4, 2} {
		if max(u.cfg.Width, u.cfg.Height) >= s*maxSide {
			return s
		}
	}
	return 0
}

// upload is a file read within the byte limit whose header passed the pixel limit.
type upload struct {
	data   []byte
	format Format
	cfg    image.Config
	lim    Limits
}

func readUpload(r io.Reader, lim Limits) (*upload, error) {
	lim = lim.orDefault()
	data, err := readCapped(r, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	format, err := Sniff(data[:min(len(data), sniffWindow)])
	if err != nil {
		return nil, err
	}

	cfg, err := guard(format, func() (image.Config, error) { return decodeConfig(format, data) })
	if err != nil {
		return nil, err
	}
	if err := checkPixels(cfg.Width, cfg.Height, lim.MaxPixels); err != nil {
		return nil, err
	}
	return &upload{data: data, format: format, cfg: cfg, lim: lim}, nil
}

// decodeUpright does all of Decode but turning the image: Info.Orientation says how.
func (u *upload) decodeUpright() (image.Image, Info, error) {
	data, format := u.data, u.format
	img, err := guard(format, func() (image.Image, error) { return decodeImage(format, data) })
	if de := (*DecodeError)(nil); errors.As(err, &de) && looksTruncated(format, data) {
		de.Kind = ErrTruncated
	}
	if err != nil {
		return nil, Info{}, err
	}
	// The header and the pixels could disagree in a crafted file; the
	// pixels are what the rest of the pipeline sees.
	b := img.Bounds()
	if err := checkPixels(b.Dx(), b.Dy(), u.lim.MaxPixels); err != nil {
		return nil, Info{}, err
	}

	info := Info{Format: format, Width: b.Dx(), Height: b.Dy(), Orientation: 1}
	if format != FormatHEIC {
		info.Orientation = ReadOrientation(data)
	}
	return img, info, nil
}

// readCapped reads all of r but refuses more than limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if n := sizeOf(r); n > limit {
		return nil, &TooLargeError{Size: n, Limit: limit}
	} else if n > 0 {
		buf.Grow(int(n))
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("imageio: read upload: %w", err)
	}
	if n > limit {
		// Say how large only when the reader knows; never drain the rest.
		size := sizeOf(r)
		if size > 0 {
			size += n
		}
		return nil, &TooLargeError{Size: size, Limit: limit}
	}
	if n == 0 {
		return nil, ErrEmpty
	}
	return buf.Bytes(), nil
}

// sizeOf returns how many bytes are left in readers that know it (files,
// byte and string readers), or 0. It lets ErrTooLarge say how large the file
// is and refuse it before reading.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return 0
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0
		}
		return st.Size() - pos
	}
	return 0
}

func checkPixels(w, h int, limit int64) error {
	if w <= 0 || h <= 0 {
		return &DecodeError{Kind: ErrCorrupt, Cause: errors.New("image has no pixels")}
	}
	if int64(w)*int64(h) > limit {
		return &TooManyPixelsError{Width: w, Height: h, Limit: limit}
	}
	return nil
}

func decodeConfig(f Format, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch f {
	case FormatJPEG:
		return jpeg.DecodeConfig(r)
	case FormatPNG:
		return png.DecodeConfig(r)
	case FormatWebP:
		return webp.DecodeConfig(r)
	case FormatHEIC:
		return heic.DecodeConfig(r)
	}
	return image.Config{}, ErrNotImage
}

func decodeImage(f Format, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch f {
	case FormatJPEG:
		return jpeg.Decode(r)
	case FormatPNG:
		return png.Decode(r)
	case FormatWebP:
		return webp.Decode(r)
	case FormatHEIC:
		return heic.Decode(r)
	}
	return nil, ErrNotImage
}

// guard runs a decoder of another package, turning its errors into
// DecodeError and its panics into ErrCorrupt.
func guard[T any](f Format, fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, &DecodeError{Kind: ErrCorrupt, Format: f, Cause: fmt.Errorf("decoder panic: %v", p)}
		}
	}()
	v, err = fn()
	if err != nil {
		kind := ErrCorrupt
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			kind = ErrTruncated
		}
		return v, &DecodeError{Kind: kind, Format: f, Cause: err}
	}
	return v, nil
}

// looksTruncated reports whether a file that failed to decode lacks the end
// its format requires. Decoders report a cut-off file in their own words
// ("short Huffman data", "not enough pixel data"); the structure says it
// plainly.
func looksTruncated(f Format, data []byte) bool {
	switch f {
	case FormatJPEG:
		return !bytes.HasSuffix(bytes.TrimRight(data, "\x00"), []byte{0xFF, 0xD9})
	case FormatPNG:
		return !bytes.Contains(data[max(0, len(data)-64):], []byte("IEND"))
	case FormatWebP:
		return len(data) >= 8 && uint64(binary.LittleEndian.Uint32(data[4:8]))+8 > uint64(len(data))
	}
	return false
}
