package imageio

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// waitFor polls cond for up to 5 s: the goroutines under test block in the budget.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// The budget lets decodes in while they fit, in arrival order: a small request does
// not overtake a large one waiting before it, and a request that gives up waiting
// lets the next one in.
func TestBudgetOrder(t *testing.T) {
	ctx := context.Background()
	b := &Budget{size: 10}
	if err := b.acquire(ctx, 6); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 3)
	bigCtx, cancelBig := context.WithCancel(ctx)
	go func() {
		if err := b.acquire(bigCtx, 6); err != nil {
			got <- "big gave up"
			return
		}
		got <- "big"
	}()
	waitFor(t, "the large request to queue", func() bool { return b.Waiting() == 1 })
	go func() {
		b.acquire(ctx, 2)
		got <- "small"
	}()
	waitFor(t, "the small request to queue", func() bool { return b.Waiting() == 2 })
	select {
	case g := <-got:
		t.Fatalf("%s got in with 4 of 10 free and a large request first in line", g)
	case <-time.After(20 * time.Millisecond):
	}
	cancelBig()
	if g := <-got; g != "big gave up" {
		t.Fatalf("first: %s", g)
	}
	if g := <-got; g != "small" {
		t.Fatalf("second: %s", g)
	}
	if b.InUse() != 8 || b.Waiting() != 0 {
		t.Fatalf("in use %d, waiting %d; want 8 and 0", b.InUse(), b.Waiting())
	}
	b.release(8)
	if b.InUse() != 0 {
		t.Fatalf("in use %d after releasing everything", b.InUse())
	}
	var nilBudget *Budget
	if err := nilBudget.acquire(ctx, 1<<40); err != nil || nilBudget.InUse() != 0 {
		t.Fatal("a nil budget bounds something")
	}
}

func TestBudgetGivesUpWithContext(t *testing.T) {
	b := &Budget{size: 10}
	b.acquire(context.Background(), 10)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := b.acquire(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire on a full budget: %v", err)
	}
	if b.Waiting() != 0 || b.InUse() != 10 {
		t.Fatalf("waiting %d, in use %d after giving up", b.Waiting(), b.InUse())
	}
}

func TestReadJPEGFrame(t *testing.T) {
	dir := filepath.Join("jpegscale", "testdata")
	for _, c := range []struct {
		file        string
		samples     float64
		progressive bool
	}{
		{"portrait-420-q100.jpg", 1.5, false},
		{"portrait-420-progressive.jpg", 1.5, true},
		{"portrait-422.jpg", 2, false},
		{"portrait-440.jpg", 2, false},
		{"portrait-444.jpg", 3, false},
		{"building-444-progressive-restart.jpg", 3, true},
		{"building-gray-progressive.jpg", 1, true},
	} {
		data, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		f, ok := readJPEGFrame(data)
		if !ok || f.samples != c.samples || f.progressive != c.progressive {
			t.Errorf("%s: %+v %v; want %v samples a pixel, progressive %v", c.file, f, ok, c.samples, c.progressive)
		}
	}
	for _, bad := range [][]byte{nil, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xDA, 0, 2}, {0xFF, 0xD8, 0xFF, 0xC0, 0, 8, 8, 0, 1, 0, 1, 1}} {
		if f, ok := readJPEGFrame(bad); ok {
			t.Errorf("% x read as %+v", bad, f)
		}
	}
}

func FuzzReadJPEGFrame(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("jpegscale", "testdata", "portrait-420-progressive.jpg")); err == nil {
		f.Add(data[:min(len(data), 2048)])
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xC2, 0, 17, 8, 0, 16, 0, 16, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xD0, 0xFF, 0xC0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, ok := readJPEGFrame(b)
		if ok && (fr.components < 1 || fr.components > 4 || fr.samples <= 0 || fr.samples > 4) {
			t.Fatalf("frame %+v", fr)
		}
	})
}

// A decode whose scaled JPEG decode failed grows its hold to a full decode's. Had it
// waited for the extra bytes while holding its first share, a decode queued before
// it that needs part of that share would wait for it, and it for that decode, until
// their contexts ended (the pipeline's may never end).
func TestBudgetGrowDoesNotDeadlock(t *testing.T) {
	b := &Budget{size: 100}
	u := &upload{cfg: image.Config{Width: 10, Height: 10}}
	h, err := b.take(context.Background(), u, 60)
	if err != nil {
		t.Fatal(err)
	}
	other := make(chan error, 1)
	go func() {
		err := b.acquire(context.Background(), 70)
		if err == nil {
			b.release(70)
		}
		other <- err
	}()
	waitFor(t, "the other decode to queue", func() bool { return b.Waiting() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.grow(ctx, u, 20); err != nil {
		t.Fatalf("grow: %v (held %d, waiting %d)", err, b.InUse(), b.Waiting())
	}
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if h.n != 80 || b.InUse() != 80 {
		t.Fatalf("hold %d, in use %d after growing; want 80", h.n, b.InUse())
	}
	h.release()
	if b.InUse() != 0 || b.Waiting() != 0 {
		t.Fatalf("in use %d, waiting %d after release", b.InUse(), b.Waiting())
	}
}
