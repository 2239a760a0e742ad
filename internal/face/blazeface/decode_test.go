package blazeface

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// rawOutputs builds the four heads with every logit very negative.
func rawOutputs() [][]float32 {
	out := make([][]float32, 4)
	for hi, h := range heads {
		n := h.cells * h.cells * h.anchors
		out[hi] = make([]float32, n)
		for i := range out[hi] {
			out[hi][i] = -50
		}
		out[2+hi] = make([]float32, n*regressors)
	}
	return out
}

func TestDecode(t *testing.T) {
	out := rawOutputs()
	// Head 0, cell (x=3, y=5), anchor 1: anchor centre (3.5/16, 5.5/16).
	i := (5*16+3)*2 + 1
	out[0][i] = 3 // sigmoid(3) = 0.9526
	r := out[2][i*regressors:]
	r[0], r[1], r[2], r[3] = 4, -2, 32, 40 // centre offset and size in input pixels
	for k := range 6 {
		r[4+2*k], r[5+2*k] = float32(k), float32(-k)
	}
	// Head 1, cell (7, 0), anchor 5, scoring under the threshold.
	out[1][(0*8+7)*6+5] = 0.5

	dets := decode(out, 128, 0.75)
	if len(dets) != 1 {
		t.Fatalf("got %d detections, want 1", len(dets))
	}
	d := dets[0]
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if !near(d.cx, 3.5/16+4.0/128) || !near(d.cy, 5.5/16-2.0/128) || !near(d.w, 32.0/128) || !near(d.h, 40.0/128) {
		t.Errorf("box = %v %v %v %v", d.cx, d.cy, d.w, d.h)
	}
	for k := range 6 {
		if !near(d.kp[k][0], 3.5/16+float64(k)/128) || !near(d.kp[k][1], 5.5/16-float64(k)/128) {
			t.Errorf("keypoint %d = %v", k, d.kp[k])
		}
	}
	if !near(d.score, 1/(1+math.Exp(-3))) {
		t.Errorf("score = %v", d.score)
	}
}

// Whatever the network returns, decoding neither panics nor yields a detection
// that is not finite, positive in size and above the threshold.
func FuzzDecode(f *testing.F) {
	f.Add(uint16(0), float32(3), float32(10), float32(-1e30))
	f.Add(uint16(511), float32(1e38), float32(-5), float32(0))
	f.Add(uint16(600), float32(100), float32(float32(math.Inf(1))), float32(1))
	f.Fuzz(func(t *testing.T, at uint16, logit, size, kp float32) {
		out := rawOutputs()
		head := 0
		i := int(at)
		if i >= 512 {
			head, i = 1, (i-512)%384
		}
		out[head][i] = logit
		r := out[2+head][i*regressors:]
		r[2], r[3] = size, size
		for k := 4; k < regressors; k++ {
			r[k] = kp
		}
		for _, d := range decode(out, 128, 0.75) {
			if !finite(d) || d.w <= 0 || d.h <= 0 || !(d.score > 0.75) {
				t.Fatalf("bad detection %+v", d)
			}
		}
		// Short outputs are not indexed past their ends.
		decode([][]float32{out[0][:10], out[1], out[2][:17], out[3]}, 128, 0.75)
	})
}

func TestMerge(t *testing.T) {
	a := detection{cx: 0.5, cy: 0.5, w: 0.2, h: 0.2, score: 0.9}
	b := detection{cx: 0.52, cy: 0.5, w: 0.2, h: 0.2, score: 0.8}
	far := detection{cx: 0.1, cy: 0.1, w: 0.1, h: 0.1, score: 0.95}
	a.kp[0] = [2]float64{0.4, 0.4}
	b.kp[0] = [2]float64{0.44, 0.4}
	got := merge([]detection{b, a, far}, 0.3)
	if len(got) != 2 {
		t.Fatalf("got %d detections, want 2", len(got))
	}
	if got[0].score != 0.95 || got[1].score != 0.9 {
		t.Errorf("scores %v %v, want best first, group keeps its best", got[0].score, got[1].score)
	}
	wantCX := (0.5*0.9 + 0.52*0.8) / 1.7
	if math.Abs(got[1].cx-wantCX) > 1e-12 {
		t.Errorf("merged cx %v, want the score-weighted mean %v", got[1].cx, wantCX)
	}
	if wantKP := (0.4*0.9 + 0.44*0.8) / 1.7; math.Abs(got[1].kp[0][0]-wantKP) > 1e-12 {
		t.Errorf("merged keypoint %v, want %v", got[1].kp[0][0], wantKP)
	}
	if s := suppress([]detection{b, a, far}, 0.3); len(s) != 2 || s[1].cx != 0.5 {
		t.Errorf("suppress kept %+v", s)
	}
}

func TestIoU(t *testing.T) {
	a := detection{cx: 0, cy: 0, w: 2, h: 2}
	tests := []struct {
		b    detection
		want float64
	}{
		{detection{cx: 0, cy: 0, w: 2, h: 2}, 1},
		{detection{cx: 1, cy: 0, w: 2, h: 2}, 2.0 / 6},
		{detection{cx: 5, cy: 0, w: 2, h: 2}, 0},
		{detection{cx: 0, cy: 0, w: 1, h: 1}, 0.25},
	}
	for _, tt := range tests {
		if got := iou(a, tt.b); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("iou(%+v) = %v, want %v", tt.b, got, tt.want)
		}
	}
}

func TestSquareMapping(t *testing.T) {
	tests := []struct {
		name   string
		sq     square
		u, v   float64
		wx, wy float64
	}{
		{"centre", square{cx: 100, cy: 50, side: 40}, 0.5, 0.5, 100, 50},
		{"corner", square{cx: 100, cy: 50, side: 40}, 0, 0, 80, 30},
		{"mirrored corner", square{cx: 100, cy: 50, side: 40, mirror: true}, 0, 0, 120, 30},
		{"quarter turn", square{cx: 0, cy: 0, side: 2, angle: math.Pi / 2}, 1, 0.5, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := tt.sq.point(tt.u, tt.v)
			if math.Abs(x-tt.wx) > 1e-9 || math.Abs(y-tt.wy) > 1e-9 {
				t.Errorf("point(%v, %v) = (%v, %v), want (%v, %v)", tt.u, tt.v, x, y, tt.wx, tt.wy)
			}
		})
	}
	// In a mirrored frame the subject's right eye is on the other side: toSource
	// swaps the pair back.
	var d detection
	d.cx, d.cy, d.w, d.h = 0.5, 0.5, 0.5, 0.5
	d.kp[0] = [2]float64{0.25, 0.5}
	d.kp[1] = [2]float64{0.75, 0.5}
	got := square{cx: 0, cy: 0, side: 100, mirror: true}.toSource(d)
	if got.kp[0][0] != -25 || got.kp[1][0] != 25 {
		t.Errorf("mirrored keypoints %v %v, want the subject's right eye at -25 again", got.kp[0], got.kp[1])
	}
}

// A single white pixel lands where the square maps it, at every pyramid level.
func TestInputSamplesWhereSquarePoints(t *testing.T) {
	img := image.NewRGBA(image.Rect(10, 20, 1034, 1044)) // a non-zero origin on purpose
	img.Set(10+300, 20+600, color.White)
	img.Set(10+301, 20+600, color.White)
	img.Set(10+300, 20+601, color.White)
	img.Set(10+301, 20+601, color.White)
	p := newPyramid(img)
	for _, side := range []float64{64, 256, 1024} {
		sq := square{cx: 10 + 301, cy: 20 + 601, side: side}
		const size = 64
		in := p.input(sq, size)
		best, bx, by := float32(-2), 0, 0
		for y := range size {
			for x := range size {
				if v := in[3*(y*size+x)]; v > best {
					best, bx, by = v, x, y
				}
			}
		}
		// The blob's centre (photo 311, 621) is the square's centre: input pixels 31/32.
		if (bx != 31 && bx != 32) || (by != 31 && by != 32) || best <= -1 {
			t.Errorf("side %v: brightest input pixel (%d, %d) = %v, want near (32, 32)", side, bx, by, best)
		}
		if in[0] != -1 {
			t.Errorf("side %v: black corner is %v, want -1", side, in[0])
		}
	}
	if n := len(p.levels); n != 5 {
		t.Errorf("%d pyramid levels for 1024 px, want 5 (down to 64)", n)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{Threshold: 0.5, Overlap: 0.4, Pool: 4}, true},
		{Config{Threshold: 1}, false},
		{Config{Threshold: -0.1}, false},
		{Config{Threshold: math.NaN()}, false},
		{Config{Overlap: 1.5}, false},
		{Config{Pool: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: Validate = %v, want ok=%v", tt.cfg, err, tt.ok)
		}
	}
	if c := (Config{}).withDefaults(); c.Threshold != 0.75 || c.Overlap != 0.3 {
		t.Errorf("defaults %+v", c)
	}
}
