package imageio

import (
	"image"
	"math"
)

// Shrink scales img down so that its longer side is at most maxSide,
// averaging the area each new pixel covers (a box filter, exact for
// fractional ratios). It returns img itself when it is small enough already
// or maxSide is not positive. Colours are averaged weighted by alpha, so
// transparent pixels do not darken edges.
func Shrink(img *image.NRGBA, maxSide int) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if maxSide <= 0 || (w <= maxSide && h <= maxSide) {
		return img
	}
	return shrinkRows(w, h, maxSide, func(y int) []uint8 {
		return img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):]
	})
}

// ShrinkImage is ToNRGBA and Shrink in one pass: a YCbCr photo (what JPEG decodes
// to) is converted a row at a time as the box filter reads it, so a 12 MP photo is
// never held twice at full size.
func ShrinkImage(img image.Image, maxSide int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	m, ok := img.(*image.YCbCr)
	if maxSide <= 0 || (w <= maxSide && h <= maxSide) || !ok || b.Min.X < 0 || b.Min.Y < 0 {
		return Shrink(ToNRGBA(img), maxSide)
	}
	buf := make([]uint8, 4*w)
	last := -1
	return shrinkRows(w, h, maxSide, func(y int) []uint8 {
		if y != last { // a boundary row is asked for twice in a row
			yCbCrRow(buf, m, nil, 0, y)
			last = y
		}
		return buf
	})
}

// ShrinkGray is Shrink for a grey image such as a matte: the same size and, pixel
// for pixel, the same values Shrink gives that image as opaque NRGBA, with one
// channel's work instead of four.
func ShrinkGray(img *image.Gray, maxSide int) *image.Gray {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if maxSide <= 0 || (w <= maxSide && h <= maxSide) {
		return img
	}
	dw, dh := fitSize(w, h, maxSide)
	dst := image.NewGray(image.Rect(0, 0, dw, dh))
	cols, rows := boxWeights(w, dw), boxWeights(h, dh)
	// The steps of shrinkRowsTo and reduceRow for one channel of an opaque image,
	// in the same order, so the floats round alike.
	line := make([]float32, 2*dw) // value, weight
	acc := make([]float32, 2*dw)
	opaque := float32(0xFF)
	for dy, taps := range rows {
		clear(acc)
		for _, t := range taps {
			src := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+t.src):][:w]
			for dx, ct := range cols {
				var v, a float32
				for _, c := range ct {
					wa := c.weight * opaque * (1.0 / 255)
					v += wa * float32(src[c.src])
					a += wa
				}
				line[2*dx], line[2*dx+1] = v, a
			}
			for i, v := range line {
				acc[i] += v * t.weight
			}
		}
		out := dst.Pix[dy*dst.Stride : dy*dst.Stride+dw]
		for i := range out {
			if a := acc[2*i+1]; a >= 0.5/255 {
				out[i] = toByte(acc[2*i] * (1 / a))
			}
		}
	}
	return dst
}

// shrinkRows box-filters a w×h NRGBA raster, read a row at a time through row, to
// at most maxSide on its long side.
func shrinkRows(w, h, maxSide int, row func(y int) []uint8) *image.NRGBA {
	dw, dh := fitSize(w, h, maxSide)
	return shrinkRowsTo(w, h, dw, dh, row)
}

// fitSize is the size Shrink gives a w×h image: maxSide on its long side, the other
// side in proportion.
func fitSize(w, h, maxSide int) (dw, dh int) {
	dw, dh = maxSide, maxSide
	if w >= h {
		dh = max(1, int(math.Round(float64(h)*float64(maxSide)/float64(w))))
	} else {
		dw = max(1, int(math.Round(float64(w)*float64(maxSide)/float64(h))))
	}
	return dw, dh
}

// shrinkRowsTo box-filters a w×h NRGBA raster, read a row at a time through row,
// to dw×dh.
func shrinkRowsTo(w, h, dw, dh int, row func(y int) []uint8) *image.NRGBA {
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	cols := boxWeights(w, dw)
	rows := boxWeights(h, dh)

	// One source row reduced to the new width (premultiplied), and the sum
	// of such rows for the output row being built.
	line := make([]float32, 4*dw)
	acc := make([]float32, 4*dw)
	for dy, taps := range rows {
		clear(acc)
		for _, t := range taps {
			reduceRow(line, row(t.src), cols)
			for i, v := range line {
				acc[i] += v * t.weight
			}
		}
		out := dst.Pix[dy*dst.Stride : dy*dst.Stride+4*dw]
		for i := 0; i < len(out); i += 4 {
			a := acc[i+3]
			if a < 0.5/255 {
				out[i], out[i+1], out[i+2], out[i+3] = 0, 0, 0, 0
				continue
			}
			k := 1 / a
			out[i] = toByte(acc[i] * k)
			out[i+1] = toByte(acc[i+1] * k)
			out[i+2] = toByte(acc[i+2] * k)
			out[i+3] = toByte(a * 255)
		}
	}
	return dst
}

// reduceRow box-filters one row of NRGBA pixels into line, premultiplying
// colour by alpha (alpha in 0-1, colour in 0-255).
func reduceRow(line []float32, src []uint8, cols [][]tap) {
	for dx, taps := range cols {
		var r, g, b, a float32
		for _, t := range taps {
			p := src[4*t.src : 4*t.src+4]
			wa := t.weight * float32(p[3]) * (1.0 / 255)
			r += wa * float32(p[0])
			g += wa * float32(p[1])
			b += wa * float32(p[2])
			a += wa
		}
		line[4*dx], line[4*dx+1], line[4*dx+2], line[4*dx+3] = r, g, b, a
	}
}

type tap struct {
	src    int
	weight float32
}

// boxWeights maps each of n output cells to the input cells it covers, with
// the covered fraction of each, normalised so that every cell's weights sum
// to one.
func boxWeights(from, to int) [][]tap {
	return boxWeightsOver(from, float64(from), to)
}

// boxWeightsOver is boxWeights for a source whose to cells span only extent of
// its from cells: a chroma plane padded past the image's edge.
func boxWeightsOver(from int, extent float64, to int) [][]tap {
	scale := extent / float64(to)
	all := make([]tap, 0, from+2*to)
	out := make([][]tap, to)
	for d := range out {
		lo, hi := float64(d)*scale, float64(d+1)*scale
		start := len(all)
		for s := int(lo); s < from && float64(s) < hi; s++ {
			cover := math.Min(hi, float64(s+1)) - math.Max(lo, float64(s))
			if cover > 1e-9 {
				all = append(all, tap{src: s, weight: float32(cover / scale)})
			}
		}
		out[d] = all[start:len(all):len(all)]
	}
	return out
}

func toByte(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
