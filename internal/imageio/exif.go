package imageio

import (
	"bytes"
	"encoding/binary"
)

// Only one EXIF tag matters to idphoto: Orientation, which says how the
// camera held the picture. Everything else in EXIF (GPS, camera serial,
// time) is personal data that is read by nobody and never written out.

const tagOrientation = 0x0112

var exifHeader = []byte("Exif\x00\x00")

// ReadOrientation returns the EXIF orientation (1-8) stored in a JPEG, PNG
// (eXIf chunk) or WebP (EXIF chunk) file, and 1 when there is none or it
// cannot be read. HEIC returns 1: its decoder applies the container's
// rotation itself.
func ReadOrientation(data []byte) int {
	f, err := Sniff(data[:min(len(data), SniffLen)])
	if err != nil {
		return 1
	}
	var tiff []byte
	switch f {
	case FormatJPEG:
		tiff = jpegEXIF(data)
	case FormatPNG:
		tiff = pngEXIF(data)
	case FormatWebP:
		tiff = webpEXIF(data)
	}
	if tiff == nil {
		return 1
	}
	return tiffOrientation(tiff)
}

// tiffOrientation reads the Orientation tag from IFD0 of a TIFF structure
// (the body of an EXIF block). Any value outside 1-8, and any structure
// that does not fit in the slice, gives 1.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(b[0:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 1
	}
	ifd := uint64(order.Uint32(b[4:8]))
	if ifd+2 > uint64(len(b)) {
		return 1
	}
	n := uint64(order.Uint16(b[ifd:]))
	entries := ifd + 2
	for i := uint64(0); i < n; i++ {
		e := entries + 12*i
		if e+12 > uint64(len(b)) {
			return 1
		}
		if order.Uint16(b[e:]) != tagOrientation {
			continue
		}
		typ, count := order.Uint16(b[e+2:]), order.Uint32(b[e+4:])
		if count != 1 {
			return 1
		}
		var v uint32
		switch typ {
		case 3: // SHORT, stored in the first two bytes of the value field
			v = uint32(order.Uint16(b[e+8:]))
		case 4: // LONG, written by a few tools against the spec
			v = order.Uint32(b[e+8:])
		default:
			return 1
		}
		if v < 1 || v > 8 {
			return 1
		}
		return int(v)
	}
	return 1
}

// trimEXIFHeader drops the "Exif\0\0" prefix some writers put before the
// TIFF data in PNG and WebP files, where it does not belong.
func trimEXIFHeader(b []byte) []byte {
	return bytes.TrimPrefix(b, exifHeader)
}

// jpegEXIF returns the TIFF data of the first APP1 Exif segment before the
// image data, or nil.
func jpegEXIF(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil
	}
	p := 2
	for p+4 <= len(b) {
		if b[p] != 0xFF {
			return nil
		}
		marker := b[p+1]
		switch {
		case marker == 0xFF: // fill byte
			p++
			continue
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD7: // no length
			p += 2
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return nil
		}
		length := int(binary.BigEndian.Uint16(b[p+2:]))
		if length < 2 || p+2+length > len(b) {
			return nil
		}
		seg := b[p+4 : p+2+length]
		if marker == 0xE1 && bytes.HasPrefix(seg, exifHeader) {
			return seg[len(exifHeader):]
		}
		p += 2 + length
	}
	return nil
}

// pngEXIF returns the body of the eXIf chunk, or nil. CRCs are not checked:
// the image decoder does that for the chunks that matter.
func pngEXIF(b []byte) []byte {
	if !bytes.HasPrefix(b, magicPNG) {
		return nil
	}
	p := len(magicPNG)
	for p+8 <= len(b) {
		length := uint64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		end := uint64(p) + 8 + length
		if end > uint64(len(b)) {
			return nil
		}
		switch typ {
		case "eXIf":
			return trimEXIFHeader(b[p+8 : end])
		case "IEND":
			return nil
		}
		p = int(end) + 4 // skip the CRC
	}
	return nil
}

// webpEXIF returns the body of the EXIF chunk of an extended WebP, or nil.
func webpEXIF(b []byte) []byte {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil
	}
	p := 12
	for p+8 <= len(b) {
		fourcc := string(b[p : p+4])
		size := uint64(binary.LittleEndian.Uint32(b[p+4:]))
		end := uint64(p) + 8 + size
		if end > uint64(len(b)) {
			return nil
		}
		if fourcc == "EXIF" {
			return trimEXIFHeader(b[p+8 : end])
		}
		p = int(end + end&1) // chunks are padded to an even size
	}
	return nil
}
