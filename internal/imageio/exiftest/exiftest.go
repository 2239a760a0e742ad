// Package exiftest writes EXIF blocks for tests: a capture time, a GPS position and a
// camera, put into a JPEG as a phone would, so that tests can check what is read,
// what is kept and what is never served.
package exiftest

import (
	"bytes"
	"encoding/binary"
	"math"
)

// Fields are what Block writes; empty strings and a nil GPS are left out.
type Fields struct {
	Make, Model string
	Taken       string // "2006:01:02 15:04:05"
	Offset      string // "+08:00"
	GPS         *[2]float64
}

type entry struct {
	tag, typ uint16
	count    uint32
	data     []byte // the value; put after the IFDs when longer than 4 bytes
	pointer  int    // index of the IFD this LONG points to, or -1
}

// Block returns a big-endian TIFF block (the body of an APP1 Exif segment) holding f.
func Block(f Fields) []byte {
	order := binary.BigEndian
	ascii := func(tag uint16, s string) entry {
		return entry{tag: tag, typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0), pointer: -1}
	}
	rational := func(tag uint16, v float64) entry {
		v = math.Abs(v)
		d := math.Floor(v)
		m := math.Floor((v - d) * 60)
		s := ((v-d)*60 - m) * 60
		b := make([]byte, 24)
		order.PutUint32(b[0:], uint32(d))
		order.PutUint32(b[4:], 1)
		order.PutUint32(b[8:], uint32(m))
		order.PutUint32(b[12:], 1)
		order.PutUint32(b[16:], uint32(math.Round(s*10000)))
		order.PutUint32(b[20:], 10000)
		return entry{tag: tag, typ: 5, count: 3, data: b, pointer: -1}
	}
	ifds := [][]entry{nil, nil, nil} // IFD0, Exif, GPS
	if f.Make != "" {
		ifds[0] = append(ifds[0], ascii(0x010F, f.Make))
	}
	if f.Model != "" {
		ifds[0] = append(ifds[0], ascii(0x0110, f.Model))
	}
	ifds[0] = append(ifds[0], entry{tag: 0x0112, typ: 3, count: 1, data: []byte{0, 1}, pointer: -1})
	if f.Taken != "" {
		ifds[1] = append(ifds[1], ascii(0x9003, f.Taken))
		if f.Offset != "" {
			ifds[1] = append(ifds[1], ascii(0x9011, f.Offset))
		}
		ifds[0] = append(ifds[0], entry{tag: 0x8769, typ: 4, count: 1, pointer: 1})
	}
	if f.GPS != nil {
		lat, lon := f.GPS[0], f.GPS[1]
		ns, ew := "N", "E"
		if lat < 0 {
			ns = "S"
		}
		if lon < 0 {
			ew = "W"
		}
		ifds[2] = append(ifds[2], ascii(1, ns), rational(2, lat), ascii(3, ew), rational(4, lon))
		ifds[0] = append(ifds[0], entry{tag: 0x8825, typ: 4, count: 1, pointer: 2})
	}
	// Lay out: header, the IFDs one after another, then the long values.
	offs := make([]int, len(ifds))
	pos := 8
	for i, ifd := range ifds {
		offs[i] = pos
		pos += 2 + 12*len(ifd) + 4
	}
	var out bytes.Buffer
	out.WriteString("MM\x00*")
	binary.Write(&out, order, uint32(8))
	var extra bytes.Buffer
	for _, ifd := range ifds {
		binary.Write(&out, order, uint16(len(ifd)))
		for _, e := range ifd {
			binary.Write(&out, order, e.tag)
			binary.Write(&out, order, e.typ)
			binary.Write(&out, order, e.count)
			val := make([]byte, 4)
			switch {
			case e.pointer >= 0:
				order.PutUint32(val, uint32(offs[e.pointer]))
			case len(e.data) <= 4:
				copy(val, e.data)
			default:
				order.PutUint32(val, uint32(pos+extra.Len()))
				extra.Write(e.data)
			}
			out.Write(val)
		}
		binary.Write(&out, order, uint32(0)) // no next IFD
	}
	out.Write(extra.Bytes())
	return out.Bytes()
}

// JPEG returns jpeg with an APP1 Exif segment holding tiff right after its SOI.
func JPEG(jpeg, tiff []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpeg[:2]...)
	out = append(out, 0xFF, 0xE1, byte((len(seg)+2)>>8), byte(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpeg[2:]...)
}
