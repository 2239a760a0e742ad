// Package facetest is the conformance suite every face.Detector must pass: the same
// real photos, the same expectations, whatever finds the faces.
//
// It reads the repository's testdata (found by walking up from the working directory
// to the folder that holds go.mod): testdata/portraits must give exactly one face each,
// testdata/no-face none.
package facetest

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // decoders for the test photos, chosen by content
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/idphoto/idphoto/internal/face"

	_ "golang.org/x/image/webp"
)

// Run checks det against the suite. Each check is a subtest.
func Run(t *testing.T, det face.Detector) {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	portraits := photos(t, filepath.Join(root, "testdata", "portraits"))
	noFace := photos(t, filepath.Join(root, "testdata", "no-face"))
	ctx := context.Background()

	t.Run("portraits", func(t *testing.T) {
		for _, p := range portraits {
			t.Run(p.name, func(t *testing.T) {
				faces := detect(t, det, p.img)
				if len(faces) != 1 {
					t.Fatalf("got %d faces, want 1", len(faces))
				}
				checkFace(t, faces[0], p.img.Bounds())
			})
		}
	})

	t.Run("no-face", func(t *testing.T) {
		for _, p := range noFace {
			t.Run(p.name, func(t *testing.T) {
				if faces := detect(t, det, p.img); len(faces) != 0 {
					t.Fatalf("got %d faces, want 0", len(faces))
				}
			})
		}
	})

	// A level studio portrait turned by ±6°: the roll must follow. Per face.Roll,
	// turning the image clockwise lowers the right-hand eye: positive roll.
	t.Run("roll", func(t *testing.T) {
		src := find(t, portraits, "hivision-test1.jpg")
		level := one(t, detect(t, det, src)).Roll()
		if math.Abs(level) > 2 {
			t.Fatalf("upright roll %.1f°, want within 2° of level", level)
		}
		for _, deg := range []float64{6, -6} {
			t.Run(fmt.Sprintf("%+.0f", deg), func(t *testing.T) {
				f := one(t, detect(t, det, Rotate(src, deg)))
				if got := f.Roll(); math.Abs(got-deg) > 1.5 {
					t.Errorf("roll %.2f°, want %.0f ± 1.5°", got, deg)
				}
				checkFace(t, f, src.Bounds())
			})
		}
	})

	t.Run("two-faces", func(t *testing.T) {
		src := find(t, portraits, "hivision-test3.jpg")
		b := src.Bounds()
		canvas := image.NewRGBA(image.Rect(0, 0, 2*b.Dx(), b.Dy()))
		draw.Draw(canvas, b.Sub(b.Min), src, b.Min, draw.Src)
		draw.Draw(canvas, b.Sub(b.Min).Add(image.Pt(b.Dx(), 0)), src, b.Min, draw.Src)
		faces := detect(t, det, canvas)
		if len(faces) != 2 {
			t.Fatalf("got %d faces, want 2", len(faces))
		}
		sort.Slice(faces, func(i, j int) bool { return faces[i].Box.Min.X < faces[j].Box.Min.X })
		half := float64(b.Dx())
		if faces[0].Box.Center().X >= half || faces[1].Box.Center().X < half {
			t.Errorf("faces not one in each half")
		}
		for _, f := range faces {
			checkFace(t, f, canvas.Bounds())
		}
	})

	t.Run("sorted-by-score", func(t *testing.T) {
		for _, p := range append(portraits[:len(portraits):len(portraits)], noFace...) {
			faces := detect(t, det, p.img)
			for i := 1; i < len(faces); i++ {
				if faces[i].Score > faces[i-1].Score {
					t.Errorf("%s: faces not sorted by score", p.name)
				}
			}
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := det.Detect(cctx, portraits[0].img)
		if err == nil {
			t.Fatal("no error from a cancelled context")
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %q does not wrap context.Canceled", err)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		want := make([][]face.Face, len(portraits))
		for i, p := range portraits {
			want[i] = detect(t, det, p.img)
		}
		const workers = 4
		var wg sync.WaitGroup
		errs := make(chan error, workers*len(portraits))
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range portraits {
					i := (k + w) % len(portraits) // different photos at the same time
					got, err := det.Detect(ctx, portraits[i].img)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", portraits[i].name, err)
						continue
					}
					if !agree(got, want[i]) {
						errs <- fmt.Errorf("%s: concurrent result differs from the sequential one", portraits[i].name)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// RepoRoot walks up from the working directory to the folder holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("facetest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Photo is a decoded test photo.
type Photo struct {
	name string
	img  image.Image
}

// Name is the file name.
func (p Photo) Name() string { return p.name }

// Image is the decoded photo.
func (p Photo) Image() image.Image { return p.img }

// Load decodes every file in dir by content (two portraits carry the wrong
// extension on purpose), in name order.
func Load(dir string) ([]Photo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Photo
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) == ".md" {
			continue
		}
		img, err := Decode(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Photo{e.Name(), img})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("facetest: no photos in %s", dir)
	}
	return out, nil
}

// Decode reads one image file by content.
func Decode(path string) (image.Image, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	img, _, err := image.Decode(fh)
	if err != nil {
		return nil, fmt.Errorf("facetest: decode %s: %w", filepath.Base(path), err)
	}
	return img, nil
}

// Rotate turns img by deg degrees about its centre, clockwise on screen for positive
// deg, with bilinear sampling; corners that come from outside are white.
func Rotate(img image.Image, deg float64) *image.RGBA {
	b := img.Bounds()
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	out := image.NewRGBA(src.Bounds())
	w, h := b.Dx(), b.Dy()
	cx, cy := float64(w-1)/2, float64(h-1)/2
	r := deg * math.Pi / 180
	cos, sin := math.Cos(r), math.Sin(r)
	white := color.RGBA{255, 255, 255, 255}
	sample := func(x, y int, c int) float64 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 255
		}
		return float64(src.Pix[src.PixOffset(x, y)+c])
	}
	for y := range h {
		for x := range w {
			// The inverse turn: where in the source does this pixel come from.
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := cx+cos*dx+sin*dy, cy-sin*dx+cos*dy
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			if x0 < -1 || y0 < -1 || x0 >= w || y0 >= h {
				out.SetRGBA(x, y, white)
				continue
			}
			fx, fy := sx-float64(x0), sy-float64(y0)
			var px [4]uint8
			for c := range 4 {
				top := sample(x0, y0, c)*(1-fx) + sample(x0+1, y0, c)*fx
				bot := sample(x0, y0+1, c)*(1-fx) + sample(x0+1, y0+1, c)*fx
				px[c] = uint8(math.Round(top*(1-fy) + bot*fy))
			}
			out.SetRGBA(x, y, color.RGBA{px[0], px[1], px[2], px[3]})
		}
	}
	return out
}

func photos(t *testing.T, dir string) []Photo {
	t.Helper()
	ps, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func find(t *testing.T, ps []Photo, name string) image.Image {
	t.Helper()
	for _, p := range ps {
		if p.name == name {
			return p.img
		}
	}
	t.Fatalf("testdata photo %s missing", name)
	return nil
}

func detect(t *testing.T, det face.Detector, img image.Image) []face.Face {
	t.Helper()
	faces, err := det.Detect(context.Background(), img)
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	return faces
}

func one(t *testing.T, faces []face.Face) face.Face {
	t.Helper()
	if len(faces) != 1 {
		t.Fatalf("got %d faces, want 1", len(faces))
	}
	return faces[0]
}

// checkFace holds for any upright face: box inside the image, eyes inside the box and
// in order, mouth below the eyes.
func checkFace(t *testing.T, f face.Face, bounds image.Rectangle) {
	t.Helper()
	box := f.Box
	if box.Dx() <= 0 || box.Dy() <= 0 {
		t.Errorf("empty box")
	}
	slack := 0.05 * box.Dx()
	if box.Min.X < float64(bounds.Min.X)-slack || box.Min.Y < float64(bounds.Min.Y)-slack ||
		box.Max.X > float64(bounds.Max.X)+slack || box.Max.Y > float64(bounds.Max.Y)+slack {
		t.Errorf("box outside the image")
	}
	for _, e := range []face.Point{f.LeftEye, f.RightEye} {
		if e.X < box.Min.X || e.X > box.Max.X || e.Y < box.Min.Y || e.Y > box.Max.Y {
			t.Errorf("eye outside the box")
		}
	}
	if f.LeftEye.X >= f.RightEye.X {
		t.Errorf("LeftEye.X ≥ RightEye.X")
	}
	if f.Mouth.Y <= f.EyeMid().Y {
		t.Errorf("mouth not below the eyes")
	}
	if f.Score <= 0 || math.IsNaN(f.Score) {
		t.Errorf("score %v not positive", f.Score)
	}
}

// agree reports whether two results match within half a pixel.
func agree(a, b []face.Face) bool {
	if len(a) != len(b) {
		return false
	}
	near := func(p, q face.Point) bool { return math.Abs(p.X-q.X) <= 0.5 && math.Abs(p.Y-q.Y) <= 0.5 }
	for i := range a {
		x, y := a[i], b[i]
		if !near(x.Box.Min, y.Box.Min) || !near(x.Box.Max, y.Box.Max) || !near(x.LeftEye, y.LeftEye) ||
			!near(x.RightEye, y.RightEye) || !near(x.Nose, y.Nose) || !near(x.Mouth, y.Mouth) {
			return false
		}
	}
	return true
}
