package main

import (
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio"
)

func TestCheckTable(t *testing.T) {
	code, out, errs := runCLI(t, "check", portrait("hivision-test3.jpg"), "--spec", "cn-idcard", "--engine", "pure")
	if code != exitOK {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	for _, want := range []string{"RULE", "one_face", "roll", "sharpness", "file_size", "358 px", "pass:"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckJSONTwoFaces(t *testing.T) {
	src := decodePortrait(t, "hivision-test3.jpg")
	b := src.Bounds()
	two := image.NewNRGBA(image.Rect(0, 0, 2*b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := src.NRGBAAt(b.Min.X+x, b.Min.Y+y)
			two.SetNRGBA(x, y, c)
			two.SetNRGBA(x+b.Dx(), y, c)
		}
	}
	file := writePNG(t, two)
	code, out, _ := runCLI(t, "check", file, "--spec", "cn-idcard", "--engine", "pure", "--json")
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	var got struct {
		Error string `json:"error"`
		Pass  bool   `json:"pass"`
		Rules []struct {
			ID       string  `json:"id"`
			Measured float64 `json:"measured"`
			Pass     bool    `json:"pass"`
			Severity string  `json:"severity"`
			Message  string  `json:"message"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if got.Pass || got.Error == "" || len(got.Rules) == 0 {
		t.Fatalf("report %+v", got)
	}
	r := got.Rules[0]
	if r.ID != "one_face" || r.Measured != 2 || r.Pass || r.Severity != "block" || !strings.Contains(r.Message, "2 faces") {
		t.Errorf("one_face %+v", r)
	}
}

// make refuses a photo that fails a blocking rule, saying why; --force makes it and
// writes the report beside it.
func TestMakeRefusesFailedCheck(t *testing.T) {
	// at 30% of its size the face has 27 px between the eyes: too few to enlarge
	src := decodePortrait(t, "hivision-test3.jpg")
	file := writePNG(t, imageio.Shrink(src, 215))
	dst := filepath.Join(t.TempDir(), "dark.jpg")
	code, out, _ := runCLI(t, "make", file, "--spec", "us-passport", "--engine", "pure", "-o", dst)
	if code != exitFailed || !strings.Contains(out, "your face is small") || !strings.Contains(out, "--force") {
		t.Errorf("exit %d: %s", code, out)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("photo written despite the failed check")
	}
	code, out, _ = runCLI(t, "make", file, "--spec", "us-passport", "--engine", "pure", "-o", dst, "--force")
	if code != exitOK {
		t.Fatalf("--force: exit %d: %s", code, out)
	}
	data, err := os.ReadFile(strings.TrimSuffix(dst, ".jpg") + ".report.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Pass bool `json:"pass"`
	}
	if err := json.Unmarshal(data, &rep); err != nil || rep.Pass {
		t.Errorf("report %s (%v)", data, err)
	}
	if _, err := os.Stat(dst); err != nil {
		t.Errorf("no photo with --force: %v", err)
	}
}

func decodePortrait(t *testing.T, name string) *image.NRGBA {
	t.Helper()
	f, err := os.Open(portrait(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := imageio.Decode(f, imageio.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return imageio.ToNRGBA(img)
}

func writePNG(t *testing.T, img image.Image) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "photo.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}
