package imageio_test

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio"
)

// genericNRGBA is the slow reference: one At and one Convert per pixel.
func genericNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(x-b.Min.X, y-b.Min.Y, color.NRGBAModel.Convert(img.At(x, y)))
		}
	}
	return dst
}

func randomPix(rng *rand.Rand, p []uint8) {
	for i := range p {
		p[i] = uint8(rng.UintN(256))
	}
}

func TestToNRGBAMatchesGenericPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Odd sizes and a sub-image with odd origin exercise the chroma index.
	rect := image.Rect(0, 0, 37, 23)
	sub := image.Rect(3, 5, 30, 20)

	var cases []struct {
		name string
		img  image.Image
		tol  int // allowed difference per channel
	}
	add := func(name string, img image.Image, tol int) {
		cases = append(cases, struct {
			name string
			img  image.Image
			tol  int
		}{name, img, tol})
	}
	for _, r := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		m := image.NewYCbCr(rect, r)
		randomPix(rng, m.Y)
		randomPix(rng, m.Cb)
		randomPix(rng, m.Cr)
		add("ycbcr "+r.String(), m, 0)
		add("ycbcr sub "+r.String(), m.SubImage(sub), 0)
		a := image.NewNYCbCrA(rect, r)
		randomPix(rng, a.Y)
		randomPix(rng, a.Cb)
		randomPix(rng, a.Cr)
		randomPix(rng, a.A)
		add("nycbcra "+r.String(), a, 0)
		add("nycbcra sub "+r.String(), a.SubImage(sub), 0)
	}
	rgba := image.NewRGBA(rect)
	randomPix(rng, rgba.Pix)
	for i := 0; i < len(rgba.Pix); i += 4 { // valid premultiplied data
		a := rgba.Pix[i+3]
		rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2] = min(rgba.Pix[i], a), min(rgba.Pix[i+1], a), min(rgba.Pix[i+2], a)
	}
	add("rgba", rgba, 1) // 8-bit rounding differs from the 16-bit model by one
	add("rgba sub", rgba.SubImage(sub), 1)
	nrgba := image.NewNRGBA(rect)
	randomPix(rng, nrgba.Pix)
	add("nrgba sub", nrgba.SubImage(sub), 0)
	gray := image.NewGray(rect)
	randomPix(rng, gray.Pix)
	add("gray", gray, 0)
	add("gray sub", gray.SubImage(sub), 0)
	g16 := image.NewGray16(rect)
	randomPix(rng, g16.Pix)
	add("gray16 (generic)", g16, 0)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, want := imageio.ToNRGBA(c.img), genericNRGBA(c.img)
			if m, ok := c.img.(*image.NYCbCrA); ok {
				// The generic path goes through premultiplied 16-bit colour
				// and loses precision; NYCbCrA is straight alpha, so colour
				// and alpha convert independently.
				want = genericNRGBA(&m.YCbCr)
				for y := 0; y < m.Rect.Dy(); y++ {
					for x := 0; x < m.Rect.Dx(); x++ {
						want.Pix[want.PixOffset(x, y)+3] = m.A[m.AOffset(m.Rect.Min.X+x, m.Rect.Min.Y+y)]
					}
				}
			}
			if got.Rect != want.Rect {
				t.Fatalf("bounds %v, want %v", got.Rect, want.Rect)
			}
			for i := range want.Pix {
				d := int(got.Pix[i]) - int(want.Pix[i])
				if d > c.tol || d < -c.tol {
					t.Fatalf("byte %d (pixel %d,%d) = %d, want %d", i, (i/4)%want.Rect.Dx(), (i/4)/want.Rect.Dx(), got.Pix[i], want.Pix[i])
				}
			}
		})
	}
}

func TestToNRGBAReturnsNRGBAAsIs(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	if imageio.ToNRGBA(m) != m {
		t.Error("an NRGBA at the origin was copied")
	}
}

func fill(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

func TestShrinkSize(t *testing.T) {
	tests := []struct {
		w, h, max    int
		wantW, wantH int
	}{
		{4000, 3000, 1000, 1000, 750},
		{3000, 4000, 1000, 750, 1000},
		{1000, 1000, 1000, 1000, 1000}, // already small: same image
		{10, 5, 100, 10, 5},
		{5000, 3, 100, 100, 1}, // never 0 rows
		{7, 7, 3, 3, 3},
		{100, 80, 0, 100, 80}, // no limit
	}
	for _, tt := range tests {
		src := fill(tt.w, tt.h, color.NRGBA{10, 200, 30, 255})
		got := imageio.Shrink(src, tt.max)
		if got.Rect.Dx() != tt.wantW || got.Rect.Dy() != tt.wantH {
			t.Errorf("Shrink(%dx%d, %d) = %v, want %dx%d", tt.w, tt.h, tt.max, got.Rect.Size(), tt.wantW, tt.wantH)
		}
		if (tt.w <= tt.max && tt.h <= tt.max || tt.max <= 0) && got != src {
			t.Errorf("Shrink(%dx%d, %d) copied an image that was small enough", tt.w, tt.h, tt.max)
		}
		// A flat colour stays exactly that colour.
		for i := 0; i < len(got.Pix); i += 4 {
			if c := (color.NRGBA{got.Pix[i], got.Pix[i+1], got.Pix[i+2], got.Pix[i+3]}); c != (color.NRGBA{10, 200, 30, 255}) {
				t.Fatalf("Shrink(%dx%d, %d): pixel %d = %v", tt.w, tt.h, tt.max, i/4, c)
			}
		}
	}
}

func TestShrinkAverages(t *testing.T) {
	tests := []struct {
		name string
		src  []uint8 // 4x1 grey values, opaque
		max  int
		want []uint8
	}{
		{"halve", []uint8{0, 100, 200, 250}, 2, []uint8{50, 225}},
		// 4 → 3: each output covers 4/3 of an input pixel.
		{"fractional", []uint8{0, 120, 240, 255}, 3, []uint8{30, 180, 251}},
		{"to one", []uint8{0, 100, 200, 100}, 1, []uint8{100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := image.NewNRGBA(image.Rect(0, 0, len(tt.src), 1))
			for i, v := range tt.src {
				src.SetNRGBA(i, 0, color.NRGBA{v, v, v, 255})
			}
			got := imageio.Shrink(src, tt.max)
			for i, v := range tt.want {
				if c := got.NRGBAAt(i, 0); c.R != v || c.A != 255 {
					t.Errorf("pixel %d = %v, want grey %d", i, c, v)
				}
			}
		})
	}
}

func TestShrinkWeightsByAlpha(t *testing.T) {
	// A white opaque pixel next to a transparent black one: the average
	// keeps the white colour at half coverage instead of turning grey.
	src := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	src.SetNRGBA(0, 0, color.NRGBA{255, 255, 255, 255})
	src.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 0})
	got := imageio.Shrink(src, 1).NRGBAAt(0, 0)
	if got != (color.NRGBA{255, 255, 255, 128}) {
		t.Errorf("got %v, want white at alpha 128", got)
	}
	// Fully transparent stays fully transparent.
	if got := imageio.Shrink(image.NewNRGBA(image.Rect(0, 0, 4, 4)), 2).NRGBAAt(1, 1); got != (color.NRGBA{}) {
		t.Errorf("transparent became %v", got)
	}
}
