package face

import "image"

// grayImage is an 8-bit luminance raster, row-major with stride w.
type grayImage struct {
	pix  []uint8
	w, h int
}

func (g *grayImage) at(x, y int) uint8 {
	x = min(max(x, 0), g.w-1)
	y = min(max(y, 0), g.h-1)
	return g.pix[y*g.w+x]
}

// luma is the Rec. 601 luminance of 16-bit premultiplied components, 0..255.
func luma(r, g, b uint32) uint8 {
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
}

// rowReader returns a function that writes the luminance of source row y (0-based,
// relative to the bounds' origin) into dst. Common decoder outputs take a fast path;
// anything else goes through At.
func rowReader(img image.Image) func(y int, dst []uint8) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		return func(y int, dst []uint8) {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(dst, m.Y[off:off+len(dst)])
		}
	case *image.Gray:
		return func(y int, dst []uint8) {
			off := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(dst, m.Pix[off:off+len(dst)])
		}
	case *image.RGBA:
		return func(y int, dst []uint8) {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range dst {
				i := 4 * x
				dst[x] = luma(uint32(p[i])*0x101, uint32(p[i+1])*0x101, uint32(p[i+2])*0x101)
			}
		}
	case *image.NRGBA:
		return func(y int, dst []uint8) {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range dst {
				i := 4 * x
				a := uint32(p[i+3])
				// Premultiply so transparent pixels read as black, like At().RGBA().
				dst[x] = luma(uint32(p[i])*a*0x101/255, uint32(p[i+1])*a*0x101/255, uint32(p[i+2])*a*0x101/255)
			}
		}
	}
	return func(y int, dst []uint8) {
		for x := range dst {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			dst[x] = luma(r, g, bl)
		}
	}
}

// toGray converts img to luminance and shrinks it by area averaging so that its long
// side is at most maxSide. It returns the raster and the factor that maps working
// coordinates back to source coordinates: working pixel (x, y) covers the source
// pixels from (x*sx, y*sy) to ((x+1)*sx, (y+1)*sy), relative to the bounds' origin.
func toGray(img image.Image, maxSide int) (g *grayImage, sx, sy float64) {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	tw, th := sw, sh
	if long := max(sw, sh); maxSide > 0 && long > maxSide {
		scale := float64(long) / float64(maxSide)
		tw = max(1, int(float64(sw)/scale+0.5))
		th = max(1, int(float64(sh)/scale+0.5))
	}
	read := rowReader(img)
	out := &grayImage{pix: make([]uint8, tw*th), w: tw, h: th}
	if tw == sw && th == sh {
		for y := range sh {
			read(y, out.pix[y*tw:(y+1)*tw])
		}
		return out, 1, 1
	}
	// Column map: target column of each source column.
	colOf := make([]int32, sw)
	colN := make([]uint32, tw)
	for x := range sw {
		t := min(x*tw/sw, tw-1)
		colOf[x] = int32(t)
		colN[t]++
	}
	row := make([]uint8, sw)
	acc := make([]uint32, tw)
	rowY := 0
	for ty := range th {
		end := min((ty+1)*sh/th, sh)
		if ty == th-1 {
			end = sh
		}
		clear(acc)
		n := uint32(0)
		for ; rowY < end; rowY++ {
			read(rowY, row)
			for x, v := range row {
				acc[colOf[x]] += uint32(v)
			}
			n++
		}
		if n == 0 {
			// Cannot happen when th <= sh, kept for safety.
			copy(out.pix[ty*tw:(ty+1)*tw], out.pix[max(ty-1, 0)*tw:])
			continue
		}
		dst := out.pix[ty*tw : (ty+1)*tw]
		for x := range dst {
			d := n * colN[x]
			dst[x] = uint8((acc[x] + d/2) / d)
		}
	}
	return out, float64(sw) / float64(tw), float64(sh) / float64(th)
}
