package imageio_test

import (
	"errors"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio"
)

// ftyp builds an ISO-BMFF ftyp box with a major brand and compatible brands.
func ftyp(major string, compatible ...string) []byte {
	b := []byte{0, 0, 0, byte(16 + 4*len(compatible))}
	b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
	for _, c := range compatible {
		b = append(b, c...)
	}
	return append(b, "\x00\x00\x00\x08meta"...)
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want imageio.Format
		err  error
	}{
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0}, imageio.FormatJPEG, nil},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), imageio.FormatPNG, nil},
		{"webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), imageio.FormatWebP, nil},
		{"heic", ftyp("heic", "mif1", "heic"), imageio.FormatHEIC, nil},
		{"heix", ftyp("heix", "mif1"), imageio.FormatHEIC, nil},
		{"hevc sequence", ftyp("hevc", "msf1"), imageio.FormatHEIC, nil},
		{"mif1 major, heic compatible", ftyp("mif1", "heic"), imageio.FormatHEIC, nil},
		{"generic heif", ftyp("mif1", "miaf"), imageio.FormatHEIC, nil},
		{"heim", ftyp("heim", "mif1"), imageio.FormatHEIC, nil},
		{"avif", ftyp("avif", "mif1", "miaf"), "", imageio.ErrUnsupported},
		{"avif behind mif1", ftyp("mif1", "avif", "miaf"), "", imageio.ErrUnsupported},
		{"avis", ftyp("avis", "msf1"), "", imageio.ErrUnsupported},
		{"mp4 video", ftyp("isom", "iso2", "mp41"), "", imageio.ErrNotImage},
		{"ftyp box claiming 4 GB", []byte("\xff\xff\xff\xffftypisomxxxxheic"), imageio.FormatHEIC, nil},
		{"ftyp box too small", []byte("\x00\x00\x00\x01ftypmif1"), imageio.FormatHEIC, nil},
		{"gif", []byte("GIF89a"), "", imageio.ErrUnsupported},
		{"bmp", []byte("BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00"), "", imageio.ErrUnsupported},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), "", imageio.ErrUnsupported},
		{"jpeg cut after two bytes", []byte{0xFF, 0xD8}, "", imageio.ErrNotImage},
		{"riff but wave", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), "", imageio.ErrNotImage},
		{"pdf", []byte("%PDF-1.7"), "", imageio.ErrNotImage},
		{"html", []byte("<!doctype html>"), "", imageio.ErrNotImage},
		{"one byte", []byte{0xFF}, "", imageio.ErrNotImage},
		{"empty", nil, "", imageio.ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := imageio.Sniff(tt.head)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("Sniff = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestSniffRealFiles(t *testing.T) {
	tests := []struct {
		path []string
		want imageio.Format
	}{
		{[]string{"portraits", "hivision-test1.jpg"}, imageio.FormatWebP},
		{[]string{"portraits", "hivision-test2.jpg"}, imageio.FormatPNG},
		{[]string{"portraits", "messi5.jpg"}, imageio.FormatJPEG},
		{[]string{"formats", "portrait.heic"}, imageio.FormatHEIC},
	}
	for _, tt := range tests {
		data := readFile(t, tt.path...)
		if got, err := imageio.Sniff(data[:imageio.SniffLen]); got != tt.want || err != nil {
			t.Errorf("%v: Sniff = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBP"))
	f.Add(ftyp("heic", "mif1"))
	f.Add(ftyp("mif1", "avif"))
	f.Add([]byte("\xff\xff\xff\xffftypmif1"))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, head []byte) {
		got, err := imageio.Sniff(head)
		if (err == nil) == (got == "") {
			t.Fatalf("Sniff = %q, %v", got, err)
		}
		if err != nil && !errors.Is(err, imageio.ErrNotImage) && !errors.Is(err, imageio.ErrUnsupported) && !errors.Is(err, imageio.ErrEmpty) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
