package onnx

import "math"

// halfFromFloat32 converts f to IEEE 754 binary16 bits, rounding to nearest, ties to
// even. Values too large become ±Inf; NaN stays NaN (quiet); tiny values become
// half subnormals or signed zero.
func halfFromFloat32(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff

	switch {
	case exp == 0xff: // Inf or NaN
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp == 0 && man == 0:
		return sign
	}

	// Unbiased exponent; float32 subnormals are far below half's range and
	// round to zero below.
	e := exp - 127
	if e > 15 {
		return sign | 0x7c00
	}
	if e >= -14 {
		// Normal half: keep 10 of 23 mantissa bits.
		h := uint32(e+15)<<10 | man>>13
		rest := man & 0x1fff
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, up to Inf: that is correct rounding
		}
		return sign | uint16(h)
	}
	// Subnormal half: value = m * 2^-24 with m < 1024.
	shift := uint32(-14-e) + 13 // bits to drop from the 24-bit significand
	if shift > 24 {
		return sign
	}
	full := man | 0x800000
	h := full >> shift
	rest := full & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rest > half || (rest == half && h&1 == 1) {
		h++ // may become the smallest normal: also correct
	}
	return sign | uint16(h)
}

// float32FromHalf converts IEEE 754 binary16 bits to float32 exactly.
func float32FromHalf(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch exp {
	case 0:
		if man == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: m * 2^-24.
		f := float32(man) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}
