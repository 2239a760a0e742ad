package imageio_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio"
)

// ShrinkImage must give what ToNRGBA then Shrink give, without the full-size copy.
func TestShrinkImageMatchesTwoPasses(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422} {
		m := image.NewYCbCr(image.Rect(0, 0, 301, 203), ratio)
		for i := range m.Y {
			m.Y[i] = uint8(i * 7)
		}
		for i := range m.Cb {
			m.Cb[i], m.Cr[i] = uint8(i*3), uint8(255-i*5)
		}
		want := imageio.Shrink(imageio.ToNRGBA(m), 97)
		got := imageio.ShrinkImage(m, 97)
		if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%v: ShrinkImage differs from ToNRGBA+Shrink", ratio)
		}
	}
}

func TestDecodeWorkOrientsTheSmallCopy(t *testing.T) {
	src := encodeTestJPEG(t, markedImage(400, 240), 95)
	for _, o := range []uint16{1, 3, 6, 8} {
		data := withJPEGEXIF(src, tiffWithOrientation(binary.BigEndian, o))
		work, info, err := imageio.DecodeWork(bytes.NewReader(data), imageio.Limits{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		full, _, err := imageio.Decode(bytes.NewReader(data), imageio.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		want := imageio.Shrink(imageio.ToNRGBA(full), 100)
		if work.Rect != want.Rect {
			t.Fatalf("orientation %d: %v, want %v", o, work.Rect, want.Rect)
		}
		if fb := full.Bounds(); info.Width != fb.Dx() || info.Height != fb.Dy() {
			t.Errorf("orientation %d: info %dx%d, decoded %v", o, info.Width, info.Height, fb)
		}
		if corner(work) != corner(want) {
			t.Errorf("orientation %d: marker %s, want %s", o, corner(work), corner(want))
		}
	}
	if _, _, err := imageio.DecodeWork(bytes.NewReader([]byte("nope")), imageio.Limits{}, 100); err == nil {
		t.Error("garbage decoded")
	}
}

// A phone-sized JPEG is decoded at a half or a quarter of its size (jpegscale) and
// then shrunk: the working copy must be what a full decode shrunk gives, on real
// photos enlarged to camera size with sensor-like noise, in every orientation.
func TestDecodeWorkScaledJPEGMatchesFullDecode(t *testing.T) {
	for _, name := range []string{"hivision-test3.jpg", "messi5.jpg"} {
		src, _, err := imageio.Decode(bytes.NewReader(readFile(t, "portraits", name)), imageio.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		big := cameraSized(src.Bounds().Size().Mul(4), src)
		for _, o := range []uint16{1, 6} {
			data := withJPEGEXIF(encodeTestJPEG(t, big, 92), tiffWithOrientation(binary.BigEndian, o))
			full, _, err := imageio.Decode(bytes.NewReader(data), imageio.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			long := max(big.Rect.Dx(), big.Rect.Dy())
			for _, side := range []int{long * 2 / 5, long / 5} { // decoded at 1/2 and 1/4
				got, info, err := imageio.DecodeWork(bytes.NewReader(data), imageio.Limits{}, side)
				if err != nil {
					t.Fatal(err)
				}
				want := imageio.Shrink(imageio.ToNRGBA(full), side)
				if got.Rect != want.Rect || info.Width != full.Bounds().Dx() || info.Height != full.Bounds().Dy() {
					t.Fatalf("%s orientation %d side %d: %v %dx%d, want %v %v", name, o, side, got.Rect, info.Width, info.Height, want.Rect, full.Bounds())
				}
				p := rgbPSNR(got, want)
				t.Logf("%s %v orientation %d, long side %d: PSNR %.1f dB", name, big.Rect.Size(), o, side, p)
				if p < 40 {
					t.Errorf("%s orientation %d side %d: PSNR %.1f dB, want at least 40", name, o, side, p)
				}
			}
		}
	}
}

// cameraSized enlarges src to size (nearest neighbour, smoothed by the JPEG
// encoder's own loss) and adds the grain of a phone sensor, so that blocks hold
// high frequencies as a camera's do.
func cameraSized(size image.Point, src image.Image) *image.NRGBA {
	s := imageio.ToNRGBA(src)
	dst := image.NewNRGBA(image.Rectangle{Max: size})
	r := rand.New(rand.NewPCG(1, 1))
	sw, sh := s.Rect.Dx(), s.Rect.Dy()
	for y := range size.Y {
		for x := range size.X {
			p := s.Pix[s.PixOffset(x*sw/size.X, y*sh/size.Y):]
			q := dst.Pix[dst.PixOffset(x, y):]
			for c := range 3 {
				q[c] = uint8(min(255, max(0, int(p[c])+int(r.NormFloat64()*4))))
			}
			q[3] = 255
		}
	}
	return dst
}

func rgbPSNR(a, b *image.NRGBA) float64 {
	var sum float64
	for y := range a.Rect.Dy() {
		ra, rb := a.Pix[y*a.Stride:][:4*a.Rect.Dx()], b.Pix[y*b.Stride:][:4*b.Rect.Dx()]
		for i := range ra {
			if i%4 != 3 {
				d := float64(ra[i]) - float64(rb[i])
				sum += d * d
			}
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(3*a.Rect.Dx()*a.Rect.Dy())/sum)
}

func BenchmarkDecodeWork12MP(b *testing.B) {
	data := encodeTestJPEG(b, upscaled12MP(b), 90)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := imageio.DecodeWork(bytes.NewReader(data), imageio.Limits{}, 2048); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeToNRGBAShrink12MP(b *testing.B) {
	data := encodeTestJPEG(b, upscaled12MP(b), 90)
	b.ResetTimer()
	for b.Loop() {
		img, _, err := imageio.Decode(bytes.NewReader(data), imageio.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		imageio.Shrink(imageio.ToNRGBA(img), 2048)
	}
}

// The pipeline's working copy for a 1-inch photo of a 12 MP phone photo: decoded at
// half size by jpegscale, then shrunk.
func BenchmarkDecodeWork12MPTo1239(b *testing.B) {
	data := encodeTestJPEG(b, upscaled12MP(b), 90)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := imageio.DecodeWork(bytes.NewReader(data), imageio.Limits{}, 1239); err != nil {
			b.Fatal(err)
		}
	}
}

// The same through image/jpeg's full decode, for comparison.
func BenchmarkDecodeFullShrink12MPTo1239(b *testing.B) {
	data := encodeTestJPEG(b, upscaled12MP(b), 90)
	b.ResetTimer()
	for b.Loop() {
		img, _, err := imageio.Decode(bytes.NewReader(data), imageio.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		imageio.ShrinkImage(img, 1239)
	}
}

// ShrinkGray gives, bit for bit, what Shrink gives the same matte as an opaque
// NRGBA image (the pipeline shrank mattes that way before).
func TestShrinkGrayMatchesShrink(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, size := range []image.Point{{301, 203}, {640, 900}, {97, 1000}, {50, 50}} {
		g := image.NewGray(image.Rect(3, 5, 3+size.X, 5+size.Y))
		for i := range g.Pix {
			// A matte: mostly 0 and 255, soft along an edge.
			switch v := r.IntN(10); {
			case v < 4:
				g.Pix[i] = 0
			case v < 8:
				g.Pix[i] = 255
			default:
				g.Pix[i] = uint8(r.IntN(256))
			}
		}
		for _, side := range []int{size.X / 3, 211, 64} {
			n := image.NewNRGBA(image.Rect(0, 0, size.X, size.Y))
			for y := range size.Y {
				for x := range size.X {
					n.Pix[n.PixOffset(x, y)] = g.GrayAt(3+x, 5+y).Y
					n.Pix[n.PixOffset(x, y)+3] = 255
				}
			}
			want := imageio.Shrink(n, side)
			got := imageio.ShrinkGray(g, side)
			if got.Rect.Size() != want.Rect.Size() {
				t.Fatalf("%v to %d: %v, want %v", size, side, got.Rect, want.Rect)
			}
			if got.Rect.Size() == size {
				continue // not shrunk: the image itself
			}
			for i := range got.Pix {
				if got.Pix[i] != want.Pix[4*i] {
					t.Fatalf("%v to %d: pixel %d is %d, want %d", size, side, i, got.Pix[i], want.Pix[4*i])
				}
			}
		}
	}
}
