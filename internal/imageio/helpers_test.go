package imageio_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// testdata is the repository's shared folder of real photos.
var testdata = filepath.Join("..", "..", "testdata")

func readFile(tb testing.TB, parts ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{testdata}, parts...)...))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// tiffWithOrientation builds a minimal TIFF block (the body of EXIF) whose
// IFD0 holds only the Orientation tag.
func tiffWithOrientation(order binary.ByteOrder, o uint16) []byte {
	b := make([]byte, 8+2+12+4)
	if order == binary.LittleEndian {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	order.PutUint32(b[4:], 8)
	order.PutUint16(b[8:], 1)
	order.PutUint16(b[10:], 0x0112)
	order.PutUint16(b[12:], 3)
	order.PutUint32(b[14:], 1)
	order.PutUint16(b[18:], o)
	return b
}

// withJPEGEXIF inserts an APP1 Exif segment right after SOI.
func withJPEGEXIF(jpg, tiff []byte) []byte {
	body := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, body...)
	return append(out, jpg[2:]...)
}

// pngChunk builds one chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	c := make([]byte, 8, 12+len(data))
	binary.BigEndian.PutUint32(c, uint32(len(data)))
	copy(c[4:], typ)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// withPNGChunk inserts a chunk right after IHDR.
func withPNGChunk(p []byte, typ string, data []byte) []byte {
	at := 8 + 12 + 13
	out := append([]byte{}, p[:at]...)
	out = append(out, pngChunk(typ, data)...)
	return append(out, p[at:]...)
}

// pngHeader is a PNG signature, IHDR with the given size and IEND: enough
// for DecodeConfig, no pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	return append(out, pngChunk("IEND", nil)...)
}

// webpWithEXIF wraps a simple (VP8) WebP into the extended format with an
// EXIF chunk after the image data.
func webpWithEXIF(simple []byte, w, h int, tiff []byte) []byte {
	vp8x := make([]byte, 10)
	vp8x[0] = 0x08 // EXIF present
	put24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(vp8x[4:], w-1)
	put24(vp8x[7:], h-1)
	chunk := func(fourcc string, data []byte) []byte {
		c := append([]byte(fourcc), 0, 0, 0, 0)
		binary.LittleEndian.PutUint32(c[4:], uint32(len(data)))
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	body := []byte("WEBP")
	body = append(body, chunk("VP8X", vp8x)...)
	body = append(body, simple[12:]...) // the VP8 chunk as it was
	body = append(body, chunk("EXIF", tiff)...)
	out := append([]byte("RIFF"), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(body)))
	return append(out, body...)
}

var (
	marker     = color.NRGBA{R: 230, G: 20, B: 20, A: 255}
	background = color.NRGBA{R: 20, G: 20, B: 230, A: 255}
)

// markedImage is w×h blue with a red square in its top-left corner.
func markedImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := background
			if x < w/3 && y < h/3 {
				c = marker
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func encodeTestJPEG(tb testing.TB, img image.Image, q int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// near reports whether two colours are within JPEG's error of each other.
func near(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	d := func(x, y uint32) uint32 {
		if x > y {
			return x - y
		}
		return y - x
	}
	const tol = 40 << 8
	return d(r1, r2) < tol && d(g1, g2) < tol && d(b1, b2) < tol
}

// corner names which corner of img holds the marker colour.
func corner(img image.Image) string {
	b := img.Bounds()
	in := 2
	corners := []struct {
		name string
		x, y int
	}{
		{"top-left", b.Min.X + in, b.Min.Y + in},
		{"top-right", b.Max.X - 1 - in, b.Min.Y + in},
		{"bottom-left", b.Min.X + in, b.Max.Y - 1 - in},
		{"bottom-right", b.Max.X - 1 - in, b.Max.Y - 1 - in},
	}
	found := "none"
	for _, c := range corners {
		if near(img.At(c.x, c.y), marker) {
			if found != "none" {
				return "several"
			}
			found = c.name
		}
	}
	return found
}
