package imageio

import (
	"image"
	"runtime"
	"sync"
)

// shrinkPlanes box-filters a YCbCr or grey image to dw×dh plane by plane, in its
// own colour space, and converts only the result to RGB: the planes hold 1.5 bytes
// a pixel where RGBA holds four, and far fewer pixels are converted. The conversion
// is linear but for clamping, so this is what converting first and filtering after
// gives, up to rounding. A large image is done in two halves at once when there
// are two processors.
//
// The picture spans ex×ey of img's pixels, which may be a fraction less than its
// size: a JPEG decoded at a quarter of 1026 rows has 257, the last one a half.
func shrinkPlanes(img image.Image, ex, ey float64, dw, dh int) *image.NRGBA {
	var planes []plane
	switch m := img.(type) {
	case *image.YCbCr:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		xs, ys := chromaShifts(m.SubsampleRatio)
		cw, ch := (w+1<<xs-1)>>xs, (h+1<<ys-1)>>ys
		cx, cy := ex/float64(int(1)<<xs), ey/float64(int(1)<<ys)
		planes = []plane{
			{pix: m.Y[m.YOffset(m.Rect.Min.X, m.Rect.Min.Y):], stride: m.YStride, w: w, h: h, ex: ex, ey: ey},
			{pix: m.Cb[m.COffset(m.Rect.Min.X, m.Rect.Min.Y):], stride: m.CStride, w: cw, h: ch, ex: cx, ey: cy},
			{pix: m.Cr[m.COffset(m.Rect.Min.X, m.Rect.Min.Y):], stride: m.CStride, w: cw, h: ch, ex: cx, ey: cy},
		}
	case *image.Gray:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		planes = []plane{{pix: m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], stride: m.Stride, w: w, h: h, ex: ex, ey: ey}}
	default:
		panic("imageio: shrinkPlanes needs a YCbCr or grey image")
	}
	for i := range planes {
		p := &planes[i]
		p.cols = boxWeightsOver(p.w, p.ex, dw)
		p.rows = boxWeightsOver(p.h, p.ey, dh)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	if runtime.GOMAXPROCS(0) < 2 || planes[0].w*planes[0].h < 1<<20 {
		shrinkPlaneRows(dst, planes, 0, dh)
		return dst
	}
	var wg sync.WaitGroup
	wg.Go(func() { shrinkPlaneRows(dst, planes, 0, dh/2) })
	shrinkPlaneRows(dst, planes, dh/2, dh)
	wg.Wait()
	return dst
}

// plane is one channel of an image: w×h bytes, rows stride apart, whose cells
// cover ex×ey of them (less than w×h for chroma padded past the image's edge).
type plane struct {
	pix        []uint8
	stride     int
	w, h       int
	ex, ey     float64
	cols, rows [][]tap
}

// shrinkPlaneRows makes rows [y0, y1) of dst: down each plane's columns first,
// which reads whole rows in order, then across.
func shrinkPlaneRows(dst *image.NRGBA, planes []plane, y0, y1 int) {
	dw := dst.Rect.Dx()
	var col []float32
	for _, p := range planes {
		col = make([]float32, max(len(col), p.w))
	}
	out := make([][]float32, len(planes))
	for i := range out {
		out[i] = make([]float32, dw)
	}
	for dy := y0; dy < y1; dy++ {
		for i, p := range planes {
			c := col[:p.w]
			clear(c)
			for _, t := range p.rows[dy] {
				src := p.pix[t.src*p.stride:][:p.w]
				for x, v := range src {
					c[x] += t.weight * float32(v)
				}
			}
			o := out[i]
			for dx, taps := range p.cols {
				var s float32
				for _, t := range taps {
					s += t.weight * c[t.src]
				}
				o[dx] = s
			}
		}
		row := dst.Pix[dy*dst.Stride : dy*dst.Stride+4*dw]
		if len(planes) == 1 {
			for x, v := range out[0] {
				g := toByte(v)
				p := row[4*x : 4*x+4 : 4*x+4]
				p[0], p[1], p[2], p[3] = g, g, g, 0xFF
			}
			continue
		}
		ys, cbs, crs := out[0], out[1][:dw], out[2][:dw]
		for x, yv := range ys {
			cb, cr := cbs[x]-128, crs[x]-128
			p := row[4*x : 4*x+4 : 4*x+4]
			// color.YCbCrToRGB's coefficients.
			p[0] = toByte(yv + 1.40200*cr)
			p[1] = toByte(yv - 0.34414*cb - 0.71414*cr)
			p[2] = toByte(yv + 1.77200*cb)
			p[3] = 0xFF
		}
	}
}

// chromaShifts says by how many bits chroma is subsampled across and down.
func chromaShifts(r image.YCbCrSubsampleRatio) (xs, ys uint) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
}
