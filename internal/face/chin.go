package face

import (
	"image"
	"math"
	"slices"
)

// Chin placement, in units of the eye-to-mouth distance m measured along the face's
// vertical axis (the perpendicular to the eye line), counted below the mouth.
//
// Adult anthropometric norms (Farkas) put the pupils about 65–70 mm above the
// stomion (where the lips meet) and the menton (the lowest point of the chin)
// 45–50 mm below it: about 0.7 m. Younger and slimmer faces have shorter chins: on
// the test portraits the chin's edge lies at 0.48–0.51 m (three studio portraits)
// and 0.82 m (a smiling adult, whose open mouth moves the mouth point up). chinRatio
// predicts 0.62 m, between the two; the search window chinSearchLo..chinSearchHi
// covers both and leaves out the shadow under the lower lip (about 0.3 m).
const (
	chinRatio    = 0.62
	chinSearchLo = 0.4
	chinSearchHi = 1.0
	// chinMinEdge is the least luminance drop (0–255) across the chin's lower edge,
	// and chinMinLead how much stronger than any other drop in the window it must
	// be, for the edge to count as clear.
	chinMinEdge = 12.0
	chinMinLead = 1.25
)

// axes returns the unit vector along the eye line (u, towards the right-hand eye)
// and the one down the face (v), plus the eye distance; ok is false when the eyes
// coincide.
func axes(f Face) (ux, uy, vx, vy, d float64, ok bool) {
	d = f.EyeDistance()
	if d < 1e-6 || math.IsNaN(d) || math.IsInf(d, 0) {
		return 0, 0, 0, 1, 0, false
	}
	ux, uy = (f.RightEye.X-f.LeftEye.X)/d, (f.RightEye.Y-f.LeftEye.Y)/d
	return ux, uy, -uy, ux, d, true
}

// eyeToMouth is the distance from the eye line down to the mouth along the face's
// axis, or a typical 1.1 eye distances when the mouth is not below the eyes.
func eyeToMouth(f Face) float64 {
	_, _, vx, vy, d, _ := axes(f)
	mid := f.EyeMid()
	m := (f.Mouth.X-mid.X)*vx + (f.Mouth.Y-mid.Y)*vy
	if !(m > 0.5*d && m < 2.5*d) {
		m = 1.1 * d
	}
	return m
}

// FindChin estimates the lowest point of the chin (menton). It predicts it below the
// mouth by chinRatio × the eye-to-mouth distance, along the perpendicular to the eye
// line, then looks along that axis for the chin's lower edge, the strongest
// bright-to-dark step in luminance (lit chin over the neck's shadow), averaged over
// a few columns around the axis. It returns the edge when it is clear, the
// prediction otherwise. f needs its eyes and mouth; img is the photo they were found
// in.
func FindChin(img image.Image, f Face) Point {
	ux, uy, vx, vy, d, ok := axes(f)
	if !ok {
		return f.Mouth
	}
	m := eyeToMouth(f)
	mid := f.EyeMid()
	// The mouth's position on the axis; its sideways offset is ignored so that a
	// wrong mouth corner cannot skew the chin.
	onAxis := func(t float64) Point { return Point{mid.X + vx*t, mid.Y + vy*t} }
	pred := onAxis(m + chinRatio*m)

	lo, hi := m+chinSearchLo*m, m+chinSearchHi*m
	step := max(0.5, m/120) // about 60 samples over the window, never finer than half a pixel
	n := int((hi-lo)/step) + 1
	if n < 8 {
		return pred
	}
	// Luminance profile along the axis, each sample averaged across five columns
	// spread over a quarter of the eye distance either side.
	prof := make([]float64, n)
	src := newSampler(img)
	for i := range prof {
		p := onAxis(lo + float64(i)*step)
		var sum float64
		for k := -2; k <= 2; k++ {
			off := float64(k) * 0.12 * d
			sum += src.luma(p.X+ux*off, p.Y+uy*off)
		}
		prof[i] = sum / 5
	}
	// Drop across a gap of about 3% of m: positive when bright above, dark below.
	h := max(1, int(math.Round(0.03*m/step)))
	drops := make([]float64, n)
	for i := h; i < n-h; i++ {
		drops[i] = prof[i-h] - prof[i+h]
	}
	best := 0
	for i := range drops {
		if drops[i] > drops[best] {
			best = i
		}
	}
	if drops[best] < chinMinEdge {
		return pred
	}
	// The runner-up must be a separate edge: ignore drops within 4h of the best.
	second := 0.0
	for i, v := range drops {
		if abs(i-best) > 4*h {
			second = max(second, v)
		}
	}
	if drops[best] < chinMinLead*second {
		return pred
	}
	return onAxis(lo + float64(best)*step)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// sampler reads colours from an image at fractional positions; pixel (i, j)'s
// centre is at (i, j) relative to the bounds' origin, matching the detector's points.
type sampler struct {
	img image.Image
	b   image.Rectangle
}

func newSampler(img image.Image) sampler { return sampler{img, img.Bounds()} }

// rgb is the colour of the nearest pixel, composited over black (transparent reads
// dark, as it does for the detector), 0–255, clamped to the image.
func (s sampler) rgb(x, y float64) (r, g, b float64) {
	xi := min(max(int(math.Round(x))+s.b.Min.X, s.b.Min.X), s.b.Max.X-1)
	yi := min(max(int(math.Round(y))+s.b.Min.Y, s.b.Min.Y), s.b.Max.Y-1)
	cr, cg, cb, _ := s.img.At(xi, yi).RGBA()
	return float64(cr) / 257, float64(cg) / 257, float64(cb) / 257
}

// luma is the bilinear Rec. 601 luminance at (x, y), 0–255.
func (s sampler) luma(x, y float64) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	at := func(x, y float64) float64 {
		r, g, b := s.rgb(x, y)
		return 0.299*r + 0.587*g + 0.114*b
	}
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy
}

// median of v (v is reordered).
func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}
