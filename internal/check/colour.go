package check

import "math"

// lab is a CIELAB colour (D65 white).
type lab struct{ L, A, B float64 }

// srgbLinear maps an 8-bit sRGB value to linear light.
var srgbLinear = func() (t [256]float64) {
	for i := range t {
		c := float64(i) / 255
		if c <= 0.04045 {
			t[i] = c / 12.92
		} else {
			t[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return t
}()

// toLab converts an 8-bit sRGB colour to CIELAB.
func toLab(r, g, b uint8) lab {
	lr, lg, lb := srgbLinear[r], srgbLinear[g], srgbLinear[b]
	x := (0.4124*lr + 0.3576*lg + 0.1805*lb) / 0.95047
	y := 0.2126*lr + 0.7152*lg + 0.0722*lb
	z := (0.0193*lr + 0.1192*lg + 0.9505*lb) / 1.08883
	fx, fy, fz := labF(x), labF(y), labF(z)
	return lab{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

func labF(t float64) float64 {
	const d = 6.0 / 29
	if t > d*d*d {
		return math.Cbrt(t)
	}
	return t/(3*d*d) + 4.0/29
}

// deltaE is the CIE76 colour difference.
func deltaE(p, q lab) float64 {
	return math.Sqrt((p.L-q.L)*(p.L-q.L) + (p.A-q.A)*(p.A-q.A) + (p.B-q.B)*(p.B-q.B))
}

// luma is the Rec. 601 luma of an 8-bit sRGB colour, 0-255.
func luma(r, g, b uint8) float64 {
	return 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)
}

// medianLab is the per-channel median of cs (cs is reordered).
func medianLab(cs []lab) lab {
	ch := make([]float64, len(cs))
	var out lab
	for k, dst := range []*float64{&out.L, &out.A, &out.B} {
		for i, c := range cs {
			ch[i] = [3]float64{c.L, c.A, c.B}[k]
		}
		*dst = median(ch)
	}
	return out
}
