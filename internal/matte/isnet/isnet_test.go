package isnet_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/idphoto/idphoto/internal/matte"
	"github.com/idphoto/idphoto/internal/matte/isnet"
	"github.com/idphoto/idphoto/internal/matte/mattetest"
	"github.com/idphoto/idphoto/internal/models"
	"github.com/idphoto/idphoto/internal/onnx"
)

const repoRoot = "../../.."

// shared is one loaded model for all tests, loaded on first use: loading and warming
// up costs seconds. TestMain closes it.
var shared struct {
	once sync.Once
	rt   *onnx.Runtime
	m    *isnet.Matter
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.m != nil {
		if err := shared.m.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	if shared.rt != nil {
		if err := shared.rt.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// matter returns the shared model, skipping when the models are not installed
// ('idphoto models pull') or in -short mode (each run takes about a second).
func matter(tb testing.TB) *isnet.Matter {
	tb.Helper()
	if testing.Short() {
		tb.Skip("IS-Net runs skipped in -short mode")
	}
	shared.once.Do(func() {
		paths, err := models.Locate(models.DefaultDir())
		if err != nil {
			shared.err = err
			return
		}
		if shared.rt, err = onnx.Open(onnx.Config{LibraryPath: paths.ORTLib}); err != nil {
			shared.err = err
			return
		}
		shared.m, shared.err = isnet.New(shared.rt, paths.ISNet, isnet.DefaultConfig())
	})
	if shared.err != nil {
		tb.Skipf("IS-Net not available: %v", shared.err)
	}
	return shared.m
}

func TestConformance(t *testing.T) {
	mattetest.Run(t, matter(t), mattetest.Portraits(repoRoot))
}

// On every portrait the face centre is person and the top corners, all of them
// backdrop in these photos, are clear.
func TestPortraits(t *testing.T) {
	m := matter(t)
	for _, p := range mattetest.Portraits(repoRoot) {
		t.Run(filepath.Base(p.Path), func(t *testing.T) {
			img := mattetest.Load(t, p.Path)
			alpha, err := m.Matte(context.Background(), img, p.Hint())
			if err != nil {
				t.Fatal(err)
			}
			c := p.Face.Center()
			if a := alpha.GrayAt(int(c.X), int(c.Y)).Y; a <= 230 {
				t.Errorf("face centre alpha %d, want > 230", a)
			}
			b := alpha.Rect
			for _, pt := range []image.Point{{b.Min.X + 2, b.Min.Y + 2}, {b.Max.X - 3, b.Min.Y + 2}} {
				if a := alpha.GrayAt(pt.X, pt.Y).Y; a >= 25 {
					t.Errorf("top corner %v alpha %d, want < 25", pt, a)
				}
			}
		})
	}
}

// The whole chain (IS-Net, Refine, Foreground) composited on the ID-photo blue leaves
// no trace of the old wall in the corners.
func TestChainOnBlue(t *testing.T) {
	m := matter(t)
	p := mattetest.Portraits(repoRoot)[0]
	img := mattetest.Load(t, p.Path)
	alpha, err := m.Matte(context.Background(), img, p.Hint())
	if err != nil {
		t.Fatal(err)
	}
	fg := matte.Foreground(img, matte.Refine(img, alpha))
	blue := color.NRGBA{0x43, 0x8E, 0xDB, 255}
	b := fg.Rect
	for _, pt := range []image.Point{{b.Min.X, b.Min.Y}, {b.Max.X - 1, b.Min.Y}, {b.Min.X + 10, b.Min.Y + 10}, {b.Max.X - 11, b.Min.Y + 10}} {
		c := fg.NRGBAAt(pt.X, pt.Y)
		a := float64(c.A) / 255
		for i, want := range []uint8{blue.R, blue.G, blue.B} {
			got := a*float64([]uint8{c.R, c.G, c.B}[i]) + (1-a)*float64(want)
			if math.Abs(got-float64(want)) > 3 {
				t.Errorf("corner %v composited channel %d = %.0f, want %d within 3", pt, i, got, want)
			}
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  isnet.Config
	}{
		{"negative pool", isnet.Config{Pool: -1}},
		{"huge warm-up", isnet.Config{WarmUp: 100}},
		{"negative crop", isnet.Config{Width: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); err == nil {
				t.Error("Validate: no error")
			}
			if _, err := isnet.New(nil, "unused.onnx", tc.cfg); err == nil {
				t.Error("New: no error")
			}
		})
	}
	if err := isnet.DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// BenchmarkMatte is one Matte call on each portrait, model warm (2 threads per run).
func BenchmarkMatte(b *testing.B) {
	m := matter(b)
	for _, p := range mattetest.Portraits(repoRoot)[:2] {
		img := mattetest.Load(b, p.Path)
		b.Run(filepath.Base(p.Path), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Matte(context.Background(), img, p.Hint()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
