package imageio

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// SniffLen is how many leading bytes Sniff needs to see every format it
// knows; fewer may still be enough.
const SniffLen = 64

var (
	magicJPEG = []byte{0xFF, 0xD8, 0xFF}
	magicPNG  = []byte("\x89PNG\r\n\x1a\n")
)

// Sniff names the format of a file from its first bytes. It returns
// ErrEmpty for no bytes, an *UnsupportedError for formats it recognises but
// idphoto does not read (AVIF, GIF, BMP, TIFF), and ErrNotImage otherwise.
func Sniff(head []byte) (Format, error) {
	switch {
	case len(head) == 0:
		return "", ErrEmpty
	case bytes.HasPrefix(head, magicJPEG):
		return FormatJPEG, nil
	case bytes.HasPrefix(head, magicPNG):
		return FormatPNG, nil
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return FormatWebP, nil
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return sniffFtyp(head)
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "", &UnsupportedError{Name: "GIF"}
	case len(head) >= 14 && string(head[0:2]) == "BM":
		return "", &UnsupportedError{Name: "BMP"}
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "", &UnsupportedError{Name: "TIFF"}
	}
	return "", ErrNotImage
}

// HEIF brands that name HEVC-coded images, and the generic HEIF brands that
// only say "image file" (an AVIF also lists mif1, so those count last).
var (
	heicBrands = []string{"heic", "heix", "hevc", "hevx", "heim", "heis"}
	heifBrands = []string{"mif1", "msf1"}
	avifBrands = []string{"avif", "avis"}
)

// sniffFtyp reads an ISO-BMFF ftyp box: size, "ftyp", major brand, minor
// version, then compatible brands up to the box size.
func sniffFtyp(head []byte) (Format, error) {
	size := int(binary.BigEndian.Uint32(head[0:4]))
	if size < 16 {
		// Too small to hold a brand list; a size of 0 or 1 (box runs to
		// the end, 64-bit size) is not used for ftyp in practice.
		size = min(len(head), 12)
	}
	end := min(size, len(head))
	brands := []string{string(head[8:12])}
	for i := 16; i+4 <= end; i += 4 {
		brands = append(brands, string(head[i:i+4]))
	}
	major := brands[0]
	switch {
	case slices.Contains(heicBrands, major), slices.Contains(heifBrands, major) && !anyOf(avifBrands, brands):
		return FormatHEIC, nil
	case slices.Contains(avifBrands, major):
		return "", &UnsupportedError{Name: "AVIF"}
	case anyOf(heicBrands, brands):
		return FormatHEIC, nil
	case anyOf(avifBrands, brands):
		return "", &UnsupportedError{Name: "AVIF"}
	case anyOf(heifBrands, brands):
		return FormatHEIC, nil
	}
	// Other ISO-BMFF files: MP4/MOV video, JPEG 2000, ...
	return "", ErrNotImage
}

func anyOf(set, brands []string) bool {
	for _, b := range brands {
		if slices.Contains(set, b) {
			return true
		}
	}
	return false
}
