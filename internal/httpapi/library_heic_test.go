package httpapi_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// P9 for phones that shoot HEIC: the capture time, camera and (with the consent)
// the coarse place are read from the HEIF Exif item at upload, as from JPEG.
func TestPromiseP9LibraryReadsHEICMetadata(t *testing.T) {
	heic, err := os.ReadFile(filepath.Join("..", "..", "testdata", "formats", "portrait-exif.heic"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, testConfig(), realEngine(t))
	tok := e.session()
	e.grant(tok, "photo_location", true)
	id := e.uploadOK(tok, heic)

	res := e.do("GET", "/api/v1/photos/"+id, tok, "", nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET /photos/{id}: %d %s", res.status, res.body)
	}
	var d libraryItem
	res.json(t, &d)
	// The file holds 31.2304 N 121.4737 E: kept as 31.2, 121.5.
	if d.TakenAt != "2024-05-01T09:30:15+08:00" || d.TimeSource != "exif" || d.Camera != "Apple iPhone 15 Pro" ||
		d.Place == nil || d.Place.Lat != 31.2 || d.Place.Lon != 121.5 {
		t.Errorf("details: %s", res.body)
	}
	if d.Width != 512 || d.Height != 715 {
		t.Errorf("size %dx%d, want 512x715", d.Width, d.Height)
	}
}
