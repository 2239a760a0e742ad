package imageio_test

import (
	"bytes"
	"encoding/binary"
	"image"
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
