package compose

import (
	"image"
	"math"

	"github.com/idphoto/idphoto/internal/geometry"
)

// Render draws a w×h photo: the background, and over it the person from fg (foreground
// colours with the matte as alpha, as made by matte.Foreground) sampled through
// toSource, which maps an output pixel to a source position. Bilinear sampling is done
// on premultiplied colour so the matte's soft edge carries no fringe; outside the source
// the person is absent.
func Render(w, h int, fg *image.NRGBA, toSource geometry.Affine, bg Background) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	b := fg.Rect
	for v := 0; v < h; v++ {
		row := out.Pix[v*out.Stride : v*out.Stride+4*w]
		for u := 0; u < w; u++ {
			br, bgc, bb := bg.at(u, v, w, h)
			// centre of the output pixel in source coordinates, then to the grid of
			// pixel centres
			x, y := toSource.Apply(float64(u)+0.5, float64(v)+0.5)
			x -= 0.5
			y -= 0.5
			pr, pg, pb, pa := sample(fg, b, x, y)
			// pr.. are premultiplied, pa in 0..1
			o := row[4*u : 4*u+4 : 4*u+4]
			o[0] = to8(pr + (1-pa)*br)
			o[1] = to8(pg + (1-pa)*bgc)
			o[2] = to8(pb + (1-pa)*bb)
			o[3] = 255
		}
	}
	return out
}

// sample returns the premultiplied colour (0..255) and alpha (0..1) at (x, y).
func sample(img *image.NRGBA, b image.Rectangle, x, y float64) (r, g, bl, a float64) {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	ix, iy := int(x0), int(y0)
	if ix < b.Min.X-1 || iy < b.Min.Y-1 || ix >= b.Max.X || iy >= b.Max.Y {
		return 0, 0, 0, 0
	}
	for j := 0; j < 2; j++ {
		for i := 0; i < 2; i++ {
			px, py := ix+i, iy+j
			if px < b.Min.X || py < b.Min.Y || px >= b.Max.X || py >= b.Max.Y {
				continue
			}
			wx := fx
			if i == 0 {
				wx = 1 - fx
			}
			wy := fy
			if j == 0 {
				wy = 1 - fy
			}
			wgt := wx * wy
			p := img.Pix[img.PixOffset(px, py):]
			al := float64(p[3]) / 255 * wgt
			r += float64(p[0]) * al
			g += float64(p[1]) * al
			bl += float64(p[2]) * al
			a += al
		}
	}
	return r, g, bl, a
}

func (bg Background) at(u, v, w, h int) (float64, float64, float64) {
	t := 0.0
	switch bg.Kind {
	case Solid:
		return float64(bg.From.R), float64(bg.From.G), float64(bg.From.B)
	case Vertical:
		if h > 1 {
			t = float64(v) / float64(h-1)
		}
	case Radial:
		cx, cy := float64(w-1)/2, float64(h-1)/2
		t = math.Hypot(float64(u)-cx, float64(v)-cy) / math.Max(math.Hypot(cx, cy), 1)
	}
	mix := func(a, b uint8) float64 { return float64(a)*(1-t) + float64(b)*t }
	return mix(bg.From.R, bg.To.R), mix(bg.From.G, bg.To.G), mix(bg.From.B, bg.To.B)
}

func to8(v float64) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
