package printorder

import (
	"archive/zip"
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/sheet"
)

// photo is a 1-inch photo (25×35 mm at 300 DPI): a red frame around white.
func photo() sheet.Photo {
	img := image.NewNRGBA(image.Rect(0, 0, 295, 413))
	for y := range 413 {
		for x := range 295 {
			c := color.NRGBA{255, 255, 255, 255}
			if x < 10 || y < 10 || x >= 285 || y >= 403 {
				c = color.NRGBA{200, 0, 0, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return sheet.Photo{Img: img, WidthMM: 25, HeightMM: 35}
}

func TestPrintable(t *testing.T) {
	print := []order.Item{{Kind: order.KindPrint, JobID: "j", Copies: 8, Quantity: 1}, {Kind: order.KindMailing, Quantity: 1}}
	ephoto := []order.Item{{Kind: order.KindEPhoto, JobID: "j", Quantity: 1}}
	for _, c := range []struct {
		items []order.Item
		st    order.Status
		ok    bool
	}{
		{print, order.StatusPaid, true},
		{print, order.StatusShipped, true},
		{print, order.StatusCreated, false},
		{print, order.StatusPaying, false},
		{print, order.StatusCancelled, false},
		{print, order.StatusRefunded, false},
		{print, order.StatusClosed, false},
		{ephoto, order.StatusPaid, false},
	} {
		err := Printable(order.Order{ID: "o", Items: c.items, Status: c.st})
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrNotPrintable)) {
			t.Errorf("%s order with %d items: %v, want printable %v", c.st, len(c.items), err, c.ok)
		}
	}
}

// A sheet holds exactly the copies asked for: on 6-inch paper while they fit, on A4
// beyond; a photo larger than any paper is ErrNoRoom.
func TestRenderCopies(t *testing.T) {
	ph := photo()
	for _, c := range []struct {
		copies int
		paper  string
	}{{1, "6in"}, {8, "6in"}, {16, "a4"}} {
		s, err := render(ph, c.copies)
		if err != nil {
			t.Fatalf("%d copies: %v", c.copies, err)
		}
		if s.Paper.ID != c.paper || s.Copies != c.copies {
			t.Errorf("%d copies: on %s with %d, want %s", c.copies, s.Paper.ID, s.Copies, c.paper)
		}
		img, err := jpeg.Decode(bytes.NewReader(s.JPEG))
		if err != nil {
			t.Fatal(err)
		}
		w, h := s.Paper.SizePx()
		if b := img.Bounds(); !(b.Dx() == w && b.Dy() == h) && !(b.Dx() == h && b.Dy() == w) {
			t.Errorf("%d copies: sheet %v, paper %dx%d px", c.copies, b, w, h)
		}
		// Count the photos by their red frames' top-left corners.
		if n := frames(img); n != c.copies {
			t.Errorf("%d copies: %d photos on the sheet", c.copies, n)
		}
	}
	big := ph
	big.WidthMM, big.HeightMM = 400, 400
	if _, err := render(big, 1); !errors.Is(err, ErrNoRoom) {
		t.Errorf("a photo larger than A4: %v", err)
	}
	if _, err := render(ph, 0); !errors.Is(err, ErrNoRoom) {
		t.Errorf("0 copies: %v", err)
	}
}

// frames counts the photos on a sheet by their red frames: the connected regions of
// red pixels larger than JPEG's stray specks.
func frames(img image.Image) int {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	red := make([]bool, w*h)
	for y := range h {
		for x := range w {
			r, g, b, _ := img.At(bd.Min.X+x, bd.Min.Y+y).RGBA()
			red[y*w+x] = r>>8 > 150 && g>>8 < 90 && b>>8 < 90
		}
	}
	n := 0
	var stack []int
	for i := range red {
		if !red[i] {
			continue
		}
		size := 0
		red[i] = false
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := p%w, p/w
			for _, q := range [4][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if q[0] >= 0 && q[0] < w && q[1] >= 0 && q[1] < h && red[q[1]*w+q[0]] {
					red[q[1]*w+q[0]] = false
					stack = append(stack, q[1]*w+q[0])
				}
			}
		}
		if size > 1000 {
			n++
		}
	}
	return n
}

func TestWriteZip(t *testing.T) {
	s, err := render(photo(), 8)
	if err != nil {
		t.Fatal(err)
	}
	s.Item, s.Prints = 0, 2
	var buf bytes.Buffer
	if err := WriteZip(&buf, "0123456789abcdef0123456789abcdef", []Sheet{s}, time.Now()); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 2 || zr.File[0].Name != "PRINT.txt" || zr.File[1].Name != "sheet-1-6in-8up-print2.jpg" {
		t.Fatalf("archive: %v", zr.File)
	}
	rc, _ := zr.File[0].Open()
	list, _ := io.ReadAll(rc)
	rc.Close()
	if !strings.Contains(string(list), "sheet-1-6in-8up-print2.jpg") || !strings.Contains(string(list), "print 2") {
		t.Errorf("PRINT.txt: %s", list)
	}
	rc, _ = zr.File[1].Open()
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(b, s.JPEG) {
		t.Error("the sheet in the archive differs from the one made")
	}
}
