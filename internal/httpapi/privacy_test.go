package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/imageio"
)

// faceStrings are the ways the face box and keypoints of a photo might be written
// down: pairs and single numbers in the precisions code tends to use.
func faceStrings(t *testing.T, photo []byte) []string {
	t.Helper()
	img, _, err := imageio.Decode(bytes.NewReader(photo), imageio.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	det, err := face.NewPigo(face.PigoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	faces, err := det.Detect(context.Background(), imageio.ToNRGBA(img))
	if err != nil || len(faces) != 1 {
		t.Fatalf("%d faces, %v", len(faces), err)
	}
	f := faces[0]
	points := []face.Point{f.Box.Min, f.Box.Max, f.LeftEye, f.RightEye, f.Nose, f.Mouth, f.Box.Center(), f.EyeMid()}
	var out []string
	add := func(s string) {
		if len(s) >= 5 { // shorter strings turn up by chance in any binary file
			out = append(out, s)
		}
	}
	for _, p := range points {
		for _, f := range []string{"%.0f", "%.1f", "%.2f", "%g", "%v"} {
			x, y := fmt.Sprintf(f, p.X), fmt.Sprintf(f, p.Y)
			add(x + "," + y)
			add(x + ", " + y)
			add(x + " " + y)
			add(`"x":` + x)
			add(`"y":` + y)
			if strings.Contains(x, ".") && !strings.HasSuffix(x, ".0") {
				add(x)
			}
			if strings.Contains(y, ".") && !strings.HasSuffix(y, ".0") {
				add(y)
			}
		}
	}
	add(fmt.Sprintf("%.1f", f.Box.Dx()) + "x" + fmt.Sprintf("%.1f", f.Box.Dy()))
	add(fmt.Sprintf("%.0fx%.0f", f.Box.Dx(), f.Box.Dy()))
	add(fmt.Sprintf("%.2f", f.EyeDistance()))
	return out
}

// TestPromiseP3NoFaceDataStored makes ID photos of a real portrait through the server,
// then looks for the face box and keypoints in the SQLite files, in every file of the
// data folder (raw and opened with the user's key), and in the logs.
func TestPromiseP3NoFaceDataStored(t *testing.T) {
	e := newEnv(t, testConfig(), realEngine(t))
	photo := portrait(t, "hivision-test3.jpg")
	needles := faceStrings(t, photo)
	if len(needles) < 20 {
		t.Fatalf("only %d face strings", len(needles))
	}
	tok := e.session()
	id := e.uploadOK(tok, photo)
	for _, s := range []string{"cn-1inch", "cn-2inch", "us-passport"} {
		var j jobJSON
		res := e.createJob(tok, id, s, "")
		res.json(t, &j)
		if j.ID == "" {
			continue // a spec the catalogue lacks
		}
		if got := e.waitJob(tok, j.ID); got.State != "done" {
			t.Fatalf("%s: %+v", s, got)
		}
		for _, sub := range []string{"/report", "/preview", ""} {
			e.do("GET", "/api/v1/jobs/"+j.ID+sub, tok, "", nil)
		}
	}
	e.store.Close() // flush the write-ahead log into the file

	// The scanner finds what it looks for: a log line written the way a careless
	// handler would write a face.
	probe := fmt.Sprintf("face at %s", needles[0])
	if !containsAny([]byte(probe), needles) {
		t.Fatal("the scanner misses a planted face string")
	}

	var scanned int
	filepath.WalkDir(e.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		scanned++
		rel, _ := filepath.Rel(e.dir, path)
		if n := firstHit(b, needles); n != "" {
			t.Errorf("%s holds face data %q", rel, n)
		}
		return nil
	})
	if scanned < 5 {
		t.Fatalf("scanned only %d files", scanned)
	}
	// The blobs opened with the user's key: the report, preview and file hold none.
	blobs := filepath.Join(e.dir, "blobs", "jobs")
	opened := 0
	filepath.WalkDir(blobs, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(e.dir, "blobs"), path)
		ct, _ := os.ReadFile(path)
		for _, user := range e.users(t) {
			if plain, err := e.openBlob(user, filepath.ToSlash(rel), ct); err == nil {
				opened++
				if n := firstHit(plain, needles); n != "" {
					t.Errorf("%s (opened) holds face data %q", rel, n)
				}
			}
		}
		return nil
	})
	if opened < 3 {
		t.Fatalf("opened only %d blobs", opened)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"msg":"job finished"`) {
		t.Fatalf("no logs captured:\n%s", logs)
	}
	if n := firstHit([]byte(logs), needles); n != "" {
		t.Errorf("logs hold face data %q", n)
	}
	for _, personal := range []string{"张三", "selfie", "127.0.0.1", "iPhone", "6F9619FF", tok} {
		if strings.Contains(logs, personal) {
			t.Errorf("logs hold %q", personal)
		}
	}
}

func containsAny(b []byte, needles []string) bool { return firstHit(b, needles) != "" }

func firstHit(b []byte, needles []string) string {
	for _, n := range needles {
		if bytes.Contains(b, []byte(n)) {
			return n
		}
	}
	return ""
}
