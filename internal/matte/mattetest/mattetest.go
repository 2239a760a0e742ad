// Package mattetest is the conformance suite every matte.Matter implementation runs in
// its tests, and the repository's test portraits with hand-measured face boxes.
package mattetest

import (
	"context"
	"errors"
	"image"
	"image/draw"
	_ "image/jpeg" // test portraits are JPEG, PNG and WebP whatever their names say
	_ "image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/matte"
)

// Photo is a test photo and a face box measured by hand, so matte tests do not depend
// on a face detector.
type Photo struct {
	Path string
	Face face.Rect
	// Plain is true when the backdrop is a plain wall.
	Plain bool
}

// Portraits returns the photos of testdata/portraits under root (the repository root).
func Portraits(root string) []Photo {
	dir := filepath.Join(root, "testdata", "portraits")
	box := func(x0, y0, x1, y1 float64) face.Rect {
		return face.Rect{Min: face.Point{X: x0, Y: y0}, Max: face.Point{X: x1, Y: y1}}
	}
	return []Photo{
		{Path: filepath.Join(dir, "hivision-test3.jpg"), Face: box(145, 125, 355, 345), Plain: true},
		{Path: filepath.Join(dir, "hivision-test1.jpg"), Face: box(270, 400, 540, 730)},
		{Path: filepath.Join(dir, "hivision-test2.jpg"), Face: box(220, 160, 440, 370)},
		{Path: filepath.Join(dir, "astronaut.png"), Face: box(178, 70, 272, 180)},
		{Path: filepath.Join(dir, "messi5.jpg"), Face: box(213, 84, 257, 122)},
	}
}

// Load decodes a photo by content.
func Load(tb testing.TB, path string) image.Image {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		tb.Fatalf("decode %s: %v", filepath.Base(path), err)
	}
	return img
}

// Hint builds the hint for a photo.
func (p Photo) Hint() matte.Hint { return matte.Hint{Face: face.Face{Box: p.Face}} }

// Run checks the Matter contract on each photo: the alpha has the image's bounds and
// the face centre is person. A matter may refuse a photo with matte.ErrBusyBackground;
// such photos are skipped. On the first photo accepted it also checks that an image
// whose origin is not (0, 0) gives the same matte, that a cancelled context and a face
// box outside the image give errors, and that concurrent calls agree.
func Run(t *testing.T, m matte.Matter, photos []Photo) {
	t.Helper()
	ctx := context.Background()
	var p Photo
	var img image.Image
	var alpha *image.Gray
	for _, q := range photos {
		t.Run(filepath.Base(q.Path), func(t *testing.T) {
			im := Load(t, q.Path)
			a, err := m.Matte(ctx, im, q.Hint())
			if errors.Is(err, matte.ErrBusyBackground) {
				t.Skip("refused: busy background")
			}
			if err != nil {
				t.Fatalf("Matte: %v", err)
			}
			checkAlpha(t, im.Bounds(), a, q.Face)
			if img == nil {
				p, img, alpha = q, im, a
			}
		})
	}
	if img == nil {
		t.Log("no photo accepted: contract checks skipped")
		return
	}
	t.Run("moved origin", func(t *testing.T) {
		off := image.Pt(37, -11)
		moved := image.NewRGBA(img.Bounds().Add(off))
		draw.Draw(moved, moved.Rect, img, img.Bounds().Min, draw.Src)
		hint := p.Hint()
		hint.Face.Box.Min.X += float64(off.X)
		hint.Face.Box.Max.X += float64(off.X)
		hint.Face.Box.Min.Y += float64(off.Y)
		hint.Face.Box.Max.Y += float64(off.Y)
		a, err := m.Matte(ctx, moved, hint)
		if err != nil {
			t.Fatalf("Matte: %v", err)
		}
		checkAlpha(t, moved.Bounds(), a, hint.Face.Box)
		if d := meanDiff(alpha, a); d > 1 {
			t.Errorf("moved image gives a different matte: mean |diff| %.2f levels", d)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := m.Matte(cctx, img, p.Hint()); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: got %v, want context.Canceled", err)
		}
	})
	t.Run("face outside", func(t *testing.T) {
		b := img.Bounds()
		far := face.Rect{
			Min: face.Point{X: float64(b.Max.X + 100), Y: float64(b.Max.Y + 100)},
			Max: face.Point{X: float64(b.Max.X + 200), Y: float64(b.Max.Y + 200)},
		}
		for _, r := range []face.Rect{far, {}} {
			if _, err := m.Matte(ctx, img, matte.Hint{Face: face.Face{Box: r}}); err == nil {
				t.Error("face box outside the image: got no error")
			}
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		out := make([]*image.Gray, 2)
		errs := make([]error, len(out))
		for i := range out {
			wg.Go(func() { out[i], errs[i] = m.Matte(ctx, img, p.Hint()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			if d := meanDiff(alpha, out[i]); d > 1 {
				t.Errorf("concurrent call %d differs from a lone call: mean |diff| %.2f levels", i, d)
			}
		}
	})
}

func checkAlpha(t *testing.T, b image.Rectangle, alpha *image.Gray, box face.Rect) {
	t.Helper()
	if alpha == nil {
		t.Fatal("nil alpha without error")
	}
	if alpha.Rect != b {
		t.Fatalf("alpha bounds %v, image bounds %v", alpha.Rect, b)
	}
	c := box.Center()
	if a := alpha.GrayAt(int(c.X), int(c.Y)).Y; a < 230 {
		t.Errorf("face centre alpha %d, want >= 230", a)
	}
}

func meanDiff(a, b *image.Gray) float64 {
	if a.Rect.Size() != b.Rect.Size() {
		return 255
	}
	var s float64
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := int(a.Pix[y*a.Stride+x]) - int(b.Pix[y*b.Stride+x])
			if d < 0 {
				d = -d
			}
			s += float64(d)
		}
	}
	return s / float64(w*h)
}
