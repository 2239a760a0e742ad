package matte

import (
	"image"
)

// Foreground estimates the person's own colours where the matte is partial, so the old
// backdrop does not show through as a light (or dark) fringe on the new one.
//
// A pixel of the photo is I = α·F + (1−α)·B. B is estimated locally as a normalised
// blur of the pixels that are clearly backdrop (α < 5%), and solved for:
// F = (I − (1−α)·B̂)/α, clamped to the colour range. Where α is small that division
// amplifies noise, so F is blended towards a normalised blur of clearly-person pixels
// (α > 95%). Fully transparent pixels get that blur too: resampling the result then
// never pulls in a backdrop colour. The result has img's bounds, the estimated
// colours, and alpha = the matte (read as 0 outside the matte's bounds).
func Foreground(img image.Image, alpha *image.Gray) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewNRGBA(b)
	if w == 0 || h == 0 {
		return out
	}
	rgba := rgbaOf(img)
	a := alphaPlane(alpha, b)

	bgW := make([]float32, w*h)
	fgW := make([]float32, w*h)
	partial := false
	for i, v := range a {
		switch {
		case v < 0.05:
			bgW[i] = 1
		case v > 0.95:
			fgW[i] = 1
		}
		if v > 0 && v < 1 {
			partial = true
		}
	}
	if !partial {
		// A hard matte has nothing to solve: copy the colours.
		for y := 0; y < h; y++ {
			src := rgba.Pix[y*rgba.Stride:]
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				copy(dst[4*x:4*x+3], src[4*x:4*x+3])
				dst[4*x+3] = to8(a[y*w+x])
			}
		}
		return out
	}

	// The blur must reach across the soft band from both sides. Both estimates are
	// smooth, so they are computed on a grid s times coarser and interpolated.
	r := max(6, min(w, h)/60)
	s := max(1, r/3)
	var bg, fg *colourField
	together(func() { bg = newColourField(rgba, bgW, w, h, s, r) }, func() { fg = newColourField(rgba, fgW, w, h, s, r) })

	inHalves(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			src := rgba.Pix[y*rgba.Stride:]
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				al := a[y*w+x]
				px := src[4*x : 4*x+3 : 4*x+3]
				switch {
				case al >= 1:
					copy(dst[4*x:4*x+3], px)
				case al <= 0:
					f := fg.at(x, y)
					dst[4*x], dst[4*x+1], dst[4*x+2] = to8(f[0]), to8(f[1]), to8(f[2])
				default:
					// Trust the solved colour from α ≈ 0.3 up; below, lean on the person blur.
					t := clamp01((al - 0.02) / 0.3)
					t = t * t * (3 - 2*t)
					bc, fc := bg.at(x, y), fg.at(x, y)
					for c := range 3 {
						solved := clamp01((float32(px[c])/255 - (1-al)*bc[c]) / al)
						dst[4*x+c] = to8(t*solved + (1-t)*fc[c])
					}
				}
				dst[4*x+3] = to8(al)
			}
		}
	})
	return out
}

// colourField is a normalised blur of the colours of weighted pixels (the weighted
// mean colour nearby), held on a grid s times coarser than the image and
// interpolated between cell centres.
type colourField struct {
	s, gw, gh int
	col       [3][]float32
}

func newColourField(m *image.RGBA, wt []float32, w, h, s, r int) *colourField {
	gw, gh := (w+s-1)/s, (h+s-1)/s
	f := &colourField{s: s, gw: gw, gh: gh}
	den := make([]float32, gw*gh)
	var num [3][]float32
	for c := range 3 {
		num[c] = make([]float32, gw*gh)
	}
	var total float64
	var sum [3]float64
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride:]
		g := (y / s) * gw
		for x := 0; x < w; x++ {
			v := wt[y*w+x]
			if v == 0 {
				continue
			}
			i := g + x/s
			den[i] += v
			total += float64(v)
			for c := range 3 {
				cv := v * float32(row[4*x+c]) / 255
				num[c][i] += cv
				sum[c] += float64(cv)
			}
		}
	}
	fallback := [3]float32{0.5, 0.5, 0.5} // no weighted pixel at all
	if total > 0 {
		for c := range 3 {
			fallback[c] = float32(sum[c] / total)
		}
	}
	// Two box passes approximate a Gaussian; where no weighted pixel is within reach
	// a window 8 times wider fills in.
	rr := max(1, r/s)
	blur := func(p []float32, rad int) []float32 { return boxMean(boxMean(p, gw, gh, rad), gw, gh, rad) }
	near, wide := blur(den, rr), blur(den, 8*rr)
	for c := range 3 {
		col := blur(num[c], rr)
		wideNum := blur(num[c], 8*rr)
		for i, d := range near {
			switch {
			case d >= 1e-3:
				col[i] /= d
			case wide[i] >= 1e-4:
				col[i] = wideNum[i] / wide[i]
			default:
				col[i] = fallback[c]
			}
		}
		f.col[c] = col
	}
	return f
}

// at is the field's colour at pixel (x, y), interpolated between cell centres.
func (f *colourField) at(x, y int) [3]float32 {
	fx := (float32(x)+0.5)/float32(f.s) - 0.5
	fy := (float32(y)+0.5)/float32(f.s) - 0.5
	x0, y0 := int(fx), int(fy)
	if fx < 0 {
		x0, fx = 0, 0
	}
	if fy < 0 {
		y0, fy = 0, 0
	}
	x1, y1 := min(x0+1, f.gw-1), min(y0+1, f.gh-1)
	tx, ty := fx-float32(x0), fy-float32(y0)
	var out [3]float32
	for c := range 3 {
		p := f.col[c]
		top := p[y0*f.gw+x0]*(1-tx) + p[y0*f.gw+x1]*tx
		bot := p[y1*f.gw+x0]*(1-tx) + p[y1*f.gw+x1]*tx
		out[c] = top*(1-ty) + bot*ty
	}
	return out
}
