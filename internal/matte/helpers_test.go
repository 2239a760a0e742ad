package matte_test

import (
	"image"
	"image/color"
	"math"
)

// disk draws a dark disk with a feathered edge on a light backdrop: the true alpha is a
// linear ramp from r-feather/2 to r+feather/2, the image I = α·F + (1−α)·B exactly.
func disk(w, h int, r, feather float64, fg, bg color.NRGBA) (*image.NRGBA, *image.Gray) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	alpha := image.NewGray(img.Rect)
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			a := math.Min(1, math.Max(0, (r+feather/2-d)/feather))
			a8 := uint8(math.Round(a * 255))
			a = float64(a8) / 255
			mix := func(f, b uint8) uint8 { return uint8(math.Round(a*float64(f) + (1-a)*float64(b))) }
			img.SetNRGBA(x, y, color.NRGBA{mix(fg.R, bg.R), mix(fg.G, bg.G), mix(fg.B, bg.B), 255})
			alpha.Pix[y*alpha.Stride+x] = a8
		}
	}
	return img, alpha
}

// over composites f (straight alpha) over a solid colour.
func over(f *image.NRGBA, bg color.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(f.Rect)
	for i := 0; i < len(f.Pix); i += 4 {
		a := float64(f.Pix[i+3]) / 255
		for c, b := range []uint8{bg.R, bg.G, bg.B} {
			out.Pix[i+c] = uint8(math.Round(a*float64(f.Pix[i+c]) + (1-a)*float64(b)))
		}
		out.Pix[i+3] = 255
	}
	return out
}

func lum(c []uint8) float64 { return 0.299*float64(c[0]) + 0.587*float64(c[1]) + 0.114*float64(c[2]) }
