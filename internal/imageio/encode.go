package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
)

// EncodeOptions choose the output file.
type EncodeOptions struct {
	Format  Format // FormatJPEG or FormatPNG
	Quality int    // JPEG quality 1-100; 0 means 90
	DPI     int    // resolution to record, 1-65535; 0 records none
}

// DefaultJPEGQuality is used when EncodeOptions.Quality is 0.
const DefaultJPEGQuality = 90

// Lowest quality EncodeJPEGInRange tries: below it faces turn to blocks.
const minRangeQuality = 40

const inchesPerMetre = 1 / 0.0254

// Encode writes img as JPEG or PNG with the resolution in opt.DPI and no
// other metadata. JPEG has no alpha: transparent pixels come out black, so
// compose the photo on its background first.
func Encode(w io.Writer, img image.Image, opt EncodeOptions) error {
	data, err := encode(img, opt)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func encode(img image.Image, opt EncodeOptions) ([]byte, error) {
	if opt.DPI < 0 || opt.DPI > math.MaxUint16 {
		return nil, fmt.Errorf("imageio: DPI %d out of range 0-65535", opt.DPI)
	}
	switch opt.Format {
	case FormatJPEG:
		q := opt.Quality
		if q == 0 {
			q = DefaultJPEGQuality
		}
		if q < 1 || q > 100 {
			return nil, fmt.Errorf("imageio: JPEG quality %d out of range 1-100", q)
		}
		return encodeJPEG(jpegSource(img), q, opt.DPI)
	case FormatPNG:
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, fmt.Errorf("imageio: encode png: %w", err)
		}
		if opt.DPI == 0 {
			return buf.Bytes(), nil
		}
		return insertPHYs(buf.Bytes(), opt.DPI)
	}
	return nil, fmt.Errorf("imageio: cannot encode %q, only jpeg and png", opt.Format)
}

// jpegSource gives the JPEG encoder a type it converts without a call per
// pixel. *image.RGBA composites alpha on black exactly as the encoder's
// generic path would.
func jpegSource(img image.Image) image.Image {
	switch m := img.(type) {
	case *image.YCbCr, *image.RGBA, *image.Gray:
		return img
	case *image.NRGBA:
		b := m.Rect
		dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := dst.Pix[y*dst.Stride : y*dst.Stride+4*b.Dx()]
			for i := 0; i < len(row); i += 4 {
				a := uint32(src[i+3])
				if a == 0xFF {
					copy(row[i:i+4], src[i:i+4])
					continue
				}
				row[i] = uint8((uint32(src[i])*a + 127) / 255)
				row[i+1] = uint8((uint32(src[i+1])*a + 127) / 255)
				row[i+2] = uint8((uint32(src[i+2])*a + 127) / 255)
				row[i+3] = uint8(a)
			}
		}
		return dst
	}
	return img
}

// encodeJPEG encodes with Go's encoder, which writes no metadata at all,
// and inserts a JFIF APP0 segment after SOI to carry the density.
func encodeJPEG(img image.Image, quality, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	// Reserve room in front for APP0 (18 bytes), then encode after it:
	// [18 spare][SOI][rest]. Writing SOI+APP0 over the first 20 bytes gives
	// [SOI][APP0][rest] without a second copy of the file.
	buf.Write(make([]byte, 18))
	start := buf.Len()
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("imageio: encode jpeg: %w", err)
	}
	out := buf.Bytes()
	if len(out) < start+2 || out[start] != 0xFF || out[start+1] != 0xD8 {
		return nil, errors.New("imageio: encode jpeg: no SOI marker")
	}
	out[0], out[1] = 0xFF, 0xD8
	copy(out[2:start+2], jfifSegment(dpi))
	return out, nil
}

// jfifSegment is an APP0 JFIF 1.01 segment without thumbnail. Density in
// dots per inch (units 1); with dpi 0 it states only square pixels (units 0).
func jfifSegment(dpi int) []byte {
	units, density := byte(1), uint16(dpi)
	if dpi == 0 {
		units, density = 0, 1
	}
	s := []byte{0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, units, 0, 0, 0, 0, 0x00, 0x00}
	binary.BigEndian.PutUint16(s[12:], density)
	binary.BigEndian.PutUint16(s[14:], density)
	return s
}

// insertPHYs adds a pHYs chunk (pixels per metre, unit 1) before the first
// IDAT of a PNG produced by png.Encode.
func insertPHYs(p []byte, dpi int) ([]byte, error) {
	at := -1
	for i := len(magicPNG); i+8 <= len(p); {
		length := int(binary.BigEndian.Uint32(p[i:]))
		if string(p[i+4:i+8]) == "IDAT" {
			at = i
			break
		}
		i += 12 + length
	}
	if at < 0 {
		return nil, errors.New("imageio: encode png: no IDAT chunk")
	}
	ppm := uint32(math.Round(float64(dpi) * inchesPerMetre))
	chunk := make([]byte, 12+9)
	binary.BigEndian.PutUint32(chunk[0:], 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))

	out := make([]byte, 0, len(p)+len(chunk))
	out = append(out, p[:at]...)
	out = append(out, chunk...)
	return append(out, p[at:]...), nil
}

// EncodeJPEGInRange encodes img as JPEG with the given DPI so that the file
// is between minKB and maxKB (1 KB = 1024 bytes; 0 means no bound),
// choosing the highest quality from 40 to 100 that stays under maxKB. It
// never pads a file to reach the minimum. When the range cannot be met it
// returns the closest file (the one under maxKB if any), its quality and an
// error wrapping ErrSizeUnreachable that states the sizes.
func EncodeJPEGInRange(img image.Image, dpi, minKB, maxKB int) ([]byte, int, error) {
	if minKB < 0 || maxKB < 0 || (maxKB > 0 && minKB > maxKB) {
		return nil, 0, fmt.Errorf("imageio: invalid size range %d-%d KB", minKB, maxKB)
	}
	if dpi < 0 || dpi > math.MaxUint16 {
		return nil, 0, fmt.Errorf("imageio: DPI %d out of range 0-65535", dpi)
	}
	src := jpegSource(img)
	tried := map[int][]byte{}
	at := func(q int) ([]byte, error) {
		if b, ok := tried[q]; ok {
			return b, nil
		}
		b, err := encodeJPEG(src, q, dpi)
		tried[q] = b
		return b, err
	}
	maxB, minB := maxKB*1024, minKB*1024
	fits := func(b []byte) bool { return maxKB == 0 || len(b) <= maxB }

	best, err := at(100)
	if err != nil {
		return nil, 0, err
	}
	q := 100
	if !fits(best) {
		low, err := at(minRangeQuality)
		if err != nil {
			return nil, 0, err
		}
		if !fits(low) {
			return low, minRangeQuality, &SizeRangeError{Got: len(low), Quality: minRangeQuality, MinKB: minKB, MaxKB: maxKB}
		}
		// File size grows with quality; find the highest quality that fits
		// between one known to fit (lo) and one known not to (hi).
		lo, hi := minRangeQuality, 100
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			b, err := at(mid)
			if err != nil {
				return nil, 0, err
			}
			if fits(b) {
				lo = mid
			} else {
				hi = mid
			}
		}
		q = lo
		best = tried[lo]
	}
	if len(best) < minB {
		return best, q, &SizeRangeError{Got: len(best), Quality: q, MinKB: minKB, MaxKB: maxKB}
	}
	return best, q, nil
}

// ReadDPI returns the resolution recorded in a JPEG (JFIF APP0 density) or
// PNG (pHYs chunk), rounded to whole dots per inch. Files without one, or
// with only an aspect ratio, give ErrNoDPI.
func ReadDPI(data []byte) (int, error) {
	f, err := Sniff(data[:min(len(data), SniffLen)])
	if err != nil {
		return 0, err
	}
	switch f {
	case FormatJPEG:
		return jfifDPI(data)
	case FormatPNG:
		return pngDPI(data)
	}
	return 0, ErrNoDPI
}

func jfifDPI(b []byte) (int, error) {
	p := 2
	for p+4 <= len(b) {
		if b[p] != 0xFF {
			return 0, ErrNoDPI
		}
		marker := b[p+1]
		switch {
		case marker == 0xFF:
			p++
			continue
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD7:
			p += 2
			continue
		case marker == 0xDA || marker == 0xD9:
			return 0, ErrNoDPI
		}
		length := int(binary.BigEndian.Uint16(b[p+2:]))
		if length < 2 || p+2+length > len(b) {
			return 0, ErrNoDPI
		}
		seg := b[p+4 : p+2+length]
		if marker == 0xE0 && len(seg) >= 12 && string(seg[:5]) == "JFIF\x00" {
			x := int(binary.BigEndian.Uint16(seg[8:]))
			switch seg[7] {
			case 1:
				if x > 0 {
					return x, nil
				}
			case 2: // dots per centimetre
				if x > 0 {
					return int(math.Round(float64(x) * 2.54)), nil
				}
			}
			return 0, ErrNoDPI
		}
		p += 2 + length
	}
	return 0, ErrNoDPI
}

func pngDPI(b []byte) (int, error) {
	p := len(magicPNG)
	for p+8 <= len(b) {
		length := uint64(binary.BigEndian.Uint32(b[p:]))
		end := uint64(p) + 8 + length
		if end > uint64(len(b)) {
			return 0, ErrNoDPI
		}
		switch string(b[p+4 : p+8]) {
		case "pHYs":
			if length != 9 || b[p+16] != 1 {
				return 0, ErrNoDPI
			}
			ppm := binary.BigEndian.Uint32(b[p+8:])
			dpi := math.Round(float64(ppm) / inchesPerMetre)
			if dpi < 1 || dpi > math.MaxInt32 {
				return 0, ErrNoDPI
			}
			return int(dpi), nil
		case "IDAT", "IEND":
			return 0, ErrNoDPI
		}
		p = int(end) + 4
	}
	return 0, ErrNoDPI
}
