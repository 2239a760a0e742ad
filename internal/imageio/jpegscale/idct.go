package jpegscale

import "math"

// A block of 8x8 coefficients decoded at 1/s of its size becomes k x k pixels
// (k = 8/s), each the mean of the s x s pixels the full inverse DCT would give
// there. The mean of a cosine over s neighbouring samples is a number known in
// advance, so the reduced transform is the full one's formula with the basis
// averaged: out = A F Aᵀ with A[i][u] = mean over x in pixel i's span of
// C(u)/2 cos((2x+1)uπ/16).
//
// Only the lowest frequencies take part: all of them average to nothing over a
// whole block (k = 1), frequency 4 averages to nothing over two pixels, and the
// four lowest hold nearly all of what survives averaging over two or four. The
// highest ones, left out, would only fold back as aliasing.
var basis [9][8][8]float32 // [k][i][u]

// kept is how many frequencies along a side take part for k pixels a block.
var kept = [9]int{1: 1, 2: 4, 4: 4, 8: 8}

// zigzagTo maps a coefficient's zig-zag index to its place in the block of
// frequencies the reduced transform uses for kx x ky pixels (row * kept[kx] +
// column), or -1 when it uses none; lastKept is the highest zig-zag index with a
// place.
var (
	zigzagTo [9][9][64]int8 // [kx][ky]
	lastKept [9][9]int
)

// zigzag lists the natural (row*8 + column) index of each zig-zag position.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

func init() {
	for _, kx := range []int{1, 2, 4, 8} {
		for _, ky := range []int{1, 2, 4, 8} {
			nx, ny := kept[kx], kept[ky]
			for i, nat := range zigzag {
				r, c := int(nat/8), int(nat%8)
				zigzagTo[kx][ky][i] = -1
				if r < ny && c < nx {
					zigzagTo[kx][ky][i] = int8(r*nx + c)
					lastKept[kx][ky] = i
				}
			}
		}
		s := 8 / kx
		for i := range kx {
			for u := range kept[kx] {
				cu := 1.0
				if u == 0 {
					cu = 1 / math.Sqrt2
				}
				sum := 0.0
				for x := i * s; x < (i+1)*s; x++ {
					sum += cu / 2 * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16)
				}
				basis[kx][i][u] = float32(sum / float64(s))
			}
		}
	}
}

// idct writes the kx x ky pixels of one block to dst (rows stride apart). blk
// holds the dequantised coefficients that take part, in natural order, kept[kx]
// to a row; nz is how many of them may be non-zero counting in zig-zag order.
func idct(kx, ky int, dst []uint8, stride int, blk *[64]int32, nz int) {
	switch {
	case nz <= 1 || kx*ky == 1:
		// Only DC: the mean of the block, DC/8, everywhere.
		v := pixel(float32(blk[0])*(1.0/8) + 128.5)
		for y := range ky {
			row := dst[y*stride : y*stride+kx]
			for x := range row {
				row[x] = v
			}
		}
	case kx == 4 && ky == 4:
		idct4(dst, stride, blk)
	default:
		idctAny(kx, ky, dst, stride, blk)
	}
}

// idct4 is the transform for half size, the one a phone photo takes: 4x4
// frequencies to 4x4 pixels.
func idct4(dst []uint8, stride int, blk *[64]int32) {
	a := &basis[4]
	var t [4][4]float32 // t[v][j]: frequency row v transformed along the row
	for v := range 4 {
		r := blk[4*v : 4*v+4 : 4*v+4]
		if r[0]|r[1]|r[2]|r[3] == 0 {
			continue
		}
		f0, f1, f2, f3 := float32(r[0]), float32(r[1]), float32(r[2]), float32(r[3])
		for j := range 4 {
			t[v][j] = f0*a[j][0] + f1*a[j][1] + f2*a[j][2] + f3*a[j][3]
		}
	}
	dst = dst[:3*stride+4]
	for i := range 4 {
		a0, a1, a2, a3 := a[i][0], a[i][1], a[i][2], a[i][3]
		row := dst[i*stride : i*stride+4 : i*stride+4]
		for j := range 4 {
			row[j] = pixel(a0*t[0][j] + a1*t[1][j] + a2*t[2][j] + a3*t[3][j] + 128.5)
		}
	}
}

// idctAny is the transform for the other shapes: a quarter size (4x4 frequencies
// to 2x2 pixels) and chroma decoded at twice luma's scale along one side. Rows of
// zero frequencies are skipped.
func idctAny(kx, ky int, dst []uint8, stride int, blk *[64]int32) {
	ax, ay := &basis[kx], &basis[ky]
	nx, ny := kept[kx], kept[ky]
	var t [8][8]float32 // t[v][j]
	var rows [8]int
	nr := 0
	for v := range ny {
		r := blk[v*nx : v*nx+nx]
		last := -1
		for u, c := range r {
			if c != 0 {
				last = u
			}
		}
		if last < 0 {
			continue
		}
		rows[nr] = v
		nr++
		for j := range kx {
			var s float32
			for u, c := range r[:last+1] {
				s += float32(c) * ax[j][u]
			}
			t[v][j] = s
		}
	}
	for i := range ky {
		row := dst[i*stride : i*stride+kx]
		for j := range row {
			s := float32(128.5)
			for _, v := range rows[:nr] {
				s += ay[i][v] * t[v][j]
			}
			row[j] = pixel(s)
		}
	}
}

// pixel clamps v to 0-255 and truncates it (callers add 0.5 to round).
func pixel(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}
