package face_test

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/idphoto/idphoto/internal/face"
)

// Chin and width read off the portraits by eye (the chin's lowest point; the cheek
// edges halfway between the eyes and the mouth), in source pixels.
var measured = []struct {
	name   string
	chinY  float64
	width  float64
	widthD [2]float64 // plausible width in eye distances
}{
	{"astronaut.png", 173, 102, [2]float64{1.7, 2.6}},
	{"hivision-test1.jpg", 731, 262, [2]float64{1.7, 2.6}},
	{"hivision-test2.jpg", 372, 185, [2]float64{1.7, 2.6}},
	{"hivision-test3.jpg", 352, 180, [2]float64{1.7, 2.6}},
}

func TestFindChin(t *testing.T) {
	p := newPigo(t)
	for _, m := range measured {
		t.Run(m.name, func(t *testing.T) {
			img := portrait(t, m.name)
			f := detectOne(t, p, img)
			chin := face.FindChin(img, f)
			d := f.EyeDistance()
			mid := f.EyeMid()
			below := chin.Y - f.Mouth.Y
			t.Logf("chin (%.0f, %.0f), %.2f eye-to-mouth distances below the mouth; by eye y=%.0f",
				chin.X, chin.Y, below/(f.Mouth.Y-mid.Y), m.chinY)
			if below <= 0 {
				t.Fatalf("chin not below the mouth")
			}
			if r := below / (f.Mouth.Y - mid.Y); r < 0.4 || r > 1.0 {
				t.Errorf("chin %.2f eye-to-mouth distances below the mouth, want 0.4–1.0", r)
			}
			if math.Abs(chin.Y-m.chinY) > 0.1*d {
				t.Errorf("chin y %.0f, by eye %.0f (tolerance %.0f)", chin.Y, m.chinY, 0.1*d)
			}
			if math.Abs(chin.X-mid.X) > 0.25*d {
				t.Errorf("chin off the face's axis")
			}
		})
	}
}

func TestFaceWidth(t *testing.T) {
	p := newPigo(t)
	for _, m := range measured {
		t.Run(m.name, func(t *testing.T) {
			img := portrait(t, m.name)
			f := detectOne(t, p, img)
			w := face.FaceWidth(img, f)
			d := f.EyeDistance()
			t.Logf("width %.0f px = %.2f eye distances; by eye %.0f", w, w/d, m.width)
			if r := w / d; r < m.widthD[0] || r > m.widthD[1] {
				t.Errorf("width %.2f eye distances, want %.1f–%.1f", r, m.widthD[0], m.widthD[1])
			}
			if math.Abs(w-m.width) > 0.12*m.width {
				t.Errorf("width %.0f px, by eye %.0f", w, m.width)
			}
		})
	}
}

// A synthetic face: skin-coloured oval on a blue backdrop, lit chin over a dark
// neck. The edge and the width are known exactly.
func TestMeasureSynthetic(t *testing.T) {
	const cx, cy, rx, ry = 200.0, 200.0, 105.0, 140.0 // face oval: chin at y=340, width 210
	img := image.NewRGBA(image.Rect(0, 0, 400, 460))
	skin := color.RGBA{225, 180, 150, 255}
	for y := range 460 {
		for x := range 400 {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			c := color.RGBA{40, 70, 160, 255}
			switch {
			case dx*dx+dy*dy <= 1:
				c = skin
			case y > 300 && math.Abs(float64(x)-cx) < 60:
				c = color.RGBA{110, 80, 60, 255} // neck in shadow
			}
			img.SetRGBA(x, y, c)
		}
	}
	f := face.Face{
		LeftEye: face.Point{X: 150, Y: 170}, RightEye: face.Point{X: 250, Y: 170},
		Mouth: face.Point{X: 200, Y: 270},
	}
	tests := []struct {
		name string
		got  float64
		want float64
		tol  float64
	}{
		{"chin y", face.FindChin(img, f).Y, 339.5, 2},
		{"chin x", face.FindChin(img, f).X, 200, 0.5},
		// At y=220 the oval's half-width is rx·sqrt(1-(20/140)²).
		{"width", face.FaceWidth(img, f), 2 * rx * math.Sqrt(1-math.Pow(20.0/140, 2)), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > tt.tol {
				t.Errorf("got %.1f, want %.1f ± %.1f", tt.got, tt.want, tt.tol)
			}
		})
	}

	// No edge, no skin: the prediction and the typical width.
	flatImg := image.NewRGBA(image.Rect(0, 0, 400, 460))
	for i := range flatImg.Pix {
		flatImg.Pix[i] = 128
	}
	if got := face.FindChin(flatImg, f); math.Abs(got.Y-(270+0.62*100)) > 0.5 || math.Abs(got.X-200) > 0.5 {
		t.Errorf("flat chin %v, want the prediction", []float64{got.X, got.Y})
	}
	if got := face.FaceWidth(flatImg, f); math.Abs(got-2.1*100) > 1e-9 {
		t.Errorf("flat width %.1f, want 210", got)
	}
}

// FuzzMeasure: any face, however wrong, gives finite answers without panicking.
func FuzzMeasure(f *testing.F) {
	f.Add(150.0, 170.0, 250.0, 170.0, 200.0, 270.0)
	f.Add(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
	f.Add(-1e9, 5.0, 1e9, 5.0, 3.0, 1e12)
	f.Add(math.NaN(), 1.0, 2.0, math.Inf(1), 3.0, 4.0)
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 31)
	}
	f.Fuzz(func(t *testing.T, lx, ly, rx, ry, mx, my float64) {
		fc := face.Face{LeftEye: face.Point{X: lx, Y: ly}, RightEye: face.Point{X: rx, Y: ry}, Mouth: face.Point{X: mx, Y: my}}
		face.FindChin(img, fc)
		w := face.FaceWidth(img, fc)
		if w < 0 {
			t.Errorf("negative width %v", w)
		}
	})
}
