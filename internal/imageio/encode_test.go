package imageio_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio"
)

// portrait358x441 is hivision-test3.jpg cropped to the 358:441 aspect and
// shrunk: the pixel size of a common Chinese ID photo.
func portrait358x441(tb testing.TB) *image.NRGBA {
	tb.Helper()
	img, _, err := imageio.Decode(bytes.NewReader(readFile(tb, "portraits", "hivision-test3.jpg")), imageio.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	crop := imageio.ToNRGBA(img).SubImage(image.Rect(0, 0, 512, 631)).(*image.NRGBA)
	out := imageio.Shrink(imageio.ToNRGBA(crop), 441)
	if out.Rect.Dx() != 358 || out.Rect.Dy() != 441 {
		tb.Fatalf("test portrait is %v", out.Rect.Size())
	}
	return out
}

func TestEncodeDPIRoundTrip(t *testing.T) {
	img := portrait358x441(t)
	for _, f := range []imageio.Format{imageio.FormatJPEG, imageio.FormatPNG} {
		for _, dpi := range []int{72, 96, 300, 350, 600, 1200} {
			t.Run(fmt.Sprintf("%s/%d", f, dpi), func(t *testing.T) {
				var buf bytes.Buffer
				if err := imageio.Encode(&buf, img, imageio.EncodeOptions{Format: f, Quality: 85, DPI: dpi}); err != nil {
					t.Fatal(err)
				}
				got, err := imageio.ReadDPI(buf.Bytes())
				if err != nil || got != dpi {
					t.Fatalf("ReadDPI = %d, %v; want %d", got, err, dpi)
				}
				// The file still decodes, with Go's and with our decoder.
				back, info, err := imageio.Decode(bytes.NewReader(buf.Bytes()), imageio.Limits{})
				if err != nil || info.Format != f || back.Bounds().Size() != img.Rect.Size() {
					t.Fatalf("decode: %v, %+v", err, info)
				}
			})
		}
	}
}

func TestEncodeJPEGLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := imageio.Encode(&buf, markedImage(16, 16), imageio.EncodeOptions{Format: imageio.FormatJPEG, DPI: 300}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// SOI, then APP0 JFIF 1.01, units 1 (dots per inch), 300x300, no thumbnail.
	want := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x01, 0x01, 0x2C, 0x01, 0x2C, 0x00, 0x00}
	if !bytes.HasPrefix(b, want) {
		t.Errorf("file starts % X, want % X", b[:len(want)], want)
	}
	// Exactly one APP0 and no other application segment.
	if n := bytes.Count(b, []byte("JFIF")); n != 1 {
		t.Errorf("%d JFIF segments", n)
	}
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("Go's decoder refuses the file: %v", err)
	}
}

func TestEncodePNGLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := imageio.Encode(&buf, markedImage(16, 16), imageio.EncodeOptions{Format: imageio.FormatPNG, DPI: 300}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	var types []string
	for p := 8; p+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		types = append(types, typ)
		body := b[p+8 : p+8+n]
		if crc := binary.BigEndian.Uint32(b[p+8+n:]); crc != crc32.ChecksumIEEE(b[p+4:p+8+n]) {
			t.Errorf("chunk %s has a wrong CRC", typ)
		}
		if typ == "pHYs" {
			// 300 dpi = 11811 pixels per metre, unit 1 (metre).
			want := []byte{0, 0, 0x2E, 0x23, 0, 0, 0x2E, 0x23, 1}
			if !bytes.Equal(body, want) {
				t.Errorf("pHYs = % X, want % X", body, want)
			}
		}
		p += 12 + n
	}
	if got := strings.Join(types, " "); got != "IHDR pHYs IDAT IEND" {
		t.Errorf("chunks = %s, want IHDR pHYs IDAT IEND", got)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("Go's decoder refuses the file: %v", err)
	}
}

func TestEncodeStripsMetadata(t *testing.T) {
	// A JPEG with EXIF (orientation, and a pretend GPS string) goes in; what
	// comes out holds none of it.
	src := withJPEGEXIF(encodeTestJPEG(t, markedImage(40, 30), 90),
		append(tiffWithOrientation(binary.BigEndian, 6), []byte("GPS 52.5200N 13.4050E")...))
	img, _, err := imageio.Decode(bytes.NewReader(src), imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []imageio.Format{imageio.FormatJPEG, imageio.FormatPNG} {
		var buf bytes.Buffer
		if err := imageio.Encode(&buf, img, imageio.EncodeOptions{Format: f, DPI: 300}); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"Exif", "eXIf", "GPS", "tEXt", "iTXt", "zTXt", "XMP", "http://"} {
			if bytes.Contains(buf.Bytes(), []byte(s)) {
				t.Errorf("%s output contains %q", f, s)
			}
		}
		// Already turned upright: the output needs no orientation.
		if o := imageio.ReadOrientation(buf.Bytes()); o != 1 {
			t.Errorf("%s output orientation %d", f, o)
		}
	}
	data, _, err := imageio.EncodeJPEGInRange(img, 300, 0, 0)
	if err != nil || bytes.Contains(data, []byte("Exif")) {
		t.Errorf("EncodeJPEGInRange: %v, Exif present: %v", err, bytes.Contains(data, []byte("Exif")))
	}
}

func TestEncodeRefuses(t *testing.T) {
	img := markedImage(8, 8)
	tests := []imageio.EncodeOptions{
		{Format: imageio.FormatWebP},
		{Format: imageio.FormatHEIC},
		{Format: ""},
		{Format: imageio.FormatJPEG, Quality: 101},
		{Format: imageio.FormatJPEG, Quality: -1},
		{Format: imageio.FormatJPEG, DPI: -1},
		{Format: imageio.FormatPNG, DPI: 70000},
	}
	for _, opt := range tests {
		if err := imageio.Encode(&bytes.Buffer{}, img, opt); err == nil {
			t.Errorf("Encode(%+v) succeeded", opt)
		}
	}
}

func TestEncodeJPEGInRange(t *testing.T) {
	img := portrait358x441(t)
	tests := []struct {
		name         string
		minKB, maxKB int
	}{
		{"14-20 KB", 14, 20},
		{"under 30 KB", 0, 30},
		{"at least 10 KB", 10, 0},
		{"narrow 16-17 KB", 16, 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, q, err := imageio.EncodeJPEGInRange(img, 300, tt.minKB, tt.maxKB)
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if len(data) < tt.minKB*1024 || (tt.maxKB > 0 && len(data) > tt.maxKB*1024) {
				t.Errorf("size %d bytes outside %d-%d KB", len(data), tt.minKB, tt.maxKB)
			}
			if q < 40 || q > 100 {
				t.Errorf("quality %d", q)
			}
			// The highest quality that fits: one step up does not.
			if q < 100 {
				var buf bytes.Buffer
				if err := imageio.Encode(&buf, img, imageio.EncodeOptions{Format: imageio.FormatJPEG, Quality: q + 1, DPI: 300}); err != nil {
					t.Fatal(err)
				}
				if buf.Len() <= tt.maxKB*1024 {
					t.Errorf("quality %d gives %d bytes, also under %d KB", q+1, buf.Len(), tt.maxKB)
				}
			}
			// The same bytes Encode gives at that quality: nothing padded.
			var buf bytes.Buffer
			if err := imageio.Encode(&buf, img, imageio.EncodeOptions{Format: imageio.FormatJPEG, Quality: q, DPI: 300}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), data) {
				t.Error("output differs from Encode at the same quality")
			}
			if dpi, err := imageio.ReadDPI(data); dpi != 300 || err != nil {
				t.Errorf("ReadDPI = %d, %v", dpi, err)
			}
			t.Logf("%d bytes at quality %d", len(data), q)
		})
	}
}

func TestEncodeJPEGInRangeUnreachable(t *testing.T) {
	img := portrait358x441(t)
	tests := []struct {
		name         string
		minKB, maxKB int
		wantQ        int
		msg          string
	}{
		{"max below quality 40", 0, 2, 40, "above the 2 KB maximum"},
		{"min above quality 100", 500, 0, 100, "below the 500 KB minimum"},
		{"min above quality 100 with max", 500, 900, 100, "below the 500 KB minimum"},
		// Quality 99 gives 67 KB and 100 gives 79 KB: nothing in between.
		{"gap between qualities", 70, 75, 99, "no JPEG quality gives 70-75 KB; closest under the maximum is 67 KB (quality 99)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, q, err := imageio.EncodeJPEGInRange(img, 300, tt.minKB, tt.maxKB)
			if !errors.Is(err, imageio.ErrSizeUnreachable) {
				t.Fatalf("err = %v, want ErrSizeUnreachable", err)
			}
			var re *imageio.SizeRangeError
			if !errors.As(err, &re) || re.Got != len(data) || re.Quality != q {
				t.Errorf("error %#v does not describe the returned file (%d bytes, quality %d)", err, len(data), q)
			}
			if q != tt.wantQ || len(data) == 0 {
				t.Errorf("closest result: quality %d, %d bytes; want quality %d", q, len(data), tt.wantQ)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), " KB") {
				t.Errorf("message %q does not state the sizes", err)
			}
		})
	}
	for _, r := range [][2]int{{-1, 10}, {10, -1}, {20, 10}} {
		if _, _, err := imageio.EncodeJPEGInRange(img, 300, r[0], r[1]); err == nil || errors.Is(err, imageio.ErrSizeUnreachable) {
			t.Errorf("range %v: err = %v, want an invalid-range error", r, err)
		}
	}
}

func TestReadDPI(t *testing.T) {
	jfifCM := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 2, 0, 118, 0, 118, 0, 0, 0xFF, 0xD9}
	aspectOnly := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9}
	tests := []struct {
		name string
		data []byte
		want int
		err  error
	}{
		{"jfif dots per cm", jfifCM, 300, nil}, // 118 per cm = 299.7 dpi
		{"jfif aspect only", aspectOnly, 0, imageio.ErrNoDPI},
		{"go jpeg, no jfif", encodeTestJPEG(t, markedImage(8, 8), 80), 0, imageio.ErrNoDPI},
		{"real jpeg with 1:1 aspect", readFile(t, "portraits", "hivision-test3.jpg"), 0, imageio.ErrNoDPI},
		{"png without pHYs", pngHeader(10, 10), 0, imageio.ErrNoDPI},
		{"png pHYs unknown unit", withPNGChunk(pngHeader(10, 10), "pHYs", []byte{0, 0, 0x2E, 0x23, 0, 0, 0x2E, 0x23, 0}), 0, imageio.ErrNoDPI},
		{"png pHYs 300", withPNGChunk(pngHeader(10, 10), "pHYs", []byte{0, 0, 0x2E, 0x23, 0, 0, 0x2E, 0x23, 1}), 300, nil},
		{"webp", readFile(t, "portraits", "hivision-test1.jpg"), 0, imageio.ErrNoDPI},
		{"text", []byte("not a picture"), 0, imageio.ErrNotImage},
		{"empty", nil, 0, imageio.ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := imageio.ReadDPI(tt.data)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("ReadDPI = %d, %v; want %d, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func FuzzReadDPI(f *testing.F) {
	var buf bytes.Buffer
	if err := imageio.Encode(&buf, markedImage(8, 8), imageio.EncodeOptions{Format: imageio.FormatJPEG, DPI: 300}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	buf.Reset()
	if err := imageio.Encode(&buf, markedImage(8, 8), imageio.EncodeOptions{Format: imageio.FormatPNG, DPI: 300}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 2, 0, 118, 0, 118})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xE0, 0x00, 0x02})
	f.Add(withPNGChunk(pngHeader(1, 1), "pHYs", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 1}))
	f.Fuzz(func(t *testing.T, data []byte) {
		dpi, err := imageio.ReadDPI(data)
		if (err == nil) != (dpi > 0) {
			t.Fatalf("ReadDPI = %d, %v", dpi, err)
		}
	})
}
