package imageio_test

import (
	"bytes"
	"image"
	"testing"

	"github.com/idphoto/idphoto/internal/imageio"
)

// upscaled12MP is hivision-test3.jpg stretched (nearest neighbour) to
// 3000x4000, the size of a typical phone photo.
func upscaled12MP(b *testing.B) *image.NRGBA {
	b.Helper()
	img, _, err := imageio.Decode(bytes.NewReader(readFile(b, "portraits", "hivision-test3.jpg")), imageio.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	src := imageio.ToNRGBA(img)
	const w, h = 3000, 4000
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	for y := 0; y < h; y++ {
		srow := src.Pix[(y*sh/h)*src.Stride:]
		drow := dst.Pix[y*dst.Stride:]
		for x := 0; x < w; x++ {
			copy(drow[4*x:4*x+4], srow[4*(x*sw/w):])
		}
	}
	return dst
}

func BenchmarkDecodeJPEG12MP(b *testing.B) {
	data := encodeTestJPEG(b, upscaled12MP(b), 90)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := imageio.Decode(bytes.NewReader(data), imageio.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToNRGBA12MP(b *testing.B) {
	img, _, err := imageio.Decode(bytes.NewReader(encodeTestJPEG(b, upscaled12MP(b), 90)), imageio.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := img.(*image.YCbCr); !ok {
		b.Fatalf("decoded %T, want *image.YCbCr", img)
	}
	b.ResetTimer()
	for b.Loop() {
		imageio.ToNRGBA(img)
	}
}

func BenchmarkShrink12MPTo1024(b *testing.B) {
	img := upscaled12MP(b)
	b.ResetTimer()
	for b.Loop() {
		imageio.Shrink(img, 1024)
	}
}

func BenchmarkEncodeJPEGInRange(b *testing.B) {
	img := portrait358x441(b)
	for b.Loop() {
		if _, _, err := imageio.EncodeJPEGInRange(img, 300, 14, 20); err != nil {
			b.Fatal(err)
		}
	}
}
