package face

import (
	"image"
	"math"
)

// Face width, in eye distances (pupil to pupil).
//
// Adults' bizygomatic width is about 130–140 mm and their pupils about 60–65 mm
// apart: a ratio near 2.1–2.2. The width a photo shows at the cheeks, between the
// eyes and the mouth, is a little less, and varies with build and age, so a
// measurement is kept within [widthMin, widthMax] and widthTypical stands in when
// the cheeks cannot be measured.
const (
	widthTypical = 2.1
	widthMin     = 1.7
	widthMax     = 2.6
)

// FaceWidth is the cheek-to-cheek width of f in pixels, measured on the row halfway
// between the eyes and the mouth (perpendicular to the face's axis): from the
// middle, it walks outwards on each side while the colour stays close to the skin
// sampled on the cheeks, and stops at hair or background. The result is clamped to
// widthMin..widthMax eye distances; when the skin sample is unusable it is
// widthTypical eye distances.
func FaceWidth(img image.Image, f Face) float64 {
	ux, uy, vx, vy, d, ok := axes(f)
	if !ok {
		return 0
	}
	typical := widthTypical * d
	m := eyeToMouth(f)
	mid := f.EyeMid()
	// Centre of the measuring row, on the face's axis.
	cx, cy := mid.X+vx*0.5*m, mid.Y+vy*0.5*m
	at := func(t float64) (float64, float64) { return cx + ux*t, cy + uy*t }
	src := newSampler(img)

	// The skin reference: the median colour of small patches on both cheeks, below
	// each eye, where neither the nose nor the jaw line reaches.
	var ys, cbs, crs []float64
	for _, side := range []float64{-1, 1} {
		for k := range 9 {
			t := side * (0.4 + 0.05*float64(k%3)) * d
			px, py := at(t)
			dy := (float64(k/3) - 1) * 0.05 * d
			y, cb, cr := ycc(src.rgb(px+vx*dy, py+vy*dy))
			ys, cbs, crs = append(ys, y), append(cbs, cb), append(crs, cr)
		}
	}
	y0, cb0, cr0 := median(ys), median(cbs), median(crs)
	// Skin is never near-black, near-white or grey: then the sample is hair, a
	// shadow or a mask, and a measurement would mean nothing.
	if y0 < 40 || y0 > 245 || math.Hypot(cb0-128, cr0-128) < 4 {
		return typical
	}
	sat := (cb0-128)*(cb0-128) + (cr0-128)*(cr0-128)
	isSkin := func(t float64) bool {
		px, py := at(t)
		y, cb, cr := ycc(src.rgb(px, py))
		// Chroma is what tells skin from hair and backdrops; luminance only has to
		// stay in a wide band, since the sides of the face are in shade.
		if math.Hypot(cb-cb0, cr-cr0) < 14 && y > 0.45*y0 && y < y0+60 {
			return true
		}
		// A highlight on the cheek is skin mixed with white: brighter, with the
		// same hue and less saturation.
		if y <= y0 {
			return false
		}
		k := ((cb-128)*(cb0-128) + (cr-128)*(cr0-128)) / sat
		return k > 0.2 && k < 1.2 && math.Hypot(cb-128-k*(cb0-128), cr-128-k*(cr0-128)) < 8
	}
	// Walk out from 0.4 eye distances (inside the cheeks) to half the widest
	// plausible face plus a margin; three non-skin steps in a row end the face.
	step := max(0.5, d/100)
	limit := 0.5*widthMax*d + 0.2*d
	extent := func(side float64) (float64, bool) {
		miss := 0
		last := 0.4 * d
		for t := 0.4 * d; t <= limit; t += step {
			if isSkin(side * t) {
				miss, last = 0, t
				continue
			}
			if miss++; miss == 3 {
				return last, true
			}
		}
		return last, false
	}
	left, okL := extent(-1)
	right, okR := extent(1)
	switch {
	case okL && okR:
		return clampWidth(left+right, d)
	case okL || okR:
		// One side ran into skin-coloured background: trust the other side and
		// assume symmetry about the axis.
		w := 2 * left
		if okR {
			w = 2 * right
		}
		return clampWidth(w, d)
	}
	return typical
}

func clampWidth(w, d float64) float64 { return min(max(w, widthMin*d), widthMax*d) }

// ycc converts 0–255 RGB to JPEG's YCbCr.
func ycc(r, g, b float64) (y, cb, cr float64) {
	y = 0.299*r + 0.587*g + 0.114*b
	cb = 128 - 0.168736*r - 0.331264*g + 0.5*b
	cr = 128 + 0.5*r - 0.418688*g - 0.081312*b
	return y, cb, cr
}
