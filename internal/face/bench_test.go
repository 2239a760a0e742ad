package face_test

import (
	"context"
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/face/facetest"
)

// upscale returns img enlarged to w×h by nearest neighbour, as a YCbCr like a
// decoded camera JPEG.
func upscale(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			r, g, bl, _ := img.At(b.Min.X+x*b.Dx()/w, b.Min.Y+y*b.Dy()/h).RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			out.Y[out.YOffset(x, y)] = yy
			ci := out.COffset(x, y)
			out.Cb[ci], out.Cr[ci] = cb, cr
		}
	}
	return out
}

func benchPhoto(b *testing.B, name string) image.Image {
	b.Helper()
	root, err := facetest.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	img, err := facetest.Decode(filepath.Join(root, "testdata", "portraits", name))
	if err != nil {
		b.Fatal(err)
	}
	return img
}

func benchDetect(b *testing.B, img image.Image) {
	p, err := face.NewPigo(face.PigoConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		faces, err := p.Detect(ctx, img)
		if err != nil || len(faces) != 1 {
			b.Fatalf("got %d faces, %v", len(faces), err)
		}
	}
}

// BenchmarkDetect12MP is a 3000×4000 camera-sized photo.
func BenchmarkDetect12MP(b *testing.B) {
	benchDetect(b, upscale(benchPhoto(b, "hivision-test3.jpg"), 3000, 4000))
}

// BenchmarkDetect1000 is a photo already at the working size.
func BenchmarkDetect1000(b *testing.B) {
	benchDetect(b, upscale(benchPhoto(b, "hivision-test3.jpg"), 716, 1000))
}

// BenchmarkMeasure is FindChin and FaceWidth on a 12 MP photo.
func BenchmarkMeasure(b *testing.B) {
	img := upscale(benchPhoto(b, "hivision-test3.jpg"), 3000, 4000)
	p, err := face.NewPigo(face.PigoConfig{})
	if err != nil {
		b.Fatal(err)
	}
	faces, err := p.Detect(context.Background(), img)
	if err != nil || len(faces) != 1 {
		b.Fatalf("got %d faces, %v", len(faces), err)
	}
	b.ResetTimer()
	for b.Loop() {
		face.FindChin(img, faces[0])
		face.FaceWidth(img, faces[0])
	}
}

func BenchmarkNewPigo(b *testing.B) {
	for b.Loop() {
		if _, err := face.NewPigo(face.PigoConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}
