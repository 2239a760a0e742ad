package sheet_test

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/idphoto/idphoto/internal/sheet"
)

func paper(t testing.TB, id string) sheet.Paper {
	t.Helper()
	p, err := sheet.LookupPaper(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pattern is a w×h opaque image whose every pixel says where it is.
func pattern(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y>>1), 0xFF})
		}
	}
	return img
}

func uniform(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func TestPapers(t *testing.T) {
	tests := []struct {
		id   string
		w, h int
	}{
		{"6in", 1795, 1205},
		{"5in", 1500, 1051},
		{"A4", 3508, 2480}, // 210 mm at 300 DPI is 2480.3 px
	}
	for _, tt := range tests {
		w, h := paper(t, tt.id).SizePx()
		if w != tt.w || h != tt.h {
			t.Errorf("%s: %dx%d px, want %dx%d", tt.id, w, h, tt.w, tt.h)
		}
	}
	if _, err := sheet.LookupPaper("7in"); !errors.Is(err, sheet.ErrUnknownPaper) {
		t.Errorf("LookupPaper(7in) err = %v", err)
	}
	if len(sheet.Papers()) != 3 {
		t.Error("Papers does not list three papers")
	}
}

// checkLayout proves the invariants every layout keeps.
func checkLayout(t *testing.T, l sheet.Layout, opt sheet.Options, n int) {
	t.Helper()
	pw, ph := opt.Paper.SizePx()
	if l.Turned {
		pw, ph = ph, pw
	}
	if l.Width != pw || l.Height != ph {
		t.Fatalf("layout %dx%d, paper %dx%d", l.Width, l.Height, pw, ph)
	}
	m := int(math.Round(opt.MarginMM / 25.4 * float64(opt.Paper.DPI)))
	inner := image.Rect(m, m, pw-m, ph-m)
	counts := make([]int, n)
	for i, a := range l.Placements {
		if !a.Rect.In(inner) {
			t.Errorf("placement %d %v leaves the paper less margin %v", i, a.Rect, inner)
		}
		for j, b := range l.Placements[:i] {
			if a.Rect.Overlaps(b.Rect) {
				t.Errorf("placements %d %v and %d %v overlap", i, a.Rect, j, b.Rect)
			}
		}
		counts[a.Photo]++
	}
	for i := range counts {
		if counts[i] != l.Counts[i] {
			t.Errorf("photo %d: %d placements, Counts says %d", i, counts[i], l.Counts[i])
		}
	}
}

func TestPlanCounts(t *testing.T) {
	mm := func(w, h float64) sheet.Photo { return sheet.Photo{WidthMM: w, HeightMM: h} }
	tests := []struct {
		name   string
		paper  string
		photos []sheet.Photo
		copies int
		want   []int
		turned bool
	}{
		// Studios print 10 (5x2) with wide borders; 2 mm gaps fit 3x4 on the paper turned.
		{"1-inch on 6in", "6in", []sheet.Photo{mm(25, 35)}, 0, []int{12}, true},
		{"2-inch on 6in", "6in", []sheet.Photo{mm(35, 53)}, 0, []int{4}, false},
		{"small 2-inch on 6in", "6in", []sheet.Photo{mm(35, 45)}, 0, []int{8}, false},
		{"ID card on 6in", "6in", []sheet.Photo{mm(26, 32)}, 0, []int{12}, true},
		{"1-inch on 5in", "5in", []sheet.Photo{mm(25, 35)}, 0, []int{9}, true},
		{"1-inch on A4", "a4", []sheet.Photo{mm(25, 35)}, 0, []int{50}, false},
		{"capped copies", "6in", []sheet.Photo{mm(25, 35)}, 2, []int{2}, false},
		// 2-inch first in their own row (4), then a row of 1-inch (5)
		{"mixed 1+2 inch on 6in", "6in", []sheet.Photo{mm(25, 35), mm(35, 53)}, 0, []int{5, 4}, false},
		{"mixed capped", "6in", []sheet.Photo{mm(25, 35), mm(35, 53)}, 2, []int{2, 2}, false},
		// turned: a row of 2x2 in (3) with one 33x48 in its spare width, a row of
		// 33x48 (5) with one 1-inch, then five rows of seven 1-inch
		{"three sizes on A4", "a4", []sheet.Photo{mm(25, 35), mm(33, 48), mm(50.8, 50.8)}, 0, []int{36, 6, 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := sheet.DefaultOptions(paper(t, tt.paper))
			opt.Copies = tt.copies
			l, err := sheet.Plan(tt.photos, opt)
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, l, opt, len(tt.photos))
			if fmt.Sprint(l.Counts) != fmt.Sprint(tt.want) || l.Turned != tt.turned {
				t.Errorf("counts %v turned %v, want %v turned %v", l.Counts, l.Turned, tt.want, tt.turned)
			}
		})
	}
}

func TestOneInchFitsTenOnSixInch(t *testing.T) {
	l, err := sheet.Plan([]sheet.Photo{{WidthMM: 25, HeightMM: 35}}, sheet.DefaultOptions(paper(t, "6in")))
	if err != nil {
		t.Fatal(err)
	}
	if l.Counts[0] < 10 {
		t.Errorf("%d copies of a 1-inch photo on 6in, want at least 10", l.Counts[0])
	}
	for _, p := range l.Placements { // upright: taller than wide, as given
		if p.Rect.Dx() != 295 || p.Rect.Dy() != 413 {
			t.Errorf("placed %v, want 295x413 upright", p.Rect)
		}
	}
}

func TestPromiseP7SheetRenderPixels(t *testing.T) {
	src := [...]*image.NRGBA{pattern(295, 413), uniform(413, 626, color.NRGBA{10, 200, 30, 255})}
	photos := []sheet.Photo{
		{Img: src[0], WidthMM: 25, HeightMM: 35},
		{Img: src[1], WidthMM: 35, HeightMM: 53},
	}
	for _, marks := range []bool{false, true} {
		t.Run(fmt.Sprintf("marks=%v", marks), func(t *testing.T) {
			opt := sheet.DefaultOptions(paper(t, "6in"))
			opt.CropMarks = marks
			img, l, err := sheet.Render(photos, opt)
			if err != nil {
				t.Fatal(err)
			}
			if img.Rect != image.Rect(0, 0, 1795, 1205) || l.Width != 1795 || l.Height != 1205 {
				t.Fatalf("sheet %v, layout %dx%d", img.Rect, l.Width, l.Height)
			}
			inside := make([]bool, l.Width*l.Height)
			for _, p := range l.Placements {
				s := src[p.Photo]
				for y := p.Rect.Min.Y; y < p.Rect.Max.Y; y++ {
					for x := p.Rect.Min.X; x < p.Rect.Max.X; x++ {
						inside[y*l.Width+x] = true
						got := img.NRGBAAt(x, y)
						want := s.NRGBAAt(x-p.Rect.Min.X, y-p.Rect.Min.Y)
						if got != want {
							t.Fatalf("photo %d at (%d,%d): %v, want %v", p.Photo, x, y, got, want)
						}
					}
				}
			}
			white, grey := color.NRGBA{255, 255, 255, 255}, color.NRGBA{0xA0, 0xA0, 0xA0, 255}
			greys := 0
			for y := 0; y < l.Height; y++ {
				for x := 0; x < l.Width; x++ {
					if inside[y*l.Width+x] {
						continue
					}
					switch c := img.NRGBAAt(x, y); {
					case c == white:
					case c == grey && marks:
						greys++
					default:
						t.Fatalf("paper at (%d,%d) is %v", x, y, c)
					}
				}
			}
			if marks {
				// a mark continues each photo's top edge to the left, 4 px clear of it
				for _, p := range l.Placements {
					if c := img.NRGBAAt(p.Rect.Min.X-4, p.Rect.Min.Y); c != grey {
						t.Errorf("no crop mark left of %v: %v", p.Rect, c)
					}
				}
				if greys == 0 {
					t.Error("no crop marks drawn")
				}
			}
		})
	}
}

func TestRenderResamples(t *testing.T) {
	tests := []struct {
		name string
		img  image.Image
		want color.NRGBA
	}{
		{"twice the size", uniform(590, 826, color.NRGBA{200, 40, 40, 255}), color.NRGBA{200, 40, 40, 255}},
		{"half the size", uniform(148, 207, color.NRGBA{40, 40, 200, 255}), color.NRGBA{40, 40, 200, 255}},
		{"transparent", uniform(295, 413, color.NRGBA{0, 0, 0, 0}), color.NRGBA{255, 255, 255, 255}},
		{"gray source", image.NewGray(image.Rect(0, 0, 300, 420)), color.NRGBA{0, 0, 0, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := sheet.DefaultOptions(paper(t, "6in"))
			opt.Copies = 1
			img, l, err := sheet.Render([]sheet.Photo{{Img: tt.img, WidthMM: 25, HeightMM: 35}}, opt)
			if err != nil {
				t.Fatal(err)
			}
			r := l.Placements[0].Rect
			if r.Dx() != 295 || r.Dy() != 413 {
				t.Fatalf("placed %v, want 295x413", r)
			}
			for _, p := range []image.Point{r.Min, r.Max.Sub(image.Pt(1, 1)), r.Min.Add(r.Max).Div(2)} {
				if got := img.NRGBAAt(p.X, p.Y); got != tt.want {
					t.Errorf("at %v: %v, want %v", p, got, tt.want)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	six := paper(t, "6in")
	ok := sheet.Photo{Img: uniform(295, 413, color.NRGBA{1, 2, 3, 255}), WidthMM: 25, HeightMM: 35}
	with := func(f func(*sheet.Options)) sheet.Options {
		o := sheet.DefaultOptions(six)
		f(&o)
		return o
	}
	tests := []struct {
		name   string
		photos []sheet.Photo
		opt    sheet.Options
		want   error
	}{
		{"no photos", nil, sheet.DefaultOptions(six), sheet.ErrNoPhotos},
		{"larger than paper", []sheet.Photo{{Img: ok.Img, WidthMM: 160, HeightMM: 90}}, sheet.DefaultOptions(six), sheet.ErrTooLarge},
		{"fills the margin", []sheet.Photo{{Img: ok.Img, WidthMM: 150, HeightMM: 100}}, sheet.DefaultOptions(six), sheet.ErrTooLarge},
		{"no room for both", []sheet.Photo{{Img: ok.Img, WidthMM: 140, HeightMM: 60}, {Img: ok.Img, WidthMM: 140, HeightMM: 60}}, sheet.DefaultOptions(six), sheet.ErrNoRoom},
		{"no size", []sheet.Photo{{Img: ok.Img}}, sheet.DefaultOptions(six), sheet.ErrBadOption},
		{"tiny", []sheet.Photo{{Img: ok.Img, WidthMM: 0.1, HeightMM: 0.1}}, sheet.DefaultOptions(six), sheet.ErrBadOption},
		{"NaN size", []sheet.Photo{{Img: ok.Img, WidthMM: math.NaN(), HeightMM: 35}}, sheet.DefaultOptions(six), sheet.ErrBadOption},
		{"nil image", []sheet.Photo{{WidthMM: 25, HeightMM: 35}}, sheet.DefaultOptions(six), sheet.ErrBadOption},
		{"negative gap", []sheet.Photo{ok}, with(func(o *sheet.Options) { o.GapMM = -1 }), sheet.ErrBadOption},
		{"NaN margin", []sheet.Photo{ok}, with(func(o *sheet.Options) { o.MarginMM = math.NaN() }), sheet.ErrBadOption},
		{"huge margin", []sheet.Photo{ok}, with(func(o *sheet.Options) { o.MarginMM = 60 }), sheet.ErrBadOption},
		{"negative copies", []sheet.Photo{ok}, with(func(o *sheet.Options) { o.Copies = -1 }), sheet.ErrBadOption},
		{"no paper", []sheet.Photo{ok}, sheet.Options{}, sheet.ErrBadOption},
		{"huge paper", []sheet.Photo{ok}, with(func(o *sheet.Options) { o.Paper = sheet.Paper{WidthMM: 900, HeightMM: 900, DPI: 1200} }), sheet.ErrBadOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := sheet.Render(tt.photos, tt.opt); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzPlan feeds Plan arbitrary sizes and options: it must either refuse them or give a
// layout that keeps every invariant.
func FuzzPlan(f *testing.F) {
	f.Add(25.0, 35.0, 0.0, 0.0, 2.0, 2.0, 0, uint8(0))
	f.Add(25.0, 35.0, 35.0, 53.0, 2.0, 2.0, 0, uint8(0))
	f.Add(12.19, 16.26, 50.8, 50.8, 0.0, 0.0, 3, uint8(2))
	f.Add(150.0, 100.0, 0.0, 0.0, 0.0, 1.0, 0, uint8(1))
	f.Fuzz(func(t *testing.T, w1, h1, w2, h2, gap, margin float64, copies int, p uint8) {
		papers := sheet.Papers()
		opt := sheet.Options{Paper: papers[int(p)%len(papers)], GapMM: gap, MarginMM: margin, Copies: copies}
		photos := []sheet.Photo{{WidthMM: w1, HeightMM: h1}}
		if w2 != 0 || h2 != 0 {
			photos = append(photos, sheet.Photo{WidthMM: w2, HeightMM: h2})
		}
		l, err := sheet.Plan(photos, opt)
		if err != nil {
			return
		}
		checkLayout(t, l, opt, len(photos))
		for i, c := range l.Counts {
			if c < 1 || (copies > 0 && c > copies) {
				t.Fatalf("photo %d: %d copies (cap %d)", i, c, copies)
			}
		}
	})
}

func BenchmarkRender(b *testing.B) {
	for _, id := range []string{"6in", "a4"} {
		b.Run(id, func(b *testing.B) {
			opt := sheet.DefaultOptions(paper(b, id))
			photos := []sheet.Photo{{Img: pattern(295, 413), WidthMM: 25, HeightMM: 35}}
			for b.Loop() {
				if _, _, err := sheet.Render(photos, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("6in-resample", func(b *testing.B) {
		opt := sheet.DefaultOptions(paper(b, "6in"))
		photos := []sheet.Photo{{Img: pattern(600, 840), WidthMM: 25, HeightMM: 35}}
		for b.Loop() {
			if _, _, err := sheet.Render(photos, opt); err != nil {
				b.Fatal(err)
			}
		}
	})
}
