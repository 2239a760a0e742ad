package imageio

import (
	"bytes"
	"encoding/binary"
)

// HEIF (ISO/IEC 23008-12) keeps EXIF as an item of its own: the meta box lists
// items in iinf (one infe box each, with a four-letter type, "Exif" here) and
// says where their bytes are in iloc, either in the file (construction method
// 0) or inside meta's idat box (method 1). The item starts with a 4-byte
// big-endian offset from its 4th byte to the TIFF header.
//
// The file is hostile: every size and offset is checked against the bytes at
// hand before it is used, nothing is allocated by a length field, and every
// loop moves forward by at least one box header or one field.

// isoBox is one ISO-BMFF box: its type and its payload.
type isoBox struct {
	typ  string
	body []byte
}

// isoBoxes walks the boxes in b. It stops at the first box whose size does not
// fit in b. A size of 0 means the box runs to the end of b, which ends the walk.
func isoBoxes(b []byte, yield func(isoBox) bool) {
	for len(b) >= 8 {
		size := uint64(binary.BigEndian.Uint32(b))
		typ := string(b[4:8])
		header := uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1: // 64-bit size after the type
			if len(b) < 16 {
				return
			}
			size, header = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < header || size > uint64(len(b)) {
			return
		}
		if !yield(isoBox{typ: typ, body: b[header:size]}) {
			return
		}
		b = b[size:]
	}
}

// findISOBox returns the body of the first box of type typ in b, or nil.
func findISOBox(b []byte, typ string) []byte {
	var found []byte
	isoBoxes(b, func(x isoBox) bool {
		if x.typ == typ {
			found = x.body
			return false
		}
		return true
	})
	return found
}

// beReader reads big-endian unsigned fields of up to 8 bytes from a box body.
// A read past the end sets bad and returns 0; later reads return 0 too.
type beReader struct {
	b   []byte
	bad bool
}

func (r *beReader) uint(n int) uint64 {
	if r.bad || n > len(r.b) {
		r.bad = true
		return 0
	}
	var v uint64
	for _, c := range r.b[:n] {
		v = v<<8 | uint64(c)
	}
	r.b = r.b[n:]
	return v
}

func (r *beReader) skip(n uint64) {
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return
	}
	r.b = r.b[n:]
}

// heifExifItems returns the IDs of the items of type "Exif" listed in an iinf
// box body. infe boxes before version 2 carry no item type and are skipped.
func heifExifItems(iinf []byte) []uint32 {
	r := beReader{b: iinf}
	version := r.uint(1)
	r.skip(3) // flags
	if version == 0 {
		r.skip(2)
	} else {
		r.skip(4)
	}
	if r.bad {
		return nil
	}
	var ids []uint32
	isoBoxes(r.b, func(x isoBox) bool {
		if x.typ != "infe" {
			return true
		}
		e := beReader{b: x.body}
		v := e.uint(1)
		e.skip(3)
		var id uint64
		switch v {
		case 2:
			id = e.uint(2)
		case 3:
			id = e.uint(4)
		default:
			return true
		}
		e.skip(2) // item_protection_index
		if e.bad || len(e.b) < 4 {
			return true
		}
		if string(e.b[:4]) == "Exif" && len(ids) < 8 {
			ids = append(ids, uint32(id))
		}
		return true
	})
	return ids
}

// heifExtent is one piece of an item's data.
type heifExtent struct{ offset, length uint64 }

// heifLocation finds item id in an iloc box body: its construction method and
// extents (offsets already include the base offset). ok is false when the item
// is absent or its entry does not fit. At most maxExtents extents are returned.
func heifLocation(iloc []byte, id uint32) (method uint64, extents []heifExtent, ok bool) {
	const maxExtents = 16
	r := beReader{b: iloc}
	version := r.uint(1)
	r.skip(3)
	if version > 2 {
		return 0, nil, false
	}
	sizes := r.uint(2)
	offsetSize, lengthSize := int(sizes>>12), int(sizes>>8&0xF)
	baseSize, indexSize := int(sizes>>4&0xF), int(sizes&0xF)
	if version == 0 {
		indexSize = 0 // reserved
	}
	for _, s := range []int{offsetSize, lengthSize, baseSize, indexSize} {
		if s != 0 && s != 4 && s != 8 {
			return 0, nil, false
		}
	}
	var count uint64
	if version < 2 {
		count = r.uint(2)
	} else {
		count = r.uint(4)
	}
	extentSize := uint64(indexSize + offsetSize + lengthSize)
	// Each item entry takes at least 6 bytes, so a count past the body ends the
	// loop through r.bad long before it is reached.
	for i := uint64(0); i < count && !r.bad; i++ {
		var itemID uint64
		if version < 2 {
			itemID = r.uint(2)
		} else {
			itemID = r.uint(4)
		}
		method = 0
		if version >= 1 {
			method = r.uint(2) & 0xF
		}
		dataRef := r.uint(2)
		base := r.uint(baseSize)
		n := r.uint(2)
		if r.bad {
			return 0, nil, false
		}
		if itemID != uint64(id) {
			r.skip(n * extentSize)
			continue
		}
		if dataRef != 0 || n == 0 || n > maxExtents || lengthSize == 0 {
			// Data in another file, no extents, too many to be EXIF, or a
			// zero-size length field (meaning "the whole source").
			return 0, nil, false
		}
		for j := uint64(0); j < n; j++ {
			r.uint(indexSize)
			off := r.uint(offsetSize)
			length := r.uint(lengthSize)
			if r.bad || base+off < base {
				return 0, nil, false
			}
			extents = append(extents, heifExtent{offset: base + off, length: length})
		}
		return method, extents, true
	}
	return 0, nil, false
}

// heifItemData joins the extents of an item from src (the whole file for
// construction method 0, idat's body for method 1). The result is never longer
// than src, so overlapping extents can't make it grow past the input.
func heifItemData(src []byte, extents []heifExtent) []byte {
	total := uint64(0)
	for _, e := range extents {
		if e.offset > uint64(len(src)) || e.length > uint64(len(src))-e.offset {
			return nil
		}
		total += e.length
		if total > uint64(len(src)) {
			return nil
		}
	}
	if len(extents) == 1 {
		e := extents[0]
		return src[e.offset : e.offset+e.length]
	}
	out := make([]byte, 0, total)
	for _, e := range extents {
		out = append(out, src[e.offset:e.offset+e.length]...)
	}
	return out
}

// heifEXIF returns the TIFF data of the first readable Exif item of a HEIF file,
// or nil.
func heifEXIF(b []byte) []byte {
	meta := findISOBox(b, "meta")
	if len(meta) < 4 {
		return nil
	}
	children := meta[4:] // meta is a full box: version and flags first
	iinf, iloc := findISOBox(children, "iinf"), findISOBox(children, "iloc")
	if iinf == nil || iloc == nil {
		return nil
	}
	for _, id := range heifExifItems(iinf) {
		method, extents, ok := heifLocation(iloc, id)
		if !ok {
			continue
		}
		var item []byte
		switch method {
		case 0:
			item = heifItemData(b, extents)
		case 1:
			item = heifItemData(findISOBox(children, "idat"), extents)
		}
		if tiff := exifItemTIFF(item); tiff != nil {
			return tiff
		}
	}
	return nil
}

// exifItemTIFF skips the 4-byte header offset of an Exif item and returns the
// TIFF data after it. A few writers put "Exif\0\0" there without counting it in
// the offset; it is dropped too.
func exifItemTIFF(item []byte) []byte {
	if len(item) < 4 {
		return nil
	}
	skip := uint64(binary.BigEndian.Uint32(item))
	if skip > uint64(len(item)-4) {
		return nil
	}
	tiff := trimEXIFHeader(item[4+skip:])
	if !bytes.HasPrefix(tiff, []byte("II*\x00")) && !bytes.HasPrefix(tiff, []byte("MM\x00*")) {
		return nil
	}
	return tiff
}
