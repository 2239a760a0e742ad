package matte_test

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/idphoto/idphoto/internal/matte"
)

// edgeScene is a vertical edge at x = 50: dark person on the left, light wall on the
// right, and a matte blurred across it (a ramp over x 44..56, as a low-resolution
// mask looks once upscaled).
func edgeScene() (*image.NRGBA, *image.Gray) {
	const w, h = 100, 40
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	alpha := image.NewGray(img.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{40, 35, 30, 255}
			if x >= 50 {
				c = color.NRGBA{225, 225, 220, 255}
			}
			img.SetNRGBA(x, y, c)
			a := math.Min(1, math.Max(0, float64(56-x)/12))
			alpha.Pix[y*alpha.Stride+x] = uint8(math.Round(a * 255))
		}
	}
	return img, alpha
}

// The guided filter puts the matte's steepest step onto the image's edge: a blurred
// mask (a 21-level drop per pixel) gains a drop of over 100 levels between x = 49 and
// 50, while staying monotonic. It does not de-blur the flat areas on either side: each
// window fits alpha to the guide, so it only sharpens where the guide has an edge.
func TestRefineSnapsToImageEdge(t *testing.T) {
	img, alpha := edgeScene()
	got := matte.Refine(img, alpha)
	steepest, drop := -1, 0
	for x := 30; x < 75; x++ {
		a, b := int(got.GrayAt(x, 20).Y), int(got.GrayAt(x+1, 20).Y)
		if b > a {
			t.Fatalf("alpha rises at x=%d: %d -> %d", x, a, b)
		}
		if a-b > drop {
			steepest, drop = x, a-b
		}
	}
	t.Logf("steepest drop %d levels at x=%d (before: %d levels)", drop, steepest,
		int(alpha.GrayAt(49, 20).Y)-int(alpha.GrayAt(50, 20).Y))
	if steepest != 49 || drop < 100 {
		t.Errorf("steepest drop %d levels at x=%d, want >= 100 at x=49", drop, steepest)
	}
}

func TestRefineKeepsSolidAreas(t *testing.T) {
	img, alpha := edgeScene()
	got := matte.Refine(img, alpha)
	grow := matte.DefaultRefineConfig().Grow
	for y := 0; y < 40; y++ {
		for x := 0; x < 100; x++ {
			// The uncertain band is x 45..55, widened by Grow.
			if x >= 45-grow-1 && x <= 55+grow+1 {
				continue
			}
			if a, b := alpha.GrayAt(x, y).Y, got.GrayAt(x, y).Y; a != b {
				t.Fatalf("(%d,%d) outside the band changed: %d -> %d", x, y, a, b)
			}
		}
	}
}

func TestRefineCases(t *testing.T) {
	solid := image.NewGray(image.Rect(0, 0, 30, 20))
	for i := range solid.Pix {
		solid.Pix[i] = 255
	}
	img := image.NewNRGBA(solid.Rect)
	for _, tc := range []struct {
		name  string
		img   image.Image
		alpha *image.Gray
	}{
		{"all person", img, solid},
		{"all backdrop", img, image.NewGray(solid.Rect)},
		{"empty", image.NewNRGBA(image.Rect(0, 0, 0, 0)), image.NewGray(image.Rect(0, 0, 0, 0))},
		{"one pixel", image.NewNRGBA(image.Rect(3, 3, 4, 4)), image.NewGray(image.Rect(3, 3, 4, 4))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := matte.Refine(tc.img, tc.alpha)
			if got.Rect != tc.img.Bounds() {
				t.Fatalf("bounds %v, want %v", got.Rect, tc.img.Bounds())
			}
			for i := range got.Pix {
				if got.Pix[i] != tc.alpha.Pix[i] {
					t.Fatalf("pixel %d changed: %d -> %d", i, tc.alpha.Pix[i], got.Pix[i])
				}
			}
		})
	}
}

func TestRefineConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  matte.RefineConfig
		ok   bool
	}{
		{"zero", matte.RefineConfig{}, true},
		{"defaults", matte.DefaultRefineConfig(), true},
		{"huge radius", matte.RefineConfig{Radius: 1000}, false},
		{"negative eps", matte.RefineConfig{Eps: -1}, false},
		{"negative grow", matte.RefineConfig{Grow: -2}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
