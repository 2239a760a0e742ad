package jpegscale_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio/jpegscale"
)

const noLimit = 1 << 40

// minPSNR is how close a scaled decode must be to image/jpeg's full decode
// averaged down over the same blocks.
const minPSNR = 35.0

// fixtures are real photos: the repository's shared ones and crops of them
// re-encoded (cjpeg) in every layout the package reads.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, glob := range []string{"testdata/*.jpg", "../../../testdata/*/*.jpg"} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
				out[filepath.Base(p)] = data
			}
		}
	}
	if len(out) < 12 {
		t.Fatalf("found %d JPEG fixtures, want at least 12", len(out))
	}
	return out
}

// planes lists an image's planes at full resolution: Y, or Y, Cb and Cr with
// each chroma sample repeated over the pixels it covers, as image.YCbCr.At does.
func planes(img image.Image) []plane {
	switch m := img.(type) {
	case *image.Gray:
		return []plane{{m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy()}}
	case *image.YCbCr:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		cb, cr := make([]uint8, w*h), make([]uint8, w*h)
		for y := range h {
			for x := range w {
				i := m.COffset(m.Rect.Min.X+x, m.Rect.Min.Y+y)
				cb[y*w+x], cr[y*w+x] = m.Cb[i], m.Cr[i]
			}
		}
		return []plane{{m.Y, m.YStride, w, h}, {cb, w, w, h}, {cr, w, w, h}}
	}
	panic(fmt.Sprintf("decoded %T", img))
}

// chromaStep is how many pixels across and down one chroma sample of m covers.
func chromaStep(m *image.YCbCr) (int, int) {
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	}
	return 1, 1
}

type plane struct {
	pix    []uint8
	stride int
	w, h   int // samples that hold the image
}

// boxed averages every sx x sy rectangle of p (those at the right and bottom
// edges may be smaller).
func (p plane) boxed(sx, sy int) plane {
	out := plane{w: (p.w + sx - 1) / sx, h: (p.h + sy - 1) / sy}
	out.stride = out.w
	out.pix = make([]uint8, out.w*out.h)
	for y := range out.h {
		for x := range out.w {
			var sum, n int
			for yy := y * sy; yy < min((y+1)*sy, p.h); yy++ {
				for xx := x * sx; xx < min((x+1)*sx, p.w); xx++ {
					sum += int(p.pix[yy*p.stride+xx])
					n++
				}
			}
			out.pix[y*out.w+x] = uint8((sum + n/2) / n)
		}
	}
	return out
}

// psnr compares got with want over want's samples.
func psnr(got, want plane) float64 {
	var sum float64
	for y := range want.h {
		for x := range want.w {
			d := float64(got.pix[y*got.stride+x]) - float64(want.pix[y*want.stride+x])
			sum += d * d
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(want.w*want.h)/sum)
}

// compare decodes data at 1/s with both decoders and returns the PSNR of each
// plane of the scaled decode against image/jpeg's planes averaged over s x s.
func compare(t testing.TB, data []byte, s int) ([]float64, image.Image) {
	t.Helper()
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	got, err := jpegscale.Decode(data, s, noLimit)
	if err != nil {
		t.Fatalf("1/%d: %v", s, err)
	}
	fb, gb := full.Bounds(), got.Bounds()
	if gb.Dx() != (fb.Dx()+s-1)/s || gb.Dy() != (fb.Dy()+s-1)/s {
		t.Fatalf("1/%d: size %v of %v", s, gb.Size(), fb.Size())
	}
	// Each sample of the scaled decode, luma or chroma, must be the mean of
	// the full decode's pixels it stands for.
	want := planes(full)
	have := []plane{{pix: nil}}
	steps := [][2]int{{1, 1}}
	switch m := got.(type) {
	case *image.Gray:
		have[0] = plane{m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy()}
	case *image.YCbCr:
		have[0] = plane{m.Y, m.YStride, m.Rect.Dx(), m.Rect.Dy()}
		fx, fy := chromaStep(m)
		cw, ch := (m.Rect.Dx()+fx-1)/fx, (m.Rect.Dy()+fy-1)/fy
		have = append(have, plane{m.Cb, m.CStride, cw, ch}, plane{m.Cr, m.CStride, cw, ch})
		steps = append(steps, [2]int{fx, fy}, [2]int{fx, fy})
	}
	if len(want) != len(have) {
		t.Fatalf("1/%d: %d planes, want %d", s, len(have), len(want))
	}
	var out []float64
	for i := range want {
		w := want[i].boxed(s*steps[i][0], s*steps[i][1])
		if have[i].w != w.w || have[i].h != w.h {
			t.Fatalf("1/%d: plane %d is %dx%d, want %dx%d", s, i, have[i].w, have[i].h, w.w, w.h)
		}
		out = append(out, psnr(have[i], w))
	}
	return out, got
}

func TestDecodeMatchesFullDecodeAveraged(t *testing.T) {
	all := fixtures(t)
	names := slices.Sorted(maps.Keys(all))
	for _, name := range names {
		if name == "portrait-arithmetic.jpg" {
			continue
		}
		for _, s := range []int{2, 4, 8} {
			p, img := compare(t, all[name], s)
			t.Logf("%-36s 1/%d %-13T PSNR (Y Cb Cr) %.1f dB", name, s, img, p)
			limit := minPSNR
			if name == "baboon.jpg" {
				// Fur at the finest scale the file holds: the reduced transform
				// leaves out the frequencies a box filter folds back into the
				// result.
				limit = 33
			}
			if slices.Min(p) < limit {
				t.Errorf("%s at 1/%d: PSNR %.1f dB, want at least %.0f", name, s, p, limit)
			}
		}
	}
}

// Photos made here by image/jpeg, in sizes that end in partial blocks and MCUs.
func TestDecodeGeneratedSizes(t *testing.T) {
	src, err := jpeg.Decode(bytes.NewReader(fixtures(t)["hivision-test3.jpg"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []image.Point{{1, 1}, {7, 9}, {17, 15}, {33, 64}, {250, 121}} {
		for _, gray := range []bool{false, true} {
			var img image.Image = src.(*image.YCbCr).SubImage(image.Rect(100, 100, 100+size.X, 100+size.Y))
			if gray {
				g := image.NewGray(image.Rect(0, 0, size.X, size.Y))
				for y := range size.Y {
					for x := range size.X {
						g.Set(x, y, img.At(100+x, 100+y))
					}
				}
				img = g
			}
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
				t.Fatal(err)
			}
			for _, s := range []int{2, 4, 8} {
				p, got := compare(t, buf.Bytes(), s)
				if _, isGray := got.(*image.Gray); isGray != gray {
					t.Errorf("%v gray=%v: decoded %T", size, gray, got)
				}
				// Tiny images are mostly edge, where the encoder's padding
				// takes part in the average.
				limit := minPSNR
				if size.X < 32 || size.Y < 32 {
					limit = 25
				}
				if slices.Min(p) < limit {
					t.Errorf("%v gray=%v at 1/%d: PSNR %.1f dB", size, gray, s, p)
				}
			}
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	all := fixtures(t)
	photo := all["portrait-444.jpg"]
	if _, err := jpegscale.Decode(photo, 3, noLimit); err == nil {
		t.Error("scale 3 accepted")
	}
	if _, err := jpegscale.Decode(photo, 2, 301*213-1); !errors.Is(err, jpegscale.ErrTooManyPixels) {
		t.Errorf("over the pixel limit: %v", err)
	}
	if _, err := jpegscale.Decode(all["portrait-arithmetic.jpg"], 2, noLimit); !errors.Is(err, jpegscale.ErrUnsupported) {
		t.Errorf("arithmetic coding: %v", err)
	}
	// A header that claims a large frame over a few kilobytes of data: refused
	// when the data runs out, not decoded as a picture of padding.
	for _, name := range []string{"portrait-420-restart.jpg", "portrait-420-progressive.jpg"} {
		big := bytes.Clone(all[name])
		sof := bytes.Index(big, []byte{0xFF, 0xC0})
		if sof < 0 {
			sof = bytes.Index(big, []byte{0xFF, 0xC2})
		}
		binary.BigEndian.PutUint16(big[sof+5:], 3000) // height
		binary.BigEndian.PutUint16(big[sof+7:], 4000) // width
		if img, err := jpegscale.Decode(big, 2, noLimit); err == nil {
			t.Errorf("%s claiming 4000x3000 decoded to %v", name, img.Bounds())
		}
		if _, err := jpegscale.Decode(big, 2, 4000*3000-1); !errors.Is(err, jpegscale.ErrTooManyPixels) {
			t.Errorf("%s claiming 4000x3000 over the limit: %v", name, err)
		}
	}
	// Cut anywhere, the file is refused, never half decoded.
	for _, name := range []string{"portrait-420-restart.jpg", "portrait-420-progressive.jpg"} {
		data := all[name]
		for _, n := range []int{0, 1, 2, 100, len(data) / 2, len(data) - 200} {
			if img, err := jpegscale.Decode(data[:n], 2, noLimit); err == nil {
				t.Errorf("%s cut to %d bytes decoded to %v", name, n, img.Bounds())
			}
		}
	}
}

// FuzzDecode feeds damaged JPEGs: the decoder may refuse them but must never
// panic, and the work and memory it spends are bounded by the frame it accepts.
func FuzzDecode(f *testing.F) {
	for _, data := range fixtures(f) {
		if len(data) < 20000 {
			f.Add(data, uint8(2))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	seed := fixtures(f)["portrait-420-progressive.jpg"]
	for range 8 {
		b := bytes.Clone(seed)
		for range 4 {
			b[r.IntN(len(b))] = byte(r.IntN(256))
		}
		f.Add(b, uint8(r.IntN(3)))
	}
	f.Fuzz(func(t *testing.T, data []byte, s uint8) {
		scale := 2 << (s % 3)
		const limit = 4 << 20 // pixels: keeps the fuzzer's memory small
		img, err := jpegscale.Decode(data, scale, limit)
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 || int64(b.Dx())*int64(b.Dy()) > limit {
			t.Fatalf("decoded %v", b)
		}
		img.At(b.Max.X-1, b.Max.Y-1) // the planes cover the bounds
	})
}
