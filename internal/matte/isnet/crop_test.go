package isnet

import (
	"image"
	"math"
	"testing"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/matte"
)

func hintBox(x0, y0, x1, y1 float64) matte.Hint {
	return matte.Hint{Face: face.Face{Box: face.Rect{Min: face.Point{X: x0, Y: y0}, Max: face.Point{X: x1, Y: y1}}}}
}

func TestCropRect(t *testing.T) {
	cfg := DefaultConfig()
	for _, tc := range []struct {
		name   string
		bounds image.Rectangle
		hint   matte.Hint
		want   image.Rectangle
		ok     bool
	}{
		// Face 100x100 at (400,400): 1.6 up, 3 wide, 3 down.
		{"room all round", image.Rect(0, 0, 2000, 2000), hintBox(400, 400, 500, 500), image.Rect(300, 240, 600, 800), true},
		{"clipped", image.Rect(0, 0, 700, 600), hintBox(400, 100, 500, 200), image.Rect(300, 0, 600, 500), true},
		{"offset origin", image.Rect(-50, -50, 650, 550), hintBox(0, 0, 100, 100), image.Rect(-50, -50, 200, 400), true},
		{"outside", image.Rect(0, 0, 100, 100), hintBox(200, 200, 300, 300), image.Rectangle{}, false},
		{"empty box", image.Rect(0, 0, 100, 100), hintBox(10, 10, 10, 50), image.Rectangle{}, false},
		{"zero hint", image.Rect(0, 0, 100, 100), matte.Hint{}, image.Rectangle{}, false},
		{"NaN", image.Rect(0, 0, 100, 100), hintBox(math.NaN(), 0, 50, 50), image.Rectangle{}, false},
		{"infinite", image.Rect(0, 0, 100, 100), hintBox(0, 0, math.Inf(1), 50), image.Rectangle{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := cropRect(tc.bounds, tc.hint, cfg)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("cropRect = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestInputTensorNormalisation(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 10, 10))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []uint8{0, 128, 255, 255})
	}
	in := inputTensor(img, img.Rect)
	const n = Size * Size
	if len(in) != 3*n {
		t.Fatalf("len %d", len(in))
	}
	for i, want := range []float32{-0.5, 0, 127.0 / 256} {
		if got := in[i*n+n/2]; math.Abs(float64(got-want)) > 1e-6 {
			t.Errorf("channel %d: %g, want %g", i, got, want)
		}
	}
}

func TestPasteMask(t *testing.T) {
	// Left half person, right half backdrop, pasted onto a crop of a larger alpha.
	mask := make([]float32, Size*Size)
	for y := range Size {
		for x := range Size / 2 {
			mask[y*Size+x] = 1
		}
	}
	mask[0] = float32(math.NaN())
	alpha := image.NewGray(image.Rect(-10, -10, 300, 200))
	crop := image.Rect(20, 30, 220, 130)
	pasteMask(alpha, crop, mask)
	for _, tc := range []struct {
		x, y int
		want uint8
	}{{25, 80, 255}, {215, 80, 0}, {10, 80, 0}, {100, 20, 0}, {250, 80, 0}, {20, 30, 255}} {
		if got := alpha.GrayAt(tc.x, tc.y).Y; got != tc.want {
			t.Errorf("(%d,%d) = %d, want %d", tc.x, tc.y, got, tc.want)
		}
	}
}

// FuzzCropRect: any face box gives either no crop or one inside the image.
func FuzzCropRect(f *testing.F) {
	f.Add(400.0, 400.0, 500.0, 500.0, 1000, 800)
	f.Add(-1e30, 5.0, 1e30, 6.0, 10, 10)
	f.Add(0.0, 0.0, 0.0, 0.0, 0, 0)
	f.Fuzz(func(t *testing.T, x0, y0, x1, y1 float64, w, h int) {
		b := image.Rect(0, 0, w%5000, h%5000)
		r, ok := cropRect(b, hintBox(x0, y0, x1, y1), DefaultConfig())
		if ok && (r.Empty() || !r.In(b)) {
			t.Fatalf("crop %v not inside %v", r, b)
		}
	})
}

// BenchmarkPrePost is the Go side of one Matte call: resample the crop to 1024² and
// normalise, then resample the mask back (the model run itself is not included).
func BenchmarkPrePost(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 1200, 1600), image.YCbCrSubsampleRatio420)
	crop, _ := cropRect(img.Rect, hintBox(450, 400, 750, 750), DefaultConfig())
	mask := make([]float32, Size*Size)
	alpha := image.NewGray(img.Rect)
	for b.Loop() {
		inputTensor(img, crop)
		pasteMask(alpha, crop, mask)
	}
}

// The direct sampler must agree with the generic scaler where both are plain
// bilinear (an enlarged crop), and stay close when it shrinks.
func TestInputTensorNRGBAMatchesGeneric(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 1500, 1100))
	for i := range img.Pix {
		img.Pix[i] = uint8((i*7)>>3 ^ i>>11)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	for _, crop := range []image.Rectangle{image.Rect(100, 50, 700, 900), image.Rect(0, 0, 1500, 1100)} {
		fast := inputTensorNRGBA(img, crop)
		slow := inputTensor(struct{ image.Image }{img}, crop) // not *image.NRGBA: generic path
		var sum float64
		for i := range fast {
			sum += math.Abs(float64(fast[i] - slow[i]))
		}
		mean := sum / float64(len(fast)) * 256 // in 8-bit levels
		limit := 1.0
		if crop.Dx() > Size {
			limit = 12 // the generic scaler widens its kernel when shrinking
		}
		if mean > limit {
			t.Errorf("crop %v: mean difference %.2f levels", crop, mean)
		}
	}
}

func BenchmarkInputTensorNRGBA(b *testing.B) {
	img := image.NewNRGBA(image.Rect(0, 0, 1200, 1600))
	crop, _ := cropRect(img.Rect, hintBox(450, 400, 750, 750), DefaultConfig())
	for b.Loop() {
		inputTensor(img, crop)
	}
}
