package imageio

import (
	"image"
	"image/color"
)

// ToNRGBA returns img as non-premultiplied RGBA with bounds starting at
// (0,0). An *image.NRGBA that already starts at (0,0) is returned as is, not
// copied; clone it before changing it if the original must stay intact.
// YCbCr, NYCbCrA, RGBA, NRGBA and Gray are converted row by row without the
// per-pixel interface calls of the generic path.
func ToNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	if m, ok := img.(*image.NRGBA); ok && b.Min == (image.Point{}) {
		return m
	}
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch m := img.(type) {
	case *image.NRGBA:
		for y := 0; y < b.Dy(); y++ {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+4*b.Dx()], m.Pix[i:i+4*b.Dx()])
		}
	case *image.RGBA:
		rgbaToNRGBA(dst, m)
	case *image.YCbCr:
		if b.Min.X < 0 || b.Min.Y < 0 {
			return genericToNRGBA(dst, img)
		}
		yCbCrToNRGBA(dst, m, nil, 0)
	case *image.NYCbCrA:
		if b.Min.X < 0 || b.Min.Y < 0 {
			return genericToNRGBA(dst, img)
		}
		yCbCrToNRGBA(dst, &m.YCbCr, m.A, m.AStride)
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			row := dst.Pix[y*dst.Stride : y*dst.Stride+4*b.Dx()]
			for x := 0; x < b.Dx(); x++ {
				v := src[x]
				row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = v, v, v, 0xFF
			}
		}
	default:
		return genericToNRGBA(dst, img)
	}
	return dst
}

// genericToNRGBA is the slow path: two interface calls per pixel.
func genericToNRGBA(dst *image.NRGBA, img image.Image) *image.NRGBA {
	b := img.Bounds()
	for y := 0; y < b.Dy(); y++ {
		row := dst.Pix[y*dst.Stride:]
		for x := 0; x < b.Dx(); x++ {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, c.A
		}
	}
	return dst
}

func rgbaToNRGBA(dst *image.NRGBA, m *image.RGBA) {
	b := m.Bounds()
	for y := 0; y < b.Dy(); y++ {
		src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
		row := dst.Pix[y*dst.Stride : y*dst.Stride+4*b.Dx()]
		for i := 0; i < len(row); i += 4 {
			r, g, bl, a := src[i], src[i+1], src[i+2], src[i+3]
			switch a {
			case 0xFF:
			case 0:
				r, g, bl = 0, 0, 0
			default:
				// Round to nearest; premultiplied values never exceed alpha
				// in valid data, but clamp in case they do.
				r = unpremultiply(r, a)
				g = unpremultiply(g, a)
				bl = unpremultiply(bl, a)
			}
			row[i], row[i+1], row[i+2], row[i+3] = r, g, bl, a
		}
	}
}

func unpremultiply(c, a uint8) uint8 {
	v := (uint32(c)*0xFF + uint32(a)/2) / uint32(a)
	if v > 0xFF {
		return 0xFF
	}
	return uint8(v)
}

// yCbCrToNRGBA converts with the same fixed-point formula as
// color.YCbCrToRGB, inlined because the call per pixel dominates otherwise.
// alpha is nil for opaque images.
func yCbCrToNRGBA(dst *image.NRGBA, m *image.YCbCr, alpha []uint8, aStride int) {
	w := m.Rect.Dx()
	for y := 0; y < m.Rect.Dy(); y++ {
		yCbCrRow(dst.Pix[y*dst.Stride:y*dst.Stride+4*w], m, alpha, aStride, y)
	}
}

// yCbCrRow converts row y (counted from the top of m's bounds) into row, which
// holds 4*width bytes.
func yCbCrRow(row []uint8, m *image.YCbCr, alpha []uint8, aStride int, y int) {
	b := m.Rect
	// Chroma is subsampled by 1, 2 or 4: shifts, not divisions, in the loop.
	// Shifting equals Go's division only for non-negative coordinates.
	xs, ys := uint(0), uint(0)
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		xs = 1
	case image.YCbCrSubsampleRatio420:
		xs, ys = 1, 1
	case image.YCbCrSubsampleRatio440:
		ys = 1
	case image.YCbCrSubsampleRatio411:
		xs = 2
	case image.YCbCrSubsampleRatio410:
		xs, ys = 2, 1
	}
	w := b.Dx()
	x0 := b.Min.X >> xs
	sy := b.Min.Y + y
	yRow := m.Y[y*m.YStride : y*m.YStride+w]
	cBase := (sy>>ys - b.Min.Y>>ys) * m.CStride
	cLen := (b.Max.X-1)>>xs - x0 + 1
	cbRow := m.Cb[cBase : cBase+cLen]
	crRow := m.Cr[cBase : cBase+cLen]
	row = row[:4*w]
	var aRow []uint8
	if alpha != nil {
		aRow = alpha[y*aStride : y*aStride+w]
	}
	for x, yv := range yRow {
		ci := (b.Min.X+x)>>xs - x0
		yy := int32(yv) * 0x10101
		cb := int32(cbRow[ci]) - 128
		cr := int32(crRow[ci]) - 128
		a := uint8(0xFF)
		if aRow != nil {
			a = aRow[x]
		}
		p := row[4*x : 4*x+4 : 4*x+4]
		p[0] = clamp16(yy + 91881*cr)
		p[1] = clamp16(yy - 22554*cb - 46802*cr)
		p[2] = clamp16(yy + 116130*cb)
		p[3] = a
	}
}

// clamp16 turns a 16.16 fixed-point value into a byte, clamping to 0-255.
func clamp16(v int32) uint8 {
	if uint32(v)&0xFF000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// orient returns src transformed for display by EXIF orientation o.
// Orientations 5-8 swap width and height.
func orient(src *image.NRGBA, o int) *image.NRGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	s := dst.Stride
	for sy := 0; sy < h; sy++ {
		// Along a source row the destination offset moves by a fixed step:
		// sideways for 2-4, down or up a column for 5-8.
		var base, step int
		switch o {
		case 2: // mirrored
			base, step = sy*s+4*(w-1), -4
		case 3: // upside down
			base, step = (h-1-sy)*s+4*(w-1), -4
		case 4: // mirrored upside down
			base, step = (h-1-sy)*s, 4
		case 5: // mirrored along the main diagonal
			base, step = 4*sy, s
		case 6: // needs a quarter turn clockwise
			base, step = 4*(h-1-sy), s
		case 7: // mirrored along the other diagonal
			base, step = (w-1)*s+4*(h-1-sy), -s
		case 8: // needs a quarter turn anticlockwise
			base, step = (w-1)*s+4*sy, -s
		}
		row := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+sy):]
		for sx, d := 0, base; sx < w; sx, d = sx+1, d+step {
			p := dst.Pix[d : d+4 : d+4]
			q := row[4*sx : 4*sx+4 : 4*sx+4]
			p[0], p[1], p[2], p[3] = q[0], q[1], q[2], q[3]
		}
	}
	return dst
}
