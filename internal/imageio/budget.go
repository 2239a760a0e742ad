package imageio

import (
	"bytes"
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"io"
	"sync"
)

// Budget bounds the memory that decoded pixels hold across a process. The byte
// limit of an upload bounds the file, not its pixels: a smooth 50 MP JPEG of a few
// MB decodes to 75 MB or more, and a handful at once exhaust a small server. Every
// decode through a Budget first reads the header, works out from the dimensions and
// the format what the decode will hold at its peak, and waits until that much of the
// budget is free; the decodes that fit run, the others queue in arrival order. A
// photo that needs more than the whole budget is refused with a TooManyPixelsError,
// never left waiting.
//
// A nil *Budget bounds nothing: its methods decode at once.
type Budget struct {
	size int64

	mu      sync.Mutex
	used    int64
	waiters list.List // *budgetWaiter, first come first served
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

// NewBudget returns a budget of size bytes.
func NewBudget(size int64) (*Budget, error) {
	if size < 1<<20 {
		return nil, errors.New("imageio: a decode budget below 1 MB can't decode a photo")
	}
	return &Budget{size: size}, nil
}

// Size is the budget in bytes.
func (b *Budget) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

// InUse is how many bytes the decodes running now hold.
func (b *Budget) InUse() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Waiting is how many decodes wait for the budget.
func (b *Budget) Waiting() int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiters.Len()
}

// acquire takes n bytes, waiting in line for them; it fails only when ctx ends.
func (b *Budget) acquire(ctx context.Context, n int64) error { return b.wait(ctx, n, false) }

// acquireFirst is acquire for a decode let in before: it waits at the head of the line.
func (b *Budget) acquireFirst(ctx context.Context, n int64) error { return b.wait(ctx, n, true) }

func (b *Budget) wait(ctx context.Context, n int64, first bool) error {
	if b == nil || n <= 0 {
		return nil
	}
	b.mu.Lock()
	if (first || b.waiters.Len() == 0) && b.used+n <= b.size {
		b.used += n
		b.mu.Unlock()
		return nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	var el *list.Element
	if first {
		el = b.waiters.PushFront(w)
	} else {
		el = b.waiters.PushBack(w)
	}
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted while giving up: hand it on
		b.used -= n
	default:
		b.waiters.Remove(el)
	}
	b.grantLocked()
	return ctx.Err()
}

// release gives back n bytes.
func (b *Budget) release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.used < 0 {
		panic("imageio: budget released more than was taken")
	}
	b.grantLocked()
}

// grantLocked lets waiters in, in order, while the first of them fits: a large
// decode is not overtaken for ever by small ones.
func (b *Budget) grantLocked() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if b.used+w.n > b.size {
			return
		}
		b.used += w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}

// hold is a part of the budget taken for one decode.
type hold struct {
	b    *Budget
	n    int64
	once sync.Once
}

// take takes n bytes for the photo u describes, or refuses a photo larger than the
// whole budget with the megapixel error, saying how many megapixels fit.
func (b *Budget) take(ctx context.Context, u *upload, n int64) (*hold, error) {
	if b != nil && n > b.size {
		return nil, overBudget(u, b.size, n)
	}
	if err := b.acquire(ctx, n); err != nil {
		return nil, err
	}
	return &hold{b: b, n: n}, nil
}

// overBudget is the megapixel error for a photo that needs cost bytes of a budget of
// size: its limit is the pixels of this kind of photo the budget holds.
func overBudget(u *upload, size, cost int64) error {
	px := float64(u.cfg.Width) * float64(u.cfg.Height)
	return &TooManyPixelsError{Width: u.cfg.Width, Height: u.cfg.Height, Limit: int64(float64(size) / float64(cost) * px)}
}

// grow takes n more bytes (a decode that turned out dearer than planned). It gives
// back what it holds and waits for the whole at the head of the line: waiting while
// holding would deadlock against a decode queued first that needs those bytes.
// On error it holds nothing.
func (h *hold) grow(ctx context.Context, u *upload, n int64) error {
	if h.b != nil && h.n+n > h.b.size {
		return overBudget(u, h.b.size, h.n+n)
	}
	total := h.n + n
	h.b.release(h.n)
	h.n = 0
	if err := h.b.acquireFirst(ctx, total); err != nil {
		return err
	}
	h.n = total
	return nil
}

// release gives the bytes back; a second call does nothing.
func (h *hold) release() { h.once.Do(func() { h.b.release(h.n) }) }

// Decode is the package's Decode under the budget, with a context to give up
// waiting. The budget stays taken until release is called: the caller calls it once
// it no longer uses the image (release may be called more than once). On error
// nothing stays taken and release is a no-op.
func (b *Budget) Decode(ctx context.Context, r io.Reader, lim Limits) (image.Image, Info, func(), error) {
	none := func() {}
	u, err := readUpload(r, lim)
	if err != nil {
		return nil, Info{}, none, err
	}
	h, err := b.take(ctx, u, u.decodeCost(true))
	if err != nil {
		return nil, Info{}, none, err
	}
	img, info, err := u.decode()
	if err != nil {
		h.release()
		return nil, info, none, err
	}
	return img, info, h.release, nil
}

// DecodeWork is the package's DecodeWork under the budget: the budget is taken from
// before the first pixel is decoded until the working copy is made, and given back
// before it returns (the working copy itself is small and not counted).
func (b *Budget) DecodeWork(ctx context.Context, r io.Reader, lim Limits, maxSide int) (*image.NRGBA, Info, error) {
	u, err := readUpload(r, lim)
	if err != nil {
		return nil, Info{}, err
	}
	h, err := b.take(ctx, u, u.workCost(maxSide))
	if err != nil {
		return nil, Info{}, err
	}
	defer h.release()
	grow := func() error {
		if n := u.decodeCost(false) + workBytes(u, maxSide) - h.n; n > 0 {
			return h.grow(ctx, u, n)
		}
		return nil
	}
	return u.work(maxSide, grow)
}

// DecodeCost is what Budget reserves to decode the photo in data at full size
// (Decode), from its header alone; 0 when the header can't be read.
func DecodeCost(data []byte) int64 {
	u, err := readUpload(bytes.NewReader(data), Limits{MaxBytes: int64(len(data)) + 1, MaxPixels: 1 << 40})
	if err != nil {
		return 0
	}
	return u.decodeCost(true)
}

// decodeCost is the most memory a full decode of u holds at once: the pixels in the
// decoder's layout, the decoder's own buffers where they are as large as the image,
// and, with turned is true and an EXIF orientation to apply, the two NRGBA copies
// Decode makes to turn it.
func (u *upload) decodeCost(turned bool) int64 {
	px := int64(u.cfg.Width) * int64(u.cfg.Height)
	var perPx float64 // bytes per pixel, in eighths of a byte where it matters
	nrgba := false
	switch u.format {
	case FormatJPEG:
		f, ok := readJPEGFrame(u.data)
		if !ok {
			perPx = 8 // unknown layout: the dearest (CMYK)
			break
		}
		perPx = f.samples // one byte a sample, planes subsampled as the file says
		if f.components == 4 {
			perPx = 3 + 1 + 4 // image/jpeg decodes CMYK as YCbCr and K, then converts
		}
		if f.progressive {
			perPx += 4 * f.samples // image/jpeg keeps every coefficient as int32
		}
	case FormatPNG:
		perPx = bytesPerPixel(u.cfg.ColorModel)
		nrgba = u.cfg.ColorModel == color.NRGBAModel
		if pngInterlaced(u.data) {
			perPx *= 2 // each pass is decoded into an image of its own, then copied
		}
	case FormatWebP:
		switch u.cfg.ColorModel {
		case color.YCbCrModel:
			perPx = 1.5 // lossy VP8 is 4:2:0
		case color.NYCbCrAModel:
			perPx = 2.5 + 1 // and its alpha plane, decoded on its own first
		default:
			perPx, nrgba = 8, true // lossless: ARGB words, then NRGBA
		}
	default: // HEIC: the WebAssembly decoder's buffer and the image copied out of it
		perPx = 8
	}
	cost := int64(perPx * float64(px))
	if turned && ReadOrientation(u.data) > 1 {
		if !nrgba {
			cost += 4 * px // ToNRGBA
		}
		cost += 4 * px // orient's copy
	}
	return cost + 64<<10
}

// workCost is what DecodeWork reserves: the full decode (or, for a JPEG large enough
// for a scaled decode, that decode's buffers) and the working copy.
func (u *upload) workCost(maxSide int) int64 {
	if c, ok := u.scaledCost(maxSide); ok {
		return c + workBytes(u, maxSide)
	}
	return u.decodeCost(false) + workBytes(u, maxSide)
}

// workBytes is the working copy and, for an image ShrinkImage can't convert a row at
// a time, the full-size NRGBA it converts to first.
func workBytes(u *upload, maxSide int) int64 {
	w, h := u.cfg.Width, u.cfg.Height
	if maxSide > 0 && max(w, h) > maxSide {
		w, h = fitSize(w, h, maxSide)
	}
	n := 4 * int64(w) * int64(h)
	switch u.cfg.ColorModel {
	case color.YCbCrModel, color.GrayModel, color.NRGBAModel:
	default:
		n += 4 * int64(u.cfg.Width) * int64(u.cfg.Height)
	}
	return n
}

// scaledCost is what a JPEG decoded at 1/scale (package jpegscale) holds: its planes
// at that scale and, for a progressive file, every coefficient as int16 at full size.
func (u *upload) scaledCost(maxSide int) (int64, bool) {
	s := jpegScale(u, maxSide)
	if s == 0 {
		return 0, false
	}
	f, ok := readJPEGFrame(u.data)
	if !ok {
		return 0, false
	}
	px := float64(u.cfg.Width) * float64(u.cfg.Height)
	cost := f.samples * px / float64(s*s)
	if f.progressive {
		cost += 2 * f.samples * px
	}
	return int64(cost) + 64<<10, true
}

// bytesPerPixel is the size of one pixel of an image in model m as the standard
// decoders allocate it.
func bytesPerPixel(m color.Model) float64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// pngInterlaced reads the interlace method of a PNG's IHDR chunk.
func pngInterlaced(b []byte) bool {
	// signature (8), chunk length (4), "IHDR" (4), width, height (8), depth, colour
	// type, compression, filter (4), interlace (1)
	return len(b) > 28 && string(b[12:16]) == "IHDR" && b[28] == 1
}

// jpegFrame is what the start-of-frame segment says about a JPEG's layout.
type jpegFrame struct {
	components  int
	samples     float64 // samples per pixel over all components: 1.5 for 4:2:0 colour
	progressive bool
}

// readJPEGFrame walks the segments before the first scan to the start of frame.
// It never panics on any input.
func readJPEGFrame(b []byte) (jpegFrame, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return jpegFrame{}, false
	}
	p := 2
	for p+4 <= len(b) {
		if b[p] != 0xFF {
			return jpegFrame{}, false
		}
		m := b[p+1]
		switch {
		case m == 0xFF:
			p++
			continue
		case m == 0x01 || m >= 0xD0 && m <= 0xD7:
			p += 2
			continue
		case m == 0xDA || m == 0xD9:
			return jpegFrame{}, false
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return jpegFrame{}, false
		}
		seg := b[p+4 : p+2+n]
		// SOF0-3, 5-7, 9-11, 13-15; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
		if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
			return parseFrame(seg, m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE)
		}
		p += 2 + n
	}
	return jpegFrame{}, false
}

func parseFrame(seg []byte, progressive bool) (jpegFrame, bool) {
	if len(seg) < 6 {
		return jpegFrame{}, false
	}
	nc := int(seg[5])
	if nc < 1 || nc > 4 || len(seg) < 6+3*nc {
		return jpegFrame{}, false
	}
	hmax, vmax, sum := 1, 1, 0
	for i := range nc {
		hv := seg[6+3*i+1]
		h, v := int(hv>>4), int(hv&15)
		if h < 1 || h > 4 || v < 1 || v > 4 {
			return jpegFrame{}, false
		}
		hmax, vmax = max(hmax, h), max(vmax, v)
		sum += h * v
	}
	return jpegFrame{components: nc, samples: float64(sum) / float64(hmax*vmax), progressive: progressive}, true
}
