package matte

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBoxMeanMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ w, h, r int }{{1, 1, 0}, {7, 5, 1}, {13, 9, 3}, {4, 20, 10}, {30, 2, 40}} {
		src := make([]float32, tc.w*tc.h)
		for i := range src {
			src[i] = rng.Float32()
		}
		got := boxMean(src, tc.w, tc.h, tc.r)
		for y := 0; y < tc.h; y++ {
			for x := 0; x < tc.w; x++ {
				var s float64
				n := 0
				for yy := max(0, y-tc.r); yy <= min(tc.h-1, y+tc.r); yy++ {
					for xx := max(0, x-tc.r); xx <= min(tc.w-1, x+tc.r); xx++ {
						s += float64(src[yy*tc.w+xx])
						n++
					}
				}
				if d := math.Abs(s/float64(n) - float64(got[y*tc.w+x])); d > 1e-5 {
					t.Fatalf("%+v at (%d,%d): off by %g", tc, x, y, d)
				}
			}
		}
	}
}

func TestDilateErodeMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		w, h, r int
		p       float64
	}{{9, 7, 1, 0.1}, {20, 15, 2, 0.05}, {16, 16, 4, 0.7}, {5, 30, 3, 0.2}} {
		mask := make([]bool, tc.w*tc.h)
		for i := range mask {
			mask[i] = rng.Float64() < tc.p
		}
		dil, ero := dilate(mask, tc.w, tc.h, tc.r), erode(mask, tc.w, tc.h, tc.r)
		for y := 0; y < tc.h; y++ {
			for x := 0; x < tc.w; x++ {
				anySet, allSet := false, true
				for yy := max(0, y-tc.r); yy <= min(tc.h-1, y+tc.r); yy++ {
					for xx := max(0, x-tc.r); xx <= min(tc.w-1, x+tc.r); xx++ {
						anySet = anySet || mask[yy*tc.w+xx]
						allSet = allSet && mask[yy*tc.w+xx]
					}
				}
				if dil[y*tc.w+x] != anySet || ero[y*tc.w+x] != allSet {
					t.Fatalf("%+v at (%d,%d): dilate %v want %v, erode %v want %v",
						tc, x, y, dil[y*tc.w+x], anySet, ero[y*tc.w+x], allSet)
				}
			}
		}
	}
}

func TestLab(t *testing.T) {
	for _, tc := range []struct {
		name     string
		r, g, b  uint8
		l, a, bb float64
	}{
		{"white", 255, 255, 255, 100, 0, 0},
		{"black", 0, 0, 0, 0, 0, 0},
		{"red", 255, 0, 0, 53.24, 80.09, 67.20},
		{"mid grey", 128, 128, 128, 53.59, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, a, b := lab(tc.r, tc.g, tc.b)
			if math.Abs(float64(l)-tc.l) > 0.05 || math.Abs(float64(a)-tc.a) > 0.05 || math.Abs(float64(b)-tc.bb) > 0.05 {
				t.Errorf("lab = %.2f %.2f %.2f, want %.2f %.2f %.2f", l, a, b, tc.l, tc.a, tc.bb)
			}
		})
	}
}

func TestFloodFourConnected(t *testing.T) {
	// Two blocks touching only at a corner are separate components.
	const w, h = 4, 4
	allowed := []bool{
		true, true, false, false,
		true, true, false, false,
		false, false, true, true,
		false, false, true, true,
	}
	seeds := make([]bool, w*h)
	seeds[0] = true
	got := flood(allowed, seeds, w, h)
	for i, v := range got {
		if want := allowed[i] && i%w < 2 && i/w < 2; v != want {
			t.Errorf("pixel %d: %v, want %v", i, v, want)
		}
	}
}

func TestLabFTable(t *testing.T) {
	worst := 0.0
	for i := 0; i <= 100000; i++ {
		v := float64(i) / 100000
		worst = math.Max(worst, math.Abs(labF(v)-labFExact(v)))
	}
	// L = 116 f - 16: an error of 1e-3 in L is far below what anyone can see (1).
	if worst*116 > 1e-3 {
		t.Errorf("largest error in L %.2g", worst*116)
	}
}
