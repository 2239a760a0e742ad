package blazeface

import (
	"image"
	"image/draw"
	"math"
)

// pyramid is the photo as RGBA at full size and at each halving, built once per
// Detect so every pass samples from a level at most twice its own resolution: cheap
// bilinear sampling then does not alias, whatever the crop's size.
type pyramid struct {
	levels []*image.RGBA
	origin image.Point // the photo's Bounds().Min
}

// minLevel is the side below which no further halving is made.
const minLevel = 64

func newPyramid(img image.Image) *pyramid {
	b := img.Bounds()
	base := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(base, base.Bounds(), img, b.Min, draw.Src)
	p := &pyramid{levels: []*image.RGBA{base}, origin: b.Min}
	for l := base; l.Rect.Dx() >= 2*minLevel && l.Rect.Dy() >= 2*minLevel; {
		l = halve(l)
		p.levels = append(p.levels, l)
	}
	return p
}

// halve averages each 2x2 block (an odd last row or column is dropped).
func halve(src *image.RGBA) *image.RGBA {
	w, h := src.Rect.Dx()/2, src.Rect.Dy()/2
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		r0 := src.Pix[2*y*src.Stride:]
		r1 := src.Pix[(2*y+1)*src.Stride:]
		out := dst.Pix[y*dst.Stride:]
		for x := range w {
			i := 8 * x
			for c := range 4 {
				s := uint16(r0[i+c]) + uint16(r0[i+4+c]) + uint16(r1[i+c]) + uint16(r1[i+4+c])
				out[4*x+c] = uint8((s + 2) / 4)
			}
		}
	}
	return dst
}

// input renders the square sq into a size x size NHWC float input in [-1, 1], the
// range BlazeFace was trained on, black outside the photo. Input pixel centre
// (X+0.5, Y+0.5) samples the photo at sq.point of it: the mapping toSource inverts.
func (p *pyramid) input(sq square, size int) []float32 {
	step := sq.side / float64(size) // photo pixels per input pixel
	level := 0
	for level+1 < len(p.levels) && step >= float64(int(2)<<level) {
		level++
	}
	img := p.levels[level]
	f := float64(int(1) << level)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	in := make([]float32, 0, size*size*3)
	// sq.point is affine: find where input pixel centres land in this level's
	// pixel-index space once, then step.
	at := func(x, y float64) (float64, float64) {
		sx, sy := sq.point((x+0.5)/float64(size), (y+0.5)/float64(size))
		return (sx-float64(p.origin.X))/f - 0.5, (sy-float64(p.origin.Y))/f - 0.5
	}
	ox, oy := at(0, 0)
	ux, uy := at(1, 0)
	vx, vy := at(0, 1)
	ux, uy, vx, vy = ux-ox, uy-oy, vx-ox, vy-oy
	var px [3]float64
	for y := range size {
		for x := range size {
			lx := ox + float64(x)*ux + float64(y)*vx
			ly := oy + float64(x)*uy + float64(y)*vy
			bilinear(img, w, h, lx, ly, &px)
			in = append(in, float32(px[0]/127.5-1), float32(px[1]/127.5-1), float32(px[2]/127.5-1))
		}
	}
	return in
}

// bilinear samples img at (x, y) in pixel-index space; taps outside are black.
func bilinear(img *image.RGBA, w, h int, x, y float64, out *[3]float64) {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	ix, iy := int(x0), int(y0)
	*out = [3]float64{}
	if ix < -1 || iy < -1 || ix >= w || iy >= h {
		return
	}
	for _, t := range [4]struct {
		dx, dy int
		wt     float64
	}{{0, 0, (1 - fx) * (1 - fy)}, {1, 0, fx * (1 - fy)}, {0, 1, (1 - fx) * fy}, {1, 1, fx * fy}} {
		tx, ty := ix+t.dx, iy+t.dy
		if tx < 0 || ty < 0 || tx >= w || ty >= h || t.wt == 0 {
			continue
		}
		i := ty*img.Stride + 4*tx
		out[0] += t.wt * float64(img.Pix[i])
		out[1] += t.wt * float64(img.Pix[i+1])
		out[2] += t.wt * float64(img.Pix[i+2])
	}
}
