package matte_test

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/image/draw"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/matte"
	"github.com/idphoto/idphoto/internal/matte/mattetest"
)

const repoRoot = "../.."

func TestBackdropConformance(t *testing.T) {
	mattetest.Run(t, matte.NewBackdrop(matte.BackdropConfig{}), mattetest.Portraits(repoRoot))
}

// Only hivision-test3 has a plain wall; the others are a street, a room, a studio with
// a flag and a spaceship model, and a football crowd.
func TestBackdropAcceptsOnlyPlainWalls(t *testing.T) {
	m := matte.NewBackdrop(matte.BackdropConfig{})
	for _, p := range mattetest.Portraits(repoRoot) {
		t.Run(filepath.Base(p.Path), func(t *testing.T) {
			_, err := m.Matte(context.Background(), mattetest.Load(t, p.Path), p.Hint())
			switch {
			case p.Plain && err != nil:
				t.Errorf("plain wall refused: %v", err)
			case !p.Plain && !errors.Is(err, matte.ErrBusyBackground):
				t.Errorf("busy backdrop: got %v, want ErrBusyBackground", err)
			}
		})
	}
}

func TestBackdropPlainWallPoints(t *testing.T) {
	p := mattetest.Portraits(repoRoot)[0]
	img := mattetest.Load(t, p.Path)
	alpha, err := matte.NewBackdrop(matte.BackdropConfig{}).Matte(context.Background(), img, p.Hint())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		x, y int
		want uint8
	}{
		{"top left", 2, 2, 0}, {"top right", 509, 2, 0},
		{"wall left of head", 40, 200, 0}, {"wall right of head", 470, 250, 0},
		{"above head", 250, 3, 0}, {"forehead", 250, 160, 255}, {"hair", 130, 300, 255},
		{"jacket", 250, 650, 255}, {"shoulder", 40, 600, 255},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := alpha.GrayAt(tc.x, tc.y).Y; got != tc.want {
				t.Errorf("alpha %d, want %d", got, tc.want)
			}
		})
	}
}

// The whole chain on the plain wall, composited on the ID-photo blue, leaves no trace
// of the old wall in the corners.
func TestBackdropRefineForegroundOnBlue(t *testing.T) {
	p := mattetest.Portraits(repoRoot)[0]
	img := mattetest.Load(t, p.Path)
	alpha, err := matte.NewBackdrop(matte.BackdropConfig{}).Matte(context.Background(), img, p.Hint())
	if err != nil {
		t.Fatal(err)
	}
	out := over(matte.Foreground(img, matte.Refine(img, alpha)), color.NRGBA{0x43, 0x8E, 0xDB, 255})
	b := out.Rect
	for _, pt := range []image.Point{{b.Min.X, b.Min.Y}, {b.Max.X - 1, b.Min.Y}, {b.Min.X + 10, b.Min.Y + 10}, {b.Max.X - 11, b.Min.Y + 10}} {
		c := out.NRGBAAt(pt.X, pt.Y)
		for i, want := range []uint8{0x43, 0x8E, 0xDB} {
			if got := []uint8{c.R, c.G, c.B}[i]; absDiff(got, want) > 3 {
				t.Errorf("corner %v: %v, want #438EDB within 3", pt, c)
				break
			}
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// Synthetic scenes: a lit wall (a lightness gradient) with a person-like shape is
// matted close to the truth; a textured or two-coloured border is refused.
func TestBackdropSynthetic(t *testing.T) {
	const w, h = 300, 400
	person := func(x, y int) bool {
		fx, fy := float64(x), float64(y)
		head := math.Hypot((fx-150)/60, (fy-150)/80) <= 1
		body := fy >= 215 && math.Abs(fx-150) <= 40+(fy-215)*0.8
		return head || body
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name string
		wall func(x, y int) color.NRGBA
		busy bool
	}{
		{"lit grey wall", func(x, y int) color.NRGBA {
			v := uint8(200 + x*40/w)
			return color.NRGBA{v, v, v - 5, 255}
		}, false},
		{"blue wall with noise", func(x, y int) color.NRGBA {
			n := uint8(rng.IntN(5))
			return color.NRGBA{60 + n, 120 + n, 200 + n, 255}
		}, false},
		{"textured", func(x, y int) color.NRGBA {
			v := uint8(80 + rng.IntN(150))
			return color.NRGBA{v, uint8(rng.IntN(255)), v, 255}
		}, true},
		{"two colours", func(x, y int) color.NRGBA {
			if x < w/2 {
				return color.NRGBA{230, 230, 230, 255}
			}
			return color.NRGBA{200, 60, 40, 255}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewNRGBA(image.Rect(0, 0, w, h))
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					c := tc.wall(x, y)
					if person(x, y) {
						c = color.NRGBA{90, 50, 40, 255}
					}
					img.SetNRGBA(x, y, c)
				}
			}
			hint := matte.Hint{Face: face.Face{Box: face.Rect{Min: face.Point{X: 100, Y: 90}, Max: face.Point{X: 200, Y: 210}}}}
			alpha, err := matte.NewBackdrop(matte.BackdropConfig{}).Matte(context.Background(), img, hint)
			if tc.busy {
				if !errors.Is(err, matte.ErrBusyBackground) {
					t.Fatalf("got %v, want ErrBusyBackground", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wrong := 0
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if (alpha.GrayAt(x, y).Y >= 128) != person(x, y) {
						wrong++
					}
				}
			}
			if frac := float64(wrong) / (w * h); frac > 0.002 {
				t.Errorf("%.3f%% of pixels misclassified", 100*frac)
			}
		})
	}
}

func TestBackdropHolesFilled(t *testing.T) {
	// A person with a patch of wall-coloured shirt: the patch is enclosed, so person.
	const w, h = 200, 260
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{235, 235, 235, 255}
			if x >= 50 && x < 150 && y >= 40 {
				c = color.NRGBA{30, 30, 60, 255}
				if x >= 80 && x < 120 && y >= 160 && y < 220 {
					c = color.NRGBA{235, 235, 235, 255}
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	hint := matte.Hint{Face: face.Face{Box: face.Rect{Min: face.Point{X: 70, Y: 60}, Max: face.Point{X: 130, Y: 130}}}}
	alpha, err := matte.NewBackdrop(matte.BackdropConfig{}).Matte(context.Background(), img, hint)
	if err != nil {
		t.Fatal(err)
	}
	if a := alpha.GrayAt(100, 190).Y; a != 255 {
		t.Errorf("enclosed patch alpha %d, want 255", a)
	}
	if a := alpha.GrayAt(20, 190).Y; a != 0 {
		t.Errorf("wall alpha %d, want 0", a)
	}
}

func TestBackdropConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  matte.BackdropConfig
		ok   bool
	}{
		{"zero", matte.BackdropConfig{}, true},
		{"defaults", matte.DefaultBackdropConfig(), true},
		{"wide border", matte.BackdropConfig{Border: 0.5}, false},
		{"negative distance", matte.BackdropConfig{Near: -1}, false},
		{"off-model fraction 1", matte.BackdropConfig{MaxOffModel: 1}, false},
		{"lightness weight 3", matte.BackdropConfig{LightnessWeight: 3}, false},
		{"face fraction 2", matte.BackdropConfig{MinFace: 2}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// FuzzBackdrop feeds arbitrary small images and face boxes: no panic, and either an
// error or an alpha with the image's bounds.
func FuzzBackdrop(f *testing.F) {
	f.Add(uint8(16), uint8(16), int16(4), int16(4), int16(12), int16(12), []byte{200, 10, 30})
	f.Add(uint8(9), uint8(40), int16(-5), int16(-5), int16(3), int16(3), []byte{0})
	f.Add(uint8(64), uint8(3), int16(10), int16(1), int16(9), int16(2), []byte{255, 255, 255, 0})
	f.Add(uint8(32), uint8(32), int16(0), int16(0), int16(32), int16(32), []byte{})
	m := matte.NewBackdrop(matte.BackdropConfig{})
	f.Fuzz(func(t *testing.T, w, h uint8, x0, y0, x1, y1 int16, pix []byte) {
		img := fuzzImage(int(w), int(h), pix)
		hint := matte.Hint{Face: face.Face{Box: face.Rect{
			Min: face.Point{X: float64(x0), Y: float64(y0)}, Max: face.Point{X: float64(x1), Y: float64(y1)},
		}}}
		alpha, err := m.Matte(context.Background(), img, hint)
		if err == nil && alpha.Rect != img.Bounds() {
			t.Fatalf("alpha bounds %v, image %v", alpha.Rect, img.Bounds())
		}
		if err != nil {
			return
		}
		if r := matte.Refine(img, alpha); r.Rect != img.Bounds() {
			t.Fatalf("refined bounds %v", r.Rect)
		}
		if fg := matte.Foreground(img, alpha); fg.Rect != img.Bounds() {
			t.Fatalf("foreground bounds %v", fg.Rect)
		}
	})
}

// fuzzImage tiles pix over a w x h RGB image (a plain grey one when pix is empty).
func fuzzImage(w, h int, pix []byte) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		c := [3]byte{128, 128, 128}
		for k := range c {
			if len(pix) > 0 {
				c[k] = pix[(3*i+k)%len(pix)]
			}
		}
		copy(img.Pix[4*i:], []byte{c[0], c[1], c[2], 255})
	}
	return img
}

// BenchmarkBackdrop mattes the plain-wall portrait at its size and scaled to the
// largest working size the pipeline hands over (1600 px long side).
func BenchmarkBackdrop(b *testing.B) {
	p := mattetest.Portraits(repoRoot)[0]
	img := mattetest.Load(b, p.Path)
	for _, long := range []int{715, 1600} {
		b.Run(filepath.Base(p.Path)+"@"+strconv.Itoa(long), func(b *testing.B) {
			src, hint := scaled(img, p, long)
			m := matte.NewBackdrop(matte.BackdropConfig{})
			b.ResetTimer()
			for b.Loop() {
				if _, err := m.Matte(context.Background(), src, hint); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRefineForeground(b *testing.B) {
	p := mattetest.Portraits(repoRoot)[0]
	img := mattetest.Load(b, p.Path)
	for _, long := range []int{715, 1600} {
		src, hint := scaled(img, p, long)
		alpha, err := matte.NewBackdrop(matte.BackdropConfig{}).Matte(context.Background(), src, hint)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("refine@"+strconv.Itoa(long), func(b *testing.B) {
			for b.Loop() {
				matte.Refine(src, alpha)
			}
		})
		b.Run("foreground@"+strconv.Itoa(long), func(b *testing.B) {
			for b.Loop() {
				matte.Foreground(src, alpha)
			}
		})
	}
}

func scaled(img image.Image, p mattetest.Photo, long int) (image.Image, matte.Hint) {
	b := img.Bounds()
	s := float64(long) / float64(max(b.Dx(), b.Dy()))
	dst := image.NewRGBA(image.Rect(0, 0, int(float64(b.Dx())*s+0.5), int(float64(b.Dy())*s+0.5)))
	draw.BiLinear.Scale(dst, dst.Rect, img, b, draw.Src, nil)
	hint := p.Hint()
	box := &hint.Face.Box
	box.Min.X, box.Min.Y, box.Max.X, box.Max.Y = box.Min.X*s, box.Min.Y*s, box.Max.X*s, box.Max.Y*s
	return dst, hint
}
