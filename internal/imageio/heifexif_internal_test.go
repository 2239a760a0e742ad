package imageio

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio/exiftest"
)

// heifFile describes a crafted HEIF file holding one Exif item.
type heifFile struct {
	ilocVersion byte   // 0, 1 or 2
	infeVersion byte   // 2 or 3
	method      uint16 // construction method: 0 file, 1 idat, 2 item (unsupported)
	extents     int    // the item is split into this many pieces, stored in reverse order
	largeMeta   bool   // meta written with a 64-bit size
	lastMeta    bool   // meta written last with size 0 (runs to the end)
	prefix      string // written between the 4-byte offset and the TIFF data
	countPrefix bool   // whether the offset counts the prefix
	dataRef     uint16
	tiff        []byte
}

func heifBox(typ string, body ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(bytes.Join(body, nil))))
	return append(append(b, typ...), bytes.Join(body, nil)...)
}

func fullBox(typ string, version byte, body ...[]byte) []byte {
	return heifBox(typ, append([][]byte{{version, 0, 0, 0}}, body...)...)
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func (h heifFile) bytes() []byte {
	offset := uint32(0)
	if h.countPrefix {
		offset = uint32(len(h.prefix))
	}
	item := append(append(u32(offset), h.prefix...), h.tiff...)
	// Cut the item into pieces and lay them out last first, so that joining them
	// in extent order is checked.
	n := max(h.extents, 1)
	var pieces [][]byte
	for i := range n {
		pieces = append(pieces, item[i*len(item)/n:(i+1)*len(item)/n])
	}
	var source []byte
	starts := make([]int, n)
	for i := n - 1; i >= 0; i-- {
		starts[i] = len(source)
		source = append(source, pieces[i]...)
	}
	ftyp := heifBox("ftyp", []byte("heic\x00\x00\x00\x00mif1heic"))
	base := uint32(0) // idat: offsets count from its body
	if h.method == 0 {
		base = uint32(len(ftyp) + 8) // mdat comes right after ftyp
	}

	infe := func(id uint16, typ string) []byte {
		if h.infeVersion == 3 {
			return fullBox("infe", 3, u32(uint32(id)), u16(0), []byte(typ), []byte{0})
		}
		return fullBox("infe", h.infeVersion, u16(id), u16(0), []byte(typ), []byte{0})
	}
	iinf := fullBox("iinf", 0, u16(2), infe(1, "hvc1"), infe(7, "Exif"))

	// iloc with 4-byte offsets, lengths and base offsets; index fields of 4
	// bytes where the version has them.
	var il bytes.Buffer
	sizes := uint16(0x4440)
	if h.ilocVersion > 0 {
		sizes |= 4
	}
	il.Write(u16(sizes))
	itemID := func(id uint16) {
		if h.ilocVersion == 2 {
			il.Write(u32(uint32(id)))
		} else {
			il.Write(u16(id))
		}
	}
	if h.ilocVersion == 2 {
		il.Write(u32(2))
	} else {
		il.Write(u16(2))
	}
	// Item 1, an image, listed first so that the reader skips it.
	itemID(1)
	if h.ilocVersion > 0 {
		il.Write(u16(0))
	}
	il.Write(u16(0))
	il.Write(u32(0))
	il.Write(u16(2))
	for range 2 {
		if h.ilocVersion > 0 {
			il.Write(u32(0))
		}
		il.Write(u32(0))
		il.Write(u32(4))
	}
	// Item 7, the Exif item.
	itemID(7)
	if h.ilocVersion > 0 {
		il.Write(u16(h.method))
	}
	il.Write(u16(h.dataRef))
	il.Write(u32(base))
	il.Write(u16(uint16(n)))
	for i := range n {
		if h.ilocVersion > 0 {
			il.Write(u32(0))
		}
		il.Write(u32(uint32(starts[i])))
		il.Write(u32(uint32(len(pieces[i]))))
	}
	iloc := fullBox("iloc", h.ilocVersion, il.Bytes())

	children := [][]byte{fullBox("hdlr", 0, make([]byte, 4), []byte("pict"), make([]byte, 13)), iinf, iloc}
	mdat := heifBox("mdat", make([]byte, 8))
	if h.method == 0 {
		mdat = heifBox("mdat", source)
	} else {
		children = append(children, heifBox("idat", source))
	}
	meta := fullBox("meta", 0, children...)
	if h.largeMeta {
		body := meta[8:]
		meta = append(append(u32(1), "meta"...), binary.BigEndian.AppendUint64(nil, uint64(16+len(body)))...)
		meta = append(meta, body...)
	}
	if h.lastMeta {
		copy(meta, u32(0))
	}
	return bytes.Join([][]byte{ftyp, mdat, meta}, nil)
}

func TestHEIFExif(t *testing.T) {
	tiff := exiftest.Block(exiftest.Fields{Make: "Apple", Model: "iPhone", Taken: "2024:05:01 09:30:15", Offset: "+08:00", GPS: &[2]float64{31.2304, 121.4737}})
	tests := []struct {
		name string
		h    heifFile
		ok   bool
	}{
		{"iloc v0, infe v2, in the file", heifFile{infeVersion: 2, tiff: tiff}, true},
		{"iloc v1, in idat", heifFile{ilocVersion: 1, infeVersion: 2, method: 1, tiff: tiff}, true},
		{"iloc v2, infe v3, three extents", heifFile{ilocVersion: 2, infeVersion: 3, extents: 3, tiff: tiff}, true},
		{"idat, two extents", heifFile{ilocVersion: 1, infeVersion: 2, method: 1, extents: 2, tiff: tiff}, true},
		{"64-bit meta size", heifFile{infeVersion: 2, largeMeta: true, tiff: tiff}, true},
		{"meta of size 0 at the end", heifFile{infeVersion: 2, lastMeta: true, tiff: tiff}, true},
		{"Exif header counted by the offset", heifFile{infeVersion: 2, prefix: "Exif\x00\x00", countPrefix: true, tiff: tiff}, true},
		{"Exif header not counted", heifFile{infeVersion: 2, prefix: "Exif\x00\x00", tiff: tiff}, true},
		{"construction method 2", heifFile{ilocVersion: 1, infeVersion: 2, method: 2, tiff: tiff}, false},
		{"data in another file", heifFile{infeVersion: 2, dataRef: 1, tiff: tiff}, false},
		{"not TIFF", heifFile{infeVersion: 2, tiff: []byte("XXXXXXXXXXXX")}, false},
		{"infe v1 has no type", heifFile{infeVersion: 1, tiff: tiff}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.h.bytes()
			if f, err := Sniff(b[:min(len(b), SniffLen)]); err != nil || f != FormatHEIC {
				t.Fatalf("crafted file sniffs as %q, %v", f, err)
			}
			got := heifEXIF(b)
			if !tt.ok {
				if got != nil {
					t.Fatalf("got %d bytes, want none", len(got))
				}
				return
			}
			if !bytes.Equal(got, tt.h.tiff) {
				t.Fatalf("got %q, want the TIFF block", got)
			}
			if m := ReadMetadata(b); m.Make != "Apple" || !m.HasGPS || m.Taken.IsZero() {
				t.Errorf("metadata %+v", m)
			}
		})
	}
}

// Broken files read as nothing, never panic and never loop: every cut of a
// valid file, boxes of size 0 and 1, and sizes and offsets past the end.
func TestHEIFExifBroken(t *testing.T) {
	tiff := exiftest.Block(exiftest.Fields{Make: "Apple"})
	valid := heifFile{ilocVersion: 1, infeVersion: 2, extents: 2, tiff: tiff}.bytes()
	for n := range len(valid) {
		if got := heifEXIF(valid[:n]); got != nil && !bytes.HasPrefix(tiff, got) {
			t.Fatalf("cut at %d: read %q", n, got)
		}
	}
	ftyp := heifBox("ftyp", []byte("heic\x00\x00\x00\x00mif1heic"))
	tests := map[string][]byte{
		"size 1 with 64-bit size 0":   append(append(ftyp[:len(ftyp):len(ftyp)], "\x00\x00\x00\x01meta"...), make([]byte, 8)...),
		"size 1 with 64-bit size 4GB": append(append(ftyp[:len(ftyp):len(ftyp)], "\x00\x00\x00\x01meta"...), 0, 0, 0, 1, 0, 0, 0, 0),
		"size 4 (below the header)":   append(ftyp[:len(ftyp):len(ftyp)], "\x00\x00\x00\x04meta\x00\x00\x00\x00"...),
		"size 0 meta, empty":          append(ftyp[:len(ftyp):len(ftyp)], "\x00\x00\x00\x00meta"...),
		"iloc claims 4 billion items": append(ftyp[:len(ftyp):len(ftyp)], fullBox("meta", 0,
			fullBox("iinf", 0, u16(1), fullBox("infe", 2, u16(1), u16(0), []byte("Exif\x00"))),
			fullBox("iloc", 2, u16(0x4440), u32(0xFFFFFFFF)))...),
		"extent past the end": append(ftyp[:len(ftyp):len(ftyp)], fullBox("meta", 0,
			fullBox("iinf", 0, u16(1), fullBox("infe", 2, u16(1), u16(0), []byte("Exif\x00"))),
			fullBox("iloc", 0, u16(0x4440), u16(1), u16(1), u16(0), u32(0), u16(1), u32(0), u32(0xFFFFFFF0)))...),
		"offset wraps around": append(ftyp[:len(ftyp):len(ftyp)], fullBox("meta", 0,
			fullBox("iinf", 0, u16(1), fullBox("infe", 2, u16(1), u16(0), []byte("Exif\x00"))),
			fullBox("iloc", 0, u16(0x8880), u16(1), u16(1), u16(0), bytes.Repeat([]byte{0xFF}, 8), u16(1), u32(0), u32(2), u64(16)))...),
		"65535 extents of zero bytes": append(ftyp[:len(ftyp):len(ftyp)], fullBox("meta", 0,
			fullBox("iinf", 0, u16(1), fullBox("infe", 2, u16(2), u16(0), []byte("Exif\x00"))),
			fullBox("iloc", 0, u16(0x0000), u16(2), u16(1), u16(0), u16(0xFFFF), u16(2), u16(0), u16(0xFFFF)))...),
		"Exif offset past the item": heifFile{infeVersion: 2, tiff: tiff}.withOffset(1000),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if got := heifEXIF(b); got != nil {
				t.Errorf("read %q", got)
			}
			if m := ReadMetadata(b); m != (Metadata{}) {
				t.Errorf("metadata %+v", m)
			}
		})
	}
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// withOffset returns the file with the Exif item's 4-byte offset set to off.
func (h heifFile) withOffset(off uint32) []byte {
	b := h.bytes()
	// The item is the body of mdat, right after ftyp (24 bytes) and mdat's header.
	binary.BigEndian.PutUint32(b[24+8:], off)
	return b
}

func FuzzHEIFExif(f *testing.F) {
	tiff := exiftest.Block(exiftest.Fields{Make: "Apple", Model: "iPhone", Taken: "2024:05:01 09:30:15", Offset: "+08:00", GPS: &[2]float64{31.2, 121.4}})
	f.Add(heifFile{infeVersion: 2, tiff: tiff}.bytes())
	f.Add(heifFile{ilocVersion: 1, infeVersion: 2, method: 1, extents: 2, tiff: tiff}.bytes())
	f.Add(heifFile{ilocVersion: 2, infeVersion: 3, extents: 3, largeMeta: true, tiff: tiff}.bytes())
	f.Add(heifFile{infeVersion: 2, lastMeta: true, prefix: "Exif\x00\x00", countPrefix: true, tiff: tiff}.bytes())
	if real, err := os.ReadFile(filepath.Join("..", "..", "testdata", "formats", "portrait-exif.heic")); err == nil {
		f.Add(real[:min(len(real), 600)]) // ftyp and meta; the HEVC data adds nothing here
	}
	f.Add([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x01meta"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got := heifEXIF(data); len(got) > len(data) {
			t.Fatalf("read %d bytes from %d", len(got), len(data))
		}
		m := ReadMetadata(data)
		if m.HasGPS && (m.Lat < -90 || m.Lat > 90 || m.Lon < -180 || m.Lon > 180) {
			t.Fatalf("position out of range: %v, %v", m.Lat, m.Lon)
		}
	})
}
