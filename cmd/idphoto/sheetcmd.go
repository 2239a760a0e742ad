package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/sheet"
	"github.com/idphoto/idphoto/internal/spec"
)

// cmdSheet lays finished photos out on a print sheet; two specs make a mixed sheet.
func cmdSheet(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("sheet", flag.ContinueOnError)
	specs := fs.String("spec", "", "the spec of each photo, comma-separated in the same order (one spec serves all)")
	paperID := fs.String("paper", "6in", "paper: 6in, 5in or a4")
	out := fs.String("o", "", "output file (JPEG at the paper's DPI), required")
	gap := fs.Float64("gap", 2, "gap between photos in mm")
	margin := fs.Float64("margin", 2, "paper margin in mm")
	marks := fs.Bool("marks", true, "draw crop marks")
	copies := fs.Int("copies", 0, "copies of each photo (0: as many as fit)")
	files, err := parseArgs(fs, args, stdout)
	if err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	if len(files) == 0 || *out == "" || *specs == "" {
		return usageError{"give finished photos, --spec and -o"}
	}
	ids := strings.Split(*specs, ",")
	if len(ids) != 1 && len(ids) != len(files) {
		return usageError{fmt.Sprintf("%d specs for %d photos", len(ids), len(files))}
	}
	paper, err := sheet.LookupPaper(*paperID)
	if err != nil {
		return usageError{err.Error()}
	}
	cat, err := spec.Load()
	if err != nil {
		return err
	}
	var photos []sheet.Photo
	for i, file := range files {
		s, err := cat.Lookup(ids[min(i, len(ids)-1)])
		if err != nil {
			return usageError{err.Error()}
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		img, _, err := imageio.Decode(f, imageio.DefaultLimits())
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		photos = append(photos, sheet.Photo{Img: img, WidthMM: s.WidthMM, HeightMM: s.HeightMM})
	}
	opt := sheet.Options{Paper: paper, GapMM: *gap, MarginMM: *margin, CropMarks: *marks, Copies: *copies}
	if err := writeSheet(*out, opt, photos); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s  %s sheet\n", *out, paper.Name)
	return nil
}
