package geometry

import (
	"image"
	"math"
	"testing"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/spec"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestAffine(t *testing.T) {
	m := Rotate(30, 10, 20).Then(Scale(2)).Then(Translate(5, -3))
	inv, ok := m.Inverse()
	if !ok {
		t.Fatal("not invertible")
	}
	for _, p := range [][2]float64{{0, 0}, {10, 20}, {-7, 3.5}, {1000, -200}} {
		x, y := m.Apply(p[0], p[1])
		bx, by := inv.Apply(x, y)
		if !near(bx, p[0], 1e-9) || !near(by, p[1], 1e-9) {
			t.Errorf("round trip of %v gave %v,%v", p, bx, by)
		}
	}
	// positive angles turn clockwise on screen: (1,0) goes to (0,1) at 90 degrees
	x, y := Rotate(90, 0, 0).Apply(1, 0)
	if !near(x, 0, 1e-12) || !near(y, 1, 1e-12) {
		t.Errorf("Rotate(90) maps (1,0) to (%v,%v)", x, y)
	}
	if _, ok := Scale(0).Inverse(); ok {
		t.Error("Scale(0) must be singular")
	}
}

// Bands as in the catalogue: the resident ID card (GA 461, converted from its pixel
// rules), an ICAO 35x45 mm photo, and the US 2x2 in visa.
var (
	idCard = spec.Spec{ID: "cn-idcard", WidthPx: 358, HeightPx: 441, Head: spec.Head{
		CrownTop:      spec.Range{Min: 7.0 / 441, Max: 21.0 / 441},
		EyeFromBottom: spec.Range{Min: 207.0 / 441, Max: 0.75},
		FaceWidth:     spec.Range{Min: 193.0 / 358, Max: 221.0 / 358},
		CenterX:       spec.Range{Min: 0.47, Max: 0.53},
		Height:        spec.Range{Min: 0.6, Max: 0.8},
		EyeWins:       true,
	}}
	icao = spec.Spec{ID: "schengen", WidthPx: 413, HeightPx: 531, Head: spec.Head{
		Height:        spec.Range{Min: 0.70, Max: 0.80},
		EyeFromBottom: spec.Range{Min: 0.50, Max: 0.70},
		CenterX:       spec.Range{Min: 0.45, Max: 0.55},
		CrownTop:      spec.Range{Min: 0.03, Max: 0.12},
	}}
	usVisa = spec.Spec{ID: "us-visa", WidthPx: 600, HeightPx: 600, Head: spec.Head{
		Height:        spec.Range{Min: 0.50, Max: 0.69},
		EyeFromBottom: spec.Range{Min: 0.56, Max: 0.69},
		CenterX:       spec.Range{Min: 0.45, Max: 0.55},
	}}
)

func TestFitMeetsBands(t *testing.T) {
	heads := map[string]Head{
		"upright":     {EyeMid: face.Point{X: 500, Y: 400}, CrownUp: 180, ChinDown: 230, FaceWidth: 290},
		"tilted 7deg": {EyeMid: face.Point{X: 800, Y: 900}, Roll: 7, CrownUp: 420, ChinDown: 520, FaceWidth: 700},
		"small face":  {EyeMid: face.Point{X: 60, Y: 50}, Roll: -3, CrownUp: 22, ChinDown: 28, FaceWidth: 35, CenterDX: 2},
	}
	for _, s := range []spec.Spec{idCard, icao, usVisa} {
		for name, h := range heads {
			t.Run(s.ID+"/"+name, func(t *testing.T) {
				p, err := Fit(h, s)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Misses) > 0 {
					t.Fatalf("misses %v (layout %+v)", p.Misses, p.Layout)
				}
				// the eyes come out level, at the layout's eye line, centred
				l := rotatePoint(h.EyeMid, h.Roll, -h.FaceWidth/3)
				r := rotatePoint(h.EyeMid, h.Roll, h.FaceWidth/3)
				lx, ly := p.FromSource.Apply(l.X, l.Y)
				rx, ry := p.FromSource.Apply(r.X, r.Y)
				if !near(ly, ry, 1e-6) {
					t.Errorf("eyes not level: %v vs %v", ly, ry)
				}
				if want := float64(s.HeightPx) * (1 - p.Layout.EyeFromBottom); !near(ly, want, 1e-6) {
					t.Errorf("eye row %v, layout says %v", ly, want)
				}
				if c := (lx + rx) / 2 / float64(s.WidthPx); !s.Head.CenterX.Contains(c + h.CenterDX*p.Scale/float64(s.WidthPx)) {
					t.Errorf("centre %v outside %v", c, s.Head.CenterX)
				}
				// ToSource undoes FromSource
				sx, sy := p.ToSource.Apply(lx, ly)
				if !near(sx, l.X, 1e-6) || !near(sy, l.Y, 1e-6) {
					t.Errorf("ToSource(FromSource(p)) = %v,%v, want %v", sx, sy, l)
				}
			})
		}
	}
}

// rotatePoint is the point at distance d along an eye line of angle roll through c.
func rotatePoint(c face.Point, roll, d float64) face.Point {
	r := roll * math.Pi / 180
	return face.Point{X: c.X + d*math.Cos(r), Y: c.Y + d*math.Sin(r)}
}

func TestFitTallHairEyeRuleWins(t *testing.T) {
	// hair as tall as the face: the crown band and the eye band can't both hold
	h := Head{EyeMid: face.Point{X: 300, Y: 500}, CrownUp: 420, ChinDown: 230, FaceWidth: 280}
	p, err := Fit(h, idCard)
	if err != nil {
		t.Fatal(err)
	}
	if !idCard.Head.EyeFromBottom.Contains(p.Layout.EyeFromBottom) {
		t.Errorf("eye line %.3f outside its band: the eye rule must win", p.Layout.EyeFromBottom)
	}
	if !idCard.Head.FaceWidth.Contains(p.Layout.FaceWidth) {
		t.Errorf("face width %.3f outside its band: it must win over the hair", p.Layout.FaceWidth)
	}
	if len(p.Misses) == 0 {
		t.Error("the crown miss must be reported")
	}
}

func TestFitRejectsImpossibleHeads(t *testing.T) {
	for name, h := range map[string]Head{
		"no height": {CrownUp: 0, ChinDown: 10, FaceWidth: 10},
		"no width":  {CrownUp: 10, ChinDown: 10},
		"upside":    {CrownUp: 10, ChinDown: 10, FaceWidth: 10, Roll: 170},
		"nan":       {CrownUp: math.NaN(), ChinDown: 10, FaceWidth: 10},
	} {
		if _, err := Fit(h, icao); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Fit(Head{CrownUp: 10, ChinDown: 10, FaceWidth: 10}, spec.Spec{ID: "x"}); err == nil {
		t.Error("spec without pixels: no error")
	}
}

func TestCrownUp(t *testing.T) {
	// a head: disk of radius 100 centred 40 px above the eye line, over a body
	alpha := image.NewGray(image.Rect(0, 0, 600, 800))
	eye := face.Point{X: 300, Y: 400}
	for y := 0; y < 800; y++ {
		for x := 0; x < 600; x++ {
			dx, dy := float64(x)-300, float64(y)-360
			if dx*dx+dy*dy <= 100*100 || y > 520 {
				alpha.SetGray(x, y, grayFg)
			}
		}
	}
	for _, roll := range []float64{0, 5, -8} {
		got := CrownUp(alpha, eye, roll, 40, 600)
		// along a tilted axis the disk's edge is where |eye + t*up - centre| = 100
		r := roll * math.Pi / 180
		ux, uy := math.Sin(r), -math.Cos(r)
		// solve |(0,40) + t*(ux,uy)| = 100 for t > 0 with centre offset (0,-40)
		b := 2 * (0*ux + 40*uy)
		want := (-b + math.Sqrt(b*b-4*(1600-10000))) / 2
		if !near(got, want, 3) {
			t.Errorf("roll %v: crown %v, want about %v", roll, got, want)
		}
	}
	// hair reaching the top edge stops at the edge
	for y := 0; y < 400; y++ {
		for x := 250; x < 350; x++ {
			alpha.SetGray(x, y, grayFg)
		}
	}
	if got := CrownUp(alpha, eye, 0, 40, 900); got < 399 {
		t.Errorf("a person touching the top: %v", got)
	}
}

func TestProject(t *testing.T) {
	x, y := Project(face.Point{X: 10, Y: 110}, face.Point{X: 10, Y: 10}, 0)
	if !near(x, 0, 1e-9) || !near(y, 100, 1e-9) {
		t.Errorf("got %v,%v", x, y)
	}
	// with the head tilted by 90 degrees, "down the face" points to -x
	x, y = Project(face.Point{X: -90, Y: 10}, face.Point{X: 10, Y: 10}, 90)
	if !near(x, 0, 1e-9) || !near(y, 100, 1e-9) {
		t.Errorf("tilted: got %v,%v", x, y)
	}
}

var grayFg = colorGray(255)
