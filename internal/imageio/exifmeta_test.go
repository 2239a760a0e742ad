package imageio_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/imageio/exiftest"
)

func TestReadMetadata(t *testing.T) {
	jpg := encodeTestJPEG(t, markedImage(24, 16), 80)
	gps := func(lat, lon float64) *[2]float64 { return &[2]float64{lat, lon} }
	shanghai := time.FixedZone("", 8*3600)
	tests := []struct {
		name string
		f    exiftest.Fields
		want imageio.Metadata
	}{
		{"everything", exiftest.Fields{Make: "Apple", Model: "iPhone 15", Taken: "2024:05:01 09:30:15", Offset: "+08:00", GPS: gps(31.2304, 121.4737)},
			imageio.Metadata{Taken: time.Date(2024, 5, 1, 9, 30, 15, 0, shanghai), TakenZone: true, HasGPS: true, Lat: 31.2304, Lon: 121.4737, Make: "Apple", Model: "iPhone 15"}},
		{"no offset", exiftest.Fields{Taken: "2023:12:31 23:59:59"},
			imageio.Metadata{Taken: time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC)}},
		{"south west", exiftest.Fields{GPS: gps(-33.8688, -70.6693)},
			imageio.Metadata{HasGPS: true, Lat: -33.8688, Lon: -70.6693}},
		{"flat clock battery", exiftest.Fields{Taken: "0000:00:00 00:00:00"}, imageio.Metadata{}},
		{"bad offset ignored", exiftest.Fields{Taken: "2020:02:29 12:00:00", Offset: "+99:00"},
			imageio.Metadata{Taken: time.Date(2020, 2, 29, 12, 0, 0, 0, time.UTC)}},
		{"control characters in model", exiftest.Fields{Make: "Canon", Model: "EOS\x1b[31m"}, imageio.Metadata{Make: "Canon"}},
		{"nothing", exiftest.Fields{}, imageio.Metadata{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := imageio.ReadMetadata(exiftest.JPEG(jpg, exiftest.Block(tt.f)))
			if !got.Taken.Equal(tt.want.Taken) || got.TakenZone != tt.want.TakenZone || got.Make != tt.want.Make || got.Model != tt.want.Model || got.HasGPS != tt.want.HasGPS {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if _, off := got.Taken.Zone(); !got.Taken.IsZero() {
				if _, wantOff := tt.want.Taken.Zone(); off != wantOff {
					t.Errorf("zone offset %d, want %d", off, wantOff)
				}
			}
			if math.Abs(got.Lat-tt.want.Lat) > 1e-6 || math.Abs(got.Lon-tt.want.Lon) > 1e-6 {
				t.Errorf("position %v,%v, want %v,%v", got.Lat, got.Lon, tt.want.Lat, tt.want.Lon)
			}
		})
	}
	t.Run("no EXIF at all", func(t *testing.T) {
		if got := imageio.ReadMetadata(jpg); got != (imageio.Metadata{}) {
			t.Errorf("got %+v", got)
		}
	})
}

// Every truncation of a real block reads without panicking and never reports a
// position it could not read whole.
func TestReadMetadataTruncated(t *testing.T) {
	jpg := encodeTestJPEG(t, markedImage(8, 8), 80)
	tiff := exiftest.Block(exiftest.Fields{Make: "Apple", Model: "iPhone", Taken: "2024:05:01 09:30:15", Offset: "+08:00", GPS: &[2]float64{31.2, 121.4}})
	for n := 0; n < len(tiff); n++ {
		m := imageio.ReadMetadata(exiftest.JPEG(jpg, tiff[:n]))
		if m.HasGPS && (m.Lat < 31 || m.Lat > 31.3) {
			t.Fatalf("cut at %d: position %v", n, m.Lat)
		}
	}
}

// Encode writes no EXIF: what the library serves carries none of what was read.
func TestEncodeDropsEXIF(t *testing.T) {
	jpg := encodeTestJPEG(t, markedImage(24, 16), 80)
	src := exiftest.JPEG(jpg, exiftest.Block(exiftest.Fields{Make: "Apple", GPS: &[2]float64{31.2304, 121.4737}}))
	img, _, err := imageio.Decode(bytes.NewReader(src), imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := imageio.Encode(&out, img, imageio.EncodeOptions{Format: imageio.FormatJPEG}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out.Bytes(), []byte("Exif")) || bytes.Contains(out.Bytes(), []byte("Apple")) {
		t.Error("the encoded file carries EXIF")
	}
	if m := imageio.ReadMetadata(out.Bytes()); m != (imageio.Metadata{}) {
		t.Errorf("metadata read back: %+v", m)
	}
}

func FuzzReadMetadata(f *testing.F) {
	jpg := encodeTestJPEG(f, markedImage(8, 8), 80)
	f.Add(exiftest.JPEG(jpg, exiftest.Block(exiftest.Fields{Make: "Apple", Model: "iPhone", Taken: "2024:05:01 09:30:15", Offset: "+08:00", GPS: &[2]float64{31.2, 121.4}})))
	f.Add(exiftest.JPEG(jpg, exiftest.Block(exiftest.Fields{GPS: &[2]float64{-1, -1}})))
	f.Add(exiftest.JPEG(jpg, []byte("II*\x00\x08\x00\x00\x00\xff\xff")))
	f.Add(exiftest.JPEG(jpg, []byte("MM\x00*\x00\x00\x00\x08\x00\x01\x88\x25\x00\x04\x00\x00\x00\x01\x00\x00\x00\x08")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m := imageio.ReadMetadata(data)
		if m.HasGPS && (m.Lat < -90 || m.Lat > 90 || m.Lon < -180 || m.Lon > 180) {
			t.Fatalf("position out of range: %v, %v", m.Lat, m.Lon)
		}
		if len(m.Make) > 64 || len(m.Model) > 64 {
			t.Fatal("camera name too long")
		}
	})
}
