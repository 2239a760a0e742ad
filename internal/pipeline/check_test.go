package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/idphoto/idphoto/internal/check"
	"github.com/idphoto/idphoto/internal/compose"
	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/face/facetest"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/spec"
)

// variant is a controlled change to a real portrait that breaks one rule by a known
// amount.
type variant struct {
	name string
	make func(src *image.NRGBA, b baseline) image.Image
	jpeg int    // encode at this quality instead of PNG
	rule string // the rule it breaks
	// want is the value the rule should measure, from the untouched photo's
	// measurements; tol is how near.
	want func(b baseline) float64
	tol  float64
	// atLeast: the value must be want or more (tol unused).
	atLeast bool
	// block: the miss must be blocking (else at least a warning).
	block bool
	// implied are rules the change also breaks by its nature (see each variant).
	implied []string
}

// baseline is what the untouched photo measured.
type baseline struct {
	rep  *check.Report
	face face.Face // found on the untouched photo by the test's own detector
}

// value is what rule id measured on the untouched photo (NaN when it did not).
func (b baseline) value(id string) float64 {
	r, ok := b.rep.Result(id)
	if !ok || r.Skipped {
		return math.NaN()
	}
	return r.Measured
}

var variants = []variant{
	{
		// -2.3 stops: 0.2 of every level.
		name: "darkened", rule: "exposure", block: true,
		make: func(src *image.NRGBA, _ baseline) image.Image {
			return mapRGB(src, func(v float64) float64 { return 0.2 * v })
		},
		want: func(b baseline) float64 { return 0.2 * b.value("exposure") }, tol: 3,
	},
	{
		// Light enough to bring the face's mean to 230 of 255: its highlights clip
		// to white, and white has no colour, so the cheeks' colour may go too.
		// (Brighter still and pigo no longer finds the face: one_face fails.)
		name: "overexposed", rule: "exposure",
		make: func(src *image.NRGBA, b baseline) image.Image {
			k := 230 / b.value("exposure")
			return mapRGB(src, func(v float64) float64 { return k * v })
		},
		want: func(b baseline) float64 { return 222 }, tol: 10,
		implied: []string{"skin_a", "skin_b"},
	},
	{
		// A Gaussian blur of 10% of the eye distance: the sharpness rule reads the
		// blur's width, added in quadrature to the photo's own. It also defeats
		// IS-Net, which loses the blurred person (matte_face says so). The pose rules
		// are not measured on so blurred a face (the nose point wanders).
		name: "blurred", rule: "sharpness", block: true,
		implied: []string{"matte_face"},
		make:    func(src *image.NRGBA, b baseline) image.Image { return blur(src, 0.1*b.face.EyeDistance()) },
		want:    func(b baseline) float64 { return math.Hypot(10, b.value("sharpness")) }, tol: 1.5,
	},
	{
		name: "rotated +6", rule: "roll",
		make: func(src *image.NRGBA, b baseline) image.Image { return facetest.Rotate(src, 6-b.value("roll")) },
		want: func(baseline) float64 { return 6 }, tol: 1,
	},
	{
		name: "rotated -6", rule: "roll",
		make: func(src *image.NRGBA, b baseline) image.Image { return facetest.Rotate(src, -6-b.value("roll")) },
		want: func(baseline) float64 { return -6 }, tol: 1,
	},
	{
		// The left half of the face (in the photo) in a shadow of half the light.
		name: "half shaded", rule: "lighting_balance", block: true,
		make: func(src *image.NRGBA, b baseline) image.Image { return shadeLeft(src, b.face, 0.5) },
		want: func(b baseline) float64 { return 0.5 }, tol: 0.08,
	},
	{
		// Recompressed as a chat app might, at JPEG quality 5: blockiness has no
		// natural unit, so the check is that it is well past the blocking limit
		// (the untouched photos read 1.0-1.1). Quality 5 also quantises the colour
		// planes to a few levels: the cheeks' colour may go grey.
		name: "jpeg q5", rule: "compression", jpeg: 5, block: true,
		make: func(src *image.NRGBA, _ baseline) image.Image { return src },
		want: func(baseline) float64 { return 3 }, atLeast: true,
		implied: []string{"skin_a", "skin_b"},
	},
	{
		// Luma pulled 60% towards the face's mean, chroma kept: a hazy, flat photo
		// with the same brightness.
		name: "washed out", rule: "dynamic_range",
		make: func(src *image.NRGBA, b baseline) image.Image { return flatten(src, 0.4, b.value("exposure")) },
		want: func(b baseline) float64 {
			return b.value("dynamic_range") + math.Log2(0.4) // a stop ratio shrinks… roughly
		}, tol: 0.6,
	},
	{
		// A blue cast (red down, blue up), as under a cold light or a bad filter.
		name: "blue cast", rule: "skin_b",
		make: func(src *image.NRGBA, _ baseline) image.Image {
			return mapChannels(src, [3]float64{0.8, 1, 1.35})
		},
		want: func(b baseline) float64 { return b.value("skin_b") - 30 }, tol: 6,
		// less red too
		implied: []string{"skin_a"},
	},
	{
		// The photo at 30% of its size: the face resolves too few pixels.
		name: "small", rule: "face_size", block: true,
		make: func(src *image.NRGBA, _ baseline) image.Image {
			return imageio.Shrink(src, int(0.3*float64(max(src.Rect.Dx(), src.Rect.Dy()))))
		},
		want: func(b baseline) float64 { return 0.3 * b.face.EyeDistance() }, tol: 3,
	},
}

// TestPromiseP5CheckVariants makes controlled variants of a real portrait and checks each
// fails the rule it was made to break, by about the amount it was made to, and no
// rule the untouched photo passed except those it breaks by its nature.
func TestPromiseP5CheckVariants(t *testing.T) {
	cases := []struct {
		kind, photo string
	}{
		{engine.Pure, "hivision-test3.jpg"},   // plain backdrop: runs without models
		{engine.Neural, "hivision-test1.jpg"}, // a street behind: needs IS-Net
	}
	for _, c := range cases {
		t.Run(c.kind+"/"+c.photo, func(t *testing.T) {
			e := openEngine(t, c.kind)
			s := lookup(t, "us-passport")
			src := decodeNRGBA(t, testdata(t, "portraits", c.photo))
			rep, _, err := checkOne(e, encodePNG(t, src), s)
			if err != nil {
				t.Fatalf("untouched photo: %v", err)
			}
			if !rep.Pass {
				t.Fatalf("untouched photo fails: %s", describe(rep.Failed()))
			}
			pigo, err := face.NewPigo(face.PigoConfig{})
			if err != nil {
				t.Fatal(err)
			}
			faces, err := pigo.Detect(context.Background(), src)
			if err != nil || len(faces) != 1 {
				t.Fatalf("untouched photo: %d faces, %v", len(faces), err)
			}
			base := baseline{rep: rep, face: faces[0]}
			t.Logf("untouched: %s", describe(rep.Rules))
			passed := map[string]bool{}
			for _, r := range rep.Rules {
				passed[r.ID] = r.Pass && !r.Skipped
			}
			for _, v := range variants {
				t.Run(v.name, func(t *testing.T) {
					img := v.make(src, base)
					var data []byte
					if v.jpeg > 0 {
						data = encodeJPEG(t, img, v.jpeg)
					} else {
						data = encodePNG(t, img)
					}
					rep, _, err := checkOne(e, data, s)
					if rep == nil {
						t.Fatalf("no report: %v", err)
					}
					if err != nil { // the report is still made from what was measured
						t.Logf("pipeline stopped: %v", err)
					}
					r, ok := rep.Result(v.rule)
					switch {
					case !ok || r.Skipped:
						t.Fatalf("rule %s not measured (%s)", v.rule, r.Message)
					case r.Pass:
						t.Errorf("rule %s passes at %s (allowed %s)", v.rule, r.MeasuredText(), r.AllowedText())
					case v.block && r.Severity != check.Block:
						t.Errorf("rule %s fails at %s but only warns", v.rule, r.MeasuredText())
					}
					if want := v.want(base); v.atLeast && r.Measured < want {
						t.Errorf("rule %s measured %.2f, want %.2f or more", v.rule, r.Measured, want)
					} else if !v.atLeast && math.Abs(r.Measured-want) > v.tol {
						t.Errorf("rule %s measured %.2f, want %.2f ± %.2f", v.rule, r.Measured, want, v.tol)
					}
					t.Logf("%s: %s (%s) %s", v.rule, r.MeasuredText(), r.Severity, r.Message)
					for _, x := range rep.Failed() {
						if x.ID != v.rule && passed[x.ID] && !slices.Contains(v.implied, x.ID) {
							t.Errorf("also fails %s: %s %s", x.ID, x.MeasuredText(), x.Message)
						}
					}
				})
			}
			t.Run("two faces", func(t *testing.T) {
				rep, res, err := checkOne(e, sideBySide(t, testdata(t, "portraits", c.photo)), s)
				var pe *pipeline.Error
				if !errors.As(err, &pe) || pe.Code != pipeline.CodeManyFaces || res != nil {
					t.Fatalf("error %v, want %s", err, pipeline.CodeManyFaces)
				}
				if rep == nil || rep.Pass {
					t.Fatalf("report %+v, want a failing one", rep)
				}
				r, _ := rep.Result("one_face")
				if r.Pass || r.Measured != 2 || r.Severity != check.Block {
					t.Errorf("one_face: %s pass %v %s", r.MeasuredText(), r.Pass, r.Severity)
				}
				if f := rep.Failed(); len(f) != 1 {
					t.Errorf("fails %s, want one_face only", describe(f))
				}
			})
		})
	}
}

func TestCheckInMake(t *testing.T) {
	e := openEngine(t, engine.Pure)
	res, err := makePhoto(t, e, testdata(t, "portraits", "hivision-test3.jpg"), lookup(t, "us-passport"), "white")
	if err != nil {
		t.Fatal(err)
	}
	if res.Report == nil || !res.Report.Pass {
		t.Fatalf("report %+v", res.Report)
	}
	if steps := e.Steps(); steps[len(steps)-1] != "check" {
		t.Errorf("steps %v end before the check", steps)
	}
	// the report holds numbers and words only: no coordinates of the face
	for _, r := range res.Report.Rules {
		for _, s := range []string{r.Message, r.MessageZH} {
			if strings.Contains(s, "face{") || strings.Contains(s, "Point") {
				t.Errorf("%s: %q", r.ID, s)
			}
		}
	}
}

func TestCheckNoFace(t *testing.T) {
	e := openEngine(t, engine.Pure)
	data, err := os.ReadFile(testdata(t, "no-face", "building.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := checkOne(e, data, lookup(t, "cn-idcard"))
	var pe *pipeline.Error
	if !errors.As(err, &pe) || pe.Code != pipeline.CodeNoFace {
		t.Fatalf("error %v", err)
	}
	r, _ := rep.Result("one_face")
	if rep.Pass || r.Pass || r.Measured != 0 {
		t.Errorf("one_face %+v", r)
	}
	if f := rep.Failed(); len(f) != 1 {
		t.Errorf("fails %s, want one_face only", describe(f))
	}
}

// BenchmarkCheck12MP times the check step on a 12 MP photo (the portrait enlarged):
// the report's cost on top of the pipeline, as check-ms/op.
func BenchmarkCheck12MP(b *testing.B) {
	e := openEngine(b, engine.Pure)
	src := decodeNRGBA(b, testdata(b, "portraits", "hivision-test3.jpg"))
	big := enlarge(src, 2930, 4092) // 12.0 MP
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, big, &jpeg.Options{Quality: 92}); err != nil {
		b.Fatal(err)
	}
	s := lookup(b, "cn-idcard")
	bg, _ := compose.ParseBackground("white")
	var total float64
	for b.Loop() {
		res, err := e.Make(context.Background(), bytes.NewReader(buf.Bytes()), pipeline.Request{Spec: s, Background: bg})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range res.Timings {
			if t.Step == "check" {
				total += float64(t.D.Microseconds()) / 1000
			}
		}
	}
	b.ReportMetric(total/float64(b.N), "check-ms/op")
}

func checkOne(e *engine.Engine, data []byte, s spec.Spec) (*check.Report, *pipeline.Result, error) {
	bg, _ := compose.ParseBackground("white")
	return e.Check(context.Background(), bytes.NewReader(data), pipeline.Request{Spec: s, Background: bg})
}

func describe(rs []check.Result) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s=%s(%s)", r.ID, r.MeasuredText(), r.Severity))
	}
	return strings.Join(parts, ", ")
}

func decodeNRGBA(t testing.TB, file string) *image.NRGBA {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := imageio.Decode(f, imageio.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return imageio.ToNRGBA(img)
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func clamp8(v float64) uint8 { return uint8(math.Round(min(255, max(0, v)))) }

// mapRGB applies f to every colour level.
func mapRGB(src *image.NRGBA, f func(float64) float64) *image.NRGBA {
	return mapRGBIn(src, src.Rect, f)
}

// mapRGBIn applies f to the colour levels inside r.
func mapRGBIn(src *image.NRGBA, r image.Rectangle, f func(float64) float64) *image.NRGBA {
	out := image.NewNRGBA(src.Rect)
	copy(out.Pix, src.Pix)
	r = r.Intersect(src.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			o := out.PixOffset(x, y)
			for c := range 3 {
				out.Pix[o+c] = clamp8(f(float64(out.Pix[o+c])))
			}
		}
	}
	return out
}

// shadeLeft darkens the left half of face f (in the photo) to k of its light, with
// soft edges as a real shadow has (a hard-edged rectangle would itself read as a
// block edge).
func shadeLeft(src *image.NRGBA, f face.Face, k float64) *image.NRGBA {
	out := image.NewNRGBA(src.Rect)
	copy(out.Pix, src.Pix)
	mid, d := f.EyeMid(), f.EyeDistance()
	ramp := 0.1 * d
	smooth := func(t float64) float64 { // 0 below -1, 1 above 1
		t = min(max((t+1)/2, 0), 1)
		return t * t * (3 - 2*t)
	}
	for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
		wy := smooth((float64(y)-f.Box.Min.Y)/ramp) * smooth((f.Box.Max.Y-float64(y))/ramp)
		for x := src.Rect.Min.X; x < src.Rect.Max.X; x++ {
			w := wy * smooth((mid.X-float64(x))/ramp) * smooth((float64(x)-f.Box.Min.X)/ramp)
			if w == 0 {
				continue
			}
			o := out.PixOffset(x, y)
			for c := range 3 {
				out.Pix[o+c] = clamp8(float64(out.Pix[o+c]) * (1 - w*(1-k)))
			}
		}
	}
	return out
}

func mapChannels(src *image.NRGBA, k [3]float64) *image.NRGBA {
	out := image.NewNRGBA(src.Rect)
	copy(out.Pix, src.Pix)
	for o := 0; o < len(out.Pix); o += 4 {
		for c := range 3 {
			out.Pix[o+c] = clamp8(k[c] * float64(out.Pix[o+c]))
		}
	}
	return out
}

// flatten pulls luma towards mean by k (k=1 keeps it), keeping the chroma.
func flatten(src *image.NRGBA, k, mean float64) *image.NRGBA {
	out := image.NewNRGBA(src.Rect)
	copy(out.Pix, src.Pix)
	for o := 0; o < len(out.Pix); o += 4 {
		r, g, b := float64(out.Pix[o]), float64(out.Pix[o+1]), float64(out.Pix[o+2])
		y := 0.299*r + 0.587*g + 0.114*b
		d := (k*y + (1-k)*mean) - y
		out.Pix[o], out.Pix[o+1], out.Pix[o+2] = clamp8(r+d), clamp8(g+d), clamp8(b+d)
	}
	return out
}

// blur is a separable Gaussian blur of width sigma pixels.
func blur(src *image.NRGBA, sigma float64) *image.NRGBA {
	rad := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*rad+1)
	s := 0.0
	for i := range k {
		d := float64(i - rad)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		s += k[i]
	}
	for i := range k {
		k[i] /= s
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	pass := func(in *image.NRGBA, dx, dy int) *image.NRGBA {
		out := image.NewNRGBA(in.Rect)
		for y := range h {
			for x := range w {
				var acc [4]float64
				for i, kv := range k {
					sx := min(max(x+(i-rad)*dx, 0), w-1)
					sy := min(max(y+(i-rad)*dy, 0), h-1)
					o := in.PixOffset(sx, sy)
					for c := range 4 {
						acc[c] += kv * float64(in.Pix[o+c])
					}
				}
				o := out.PixOffset(x, y)
				for c := range 4 {
					out.Pix[o+c] = clamp8(acc[c])
				}
			}
		}
		return out
	}
	return pass(pass(src, 1, 0), 0, 1)
}

// enlarge resizes src to w×h by bilinear interpolation.
func enlarge(src *image.NRGBA, w, h int) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		fy := (float64(y)+0.5)*float64(sh)/float64(h) - 0.5
		y0 := min(max(int(math.Floor(fy)), 0), sh-2)
		ty := min(max(fy-float64(y0), 0), 1)
		for x := range w {
			fx := (float64(x)+0.5)*float64(sw)/float64(w) - 0.5
			x0 := min(max(int(math.Floor(fx)), 0), sw-2)
			tx := min(max(fx-float64(x0), 0), 1)
			var c [4]float64
			for ch := range 4 {
				a := float64(src.Pix[src.PixOffset(x0, y0)+ch])*(1-tx) + float64(src.Pix[src.PixOffset(x0+1, y0)+ch])*tx
				b := float64(src.Pix[src.PixOffset(x0, y0+1)+ch])*(1-tx) + float64(src.Pix[src.PixOffset(x0+1, y0+1)+ch])*tx
				c[ch] = a*(1-ty) + b*ty
			}
			out.SetNRGBA(x, y, color.NRGBA{clamp8(c[0]), clamp8(c[1]), clamp8(c[2]), clamp8(c[3])})
		}
	}
	return out
}
