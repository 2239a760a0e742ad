package onnx

import (
	"math"
	"testing"
)

func TestHalfFromFloat32(t *testing.T) {
	tests := []struct {
		name string
		in   float32
		want uint16
	}{
		{"zero", 0, 0x0000},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000},
		{"one", 1, 0x3c00},
		{"minus two", -2, 0xc000},
		{"half", 0.5, 0x3800},
		{"max half", 65504, 0x7bff},
		{"rounds to inf", 65520, 0x7c00},
		{"just below inf threshold", 65519, 0x7bff},
		{"overflow", 1e6, 0x7c00},
		{"inf", float32(math.Inf(1)), 0x7c00},
		{"minus inf", float32(math.Inf(-1)), 0xfc00},
		{"nan", float32(math.NaN()), 0x7e00},
		{"smallest normal", 6.103515625e-05, 0x0400},
		{"largest subnormal", 6.097555160522461e-05, 0x03ff},
		{"smallest subnormal", 5.960464477539063e-08, 0x0001},
		{"half of smallest subnormal ties to even zero", 2.9802322387695312e-08, 0x0000},
		{"just above half of smallest subnormal", 2.99e-08, 0x0001},
		{"1.5 smallest subnormal ties to even two", 8.940696716308594e-08, 0x0002},
		{"underflow", 1e-10, 0x0000},
		{"float32 subnormal", 1e-40, 0x0000},
		{"one third", 1.0 / 3, 0x3555},
		{"tie to even down", 1 + 1.0/2048, 0x3c00},
		{"tie to even up", 1 + 3.0/2048, 0x3c02},
		{"pi", math.Pi, 0x4248},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := halfFromFloat32(tt.in); got != tt.want {
				t.Errorf("halfFromFloat32(%g) = %#04x, want %#04x", tt.in, got, tt.want)
			}
		})
	}
}

func TestFloat32FromHalf(t *testing.T) {
	tests := []struct {
		in   uint16
		want float32
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x7bff, 65504},
		{0x0400, 6.103515625e-05},
		{0x0001, 5.960464477539063e-08},
		{0x8001, -5.960464477539063e-08},
		{0x03ff, 6.097555160522461e-05},
		{0x7c00, float32(math.Inf(1))},
		{0xfc00, float32(math.Inf(-1))},
	}
	for _, tt := range tests {
		if got := float32FromHalf(tt.in); got != tt.want {
			t.Errorf("float32FromHalf(%#04x) = %g, want %g", tt.in, got, tt.want)
		}
	}
	if got := float32FromHalf(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("float32FromHalf(NaN) = %g", got)
	}
}

// Every finite half survives a round trip through float32 bit for bit.
func TestHalfRoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			continue // NaN payloads are not preserved
		}
		if got := halfFromFloat32(float32FromHalf(uint16(h))); got != uint16(h) {
			t.Fatalf("round trip %#04x -> %#04x", h, got)
		}
	}
}

// Conversion picks the nearest half: no other half is strictly closer.
func FuzzHalfFromFloat32(f *testing.F) {
	for _, v := range []float32{0, 1, -1, 0.1, 65504, 65520, 6e-5, 6e-8, 3e-8, 1e-40} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float32) {
		h := halfFromFloat32(v)
		if math.IsNaN(float64(v)) {
			if h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
				t.Fatalf("NaN -> %#04x", h)
			}
			return
		}
		got := float64(float32FromHalf(h))
		if math.IsInf(got, 0) {
			if math.Abs(float64(v)) < 65520 {
				t.Fatalf("%g -> inf", v)
			}
			return
		}
		d := math.Abs(got - float64(v))
		for _, n := range []uint16{h - 1, h + 1} {
			o := float64(float32FromHalf(n))
			if n&0x7c00 == 0x7c00 || math.Signbit(o) != math.Signbit(got) && o != 0 {
				continue
			}
			if math.Abs(o-float64(v)) < d {
				t.Fatalf("%g -> %#04x (%g), but %#04x (%g) is closer", v, h, got, n, o)
			}
		}
	})
}
