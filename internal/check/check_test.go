package check_test

import (
	"encoding/json"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/check"
	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/geometry"
	"github.com/idphoto/idphoto/internal/spec"
)

func lookup(t testing.TB, id string) spec.Spec {
	t.Helper()
	cat, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := cat.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func result(t *testing.T, rep *check.Report, id string) check.Result {
	t.Helper()
	r, ok := rep.Result(id)
	if !ok {
		t.Fatalf("no rule %s in the report", id)
	}
	return r
}

func TestBoundsFormat(t *testing.T) {
	cases := []struct {
		b    check.Bounds
		unit string
		prec int
		want string
	}{
		{check.AtLeast(90), " px", 0, "≥ 90 px"},
		{check.AtMost(5), "%", 1, "≤ 5.0%"},
		{check.Within(5), "°", 1, "-5.0 to 5.0°"},
		{check.Bounds{Min: 358, Max: 358}, " px", 0, "358 px"},
		{check.Bounds{Min: math.Inf(-1), Max: math.Inf(1)}, "", 0, "any"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if got := c.b.Format(c.unit, c.prec); got != c.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestBoundsJSON(t *testing.T) {
	for _, b := range []check.Bounds{check.AtLeast(90), check.AtMost(1.6), check.Within(5), {Min: 14, Max: 20}} {
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var back check.Bounds
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if back != b {
			t.Errorf("%s came back as %+v", data, back)
		}
	}
	if data, _ := json.Marshal(check.AtLeast(90)); string(data) != `{"min":90,"max":null}` {
		t.Errorf("open side written as %s", data)
	}
}

// FuzzBoundsJSON: the only parser in the package reads any bytes without panicking,
// and what it accepts is an ordered interval that survives a round trip.
func FuzzBoundsJSON(f *testing.F) {
	for _, s := range []string{`{"min":1,"max":2}`, `{"min":null,"max":5}`, `{}`, `{"min":3,"max":1}`, `null`, `[`, `{"min":"x"}`, `{"min":1e309}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b check.Bounds
		if err := json.Unmarshal(data, &b); err != nil {
			return
		}
		if b.Min > b.Max || math.IsNaN(b.Min) || math.IsNaN(b.Max) {
			t.Fatalf("accepted %+v from %q", b, data)
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal %+v: %v", b, err)
		}
		var back check.Bounds
		if err := json.Unmarshal(out, &back); err != nil || back != b {
			t.Fatalf("round trip %+v -> %s -> %+v (%v)", b, out, back, err)
		}
	})
}

// A report with nothing measured: the one-face rule fails, every other rule that
// applies is skipped (and counts as passed), and the spec's own rules appear.
func TestEvaluateNoFace(t *testing.T) {
	rep := check.Evaluate(check.Input{Spec: lookup(t, "cn-idcard"), Source: image.NewNRGBA(image.Rect(0, 0, 64, 64))})
	if rep.Pass {
		t.Error("passes with no face")
	}
	if f := rep.Failed(); len(f) != 1 || f[0].ID != "one_face" || f[0].Message == "" || f[0].MessageZH == "" || f[0].Fix == "" {
		t.Errorf("failed %+v", f)
	}
	for _, r := range rep.Rules {
		if r.ID != "one_face" && !r.Skipped {
			t.Errorf("%s measured %v without a face", r.ID, r.Measured)
		}
	}
	for _, id := range []string{"face_width", "eye_line", "file_size"} { // cn-idcard has these
		result(t, rep, id)
	}
	if _, ok := rep.Result("head_height"); ok {
		t.Error("head_height reported for a spec without the band")
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("report does not marshal: %v", err)
	}
}

// synthetic draws a frontal face: skin oval, dark irises, nostrils and lips, on a
// light backdrop, with its keypoints at known positions.
func synthetic(nose face.Point) (*image.NRGBA, face.Face) {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 500))
	f := face.Face{LeftEye: face.Point{X: 160, Y: 200}, RightEye: face.Point{X: 240, Y: 200}, Nose: nose, Mouth: face.Point{X: 200, Y: 290}}
	f.Box = face.Rect{Min: face.Point{X: 100, Y: 120}, Max: face.Point{X: 300, Y: 360}}
	for y := range 500 {
		for x := range 400 {
			c := color.NRGBA{235, 235, 232, 255}
			dx, dy := float64(x-200)/95, float64(y-240)/130
			if dx*dx+dy*dy < 1 {
				c = color.NRGBA{205, 160, 135, 255}
			}
			for _, e := range []face.Point{f.LeftEye, f.RightEye} {
				if math.Hypot(float64(x)-e.X, float64(y)-e.Y) < 8 {
					c = color.NRGBA{40, 30, 25, 255}
				}
			}
			if math.Abs(float64(x)-200) < 22 && math.Abs(float64(y)-290) < 2 {
				c = color.NRGBA{120, 60, 60, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img, f
}

// The pose formulas: a nose to the right of the eyes' middle is a head turned to
// the photo's right (positive yaw), a nose high between eyes and mouth a raised chin
// (positive pitch); both zero on the calibrated frontal face.
func TestPose(t *testing.T) {
	cases := []struct {
		name       string
		nose       face.Point
		yaw, pitch float64 // expected, ± 1.5°
	}{
		{"frontal", face.Point{X: 200, Y: 200 + 0.62*90}, 0, 0},
		{"turned right in the photo", face.Point{X: 200 + 0.5*80*math.Tan(15*math.Pi/180), Y: 200 + 0.62*90}, 15, 0},
		{"turned left in the photo", face.Point{X: 200 - 0.5*80*math.Tan(15*math.Pi/180), Y: 200 + 0.62*90}, -15, 0},
		// tan φ = (0.62 − r) / (0.47 − 0.29 r) for nose/mouth ratio r
		{"chin up", face.Point{X: 200, Y: 200 + 0.45*90}, 0, 26.6},
		{"bowed", face.Point{X: 200, Y: 200 + 0.75*90}, 0, -27.2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img, f := synthetic(c.nose)
			rep := check.Evaluate(check.Input{Spec: lookup(t, "us-passport"), Source: img, Faces: []face.Face{f}, Face: f, HasFace: true})
			if got := result(t, rep, "yaw").Measured; math.Abs(got-c.yaw) > 1.5 {
				t.Errorf("yaw %.1f, want %.0f", got, c.yaw)
			}
			if got := result(t, rep, "pitch").Measured; math.Abs(got-c.pitch) > 1.5 {
				t.Errorf("pitch %.1f, want %.0f", got, c.pitch)
			}
		})
	}
}

// Roll's message names the subject's own side and the photo's.
func TestRollMessage(t *testing.T) {
	img, f := synthetic(face.Point{X: 200, Y: 256})
	f.RightEye.Y += 80 * math.Tan(8*math.Pi/180) // the right-hand eye lower: +8°
	rep := check.Evaluate(check.Input{Spec: lookup(t, "us-passport"), Source: img, Faces: []face.Face{f}, Face: f, HasFace: true})
	r := result(t, rep, "roll")
	if r.Pass || math.Abs(r.Measured-8) > 0.1 || r.Severity != check.Warn {
		t.Errorf("roll %+v", r)
	}
	if want := "tilted 8° to your left (to the right in the photo)"; !strings.Contains(r.Message, want) {
		t.Errorf("message %q lacks %q", r.Message, want)
	}
	f.RightEye.Y += 80 // far beyond what the pipeline straightens: blocking
	rep = check.Evaluate(check.Input{Spec: lookup(t, "us-passport"), Source: img, Faces: []face.Face{f}, Face: f, HasFace: true, MaxRoll: 30})
	if r := result(t, rep, "roll"); r.Severity != check.Block || rep.Pass {
		t.Errorf("roll %.0f° is %s, report pass %v", r.Measured, r.Severity, rep.Pass)
	}
}

// The head bands come from the spec: a miss blocks, except on the crown and head
// height of a spec whose eye rule wins (the hair may be cut), where it warns.
func TestLayoutBands(t *testing.T) {
	l := geometry.Layout{CrownTop: -0.02, Height: 0.9, EyeFromBottom: 0.5, ChinFromBottom: 0.05, FaceWidth: 0.58, CenterX: 0.5}
	cases := []struct {
		spec, rule, severity string
		pass                 bool
	}{
		{"cn-idcard", "crown_top", check.Warn, false},
		{"cn-idcard", "face_width", check.Block, true},
		{"us-passport", "head_height", check.Block, false},
		{"us-passport", "eye_line", check.Block, false},
		{"us-passport", "centre", check.Block, true},
	}
	for _, c := range cases {
		t.Run(c.spec+"/"+c.rule, func(t *testing.T) {
			s := lookup(t, c.spec)
			p := &geometry.Placement{Width: s.WidthPx, Height: s.HeightPx, Layout: l, Scale: 1}
			rep := check.Evaluate(check.Input{Spec: s, Placement: p})
			r := result(t, rep, c.rule)
			if r.Pass != c.pass || (!r.Pass && r.Severity != c.severity) {
				t.Errorf("%s: pass %v severity %s, want %v %s", r.MeasuredText(), r.Pass, r.Severity, c.pass, c.severity)
			}
		})
	}
}

func TestRulesListed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range check.Rules() {
		if seen[r.ID] || r.Name == "" || r.NameZH == "" || (r.Severity != check.Block && r.Severity != check.Warn) {
			t.Errorf("rule %+v", r)
		}
		seen[r.ID] = true
	}
	for _, id := range []string{"one_face", "face_size", "roll", "yaw", "pitch", "eyes_open", "mouth_closed", "exposure",
		"lighting_balance", "dynamic_range", "sharpness", "compression", "skin_a", "skin_b", "background_source",
		"background_result", "crown_room", "chin_room", "head_height", "eye_line", "centre", "face_width", "file_size",
		"pixel_width", "pixel_height"} {
		if !seen[id] {
			t.Errorf("no rule %s", id)
		}
	}
}

func TestPromiseP3StoredReportHoldsNoFaceMeasures(t *testing.T) {
	r := &check.Report{Pass: false, Spec: "x", Rules: []check.Result{
		{ID: "roll", Measured: 6.2, Message: "your head is tilted 6.2° to the left", MessageZH: "头部向左倾斜 6.2°", Fix: "hold your head level"},
		{ID: "exposure", Measured: 36, Message: "the face is too dark"},
		{ID: "yaw", Skipped: true, Message: "no face"},
	}}
	s := r.ForStorage()
	if got := s.Rules[0]; got.Measured != 0 || got.Message != "" || got.MessageZH != "" || !got.Withheld || got.Fix == "" {
		t.Errorf("roll kept its measure: %+v", got)
	}
	if s.Rules[1].Measured != 36 || s.Rules[1].Withheld {
		t.Errorf("exposure is not face data: %+v", s.Rules[1])
	}
	if !s.Rules[2].Skipped || s.Rules[2].Withheld {
		t.Errorf("skipped rule: %+v", s.Rules[2])
	}
	if r.Rules[0].Measured != 6.2 {
		t.Error("ForStorage changed the original")
	}
}
