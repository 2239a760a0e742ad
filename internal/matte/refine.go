package matte

import (
	"errors"
	"image"
)

// RefineConfig tunes the edge refinement. Zero fields take the defaults of
// DefaultRefineConfig.
type RefineConfig struct {
	// Radius is the guided filter's window radius in pixels.
	Radius int
	// Eps is the guided filter's regularisation, with the guide in 0..1: smaller
	// follows the image's edges (hair strands) more closely, larger smooths more.
	Eps float64
	// Grow widens the uncertain band by this many pixels before filtering, so the
	// filter may also move an edge that was hard.
	Grow int
}

// DefaultRefineConfig returns the defaults, tuned for working images of 500-1600 px.
func DefaultRefineConfig() RefineConfig {
	return RefineConfig{Radius: 6, Eps: 1e-4, Grow: 3}
}

// Validate reports a setting out of its range (zero means default and is valid).
func (c RefineConfig) Validate() error {
	switch {
	case c.Radius < 0 || c.Radius > 64:
		return errors.New("matte: refine radius must be in [0, 64]")
	case c.Eps < 0 || c.Eps > 1:
		return errors.New("matte: refine eps must be in [0, 1]")
	case c.Grow < 0 || c.Grow > 64:
		return errors.New("matte: refine grow must be in [0, 64]")
	}
	return nil
}

func (c RefineConfig) withDefaults() RefineConfig {
	d := DefaultRefineConfig()
	if c.Radius <= 0 {
		c.Radius = d.Radius
	}
	if c.Eps <= 0 {
		c.Eps = d.Eps
	}
	if c.Grow <= 0 {
		c.Grow = d.Grow
	}
	return c
}

// Refine is RefineConfig{}.Refine: edge refinement with the default settings.
func Refine(img image.Image, alpha *image.Gray) *image.Gray {
	return RefineConfig{}.Refine(img, alpha)
}

// Refine aligns the matte's edge with the image's edges: a guided filter (He, Sun and
// Tang, 2010) of the alpha with the image's luminance as guide, applied only in the
// uncertain band (alpha between 5% and 95%, or a hard step, widened by Grow), so the
// solid person and the clear backdrop stay exactly as they were. The result has
// img's bounds; alpha outside them reads as 0.
func (c RefineConfig) Refine(img image.Image, alpha *image.Gray) *image.Gray {
	c = c.withDefaults()
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := alphaPlane(alpha, b)
	out := make([]uint8, w*h)
	if w == 0 || h == 0 {
		return newAlpha(b, out)
	}

	unsure := make([]bool, w*h)
	found := false
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			a := p[i]
			u := a > 0.05 && a < 0.95
			// A hard step between neighbours is uncertain too.
			if !u && x+1 < w && abs32(p[i+1]-a) > 0.5 {
				u, unsure[i+1] = true, true
			}
			if !u && y+1 < h && abs32(p[i+w]-a) > 0.5 {
				u, unsure[i+w] = true, true
			}
			if u {
				unsure[i], found = true, true
			}
		}
	}
	if !found {
		for i, a := range p {
			out[i] = to8(a)
		}
		return newAlpha(b, out)
	}
	band := dilate(unsure, w, h, c.Grow)

	// Only the band's bounding box, padded by the filter's reach (2·Radius: the
	// window coefficients, then their mean), needs filtering.
	x0, y0, x1, y1 := w, h, 0, 0
	for y := 0; y < h; y++ {
		for x, in := range band[y*w : y*w+w] {
			if in {
				x0, x1 = min(x0, x), max(x1, x+1)
				y0, y1 = min(y0, y), max(y1, y+1)
			}
		}
	}
	pad := 2*c.Radius + 1
	x0, y0, x1, y1 = max(0, x0-pad), max(0, y0-pad), min(w, x1+pad), min(h, y1+pad)
	sw, sh := x1-x0, y1-y0

	rgba := rgbaOf(img)
	g := make([]float32, sw*sh)
	sp := make([]float32, sw*sh)
	for y := 0; y < sh; y++ {
		row := rgba.Pix[(y0+y)*rgba.Stride:]
		for x := 0; x < sw; x++ {
			px := row[4*(x0+x):]
			g[y*sw+x] = luma(px[0], px[1], px[2])
			sp[y*sw+x] = p[(y0+y)*w+x0+x]
		}
	}
	q := guidedFilter(g, sp, sw, sh, c.Radius, float32(c.Eps))
	for i := range out {
		out[i] = to8(p[i])
	}
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			if i := (y0+y)*w + x0 + x; band[i] {
				out[i] = to8(q[y*sw+x])
			}
		}
	}
	return newAlpha(b, out)
}

// guidedFilter filters p with the grey guide g: in each window p ≈ a·g + b, and the
// output averages the (a, b) of all windows covering a pixel.
func guidedFilter(g, p []float32, w, h, r int, eps float32) []float32 {
	n := w * h
	gp := make([]float32, n)
	gg := make([]float32, n)
	for i := range n {
		gp[i] = g[i] * p[i]
		gg[i] = g[i] * g[i]
	}
	var mg, mp, mgp, mgg []float32
	together(func() { mg, mp = boxMean(g, w, h, r), boxMean(p, w, h, r) },
		func() { mgp, mgg = boxMean(gp, w, h, r), boxMean(gg, w, h, r) })
	a, bb := gp, gg // reuse
	for i := range n {
		varG := mgg[i] - mg[i]*mg[i]
		cov := mgp[i] - mg[i]*mp[i]
		a[i] = cov / (varG + eps)
		bb[i] = mp[i] - a[i]*mg[i]
	}
	var ma, mb []float32
	together(func() { ma = boxMean(a, w, h, r) }, func() { mb = boxMean(bb, w, h, r) })
	q := mg // reuse
	for i := range n {
		q[i] = clamp01(ma[i]*g[i] + mb[i])
	}
	return q
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
