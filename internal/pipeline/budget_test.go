package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/pipeline"
)

// The decode step takes its share of the decode budget before decoding and gives it
// back with the working copy made: a photo larger than the whole budget is the
// megapixel error, a run that waits for the budget can be cancelled, and a finished
// run holds none of it.
func TestDecodeBudget(t *testing.T) {
	small, err := os.ReadFile(testdata(t, "portraits", "hivision-test3.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	// The portrait enlarged to a phone photo's size: its scaled decode costs several
	// megabytes, more than the smallest budget there is.
	data := enlarged(t, small, 4000)
	s := lookup(t, "cn-1inch")
	open := func(b *imageio.Budget) *engine.Engine {
		cfg := pipeline.DefaultConfig()
		cfg.Budget = b
		o := engine.DefaultOptions()
		o.Kind = engine.Pure
		e, err := engine.Open(o, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	if c := imageio.DecodeCost(data); c <= 1<<20 {
		t.Fatalf("decode cost %d bytes: the test needs a photo over 1 MB", c)
	}
	tiny, _ := imageio.NewBudget(1 << 20)
	_, err = open(tiny).Make(context.Background(), bytes.NewReader(data), pipeline.Request{Spec: s})
	var pe *pipeline.Error
	if !errors.As(err, &pe) || pe.Code != pipeline.CodeTooManyPixels {
		t.Fatalf("a photo over the whole budget: %v, want %s", err, pipeline.CodeTooManyPixels)
	}

	b, _ := imageio.NewBudget(256 << 20)
	e := open(b)
	if _, err := e.Make(context.Background(), bytes.NewReader(data), pipeline.Request{Spec: s}); err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 0 {
		t.Fatalf("%d bytes of the budget held after the run", b.InUse())
	}
	// Another decode holds all of the budget: the run waits, and gives up with its
	// context.
	full, _ := imageio.NewBudget(imageio.DecodeCost(data))
	_, _, release, err := full.Decode(context.Background(), bytes.NewReader(data), imageio.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = open(full).Make(ctx, bytes.NewReader(data), pipeline.Request{Spec: s})
	if !errors.As(err, &pe) || pe.Code != pipeline.CodeCanceled {
		t.Fatalf("waiting on a full budget past the deadline: %v, want %s", err, pipeline.CodeCanceled)
	}
}

// enlarged re-encodes a photo with its long side at long pixels.
func enlarged(t *testing.T, data []byte, long int) []byte {
	t.Helper()
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	w, h := long, long*b.Dy()/b.Dx()
	if b.Dy() > b.Dx() {
		w, h = long*b.Dx()/b.Dy(), long
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
