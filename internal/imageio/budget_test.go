package imageio_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/imageio"
)

// smoothJPEG is a w×h 4:2:0 JPEG of gentle gradients: a few MB on disk that decode to
// 1.5 bytes a pixel, the shape of file that a byte limit alone lets through.
func smoothJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		row := img.Y[y*img.YStride:][:w]
		for x := range row {
			row[x] = uint8((x*255/w + y*255/h) / 2)
		}
	}
	for y := 0; y < (h+1)/2; y++ {
		cb, cr := img.Cb[y*img.CStride:][:(w+1)/2], img.Cr[y*img.CStride:][:(w+1)/2]
		for x := range cb {
			cb[x], cr[x] = uint8(96+x*64/w), uint8(160-y*64/h)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// heapObjects is the heap's live and not yet swept objects.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// liveHeap is the heap the last collection found reachable.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// decodeStorm decodes data n times at once through b, each decode holding its image
// until every other is done, holding or waiting for the budget (so, without a
// budget, all n images are held at once), and returns the peak of the heap.
func decodeStorm(t *testing.T, b *imageio.Budget, data []byte, n int) (peakHeap, peakLive uint64) {
	runtime.GC()
	var peak, live atomic.Uint64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			if h := liveHeap(); h > live.Load() {
				live.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var held, done atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	lim := imageio.Limits{MaxBytes: 64 << 20, MaxPixels: 50_000_000}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img, _, release, err := b.Decode(context.Background(), bytes.NewReader(data), lim)
			if err != nil {
				errs <- err
				done.Add(1)
				return
			}
			held.Add(1)
			for int(held.Load()+done.Load())+b.Waiting() < n {
				time.Sleep(time.Millisecond)
			}
			if h := heapObjects(); h > peak.Load() {
				peak.Store(h)
			}
			_ = img.Bounds() // held until here
			img = nil
			held.Add(-1)
			done.Add(1)
			release()
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return peak.Load(), live.Load()
}

// Six concurrent decodes of a 40 MP JPEG of under 1 MB: with a budget of two decodes the
// heap stays under the budget plus slack; without it, the same decodes go over.
// The garbage collector is held to the same bound in both runs (a soft memory
// limit, as GOMEMLIMIT sets it in production), so only what is live can go over.
func TestDecodeBudgetBoundsHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 40 MP twelve times")
	}
	data := smoothJPEG(t, 7300, 5480) // 40 MP
	cost := imageio.DecodeCost(data)
	if cost < 7300*5480*3/2 {
		t.Fatalf("cost %d MB is below the 1.5 bytes a pixel of the decoded planes", cost>>20)
	}
	const n = 6
	b, err := imageio.NewBudget(2 * cost)
	if err != nil {
		t.Fatal(err)
	}
	// The collector is asked to keep the heap within the budget, one decode's worth
	// of garbage, each goroutine's copy of the file and the rest of the test process;
	// the slack allowed over the budget is that and one decode more, as the limit is
	// soft and decodes allocate while the collector runs.
	limit := b.Size() + cost + n*int64(len(data)) + 48<<20
	bound := uint64(limit + cost)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))

	t0 := time.Now()
	with, withLive := decodeStorm(t, b, data, n)
	t1 := time.Now()
	without, withoutLive := decodeStorm(t, nil, data, n)
	t.Logf("%d decodes of a %d KB 40 MP JPEG (%d MB reserved each): with a %d MB budget, peak heap %d MB (bound %d MB), live at a collection %d MB, in %v; without, %d MB and %d MB live, in %v",
		n, len(data)>>10, cost>>20, b.Size()>>20, with>>20, bound>>20, withLive>>20, t1.Sub(t0).Round(time.Millisecond),
		without>>20, withoutLive>>20, time.Since(t1).Round(time.Millisecond))
	if with > bound {
		t.Errorf("with the budget the heap peaked at %d MB, over %d MB", with>>20, bound>>20)
	}
	// What the collector found reachable is the budget's own bound: the decodes'
	// pixels, each goroutine's copy of the file, the test's few MB.
	if liveBound := uint64(b.Size() + n*int64(len(data)) + 16<<20); withLive > liveBound {
		t.Errorf("with the budget %d MB were live at a collection, over %d MB", withLive>>20, liveBound>>20)
	}
	if without <= bound {
		t.Errorf("without the budget the heap peaked at %d MB, under %d MB: the test shows nothing", without>>20, bound>>20)
	}
	if b.InUse() != 0 || b.Waiting() != 0 {
		t.Fatalf("left in use %d, waiting %d", b.InUse(), b.Waiting())
	}
}

// A photo that needs more than the whole budget is refused with the megapixel
// error at once, not left waiting for a budget that can never be free; what the
// budget can hold goes through; a decode that gives up waiting takes nothing.
func TestDecodeBudgetRefusesWhatCannotFit(t *testing.T) {
	data := smoothJPEG(t, 2000, 1500)
	cost := imageio.DecodeCost(data)
	small, err := imageio.NewBudget(cost - 1)
	if err != nil {
		t.Fatal(err)
	}
	lim := imageio.DefaultLimits()
	done := make(chan error, 1)
	go func() {
		_, _, release, err := small.Decode(context.Background(), bytes.NewReader(data), lim)
		release()
		done <- err
	}()
	select {
	case err := <-done:
		var tm *imageio.TooManyPixelsError
		if !errors.As(err, &tm) || !errors.Is(err, imageio.ErrTooManyPixels) || tm.Limit >= 3_000_000 || tm.Limit <= 0 {
			t.Fatalf("over budget: %v, want the megapixel error with a limit under 3 MP", err)
		}
		t.Logf("refused: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("a photo larger than the budget is waiting for it")
	}
	if _, _, err := small.DecodeWork(context.Background(), bytes.NewReader(pngOf(t, 2000, 1500)), lim, 100); !errors.Is(err, imageio.ErrTooManyPixels) {
		t.Fatalf("DecodeWork of a PNG over budget: %v", err)
	}

	fits, _ := imageio.NewBudget(cost)
	img, info, release, err := fits.Decode(context.Background(), bytes.NewReader(data), lim)
	if err != nil || info.Width != 2000 || img.Bounds().Dx() != 2000 {
		t.Fatalf("Decode = %v, %+v", err, info)
	}
	if fits.InUse() != cost {
		t.Fatalf("in use %d while the image is held, want %d", fits.InUse(), cost)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, _, err := fits.Decode(ctx, bytes.NewReader(data), lim); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second decode on a full budget: %v, want it to wait and give up", err)
	}
	release()
	release() // twice is harmless
	if fits.InUse() != 0 {
		t.Fatalf("in use %d after release", fits.InUse())
	}
	work, _, err := fits.DecodeWork(context.Background(), bytes.NewReader(data), lim, 500)
	if err != nil || work.Rect.Dx() != 500 || fits.InUse() != 0 {
		t.Fatalf("DecodeWork = %v, %v; in use after %d", work.Rect, err, fits.InUse())
	}
	// Errors of the file itself come first and take nothing.
	if _, _, _, err := fits.Decode(context.Background(), bytes.NewReader(data[:len(data)/2]), lim); !errors.Is(err, imageio.ErrTruncated) || fits.InUse() != 0 {
		t.Fatalf("truncated: %v, in use %d", err, fits.InUse())
	}
}

func pngOf(tb testing.TB, w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, w, h))); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
