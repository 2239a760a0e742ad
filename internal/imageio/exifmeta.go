package imageio

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
)

// The library (P8, P9) reads a few more EXIF tags than Orientation: when the
// photo was taken, where, and with which camera. They are returned to the caller
// only, which seals what it keeps; nothing here is logged or written out, and
// Encode still writes no EXIF at all.

// Metadata is what ReadMetadata found. A zero field was absent or unreadable.
type Metadata struct {
	// Taken is DateTimeOriginal. With OffsetTimeOriginal present it is in that
	// zone and TakenZone is true; without, it is the camera's wall clock put in
	// UTC (the zone is unknown) and TakenZone is false.
	Taken     time.Time
	TakenZone bool
	// HasGPS says Lat and Lon were read: degrees, north and east positive.
	HasGPS   bool
	Lat, Lon float64
	// Make and Model name the camera: printable ASCII, trimmed, at most
	// maxMetaText bytes each.
	Make, Model string
}

// EXIF tags read for the library.
const (
	tagMake               = 0x010F
	tagModel              = 0x0110
	tagExifIFD            = 0x8769
	tagGPSIFD             = 0x8825
	tagDateTimeOriginal   = 0x9003
	tagOffsetTimeOriginal = 0x9011
	tagGPSLatitudeRef     = 0x0001
	tagGPSLatitude        = 0x0002
	tagGPSLongitudeRef    = 0x0003
	tagGPSLongitude       = 0x0004
)

// TIFF field types used here, and the byte size of each.
const (
	typeASCII    = 2
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
)

// typeSize is the byte size of one value of a TIFF type read here.
func typeSize(typ uint16) uint64 {
	switch typ {
	case typeShort:
		return 2
	case typeLong:
		return 4
	case typeRational:
		return 8
	}
	return 1
}

// maxMetaText bounds a camera name: real ones are far shorter.
const maxMetaText = 64

// ReadMetadata reads the capture time, GPS position and camera of a JPEG, PNG,
// WebP or HEIC file from its EXIF block (in HEIC, the Exif item: heifexif.go). It
// never fails: whatever is missing, malformed or out of range is left zero. Every
// offset is checked against the block before it is read, so a crafted file can't
// make it read outside data or loop.
func ReadMetadata(data []byte) Metadata {
	f, err := Sniff(data[:min(len(data), SniffLen)])
	if err != nil {
		return Metadata{}
	}
	var tiff []byte
	switch f {
	case FormatJPEG:
		tiff = jpegEXIF(data)
	case FormatPNG:
		tiff = pngEXIF(data)
	case FormatWebP:
		tiff = webpEXIF(data)
	case FormatHEIC:
		tiff = heifEXIF(data)
	}
	return tiffMetadata(tiff)
}

// tiffReader reads IFD entries of one TIFF block.
type tiffReader struct {
	b     []byte
	order binary.ByteOrder
}

// ifdEntry is one 12-byte IFD entry.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // the 4-byte value-or-offset field
}

// entries returns the entries of the IFD at off, or nil when it does not fit.
func (r tiffReader) entries(off uint64) []ifdEntry {
	if off < 8 || off+2 > uint64(len(r.b)) {
		return nil
	}
	n := uint64(r.order.Uint16(r.b[off:]))
	if off+2+12*n > uint64(len(r.b)) {
		return nil // a count that runs past the block: trust none of it
	}
	out := make([]ifdEntry, 0, n)
	for i := uint64(0); i < n; i++ {
		e := r.b[off+2+12*i : off+2+12*i+12]
		out = append(out, ifdEntry{tag: r.order.Uint16(e), typ: r.order.Uint16(e[2:]), count: r.order.Uint32(e[4:]), value: e[8:12]})
	}
	return out
}

// data returns the bytes of an entry's value when its type is typ, or nil when
// the type differs or the value does not fit in the block.
func (r tiffReader) data(e ifdEntry, typ uint16) []byte {
	if e.typ != typ {
		return nil
	}
	n := uint64(e.count) * typeSize(typ)
	if n == 0 {
		return nil
	}
	if n <= 4 {
		return e.value[:n]
	}
	off := uint64(r.order.Uint32(e.value))
	if off+n > uint64(len(r.b)) {
		return nil
	}
	return r.b[off : off+n]
}

// text returns an ASCII value up to its first NUL, or "" when it holds anything
// but printable ASCII or is longer than limit.
func (r tiffReader) text(e ifdEntry, limit int) string {
	b := r.data(e, typeASCII)
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	s := strings.TrimSpace(string(b))
	if len(s) > limit {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return ""
		}
	}
	return s
}

// offset returns a LONG (or SHORT) pointer value, or 0.
func (r tiffReader) offset(e ifdEntry) uint64 {
	if e.count != 1 {
		return 0
	}
	switch e.typ {
	case typeLong:
		return uint64(r.order.Uint32(e.value))
	case typeShort:
		return uint64(r.order.Uint16(e.value))
	}
	return 0
}

// degrees reads a GPS coordinate: three RATIONALs, degrees, minutes, seconds.
func (r tiffReader) degrees(e ifdEntry) (float64, bool) {
	if e.count != 3 {
		return 0, false
	}
	b := r.data(e, typeRational)
	if b == nil {
		return 0, false
	}
	var v [3]float64
	for i := range v {
		num, den := r.order.Uint32(b[8*i:]), r.order.Uint32(b[8*i+4:])
		if den == 0 {
			if num != 0 {
				return 0, false
			}
			continue // 0/0: some cameras write it for an unused seconds field
		}
		v[i] = float64(num) / float64(den)
	}
	if v[1] >= 60 || v[2] >= 60 {
		return 0, false
	}
	return v[0] + v[1]/60 + v[2]/3600, true
}

// tiffMetadata reads IFD0, the Exif IFD and the GPS IFD of a TIFF block. Each
// sub-IFD is read once: a pointer back into a visited IFD can't loop.
func tiffMetadata(b []byte) Metadata {
	var m Metadata
	if len(b) < 8 {
		return m
	}
	r := tiffReader{b: b}
	switch string(b[0:4]) {
	case "II*\x00":
		r.order = binary.LittleEndian
	case "MM\x00*":
		r.order = binary.BigEndian
	default:
		return m
	}
	var exifIFD, gpsIFD uint64
	for _, e := range r.entries(uint64(r.order.Uint32(b[4:8]))) {
		switch e.tag {
		case tagMake:
			m.Make = r.text(e, maxMetaText)
		case tagModel:
			m.Model = r.text(e, maxMetaText)
		case tagExifIFD:
			exifIFD = r.offset(e)
		case tagGPSIFD:
			gpsIFD = r.offset(e)
		}
	}
	var taken, offset string
	for _, e := range r.entries(exifIFD) {
		switch e.tag {
		case tagDateTimeOriginal:
			taken = r.text(e, 32)
		case tagOffsetTimeOriginal:
			offset = r.text(e, 16)
		}
	}
	m.Taken, m.TakenZone = parseEXIFTime(taken, offset)
	var latRef, lonRef string
	var lat, lon float64
	var okLat, okLon bool
	for _, e := range r.entries(gpsIFD) {
		switch e.tag {
		case tagGPSLatitudeRef:
			latRef = r.text(e, 2)
		case tagGPSLatitude:
			lat, okLat = r.degrees(e)
		case tagGPSLongitudeRef:
			lonRef = r.text(e, 2)
		case tagGPSLongitude:
			lon, okLon = r.degrees(e)
		}
	}
	if okLat && okLon && (latRef == "N" || latRef == "S") && (lonRef == "E" || lonRef == "W") {
		if latRef == "S" {
			lat = -lat
		}
		if lonRef == "W" {
			lon = -lon
		}
		if lat <= 90 && lon <= 180 && lat >= -90 && lon >= -180 && !math.IsNaN(lat+lon) {
			m.HasGPS, m.Lat, m.Lon = true, lat, lon
		}
	}
	return m
}

// parseEXIFTime reads "2006:01:02 15:04:05" and an optional "+08:00". Times
// before 1900 or after 2200 are taken as garbage (cameras with a flat clock
// battery write 0000:00:00).
func parseEXIFTime(s, offset string) (time.Time, bool) {
	t, err := time.Parse("2006:01:02 15:04:05", s)
	if err != nil || t.Year() < 1900 || t.Year() > 2200 {
		return time.Time{}, false
	}
	if z, err := time.Parse("-07:00", offset); err == nil {
		_, off := z.Zone()
		if off > -15*3600 && off < 15*3600 {
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.FixedZone("", off)), true
		}
	}
	return t, false
}
