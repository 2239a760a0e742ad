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
	}{{9, 7, 1, 0.1}, {20, 15, 2, 0.05}, {16, 16, 4, 0.7}, {5, 30, 3, 0.2}, {6, 4, 9, 0.1}, {130, 140, 5, 0.01}} {
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

// flood reaches exactly what a plain search over 4-neighbours reaches, on masks
// with holes, spirals of noise and several seeds.
func TestFloodMatchesSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		w, h int
		p    float64
	}{{1, 1, 1}, {10, 1, 0.7}, {1, 10, 0.7}, {40, 30, 0.55}, {64, 64, 0.6}, {200, 100, 0.65}} {
		allowed, seeds := make([]bool, tc.w*tc.h), make([]bool, tc.w*tc.h)
		for i := range allowed {
			allowed[i] = rng.Float64() < tc.p
			seeds[i] = rng.Float64() < 0.01
		}
		seeds[0] = true
		want := make([]bool, tc.w*tc.h)
		var queue []int
		for i, s := range seeds {
			if s && allowed[i] {
				want[i] = true
				queue = append(queue, i)
			}
		}
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			x, y := i%tc.w, i/tc.w
			for _, d := range [][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				nx, ny := x+d[0], y+d[1]
				if j := ny*tc.w + nx; nx >= 0 && nx < tc.w && ny >= 0 && ny < tc.h && allowed[j] && !want[j] {
					want[j] = true
					queue = append(queue, j)
				}
			}
		}
		got := flood(allowed, seeds, tc.w, tc.h)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%dx%d: pixel (%d,%d) %v, want %v", tc.w, tc.h, i%tc.w, i/tc.w, got[i], want[i])
			}
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
