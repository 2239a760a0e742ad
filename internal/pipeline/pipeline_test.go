package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/compose"
	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/spec"
)

func testdata(t testing.TB, parts ...string) string {
	t.Helper()
	return filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...)
}

func openEngine(t testing.TB, kind string) *engine.Engine {
	t.Helper()
	o := engine.DefaultOptions()
	o.Kind, o.WarmUp = kind, 0
	e, err := engine.Open(o, pipeline.DefaultConfig())
	if err != nil {
		if kind == engine.Neural {
			t.Skipf("neural models not installed (%v): run 'idphoto models pull'", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func lookup(t testing.TB, id string) spec.Spec {
	t.Helper()
	cat, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := cat.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func makePhoto(t testing.TB, e *engine.Engine, file string, s spec.Spec, bg string) (*pipeline.Result, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := compose.ParseBackground(bg)
	if err != nil {
		t.Fatal(err)
	}
	return e.Make(context.Background(), bytes.NewReader(data), pipeline.Request{Spec: s, Background: b})
}

// measured is the head on a finished photo, measured afresh on its pixels.
type measured struct {
	roll, eyeFromBottom, centerX, crownTop, height float64
}

// measure finds the face on the finished photo with det and the crown as the first row,
// in a band around the face's centre, that differs from the background by more than 40
// levels (as an independent referee does).
func measure(t *testing.T, det face.Detector, img *image.NRGBA, bg color.NRGBA) measured {
	t.Helper()
	faces, err := det.Detect(context.Background(), img)
	if err != nil || len(faces) != 1 {
		t.Fatalf("finished photo: %d faces, %v", len(faces), err)
	}
	f := faces[0]
	W, H := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	mid := f.EyeMid()
	band := int(f.EyeDistance() / 2)
	crown := -1
	for y := 0; y < img.Rect.Dy() && crown < 0; y++ {
		for x := int(mid.X) - band; x <= int(mid.X)+band; x++ {
			c := img.NRGBAAt(x, y)
			if absd(c.R, bg.R)+absd(c.G, bg.G)+absd(c.B, bg.B) > 40 {
				crown = y
				break
			}
		}
	}
	chin := face.FindChin(img, f)
	return measured{
		roll:          f.Roll(),
		eyeFromBottom: (H - mid.Y) / H,
		centerX:       mid.X / W,
		crownTop:      float64(crown) / H,
		height:        (chin.Y - float64(crown)) / H,
	}
}

func absd(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// checkPhoto checks one finished photo against its spec: exact pixels and DPI, the
// background in the top corners, the eyes level, and the head inside the spec's bands
// as measured on the photo itself.
func checkPhoto(t *testing.T, det face.Detector, res *pipeline.Result, s spec.Spec, bg string) {
	t.Helper()
	if got := res.Image.Rect.Size(); got.X != s.WidthPx || got.Y != s.HeightPx {
		t.Errorf("size %v, want %dx%d", got, s.WidthPx, s.HeightPx)
	}
	img, info, err := imageio.Decode(bytes.NewReader(res.File), imageio.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != s.WidthPx || info.Height != s.HeightPx {
		t.Errorf("file is %dx%d", info.Width, info.Height)
	}
	if dpi, err := imageio.ReadDPI(res.File); err != nil || dpi != s.DPI {
		t.Errorf("file DPI %d (%v), want %d", dpi, err, s.DPI)
	}
	if s.MaxKB > 0 && len(res.File) > s.MaxKB*1024 {
		t.Errorf("file %d bytes over %d KB", len(res.File), s.MaxKB)
	}
	want, _ := compose.ParseColor(bg)
	b := img.Bounds()
	corners := []image.Point{{b.Min.X + 1, b.Min.Y + 1}, {b.Max.X - 2, b.Min.Y + 1}}
	if res.Layout.CrownTop < 0 {
		corners = nil // the spec cut the hair at the top: it may reach the corners
	}
	for _, p := range corners {
		r, g, bl, _ := img.At(p.X, p.Y).RGBA()
		if absd(uint8(r>>8), want.R) > 3 || absd(uint8(g>>8), want.G) > 3 || absd(uint8(bl>>8), want.B) > 3 {
			t.Errorf("corner %v is %d,%d,%d, want %v within 3 levels", p, r>>8, g>>8, bl>>8, want)
		}
	}
	m := measure(t, det, res.Image, want)
	// Level within 1 degree; a face enlarged from a few pixels between the eyes (the
	// pipeline warns about it) can't be measured that finely, here or in the source.
	level := 1.0
	if len(res.Warnings) > 0 && strings.Contains(strings.Join(res.Warnings, " "), "small") {
		level = 2
	}
	if math.Abs(m.roll) > level {
		t.Errorf("eyes tilted %.2f degrees on the finished photo", m.roll)
	}
	// measured on pixels by a detector whose eye points wobble by a pixel or two
	const tol = 0.03
	h := s.Head
	if h.EyeFromBottom.Set() && (m.eyeFromBottom < h.EyeFromBottom.Min-tol || m.eyeFromBottom > h.EyeFromBottom.Max+tol) {
		t.Errorf("eye line %.3f from the bottom, band %v", m.eyeFromBottom, h.EyeFromBottom)
	}
	if h.CenterX.Set() && (m.centerX < h.CenterX.Min-tol || m.centerX > h.CenterX.Max+tol) {
		t.Errorf("centre %.3f, band %v", m.centerX, h.CenterX)
	}
	if h.CrownTop.Set() && !h.EyeWins && (m.crownTop < h.CrownTop.Min-tol || m.crownTop > h.CrownTop.Max+tol) {
		t.Errorf("crown %.3f from the top, band %v", m.crownTop, h.CrownTop)
	}
	// the chin is found on the pixels by a jaw-edge search: a little more slack
	if h.Height.Set() && !h.EyeWins && (m.height < h.Height.Min-2*tol || m.height > h.Height.Max+2*tol) {
		t.Errorf("head height %.3f, band %v", m.height, h.Height)
	}
	t.Logf("layout %+v; measured %+v; %d bytes q%d", res.Layout, m, len(res.File), res.Quality)
}

func TestPromiseP2PurePlainBackdrop(t *testing.T) {
	e := openEngine(t, engine.Pure)
	det, _ := face.NewPigo(face.PigoConfig{})
	for _, id := range []string{"cn-1inch", "cn-idcard", "us-visa"} {
		s := lookup(t, id)
		t.Run(id, func(t *testing.T) {
			bg := s.Backgrounds[0]
			res, err := makePhoto(t, e, testdata(t, "portraits", "hivision-test3.jpg"), s, bg)
			if err != nil {
				t.Fatal(err)
			}
			checkPhoto(t, det, res, s, bg)
			if len(res.Timings) != len(e.Steps()) {
				t.Errorf("%d timings for %d steps", len(res.Timings), len(e.Steps()))
			}
		})
	}
}

func TestPureRefusesBusyBackground(t *testing.T) {
	e := openEngine(t, engine.Pure)
	s := lookup(t, "cn-1inch")
	for _, name := range []string{"astronaut.png", "messi5.jpg"} {
		_, err := makePhoto(t, e, testdata(t, "portraits", name), s, "blue")
		var pe *pipeline.Error
		if !errors.As(err, &pe) || pe.Code != pipeline.CodeBusyBackground {
			t.Errorf("%s: %v, want %s", name, err, pipeline.CodeBusyBackground)
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, kind := range []string{engine.Pure, engine.Neural} {
		t.Run(kind, func(t *testing.T) {
			e := openEngine(t, kind)
			s := lookup(t, "cn-1inch")
			names, _ := filepath.Glob(testdata(t, "no-face", "*"))
			for _, n := range names {
				_, err := makePhoto(t, e, n, s, "blue")
				var pe *pipeline.Error
				if !errors.As(err, &pe) || pe.Code != pipeline.CodeNoFace || pe.Msg != "no face found" {
					t.Errorf("%s: %v, want no face found", filepath.Base(n), err)
				}
			}
			// two people side by side
			two := sideBySide(t, testdata(t, "portraits", "hivision-test3.jpg"))
			_, err := e.Make(context.Background(), bytes.NewReader(two), pipeline.Request{Spec: s, Background: compose.Background{}})
			var pe *pipeline.Error
			if !errors.As(err, &pe) || pe.Code != pipeline.CodeManyFaces || pe.Msg != "2 faces found, need exactly 1" {
				t.Errorf("two faces: %v", err)
			}
			for name, data := range map[string][]byte{
				"empty":     nil,
				"text":      []byte("this is not a photo at all, just words"),
				"truncated": truncatedJPEG(t),
			} {
				_, err := e.Make(context.Background(), bytes.NewReader(data), pipeline.Request{Spec: s})
				if !errors.As(err, &pe) || pe.Code == pipeline.CodeInternal {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}

func TestPromiseP2P4NeuralPortraits(t *testing.T) {
	e := openEngine(t, engine.Neural)
	det, _ := face.NewPigo(face.PigoConfig{})
	names, _ := filepath.Glob(testdata(t, "portraits", "*"))
	for _, id := range []string{"cn-1inch", "cn-idcard", "schengen"} {
		s := lookup(t, id)
		for _, n := range names {
			t.Run(id+"/"+filepath.Base(n), func(t *testing.T) {
				bg := "blue"
				res, err := makePhoto(t, e, n, s, bg)
				if err != nil {
					t.Fatal(err)
				}
				checkPhoto(t, det, res, s, bg)
			})
		}
	}
}

func sideBySide(t *testing.T, file string) []byte {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := imageio.Decode(f, imageio.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	canvas := image.NewNRGBA(image.Rect(0, 0, 2*b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			canvas.Set(x, y, c)
			canvas.Set(x+b.Dx(), y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func truncatedJPEG(t *testing.T) []byte {
	data, err := os.ReadFile(testdata(t, "portraits", "hivision-test3.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return data[:len(data)/3]
}

func BenchmarkMakePure(b *testing.B) {
	e := openEngine(b, engine.Pure)
	s := lookup(b, "cn-1inch")
	data, _ := os.ReadFile(testdata(b, "portraits", "hivision-test3.jpg"))
	bg, _ := compose.ParseBackground("blue")
	for b.Loop() {
		if _, err := e.Make(context.Background(), bytes.NewReader(data), pipeline.Request{Spec: s, Background: bg}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPromiseP7EverySpec makes a photo for every spec in the catalogue: exact pixels and DPI,
// the file inside the spec's KB range, and the head inside every band the placer
// reports on.
func TestPromiseP7EverySpec(t *testing.T) {
	e := openEngine(t, engine.Pure)
	cat, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cat.All() {
		t.Run(s.ID, func(t *testing.T) {
			res, err := makePhoto(t, e, testdata(t, "portraits", "hivision-test3.jpg"), s, s.Backgrounds[0])
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Image.Rect.Size(); got.X != s.WidthPx || got.Y != s.HeightPx {
				t.Errorf("size %v", got)
			}
			if dpi, err := imageio.ReadDPI(res.File); err != nil || dpi != s.DPI {
				t.Errorf("DPI %d %v", dpi, err)
			}
			kb := float64(len(res.File)) / 1024
			if (s.MinKB > 0 && kb < float64(s.MinKB)) || (s.MaxKB > 0 && kb > float64(s.MaxKB)) {
				t.Errorf("%.1f KB outside %d-%d", kb, s.MinKB, s.MaxKB)
			}
			if len(res.Misses) > 0 && !s.Head.EyeWins {
				t.Errorf("outside the spec: %v", res.Misses)
			}
		})
	}
}
