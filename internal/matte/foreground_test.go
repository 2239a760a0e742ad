package matte_test

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/idphoto/idphoto/internal/matte"
)

// A dark or skin-coloured shape with a feathered edge on a light wall, moved onto a
// dark blue: with the estimated foreground the edge band is not lighter than both the
// person and the new background (no halo), and it matches the true composite; naive
// compositing of the photo's own colours shows the halo.
func TestPromiseP4ForegroundNoHalo(t *testing.T) {
	newBG := color.NRGBA{20, 40, 120, 255}
	for _, tc := range []struct {
		name       string
		person     color.NRGBA
		wall       color.NRGBA
		feather    float64
		naiveHalos bool // whether naive compositing is lighter than both sides
	}{
		{"dark hair on white", color.NRGBA{40, 30, 28, 255}, color.NRGBA{240, 240, 238, 255}, 10, true},
		{"dark hair on light grey, wide edge", color.NRGBA{50, 40, 35, 255}, color.NRGBA{215, 215, 220, 255}, 24, true},
		{"skin on white", color.NRGBA{210, 160, 140, 255}, color.NRGBA{250, 250, 250, 255}, 8, false},
		{"navy on light blue", color.NRGBA{20, 30, 70, 255}, color.NRGBA{170, 200, 235, 255}, 12, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, alpha := disk(240, 240, 70, tc.feather, tc.person, tc.wall)
			est := over(matte.Foreground(img, alpha), newBG)
			naive := image.NewNRGBA(img.Rect)
			copy(naive.Pix, img.Pix)
			for i := range alpha.Pix {
				naive.Pix[4*i+3] = alpha.Pix[i]
			}
			naiveOut := over(naive, newBG)

			var estLum, naiveLum, estErr, naiveErr float64
			n := 0
			for i, a8 := range alpha.Pix {
				a := float64(a8) / 255
				if a <= 0.05 || a >= 0.95 {
					continue
				}
				n++
				estLum += lum(est.Pix[4*i:])
				naiveLum += lum(naiveOut.Pix[4*i:])
				for c, f := range []uint8{tc.person.R, tc.person.G, tc.person.B} {
					truth := a*float64(f) + (1-a)*float64([]uint8{newBG.R, newBG.G, newBG.B}[c])
					estErr += math.Abs(float64(est.Pix[4*i+c]) - truth)
					naiveErr += math.Abs(float64(naiveOut.Pix[4*i+c]) - truth)
				}
			}
			if n < 100 {
				t.Fatalf("only %d band pixels", n)
			}
			estLum, naiveLum = estLum/float64(n), naiveLum/float64(n)
			estErr, naiveErr = estErr/float64(3*n), naiveErr/float64(3*n)
			limit := math.Max(lum([]uint8{tc.person.R, tc.person.G, tc.person.B}), lum([]uint8{newBG.R, newBG.G, newBG.B}))
			t.Logf("band luminance: estimated %.1f, naive %.1f, brighter side %.1f; error vs truth: estimated %.2f, naive %.2f levels",
				estLum, naiveLum, limit, estErr, naiveErr)
			// One level of slack: the true composite's band lies between the sides,
			// which can be as close as rounding.
			if estLum > limit+1 {
				t.Errorf("halo: band luminance %.1f above both sides' %.1f", estLum, limit)
			}
			if tc.naiveHalos && naiveLum <= limit+5 {
				t.Errorf("test does not provoke a halo: naive band luminance %.1f, sides %.1f", naiveLum, limit)
			}
			if estErr > 2 {
				t.Errorf("mean error vs true composite %.2f levels, want <= 2", estErr)
			}
			if estErr > naiveErr/4 {
				t.Errorf("estimate (%.2f) not much better than naive (%.2f)", estErr, naiveErr)
			}
		})
	}
}

func TestForegroundKeepsSolidAndAlpha(t *testing.T) {
	img, alpha := disk(120, 100, 30, 8, color.NRGBA{90, 60, 50, 255}, color.NRGBA{230, 230, 230, 255})
	fg := matte.Foreground(img, alpha)
	if fg.Rect != img.Rect {
		t.Fatalf("bounds %v, want %v", fg.Rect, img.Rect)
	}
	for i, a := range alpha.Pix {
		if fg.Pix[4*i+3] != a {
			t.Fatalf("pixel %d: alpha %d, want %d", i, fg.Pix[4*i+3], a)
		}
		if a == 255 {
			for c := range 3 {
				if fg.Pix[4*i+c] != img.Pix[4*i+c] {
					t.Fatalf("solid pixel %d changed colour", i)
				}
			}
		}
	}
	// Transparent pixels carry the person's colour, not the wall's, so resampling
	// later cannot pull the wall back in.
	if c := fg.NRGBAAt(2, 2); lum([]uint8{c.R, c.G, c.B}) > 120 {
		t.Errorf("transparent pixel colour %v: wall colour leaks", c)
	}
}

func TestForegroundOffsetAndPartialMatte(t *testing.T) {
	img, alpha := disk(80, 60, 20, 6, color.NRGBA{30, 30, 30, 255}, color.NRGBA{240, 240, 240, 255})
	moved := image.NewNRGBA(img.Rect.Add(image.Pt(-5, 9)))
	copy(moved.Pix, img.Pix)
	fg := matte.Foreground(moved, &image.Gray{Pix: alpha.Pix, Stride: alpha.Stride, Rect: moved.Rect})
	if fg.Rect != moved.Rect {
		t.Fatalf("bounds %v, want %v", fg.Rect, moved.Rect)
	}
	c := fg.NRGBAAt(35, 39)
	if c.A != 255 || c.R != 30 {
		t.Errorf("centre %v, want solid dark", c)
	}
	// A matte covering only part of the image: the rest reads as transparent.
	half := &image.Gray{Pix: alpha.Pix[:alpha.Stride*30], Stride: alpha.Stride, Rect: image.Rect(-5, 9, 75, 39)}
	if a := matte.Foreground(moved, half).NRGBAAt(35, 60).A; a != 0 {
		t.Errorf("outside the matte: alpha %d, want 0", a)
	}
}
