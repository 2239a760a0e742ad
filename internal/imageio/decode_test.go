package imageio_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/png"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio"
)

func TestPromiseP1DecodeRealPhotos(t *testing.T) {
	tests := []struct {
		path   []string
		format imageio.Format
		w, h   int
	}{
		{[]string{"portraits", "astronaut.png"}, imageio.FormatPNG, 512, 512},
		{[]string{"portraits", "messi5.jpg"}, imageio.FormatJPEG, 548, 342},
		{[]string{"portraits", "hivision-test1.jpg"}, imageio.FormatWebP, 764, 1146}, // WebP named .jpg
		{[]string{"portraits", "hivision-test2.jpg"}, imageio.FormatPNG, 640, 718},   // PNG named .jpg
		{[]string{"portraits", "hivision-test3.jpg"}, imageio.FormatJPEG, 512, 715},
		{[]string{"formats", "portrait.heic"}, imageio.FormatHEIC, 512, 715},
		{[]string{"no-face", "baboon.jpg"}, imageio.FormatJPEG, 512, 512},
		{[]string{"no-face", "building.jpg"}, imageio.FormatJPEG, 0, 0},
		{[]string{"no-face", "fruits.jpg"}, imageio.FormatJPEG, 0, 0},
		{[]string{"no-face", "cat.png"}, imageio.FormatPNG, 451, 300},
	}
	for _, tt := range tests {
		t.Run(tt.path[len(tt.path)-1], func(t *testing.T) {
			img, info, err := imageio.Decode(bytes.NewReader(readFile(t, tt.path...)), imageio.DefaultLimits())
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if info.Format != tt.format {
				t.Errorf("format = %q, want %q", info.Format, tt.format)
			}
			b := img.Bounds()
			if info.Width != b.Dx() || info.Height != b.Dy() {
				t.Errorf("info says %dx%d, image is %dx%d", info.Width, info.Height, b.Dx(), b.Dy())
			}
			if tt.w != 0 && (b.Dx() != tt.w || b.Dy() != tt.h) {
				t.Errorf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.w, tt.h)
			}
			if info.Orientation != 1 {
				t.Errorf("orientation = %d, want 1", info.Orientation)
			}
		})
	}
}

func TestDecodeHEICMatchesJPEG(t *testing.T) {
	// portrait.heic was made from hivision-test3.jpg; a decoder that mixed
	// up planes or strides would still give the right size, not the colours.
	heic, _, err := imageio.Decode(bytes.NewReader(readFile(t, "formats", "portrait.heic")), imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	jpg, _, err := imageio.Decode(bytes.NewReader(readFile(t, "portraits", "hivision-test3.jpg")), imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := imageio.ToNRGBA(heic), imageio.ToNRGBA(jpg)
	var sum float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		sum += d * d
	}
	if mse := sum / float64(len(a.Pix)); mse > 100 {
		t.Errorf("HEIC differs from its source JPEG: mean squared error %.1f", mse)
	}
}

func TestPromiseP1DecodeOrientation(t *testing.T) {
	const w, h = 48, 30
	jpg := encodeTestJPEG(t, markedImage(w, h), 95)
	var buf bytes.Buffer
	if err := png.Encode(&buf, markedImage(w, h)); err != nil {
		t.Fatal(err)
	}
	pngData := buf.Bytes()

	tests := []struct {
		orientation uint16
		w, h        int
		corner      string
	}{
		{1, w, h, "top-left"},
		{2, w, h, "top-right"},
		{3, w, h, "bottom-right"},
		{4, w, h, "bottom-left"},
		{5, h, w, "top-left"},
		{6, h, w, "top-right"},
		{7, h, w, "bottom-right"},
		{8, h, w, "bottom-left"},
	}
	for _, tt := range tests {
		for _, order := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
			tiff := tiffWithOrientation(order, tt.orientation)
			files := map[string][]byte{
				"jpeg": withJPEGEXIF(jpg, tiff),
				"png":  withPNGChunk(pngData, "eXIf", tiff),
			}
			for name, data := range files {
				t.Run(name+"/"+order.String()+"/"+string(rune('0'+tt.orientation)), func(t *testing.T) {
					img, info, err := imageio.Decode(bytes.NewReader(data), imageio.DefaultLimits())
					if err != nil {
						t.Fatal(err)
					}
					if info.Orientation != int(tt.orientation) {
						t.Errorf("orientation = %d, want %d", info.Orientation, tt.orientation)
					}
					b := img.Bounds()
					if b.Dx() != tt.w || b.Dy() != tt.h || info.Width != tt.w || info.Height != tt.h {
						t.Errorf("size = %dx%d (info %dx%d), want %dx%d", b.Dx(), b.Dy(), info.Width, info.Height, tt.w, tt.h)
					}
					if got := corner(img); got != tt.corner {
						t.Errorf("marker in %s corner, want %s", got, tt.corner)
					}
				})
			}
		}
	}
}

func TestDecodeWebPOrientation(t *testing.T) {
	simple := readFile(t, "portraits", "hivision-test1.jpg")
	for _, withHeader := range []bool{false, true} {
		tiff := tiffWithOrientation(binary.LittleEndian, 6)
		if withHeader {
			tiff = append([]byte("Exif\x00\x00"), tiff...)
		}
		data := webpWithEXIF(simple, 764, 1146, tiff)
		img, info, err := imageio.Decode(bytes.NewReader(data), imageio.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		if info.Format != imageio.FormatWebP || info.Orientation != 6 {
			t.Errorf("info = %+v, want webp with orientation 6", info)
		}
		if b := img.Bounds(); b.Dx() != 1146 || b.Dy() != 764 {
			t.Errorf("size = %v, want 1146x764", b.Size())
		}
	}
}

// sizedReader claims a length without holding the bytes, as an upload with
// a Content-Length would.
type sizedReader struct {
	io.Reader
	n int
}

func (r sizedReader) Len() int { return r.n }

func TestDecodeErrors(t *testing.T) {
	jpg := readFile(t, "portraits", "messi5.jpg")
	pngData := readFile(t, "portraits", "astronaut.png")
	webp := readFile(t, "portraits", "hivision-test1.jpg")
	heic := readFile(t, "formats", "portrait.heic")
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	badCRC := bytes.Clone(pngData)
	badCRC[len(badCRC)-20] ^= 0xFF // inside the last IDAT

	avif := []byte("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf\x00\x00\x00\x00")
	small := imageio.Limits{MaxBytes: 1000, MaxPixels: 50_000_000}

	tests := []struct {
		name string
		r    io.Reader
		lim  imageio.Limits
		want error
		msg  string
	}{
		{"empty", bytes.NewReader(nil), imageio.Limits{}, imageio.ErrEmpty, "file is empty"},
		{"random bytes", bytes.NewReader(random), imageio.Limits{}, imageio.ErrNotImage, "not an image"},
		{"text", strings.NewReader("hello, this is not a photo"), imageio.Limits{}, imageio.ErrNotImage, "not an image"},
		{"avif", bytes.NewReader(avif), imageio.Limits{}, imageio.ErrUnsupported, "AVIF images are not supported, use JPEG, PNG, WebP or HEIC"},
		{"gif", strings.NewReader("GIF89a\x01\x00\x01\x00"), imageio.Limits{}, imageio.ErrUnsupported, "GIF images are not supported, use JPEG, PNG, WebP or HEIC"},
		{"truncated jpeg", bytes.NewReader(jpg[:len(jpg)/2]), imageio.Limits{}, imageio.ErrTruncated, "image data is damaged or incomplete"},
		{"jpeg header only", bytes.NewReader(jpg[:200]), imageio.Limits{}, imageio.ErrTruncated, "image data is damaged or incomplete"},
		{"truncated png", bytes.NewReader(pngData[:len(pngData)/2]), imageio.Limits{}, imageio.ErrTruncated, "image data is damaged or incomplete"},
		{"png bad crc", bytes.NewReader(badCRC), imageio.Limits{}, imageio.ErrCorrupt, "image data is damaged or incomplete"},
		{"truncated webp", bytes.NewReader(webp[:len(webp)/2]), imageio.Limits{}, imageio.ErrTruncated, "image data is damaged or incomplete"},
		{"truncated heic", bytes.NewReader(heic[:len(heic)/2]), imageio.Limits{}, imageio.ErrCorrupt, "image data is damaged or incomplete"},
		{"png 80 MP header", bytes.NewReader(pngHeader(10000, 8000)), imageio.Limits{}, imageio.ErrTooManyPixels, "image is 80 MP, limit is 50 MP"},
		{"png 4 billion px wide", bytes.NewReader(pngHeader(1<<31-1, 1)), imageio.Limits{}, imageio.ErrTooManyPixels, "image is 2147 MP, limit is 50 MP"},
		{"png zero width", bytes.NewReader(pngHeader(0, 10)), imageio.Limits{}, imageio.ErrCorrupt, "image data is damaged or incomplete"},
		{"pixels over a small limit", bytes.NewReader(jpg), imageio.Limits{MaxPixels: 100_000}, imageio.ErrTooManyPixels, "image is 0.2 MP, limit is 0.1 MP"},
		{"bytes over limit, size known", bytes.NewReader(jpg), small, imageio.ErrTooLarge, "file is 71 KB, limit is 1000 bytes"},
		{"bytes over limit, size unknown", io.MultiReader(bytes.NewReader(jpg)), small, imageio.ErrTooLarge, "file is larger than the 1000 bytes limit"},
		{"200 MB upload", sizedReader{strings.NewReader("never read"), 200 << 20}, imageio.Limits{}, imageio.ErrTooLarge, "file is 200 MB, limit is 50 MB"},
		{"one byte over 50 MB", sizedReader{strings.NewReader(""), 50<<20 + 1}, imageio.Limits{}, imageio.ErrTooLarge, "file is larger than the 50 MB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, _, err := imageio.Decode(tt.r, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (%#v), want %v", err, err, tt.want)
			}
			if img != nil {
				t.Error("image returned with an error")
			}
			if err.Error() != tt.msg {
				t.Errorf("message = %q, want %q", err.Error(), tt.msg)
			}
		})
	}
}

func TestErrorTypesCarryNumbers(t *testing.T) {
	_, _, err := imageio.Decode(bytes.NewReader(pngHeader(10000, 8000)), imageio.Limits{})
	var px *imageio.TooManyPixelsError
	if !errors.As(err, &px) || px.Width != 10000 || px.Height != 8000 || px.Limit != 50_000_000 {
		t.Errorf("got %#v, want a TooManyPixelsError with 10000x8000 and limit 50 MP", err)
	}
	_, _, err = imageio.Decode(sizedReader{strings.NewReader(""), 200 << 20}, imageio.Limits{})
	var big *imageio.TooLargeError
	if !errors.As(err, &big) || big.Size != 200<<20 || big.Limit != 50<<20 {
		t.Errorf("got %#v, want a TooLargeError with 200 MiB and limit 50 MiB", err)
	}
	// The decoder's own error stays reachable for logs.
	jpg := readFile(t, "portraits", "messi5.jpg")
	_, _, err = imageio.Decode(bytes.NewReader(jpg[:len(jpg)/2]), imageio.Limits{})
	var de *imageio.DecodeError
	if !errors.As(err, &de) || de.Format != imageio.FormatJPEG || de.Cause == nil {
		t.Errorf("got %#v, want a DecodeError for jpeg with a cause", err)
	}
}

func TestLimits(t *testing.T) {
	d := imageio.DefaultLimits()
	if d.MaxBytes != 50<<20 || d.MaxPixels != 50_000_000 {
		t.Errorf("DefaultLimits() = %+v", d)
	}
	tests := []struct {
		lim imageio.Limits
		ok  bool
	}{
		{imageio.DefaultLimits(), true},
		{imageio.Limits{}, true},
		{imageio.Limits{MaxBytes: -1}, false},
		{imageio.Limits{MaxPixels: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.lim.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v", tt.lim, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	jpg := encodeTestJPEG(f, markedImage(24, 16), 80)
	var buf bytes.Buffer
	if err := png.Encode(&buf, markedImage(24, 16)); err != nil {
		f.Fatal(err)
	}
	f.Add(jpg)
	f.Add(jpg[:len(jpg)/2])
	f.Add(withJPEGEXIF(jpg, tiffWithOrientation(binary.BigEndian, 6)))
	f.Add(buf.Bytes())
	f.Add(withPNGChunk(buf.Bytes(), "eXIf", tiffWithOrientation(binary.LittleEndian, 8)))
	f.Add(pngHeader(10000, 8000))
	f.Add(readFile(f, "portraits", "hivision-test1.jpg")[:2048])
	f.Add(readFile(f, "formats", "portrait.heic")[:1024])
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8X"))
	f.Add([]byte{})
	lim := imageio.Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The working copy: small enough that a JPEG takes the scaled decoder.
		if work, info, err := imageio.DecodeWork(bytes.NewReader(data), lim, 8); err == nil {
			if s := work.Rect.Size(); max(s.X, s.Y) > 8 && max(s.X, s.Y) != max(info.Width, info.Height) {
				t.Fatalf("working copy %v of %dx%d", s, info.Width, info.Height)
			}
		}
		img, info, err := imageio.Decode(bytes.NewReader(data), lim)
		if err != nil {
			if img != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		b := img.Bounds()
		if b.Dx() != info.Width || b.Dy() != info.Height || int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels {
			t.Fatalf("bounds %v, info %+v", b, info)
		}
		if _, err := imageio.Sniff(data); err != nil {
			t.Fatalf("decoded a file Sniff refuses: %v", err)
		}
		_ = imageio.ToNRGBA(img)
	})
}
