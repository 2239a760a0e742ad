// Package sheet lays finished ID photos out on print paper (6-inch, 5-inch, A4) at
// their physical size, with optional crop marks, one size or several on one sheet.
package sheet

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"strings"

	xdraw "golang.org/x/image/draw"
)

// Paper is a print paper. WidthMM is the long side as listed; Render may turn it.
type Paper struct {
	ID, Name          string
	WidthMM, HeightMM float64
	DPI               int
}

// SizePx is the paper's size in pixels as listed (not turned).
func (p Paper) SizePx() (w, h int) { return px(p.WidthMM, p.DPI), px(p.HeightMM, p.DPI) }

// papers are the sizes photo kiosks and home printers take, at 300 DPI.
var papers = []Paper{
	{ID: "6in", Name: "6-inch (4R) 152x102 mm", WidthMM: 152, HeightMM: 102, DPI: 300},
	{ID: "5in", Name: "5-inch (3R) 127x89 mm", WidthMM: 127, HeightMM: 89, DPI: 300},
	{ID: "a4", Name: "A4 297x210 mm", WidthMM: 297, HeightMM: 210, DPI: 300},
}

// ErrUnknownPaper is returned by LookupPaper for an id it does not know.
var ErrUnknownPaper = errors.New("sheet: unknown paper")

// Papers lists the known papers.
func Papers() []Paper { return slices.Clone(papers) }

// LookupPaper returns the paper with the given id ("6in", "5in", "a4").
func LookupPaper(id string) (Paper, error) {
	key := strings.ToLower(strings.TrimSpace(id))
	for _, p := range papers {
		if p.ID == key {
			return p, nil
		}
	}
	if len(key) > 32 {
		key = key[:32] + "…"
	}
	return Paper{}, fmt.Errorf("%w %q (want 6in, 5in or a4)", ErrUnknownPaper, key)
}

// Photo is one finished photo and its physical size; Render resamples Img to that
// size at the paper's DPI when its pixel size differs.
type Photo struct {
	Img               image.Image
	WidthMM, HeightMM float64
}

// Options say how to fill the sheet.
type Options struct {
	Paper Paper
	// GapMM is the space between photos, MarginMM the space kept clear at the paper's
	// edges (printers do not print to the edge).
	GapMM, MarginMM float64
	// CropMarks draws thin grey marks outside each photo's corners along its edges.
	CropMarks bool
	// Copies caps the copies of each photo; 0 places as many as fit.
	Copies int
}

// DefaultOptions are the options for paper: a 2 mm margin, 2 mm between photos (room
// to cut), crop marks, as many copies as fit.
func DefaultOptions(p Paper) Options {
	return Options{Paper: p, GapMM: 2, MarginMM: 2, CropMarks: true}
}

// Placement is one copy of a photo on the sheet.
type Placement struct {
	Photo int             // index into the photos given to Render
	Rect  image.Rectangle // sheet pixels
}

// Layout says where every copy went.
type Layout struct {
	Width, Height int  // sheet size in pixels, as rendered
	Turned        bool // the paper was turned from its listed orientation to fit more
	Placements    []Placement
	Counts        []int // copies per photo, by the photos' index
}

// Errors a caller may want to tell apart.
var (
	ErrNoPhotos  = errors.New("sheet: no photos")
	ErrTooLarge  = errors.New("sheet: photo larger than the paper")
	ErrNoRoom    = errors.New("sheet: photos do not fit together on the paper")
	ErrBadOption = errors.New("sheet: bad options")
)

const (
	maxPhotos    = 16
	minPhotoMM   = 5.0      // smaller than any ID photo
	maxSheetPix  = 64 << 20 // pixels; A4 at 600 DPI is 35 M
	cropMarkMM   = 1.5      // length of a crop mark
	cropOffsetMM = 0.3      // clear space between a photo's edge and its marks
	maxPaperSide = 1000.0   // mm
	maxPaperDPI  = 1200
	minPaperDPI  = 72
)

var cropGrey = color.NRGBA{0xA0, 0xA0, 0xA0, 0xFF}

func px(mm float64, dpi int) int { return int(math.Round(mm / 25.4 * float64(dpi))) }

func (o Options) validate() error {
	p := o.Paper
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case p.DPI < minPaperDPI || p.DPI > maxPaperDPI:
		return fmt.Errorf("%w: paper dpi %d not in %d-%d", ErrBadOption, p.DPI, minPaperDPI, maxPaperDPI)
	case !(p.WidthMM > 0 && p.WidthMM <= maxPaperSide && p.HeightMM > 0 && p.HeightMM <= maxPaperSide):
		return fmt.Errorf("%w: paper size must be in 0-%g mm", ErrBadOption, maxPaperSide)
	case !finite(o.GapMM) || !finite(o.MarginMM) || o.GapMM < 0 || o.MarginMM < 0:
		return fmt.Errorf("%w: gap and margin must be zero or more", ErrBadOption)
	case 2*o.MarginMM >= min(p.WidthMM, p.HeightMM):
		return fmt.Errorf("%w: margin leaves no room on the paper", ErrBadOption)
	case o.Copies < 0:
		return fmt.Errorf("%w: copies must be zero or more", ErrBadOption)
	}
	if w, h := p.SizePx(); w*h > maxSheetPix {
		return fmt.Errorf("%w: sheet of %dx%d px is too large", ErrBadOption, w, h)
	}
	return nil
}

// item is one photo's size in sheet pixels, in packing order.
type item struct {
	index int // into the caller's photos
	w, h  int
}

// Plan computes the layout Render would draw, without drawing: the photos' images are
// not looked at. Larger photos are packed first, each in its own row (as many rows as
// its copy cap needs, one when it has none), the row's spare width taken by smaller
// photos that fit; the smallest photo fills the rows left. Photos stay upright; the
// paper is turned when that fits more copies in all.
func Plan(photos []Photo, opt Options) (Layout, error) {
	if len(photos) == 0 {
		return Layout{}, ErrNoPhotos
	}
	if len(photos) > maxPhotos {
		return Layout{}, fmt.Errorf("%w: %d photos, at most %d", ErrBadOption, len(photos), maxPhotos)
	}
	if err := opt.validate(); err != nil {
		return Layout{}, err
	}
	dpi := opt.Paper.DPI
	pw, ph := opt.Paper.SizePx()
	margin, gap := px(opt.MarginMM, dpi), px(opt.GapMM, dpi)
	items := make([]item, len(photos))
	for i, p := range photos {
		// the floor keeps the number of copies (and the work) bounded
		if !(p.WidthMM >= minPhotoMM && p.HeightMM >= minPhotoMM) || math.IsInf(p.WidthMM, 0) || math.IsInf(p.HeightMM, 0) {
			return Layout{}, fmt.Errorf("%w: photo %d must be at least %g mm each way", ErrBadOption, i, minPhotoMM)
		}
		it := item{index: i, w: px(p.WidthMM, dpi), h: px(p.HeightMM, dpi)}
		fitsAsListed := it.w <= pw-2*margin && it.h <= ph-2*margin
		fitsTurned := it.w <= ph-2*margin && it.h <= pw-2*margin
		if !fitsAsListed && !fitsTurned {
			return Layout{}, fmt.Errorf("%w: photo %d is %gx%g mm, the paper %gx%g mm less %g mm margins",
				ErrTooLarge, i, p.WidthMM, p.HeightMM, opt.Paper.WidthMM, opt.Paper.HeightMM, opt.MarginMM)
		}
		items[i] = it
	}
	// largest first; ties keep the caller's order
	slices.SortStableFunc(items, func(a, b item) int { return b.w*b.h - a.w*a.h })

	best := Layout{}
	bestTotal := -1
	for _, turned := range []bool{false, true} {
		w, h := pw, ph
		if turned {
			w, h = ph, pw
		}
		l := pack(items, len(photos), w, h, margin, gap, opt.Copies)
		l.Turned = turned
		total := len(l.Placements)
		if !slices.Contains(l.Counts, 0) && total > bestTotal {
			best, bestTotal = l, total
		}
	}
	if bestTotal < 0 {
		return Layout{}, ErrNoRoom
	}
	return best, nil
}

// pack fills one orientation of the sheet with shelves (rows) and centres the result
// inside the margins.
func pack(items []item, n, w, h, margin, gap, capCopies int) Layout {
	l := Layout{Width: w, Height: h, Counts: make([]int, n)}
	left := func(it item) int {
		if capCopies == 0 {
			return math.MaxInt
		}
		return capCopies - l.Counts[it.index]
	}
	innerW, innerH := w-2*margin, h-2*margin
	y := 0 // top of the next row, relative to the margin
	for k, it := range items {
		last := k == len(items)-1
		rows := 0
		for left(it) > 0 && y+it.h <= innerH {
			if !last && capCopies == 0 && rows == 1 {
				break // an uncapped larger photo gets one row; the rest go to smaller ones
			}
			x := 0
			// this photo's copies, then smaller photos in the spare width
			for _, jt := range items[k:] {
				if jt.h > it.h {
					continue
				}
				for left(jt) > 0 && x+jt.w <= innerW {
					l.Placements = append(l.Placements, Placement{jt.index, image.Rect(x, y, x+jt.w, y+jt.h)})
					l.Counts[jt.index]++
					x += jt.w + gap
				}
			}
			if x == 0 {
				break // nothing fits across: more rows will not help
			}
			y += it.h + gap
			rows++
		}
	}
	// centre the block of rows inside the margins
	var bb image.Rectangle
	for _, p := range l.Placements {
		bb = bb.Union(p.Rect)
	}
	off := image.Pt(margin+(innerW-bb.Dx())/2-bb.Min.X, margin+(innerH-bb.Dy())/2-bb.Min.Y)
	for i := range l.Placements {
		l.Placements[i].Rect = l.Placements[i].Rect.Add(off)
	}
	return l
}

// Render lays the photos out as Plan does and draws them on white paper. Each photo is
// resampled (Catmull-Rom) to its physical size at the paper's DPI when its pixel size
// differs, and composited on white if it has transparency.
func Render(photos []Photo, opt Options) (*image.NRGBA, Layout, error) {
	l, err := Plan(photos, opt)
	if err != nil {
		return nil, Layout{}, err
	}
	for i, p := range photos {
		if p.Img == nil || p.Img.Bounds().Empty() {
			return nil, Layout{}, fmt.Errorf("%w: photo %d has no image", ErrBadOption, i)
		}
	}
	sheet := image.NewNRGBA(image.Rect(0, 0, l.Width, l.Height))
	// white paper: set a few bytes, then double them (copy is much faster than a loop)
	if len(sheet.Pix) > 0 {
		sheet.Pix[0] = 0xFF
		for n := 1; n < len(sheet.Pix); n *= 2 {
			copy(sheet.Pix[n:], sheet.Pix[:n])
		}
	}
	ready := make([]*image.RGBA, len(photos))
	for _, pl := range l.Placements {
		src := ready[pl.Photo]
		if src == nil {
			src = fit(photos[pl.Photo].Img, pl.Rect.Dx(), pl.Rect.Dy())
			ready[pl.Photo] = src
		}
		// src is opaque, so its premultiplied bytes are the NRGBA bytes
		for y := 0; y < src.Rect.Dy(); y++ {
			d := sheet.PixOffset(pl.Rect.Min.X, pl.Rect.Min.Y+y)
			s := y * src.Stride
			copy(sheet.Pix[d:d+4*src.Rect.Dx()], src.Pix[s:s+4*src.Rect.Dx()])
		}
	}
	if opt.CropMarks {
		drawCropMarks(sheet, l.Placements, px(cropMarkMM, opt.Paper.DPI), px(cropOffsetMM, opt.Paper.DPI), max(1, opt.Paper.DPI/300))
	}
	return sheet, l, nil
}

// fit returns img as an opaque w×h image on white, resampled only when its size differs.
func fit(img image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, image.White, image.Point{}, draw.Src)
	b := img.Bounds()
	if b.Dx() == w && b.Dy() == h {
		draw.Draw(dst, dst.Rect, img, b.Min, draw.Over)
	} else {
		xdraw.CatmullRom.Scale(dst, dst.Rect, img, b, xdraw.Over, nil)
	}
	return dst
}

// drawCropMarks draws, at each corner of each photo, two short lines continuing its
// edges outwards, starting offset pixels clear of the photo. Marks never cover a photo.
func drawCropMarks(sheet *image.NRGBA, pls []Placement, length, offset, thick int) {
	if length < 1 {
		return
	}
	offset = max(offset, 1)
	w := sheet.Rect.Dx()
	covered := make([]bool, w*sheet.Rect.Dy())
	for _, p := range pls {
		for y := p.Rect.Min.Y; y < p.Rect.Max.Y; y++ {
			for x := p.Rect.Min.X; x < p.Rect.Max.X; x++ {
				covered[y*w+x] = true
			}
		}
	}
	dot := func(x, y int) {
		if (image.Point{x, y}).In(sheet.Rect) && !covered[y*w+x] {
			sheet.SetNRGBA(x, y, cropGrey)
		}
	}
	for _, p := range pls {
		r := p.Rect
		// rows of the top and bottom edges, columns of the left and right edges
		edgeRows := [2]int{r.Min.Y, r.Max.Y - thick}
		edgeCols := [2]int{r.Min.X, r.Max.X - thick}
		for s := offset; s < offset+length; s++ {
			for t := 0; t < thick; t++ {
				for _, y := range edgeRows { // horizontal marks, left and right of the photo
					dot(r.Min.X-s, y+t)
					dot(r.Max.X-1+s, y+t)
				}
				for _, x := range edgeCols { // vertical marks, above and below the photo
					dot(x+t, r.Min.Y-s)
					dot(x+t, r.Max.Y-1+s)
				}
			}
		}
	}
}
