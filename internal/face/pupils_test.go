package face

import (
	"context"
	"math"
	"path/filepath"
	"testing"
)

// A detector whose eye points are a few pixels off (as BlazeFace's are) gets them put
// back on the pupils; points that stray too far are not trusted.
func TestRefineEyes(t *testing.T) {
	p, err := NewPigo(PigoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hivision-test1.jpg", "hivision-test3.jpg", "astronaut.png"} {
		img := decodeFile(t, filepath.Join("..", "..", "testdata", "portraits", name))
		faces, err := p.Detect(context.Background(), img)
		if err != nil || len(faces) != 1 {
			t.Fatalf("%s: %d faces, %v", name, len(faces), err)
		}
		want := faces[0]
		off := want
		d := want.EyeDistance() * 0.06
		off.LeftEye.X, off.LeftEye.Y = off.LeftEye.X+d, off.LeftEye.Y-d
		off.RightEye.X, off.RightEye.Y = off.RightEye.X-d, off.RightEye.Y+d
		got := p.RefineEyes(img, off)
		for _, c := range []struct {
			name      string
			got, want Point
		}{{"left", got.LeftEye, want.LeftEye}, {"right", got.RightEye, want.RightEye}} {
			if e := math.Hypot(c.got.X-c.want.X, c.got.Y-c.want.Y); e > 0.05*want.EyeDistance() {
				t.Errorf("%s %s eye %.1f px from the pupil (eye distance %.0f)", name, c.name, e, want.EyeDistance())
			}
		}
		if math.Abs(got.Roll()-want.Roll()) > 1 {
			t.Errorf("%s: roll %.2f after refinement, %.2f from the detector", name, got.Roll(), want.Roll())
		}
		far := want
		far.LeftEye.X -= want.EyeDistance() // a point nowhere near an eye
		if r := p.RefineEyes(img, far); r.LeftEye != far.LeftEye && math.Hypot(r.LeftEye.X-far.LeftEye.X, r.LeftEye.Y-far.LeftEye.Y) > far.EyeDistance()/4 {
			t.Errorf("%s: a far point was moved %v -> %v", name, far.LeftEye, r.LeftEye)
		}
	}
}
