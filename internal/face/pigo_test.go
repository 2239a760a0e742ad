package face_test

import (
	"context"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/face/facetest"
)

func newPigo(t testing.TB) *face.Pigo {
	t.Helper()
	p, err := face.NewPigo(face.PigoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func portrait(t testing.TB, name string) image.Image {
	t.Helper()
	root, err := facetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	img, err := facetest.Decode(filepath.Join(root, "testdata", "portraits", name))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func detectOne(t *testing.T, p *face.Pigo, img image.Image) face.Face {
	t.Helper()
	faces, err := p.Detect(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 1 {
		t.Fatalf("got %d faces, want 1", len(faces))
	}
	return faces[0]
}

func TestPigoConformance(t *testing.T) {
	facetest.Run(t, newPigo(t))
}

// TestPigoTilted turns level portraits further than the conformance suite does:
// the turned finder passes must find the face and the eyes must follow the turn.
func TestPigoTilted(t *testing.T) {
	p := newPigo(t)
	for _, name := range []string{"hivision-test1.jpg", "hivision-test2.jpg"} {
		img := portrait(t, name)
		level := detectOne(t, p, img).Roll()
		for _, deg := range []float64{-20, -15, 15, 20} {
			t.Run(fmt.Sprintf("%s/%+.0f", name, deg), func(t *testing.T) {
				f := detectOne(t, p, facetest.Rotate(img, deg))
				if got := f.Roll() - level; math.Abs(got-deg) > 2.5 {
					t.Errorf("roll changed by %.1f°, want %.0f ± 2.5°", got, deg)
				}
			})
		}
	}
}

// TestPigoLandmarks checks the order of the points down the face and their spacing
// in eye distances, on the frontal portraits.
func TestPigoLandmarks(t *testing.T) {
	p := newPigo(t)
	for _, name := range []string{"astronaut.png", "hivision-test1.jpg", "hivision-test2.jpg", "hivision-test3.jpg"} {
		t.Run(name, func(t *testing.T) {
			f := detectOne(t, p, portrait(t, name))
			d := f.EyeDistance()
			mid := f.EyeMid()
			nose, mouth := (f.Nose.Y-mid.Y)/d, (f.Mouth.Y-mid.Y)/d
			t.Logf("eye distance %.0f px (%.2f of the box), nose %.2f, mouth %.2f eye distances below the eyes, roll %.1f°",
				d, d/f.Box.Dx(), nose, mouth, f.Roll())
			if r := d / f.Box.Dx(); r < 0.3 || r > 0.45 {
				t.Errorf("eye distance %.2f of the box, want 0.3–0.45", r)
			}
			if nose < 0.4 || nose > 0.9 || mouth < nose+0.15 || mouth > 1.4 {
				t.Errorf("nose %.2f, mouth %.2f eye distances below the eyes", nose, mouth)
			}
			if math.Abs(f.Nose.X-mid.X) > 0.25*d || math.Abs(f.Mouth.X-mid.X) > 0.25*d {
				t.Errorf("nose or mouth off the face's axis")
			}
		})
	}
}

// TestPigoDeterministic: the same photo gives exactly the same face every time.
func TestPigoDeterministic(t *testing.T) {
	p := newPigo(t)
	img := portrait(t, "messi5.jpg")
	a, err := p.Detect(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Detect(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("two runs differ")
	}
}

// TestPigoScaled: a large photo is shrunk before detection; the points must come
// back in the photo's own coordinates, including a bounds origin that is not zero.
func TestPigoScaled(t *testing.T) {
	p := newPigo(t)
	small := portrait(t, "hivision-test3.jpg")
	want := detectOne(t, p, small)
	b := small.Bounds()
	big := upscale(small, 4*b.Dx(), 4*b.Dy()) // 2048×2860, worked on at 716×1000
	got := detectOne(t, p, big)
	scaled := func(q face.Point) face.Point { return face.Point{X: (q.X+0.5)*4 - 0.5, Y: (q.Y+0.5)*4 - 0.5} }
	check := func(name string, g, w face.Point) {
		if math.Hypot(g.X-w.X, g.Y-w.Y) > 0.05*4*want.EyeDistance() {
			t.Errorf("%s off by %.0f px at 4×", name, math.Hypot(g.X-w.X, g.Y-w.Y))
		}
	}
	check("left eye", got.LeftEye, scaled(want.LeftEye))
	check("right eye", got.RightEye, scaled(want.RightEye))
	check("mouth", got.Mouth, scaled(want.Mouth))

	// The same photo as a sub-image: everything moves with the origin.
	canvas := image.NewRGBA(image.Rect(0, 0, b.Dx()+100, b.Dy()+60))
	for y := range b.Dy() {
		for x := range b.Dx() {
			canvas.Set(x+100, y+60, small.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	sub := canvas.SubImage(image.Rect(100, 60, 100+b.Dx(), 60+b.Dy()))
	moved := detectOne(t, p, sub)
	if dx, dy := moved.LeftEye.X-want.LeftEye.X, moved.LeftEye.Y-want.LeftEye.Y; math.Abs(dx-100) > 1 || math.Abs(dy-60) > 1 {
		t.Errorf("sub-image eye moved by (%.1f, %.1f), want (100, 60)", dx, dy)
	}
}

func TestPigoTinyAndEmpty(t *testing.T) {
	p := newPigo(t)
	for _, r := range []image.Rectangle{image.Rect(0, 0, 0, 0), image.Rect(0, 0, 1, 1), image.Rect(5, 5, 30, 9), image.Rect(0, 0, 40, 40)} {
		faces, err := p.Detect(context.Background(), image.NewGray(r))
		if err != nil || len(faces) != 0 {
			t.Errorf("%v: %d faces, %v", r, len(faces), err)
		}
	}
}

func TestPigoConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  face.PigoConfig
		ok   bool
	}{
		{"zero means defaults", face.PigoConfig{}, true},
		{"explicit", face.PigoConfig{MaxSide: 640, MinFace: 20, MinScore: 5, Perturbs: 15}, true},
		{"MaxSide too small", face.PigoConfig{MaxSide: 10}, false},
		{"MinFace negative", face.PigoConfig{MinFace: -1}, false},
		{"MinFace above MaxSide", face.PigoConfig{MaxSide: 100, MinFace: 200}, false},
		{"MinScore negative", face.PigoConfig{MinScore: -1}, false},
		{"MinScore NaN", face.PigoConfig{MinScore: math.NaN()}, false},
		{"Perturbs too many", face.PigoConfig{Perturbs: 1000}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if _, err := face.NewPigo(tt.cfg); (err == nil) != tt.ok {
				t.Errorf("NewPigo() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestFaceStringRedacted(t *testing.T) {
	f := detectOne(t, newPigo(t), portrait(t, "astronaut.png"))
	for _, s := range []string{f.String(), fmt.Sprint(f), fmt.Sprintf("%v", f)} {
		if s != "face{redacted}" {
			t.Errorf("face prints as %q", s)
		}
	}
}
