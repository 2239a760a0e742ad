package matte

import (
	"image"
	"image/draw"
	"math"
)

// rgbaOf returns img as an *image.RGBA whose pixels start at (0, 0), so the rest of
// the package can index planes as y*w+x whatever img's origin is. image/draw has fast
// paths for the decoders' types (YCbCr, NRGBA, Gray), so this is one pass.
func rgbaOf(img image.Image) *image.RGBA {
	b := img.Bounds()
	if m, ok := img.(*image.RGBA); ok && b.Min == (image.Point{}) && m.Stride == 4*b.Dx() {
		return m
	}
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	inHalves(b.Dy(), func(y0, y1 int) {
		r := image.Rect(0, y0, b.Dx(), y1)
		draw.Draw(dst, r, img, b.Min.Add(r.Min), draw.Src)
	})
	return dst
}

// newAlpha wraps a 0-based w*h byte plane as a Gray image with img's bounds.
func newAlpha(b image.Rectangle, pix []uint8) *image.Gray {
	return &image.Gray{Pix: pix, Stride: b.Dx(), Rect: b}
}

// alphaPlane reads a matte into 0..1 floats, indexed from (0, 0) over the area b;
// pixels of b the matte does not cover read as 0.
func alphaPlane(alpha *image.Gray, b image.Rectangle) []float32 {
	w, h := b.Dx(), b.Dy()
	out := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := image.Point{b.Min.X + x, b.Min.Y + y}
			if !p.In(alpha.Rect) {
				continue
			}
			out[y*w+x] = float32(alpha.Pix[alpha.PixOffset(p.X, p.Y)]) / 255
		}
	}
	return out
}

// boxMean replaces each value by the mean over the (2r+1)² window around it, clipped
// to the image, in O(w*h) whatever r: running sums along rows, then along columns.
func boxMean(src []float32, w, h, r int) []float32 {
	tmp := make([]float32, w*h)
	// Rows.
	for y := 0; y < h; y++ {
		row := src[y*w : y*w+w]
		out := tmp[y*w : y*w+w]
		var s float64
		for x := 0; x <= min(r, w-1); x++ {
			s += float64(row[x])
		}
		for x := 0; x < w; x++ {
			n := float32(min(x+r, w-1) - max(x-r, 0) + 1)
			out[x] = float32(s) / n
			if x+r+1 < w {
				s += float64(row[x+r+1])
			}
			if x-r >= 0 {
				s -= float64(row[x-r])
			}
		}
	}
	// Columns: one running sum per column, swept down the rows, keeps memory access
	// sequential.
	dst := make([]float32, w*h)
	sums := make([]float64, w)
	for y := 0; y <= min(r, h-1); y++ {
		for x := 0; x < w; x++ {
			sums[x] += float64(tmp[y*w+x])
		}
	}
	for y := 0; y < h; y++ {
		n := float64(min(y+r, h-1) - max(y-r, 0) + 1)
		out := dst[y*w : y*w+w]
		for x := range out {
			out[x] = float32(sums[x] / n)
		}
		if y+r+1 < h {
			add := tmp[(y+r+1)*w : (y+r+2)*w]
			for x := range sums {
				sums[x] += float64(add[x])
			}
		}
		if y-r >= 0 {
			sub := tmp[(y-r)*w : (y-r+1)*w]
			for x := range sums {
				sums[x] -= float64(sub[x])
			}
		}
	}
	return dst
}

// dilate returns the pixels within the (2r+1)² square of a set pixel: within r of
// one along the row, then within r of such a pixel down the column. Both passes
// keep a running count of the set pixels in the window, so each pixel costs the
// same whatever r.
func dilate(mask []bool, w, h, r int) []bool {
	if r <= 0 {
		return append([]bool(nil), mask...)
	}
	rows := make([]bool, w*h)
	inHalves(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			m, o := mask[y*w:(y+1)*w], rows[y*w:(y+1)*w]
			n := 0 // set pixels in [x-r, x+r]
			for _, v := range m[:min(r, w)] {
				if v {
					n++
				}
			}
			for x := range o {
				if x+r < w && m[x+r] {
					n++
				}
				o[x] = n > 0
				if x >= r && m[x-r] {
					n--
				}
			}
		}
	})
	out := make([]bool, w*h)
	// Down the columns, all of them at once so rows are read in order; each half
	// of the columns keeps its own counts.
	inHalves(w, func(x0, x1 int) {
		n := make([]int32, x1-x0)
		add := func(y int, d int32) {
			for i, v := range rows[y*w+x0 : y*w+x1] {
				if v {
					n[i] += d
				}
			}
		}
		for y := range min(r, h) {
			add(y, 1)
		}
		for y := range h {
			if y+r < h {
				add(y+r, 1)
			}
			o := out[y*w+x0 : y*w+x1]
			for i := range o {
				o[i] = n[i] > 0
			}
			if y >= r {
				add(y-r, -1)
			}
		}
	})
	return out
}

// erode returns the set pixels whose whole (2r+1)² square, clipped to the image, is set.
func erode(mask []bool, w, h, r int) []bool {
	inv := make([]bool, len(mask))
	for i, v := range mask {
		inv[i] = !v
	}
	d := dilate(inv, w, h, r)
	for i, v := range d {
		d[i] = !v
	}
	return d
}

// flood marks every pixel with allowed set that is 4-connected to a seed. It fills
// a run along the row at a time and looks for runs to fill in the rows above and
// below it, which touches each pixel a few times instead of pushing each one.
func flood(allowed, seeds []bool, w, h int) []bool {
	seen := make([]bool, w*h)
	type span struct{ y, x0, x1 int } // x0..x1 inclusive, to scan for starts
	var stack []span
	// fill marks the run through (x, y) and queues the rows above and below it.
	fill := func(x, y int) {
		row, ok := seen[y*w:(y+1)*w], allowed[y*w:(y+1)*w]
		l, r := x, x
		for l > 0 && ok[l-1] && !row[l-1] {
			l--
		}
		for r+1 < w && ok[r+1] && !row[r+1] {
			r++
		}
		for i := l; i <= r; i++ {
			row[i] = true
		}
		if y > 0 {
			stack = append(stack, span{y - 1, l, r})
		}
		if y+1 < h {
			stack = append(stack, span{y + 1, l, r})
		}
	}
	for i, s := range seeds {
		if s && allowed[i] && !seen[i] {
			fill(i%w, i/w)
			for len(stack) > 0 {
				sp := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				row, ok := seen[sp.y*w:(sp.y+1)*w], allowed[sp.y*w:(sp.y+1)*w]
				for x := sp.x0; x <= sp.x1; x++ {
					if ok[x] && !row[x] {
						fill(x, sp.y)
					}
				}
			}
		}
	}
	return seen
}

// srgbToLinear maps an 8-bit sRGB value to linear light.
var srgbToLinear = func() (t [256]float32) {
	for i := range t {
		c := float64(i) / 255
		if c <= 0.04045 {
			t[i] = float32(c / 12.92)
		} else {
			t[i] = float32(math.Pow((c+0.055)/1.055, 2.4))
		}
	}
	return t
}()

// lab converts 8-bit sRGB to CIELAB (D65).
func lab(r, g, b uint8) (l, a, bb float32) {
	R, G, B := float64(srgbToLinear[r]), float64(srgbToLinear[g]), float64(srgbToLinear[b])
	x := (0.4124564*R + 0.3575761*G + 0.1804375*B) / 0.95047
	y := 0.2126729*R + 0.7151522*G + 0.0721750*B
	z := (0.0193339*R + 0.1191920*G + 0.9503041*B) / 1.08883
	fx, fy, fz := labF(x), labF(y), labF(z)
	return float32(116*fy - 16), float32(500 * (fx - fy)), float32(200 * (fy - fz))
}

// labF is CIELAB's f(t) for t in 0..1 (XYZ of an sRGB colour, normalised to the white
// point), read from a table with linear interpolation: a cube root per channel per
// pixel was half the cost of the backdrop matte. The error stays below 1e-3 in L.
func labF(t float64) float64 {
	if t <= 0 {
		return labFExact(0)
	}
	if t >= 1 {
		return labFExact(t)
	}
	p := t * labFSteps
	i := int(p)
	frac := p - float64(i)
	return labFTable[i]*(1-frac) + labFTable[i+1]*frac
}

const labFSteps = 4096

var labFTable = func() (t [labFSteps + 1]float64) {
	for i := range t {
		t[i] = labFExact(float64(i) / labFSteps)
	}
	return t
}()

func labFExact(t float64) float64 {
	if t > 216.0/24389 {
		return math.Cbrt(t)
	}
	return (24389.0/27*t + 16) / 116
}

// luma is the Rec. 601 luminance of an 8-bit colour, in 0..1.
func luma(r, g, b uint8) float32 {
	return (0.299*float32(r) + 0.587*float32(g) + 0.114*float32(b)) / 255
}

func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

func to8(v float32) uint8 { return uint8(clamp01(v)*255 + 0.5) }
