package imageio_test

import (
	"math"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/imageio"
)

// portrait-exif.heic was made by heif-enc from a JPEG carrying an EXIF block
// (see testdata/README.md): the metadata must come through the HEIF Exif item.
func TestReadMetadataHEIC(t *testing.T) {
	got := imageio.ReadMetadata(readFile(t, "formats", "portrait-exif.heic"))
	want := time.Date(2024, 5, 1, 9, 30, 15, 0, time.FixedZone("", 8*3600))
	if !got.Taken.Equal(want) || !got.TakenZone {
		t.Errorf("taken %v (zone known %v), want %v", got.Taken, got.TakenZone, want)
	}
	if _, off := got.Taken.Zone(); off != 8*3600 {
		t.Errorf("zone offset %d, want +08:00", off)
	}
	if got.Make != "Apple" || got.Model != "iPhone 15 Pro" {
		t.Errorf("camera %q %q, want Apple iPhone 15 Pro", got.Make, got.Model)
	}
	// The block holds 31°13'49.44"N 121°28'25.32"E as rationals: 1e-9 is exact
	// up to float rounding.
	if !got.HasGPS || math.Abs(got.Lat-31.2304) > 1e-9 || math.Abs(got.Lon-121.4737) > 1e-9 {
		t.Errorf("position %v %v,%v, want 31.2304,121.4737", got.HasGPS, got.Lat, got.Lon)
	}
}

// The HEIC without an Exif item reads as nothing, and the HEIC decoder's own
// rotation stays in charge of orientation.
func TestReadMetadataHEICWithoutExif(t *testing.T) {
	if got := imageio.ReadMetadata(readFile(t, "formats", "portrait.heic")); got != (imageio.Metadata{}) {
		t.Errorf("got %+v", got)
	}
	if o := imageio.ReadOrientation(readFile(t, "formats", "portrait-exif.heic")); o != 1 {
		t.Errorf("orientation %d, want 1", o)
	}
}
