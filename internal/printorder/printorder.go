// Package printorder makes the print-ready sheets of a paid print order (promise O4):
// for each print item, the order's job photo laid out at its physical size with the
// copies the item asked for, as a JPEG at the paper's DPI, and how many times to print
// it. The operator fulfilling the order downloads them (the API and the CLI both use
// this package, so they make the same sheets).
package printorder

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"time"

	"github.com/idphoto/idphoto/internal/blob"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/order"
	"github.com/idphoto/idphoto/internal/privacy"
	"github.com/idphoto/idphoto/internal/sheet"
	"github.com/idphoto/idphoto/internal/spec"
	"github.com/idphoto/idphoto/internal/store"
)

// PaperID is the paper print orders are printed on, the one the shop quotes a sheet's
// copies for. A sheet whose copies need more room than it has goes on A4.
const PaperID = "6in"

// papers are tried in turn for a sheet: the first that holds all its copies wins.
var papers = []string{PaperID, "a4"}

// Errors a caller tells apart.
var (
	// ErrNotPrintable: the order has no prints, or is not paid (or shipped): there is
	// nothing to print.
	ErrNotPrintable = errors.New("printorder: not a paid print order")
	// ErrNoRoom: the copies an item asked for fit on no paper.
	ErrNoRoom = errors.New("printorder: the copies fit on no paper")
	// ErrPhotoGone: the order's job, or its file, is no longer there.
	ErrPhotoGone = errors.New("printorder: the order's photo is gone")
)

// Printable returns nil for an order with print items that is paid or shipped, the
// states in which an operator prints it, else an error wrapping ErrNotPrintable.
func Printable(o order.Order) error {
	prints := false
	for _, it := range o.Items {
		prints = prints || it.Kind == order.KindPrint
	}
	switch {
	case !prints:
		return fmt.Errorf("%w: order %s has no prints", ErrNotPrintable, o.ID)
	case o.Status != order.StatusPaid && o.Status != order.StatusShipped:
		return fmt.Errorf("%w: order %s is %s", ErrNotPrintable, o.ID, o.Status)
	}
	return nil
}

// Sheet is one print item's sheet.
type Sheet struct {
	Item   int // the item's index in the order
	JobID  string
	Paper  sheet.Paper
	Copies int // photos on the sheet
	Prints int // how many times to print it: the item's quantity
	JPEG   []byte
}

// Name is the sheet's file name in the archive: item, paper, copies and prints.
func (s Sheet) Name() string {
	return fmt.Sprintf("sheet-%d-%s-%dup-print%d.jpg", s.Item+1, s.Paper.ID, s.Copies, s.Prints)
}

// Maker makes sheets from the store's jobs and their sealed files.
type Maker struct {
	Store  *store.Store
	Blobs  *blob.Sealed
	Specs  *spec.Catalog
	Limits imageio.Limits // bounds decoding the stored file
}

// Sheets makes one sheet per print item of a printable order, in the items' order.
func (m Maker) Sheets(ctx context.Context, o store.Order) ([]Sheet, error) {
	if err := Printable(o.Order); err != nil {
		return nil, err
	}
	photos := map[string]sheet.Photo{} // an order's items share their job
	var out []Sheet
	for i, it := range o.Items {
		if it.Kind != order.KindPrint {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ph, ok := photos[it.JobID]
		if !ok {
			var err error
			if ph, err = m.photo(ctx, o.UserID, it.JobID); err != nil {
				return nil, err
			}
			photos[it.JobID] = ph
		}
		s, err := render(ph, it.Copies)
		if err != nil {
			return nil, fmt.Errorf("printorder: order %s item %d: %w", o.ID, i+1, err)
		}
		s.Item, s.JobID, s.Prints = i, it.JobID, max(it.Quantity, 1)
		out = append(out, s)
	}
	return out, nil
}

// photo is the user's finished job's clean file, decoded, with the spec's print size.
func (m Maker) photo(ctx context.Context, user, jobID string) (sheet.Photo, error) {
	j, err := m.Store.GetJob(ctx, user, jobID)
	if errors.Is(err, store.ErrNotFound) {
		return sheet.Photo{}, fmt.Errorf("%w: job %s", ErrPhotoGone, jobID)
	}
	if err != nil {
		return sheet.Photo{}, err
	}
	if j.State != store.JobDone {
		return sheet.Photo{}, fmt.Errorf("%w: job %s is %s", ErrPhotoGone, jobID, j.State)
	}
	sp, err := m.Specs.Lookup(j.SpecID)
	if err != nil {
		return sheet.Photo{}, err
	}
	b, err := m.Blobs.Get(ctx, user, privacy.JobBlobs(j.ID)[0])
	if errors.Is(err, blob.ErrNotFound) {
		return sheet.Photo{}, fmt.Errorf("%w: file of job %s", ErrPhotoGone, jobID)
	}
	if err != nil {
		return sheet.Photo{}, err
	}
	img, _, err := imageio.Decode(bytes.NewReader(b), m.Limits)
	if err != nil {
		return sheet.Photo{}, fmt.Errorf("printorder: file of job %s: %w", jobID, err)
	}
	return sheet.Photo{Img: img, WidthMM: sp.WidthMM, HeightMM: sp.HeightMM}, nil
}

// render lays copies of the photo out on the first paper that holds them all.
func render(ph sheet.Photo, copies int) (Sheet, error) {
	if copies < 1 {
		return Sheet{}, fmt.Errorf("%w: %d copies", ErrNoRoom, copies)
	}
	for _, id := range papers {
		paper, err := sheet.LookupPaper(id)
		if err != nil {
			return Sheet{}, err
		}
		opt := sheet.DefaultOptions(paper)
		opt.Copies = copies
		l, err := sheet.Plan([]sheet.Photo{ph}, opt)
		if errors.Is(err, sheet.ErrTooLarge) || err == nil && l.Counts[0] < copies {
			continue
		}
		if err != nil {
			return Sheet{}, err
		}
		img, _, err := sheet.Render([]sheet.Photo{ph}, opt)
		if err != nil {
			return Sheet{}, err
		}
		b, err := encode(img, paper.DPI)
		if err != nil {
			return Sheet{}, err
		}
		return Sheet{Paper: paper, Copies: copies, JPEG: b}, nil
	}
	return Sheet{}, fmt.Errorf("%w: %d copies of %gx%g mm", ErrNoRoom, copies, ph.WidthMM, ph.HeightMM)
}

func encode(img image.Image, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	err := imageio.Encode(&buf, img, imageio.EncodeOptions{Format: imageio.FormatJPEG, Quality: 95, DPI: dpi})
	return buf.Bytes(), err
}

// WriteZip writes the sheets as a ZIP archive: each sheet's JPEG under its Name, and
// PRINT.txt, which says for each file the paper, the copies on it and how many times
// to print it. The JPEGs are stored, not compressed again.
func WriteZip(w io.Writer, orderID string, sheets []Sheet, now time.Time) error {
	zw := zip.NewWriter(w)
	var list bytes.Buffer
	fmt.Fprintf(&list, "Order %s: %d sheet(s). Print at 100%% (no scaling), then cut along the marks.\r\n", orderID, len(sheets))
	for _, s := range sheets {
		fmt.Fprintf(&list, "%s\t%s\t%d photos\tprint %d\r\n", s.Name(), s.Paper.Name, s.Copies, s.Prints)
	}
	type file struct {
		name   string
		data   []byte
		method uint16
	}
	files := []file{{"PRINT.txt", list.Bytes(), zip.Deflate}}
	for _, s := range sheets {
		files = append(files, file{s.Name(), s.JPEG, zip.Store})
	}
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: f.method, Modified: now.UTC()})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return zw.Close()
}
