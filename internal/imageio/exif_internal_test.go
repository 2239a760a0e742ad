package imageio

import (
	"encoding/binary"
	"image"
	"testing"
)

func TestTIFFOrientation(t *testing.T) {
	entry := func(order binary.ByteOrder, tag, typ uint16, count, value uint32) []byte {
		b := make([]byte, 12)
		order.PutUint16(b, tag)
		order.PutUint16(b[2:], typ)
		order.PutUint32(b[4:], count)
		if typ == 3 {
			order.PutUint16(b[8:], uint16(value))
		} else {
			order.PutUint32(b[8:], value)
		}
		return b
	}
	tiff := func(order binary.ByteOrder, ifd uint32, n uint16, entries ...[]byte) []byte {
		b := []byte("MM\x00*\x00\x00\x00\x00")
		if order == binary.LittleEndian {
			b = []byte("II*\x00\x00\x00\x00\x00")
		}
		order.PutUint32(b[4:], ifd)
		for len(b) < int(ifd) {
			b = append(b, 0)
		}
		b = append(b, 0, 0)
		order.PutUint16(b[len(b)-2:], n)
		for _, e := range entries {
			b = append(b, e...)
		}
		return b
	}
	le, be := binary.LittleEndian, binary.BigEndian
	tests := []struct {
		name string
		b    []byte
		want int
	}{
		{"little endian 6", tiff(le, 8, 1, entry(le, 0x0112, 3, 1, 6)), 6},
		{"big endian 8", tiff(be, 8, 1, entry(be, 0x0112, 3, 1, 8)), 8},
		{"after other tags", tiff(be, 8, 3, entry(be, 0x010F, 2, 4, 0), entry(be, 0x0110, 2, 4, 0), entry(be, 0x0112, 3, 1, 3)), 3},
		{"IFD further on", tiff(le, 40, 1, entry(le, 0x0112, 3, 1, 5)), 5},
		{"LONG type", tiff(le, 8, 1, entry(le, 0x0112, 4, 1, 7)), 7},
		{"value 0", tiff(le, 8, 1, entry(le, 0x0112, 3, 1, 0)), 1},
		{"value 9", tiff(le, 8, 1, entry(le, 0x0112, 3, 1, 9)), 1},
		{"count 2", tiff(le, 8, 1, entry(le, 0x0112, 3, 2, 6)), 1},
		{"ASCII type", tiff(le, 8, 1, entry(le, 0x0112, 2, 1, 6)), 1},
		{"entry count beyond data", tiff(le, 8, 500, entry(le, 0x0110, 3, 1, 6)), 1},
		{"IFD offset beyond data", tiff(le, 8, 0)[:8], 1},
		{"IFD offset 4 GB", []byte("II*\x00\xff\xff\xff\xff"), 1},
		{"no orientation tag", tiff(be, 8, 1, entry(be, 0x0110, 3, 1, 6)), 1},
		{"bad byte order", []byte("XX*\x00\x08\x00\x00\x00\x00\x00"), 1},
		{"short", []byte("II*"), 1},
		{"nil", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tiffOrientation(tt.b); got != tt.want {
				t.Errorf("tiffOrientation = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestOrientIsAPermutation(t *testing.T) {
	// Every source pixel lands exactly once, and the inverse turns come back.
	src := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	for i := range src.Pix {
		src.Pix[i] = uint8(i)
	}
	inverse := map[int]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
	for o := 1; o <= 8; o++ {
		back := orient(orient(src, o), inverse[o])
		if back.Rect != src.Rect || string(back.Pix) != string(src.Pix) {
			t.Errorf("orientation %d then %d does not restore the image", o, inverse[o])
		}
	}
}

func FuzzOrientation(f *testing.F) {
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x08\x00\x00"))
	f.Add([]byte("MM\x00*\xff\xff\xff\xf0"))
	f.Add([]byte("II*\x00\x08\x00\x00\x00\xff\xff"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x08Exif\x00\x00"))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x08eXIfII*\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPEXIF\x08\x00\x00\x00II*\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, o := range []int{tiffOrientation(data), ReadOrientation(data)} {
			if o < 1 || o > 8 {
				t.Fatalf("orientation %d", o)
			}
		}
		// The same bytes as the body of each container's EXIF block.
		jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 0}, "Exif\x00\x00"...)
		jpeg = append(jpeg, data...)
		binary.BigEndian.PutUint16(jpeg[4:], uint16(min(len(jpeg)-4, 0xFFFF)))
		if o := ReadOrientation(jpeg); o != tiffOrientation(data) && len(jpeg)-4 <= 0xFFFF {
			t.Fatalf("in JPEG: %d, bare: %d", o, tiffOrientation(data))
		}
	})
}
