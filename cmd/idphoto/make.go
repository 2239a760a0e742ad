package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/idphoto/idphoto/internal/compose"
	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/pipeline"
	"github.com/idphoto/idphoto/internal/sheet"
	"github.com/idphoto/idphoto/internal/spec"
)

func engineFlags(fs *flag.FlagSet) *engine.Options {
	o := engine.DefaultOptions()
	fs.StringVar(&o.Kind, "engine", o.Kind, "auto (neural when its models are installed), neural, or pure (Go only, plain backdrops)")
	fs.StringVar(&o.ModelsDir, "models", o.ModelsDir, "folder of the neural models ($IDPHOTO_MODELS)")
	fs.IntVar(&o.Threads, "threads", o.Threads, "threads for the neural models")
	return &o
}

func cmdMake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("make", flag.ContinueOnError)
	specID := fs.String("spec", "", "photo spec id (see 'idphoto specs'), required")
	bgFlag := fs.String("bg", "", "background: a colour name, #RRGGBB, vertical:TOP:BOTTOM or radial:CENTRE:EDGE (default: the spec's first)")
	out := fs.String("o", "", "output file (one photo only)")
	outDir := fs.String("out-dir", "", "output folder (several photos)")
	paper := fs.String("sheet", "", "also write a print sheet on this paper: 6in, 5in or a4")
	force := fs.Bool("force", false, "make the photo even when the photo check fails, with the report beside it (PHOTO.report.json)")
	eo := engineFlags(fs)
	files, err := parseArgs(fs, args, stdout)
	if err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	switch {
	case len(files) == 0:
		return usageError{"no photo given"}
	case *specID == "":
		return usageError{"--spec is required: see 'idphoto specs'"}
	case *out != "" && len(files) > 1:
		return usageError{"-o takes one photo; use --out-dir for several"}
	case *out != "" && *outDir != "":
		return usageError{"use -o or --out-dir, not both"}
	}
	s, bg, err := lookupSpec(*specID, *bgFlag)
	if err != nil {
		return err
	}
	var paperSpec sheet.Paper
	if *paper != "" {
		if paperSpec, err = sheet.LookupPaper(*paper); err != nil {
			return usageError{err.Error()}
		}
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
	}
	// A warm-up run costs what it saves: a command that makes a few photos and exits
	// is faster without it.
	eo.WarmUp = 0
	eng, err := engine.Open(*eo, pipeline.DefaultConfig())
	if err != nil {
		return err
	}
	defer eng.Close()

	progress := newProgress(stderr, len(files))
	failed := 0
	for i, file := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		progress.step(i)
		dst := *out
		if dst == "" {
			dst = outputName(file, *outDir, s.Format)
		}
		line, err := makeOne(ctx, eng.Engine, file, dst, s, bg, paperSpec, *force)
		progress.clear()
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "%s: %s\n", file, err)
			continue
		}
		fmt.Fprintln(stdout, line)
	}
	progress.clear()
	if failed > 0 {
		return failedError{failed}
	}
	return nil
}

// makeOne makes one photo and returns its report line.
func makeOne(ctx context.Context, eng *pipeline.Engine, file, dst string, s spec.Spec, bg compose.Background, paper sheet.Paper, force bool) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", errors.New("cannot open: " + strings.TrimPrefix(err.Error(), "open "+file+": "))
	}
	defer f.Close()
	t0 := time.Now()
	res, err := eng.Make(ctx, f, pipeline.Request{Spec: s, Background: bg})
	if err != nil {
		return "", err
	}
	checked, err := checkGate(res.Report, dst, force)
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(dst, res.File); err != nil {
		return "", err
	}
	line := reportLine(dst, s, res, time.Since(t0))
	if paper.ID != "" {
		sheetPath := strings.TrimSuffix(dst, filepath.Ext(dst)) + "-sheet-" + paper.ID + ".jpg"
		if err := writeSheet(sheetPath, sheet.DefaultOptions(paper), []sheet.Photo{{Img: res.Image, WidthMM: s.WidthMM, HeightMM: s.HeightMM}}); err != nil {
			return "", err
		}
		line += "\n  sheet " + sheetPath
	}
	for _, w := range res.Warnings {
		line += "\n  note: " + w
	}
	for _, m := range res.Misses {
		line += "\n  outside the spec: " + m
	}
	return line + checked, nil
}

func reportLine(dst string, s spec.Spec, res *pipeline.Result, d time.Duration) string {
	l := res.Layout
	return fmt.Sprintf("%s  %dx%d px  %d dpi  %.1f KB  head %.0f%% (crown %.1f%% from top, eyes %.1f%% from bottom, centre %.1f%%)  %s",
		dst, res.Image.Rect.Dx(), res.Image.Rect.Dy(), s.DPI, float64(len(res.File))/1024,
		100*l.Height, 100*l.CrownTop, 100*l.EyeFromBottom, 100*l.CenterX, d.Round(time.Millisecond))
}

func writeSheet(path string, opt sheet.Options, photos []sheet.Photo) error {
	img, _, err := sheet.Render(photos, opt)
	if err != nil {
		return usageError{err.Error()}
	}
	var buf bytes.Buffer
	if err := imageio.Encode(&buf, img, imageio.EncodeOptions{Format: imageio.FormatJPEG, Quality: 95, DPI: opt.Paper.DPI}); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// outputName is where a batch writes a photo: its base name, with the spec's extension.
func outputName(src, dir, format string) string {
	ext := ".jpg"
	if format == "png" {
		ext = ".png"
	}
	base := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	if dir == "" {
		dir = filepath.Dir(src)
		base += "-idphoto"
	}
	return filepath.Join(dir, base+ext)
}

// writeFileAtomic never leaves a half-written photo behind.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".idphoto-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// progress draws a bar on a terminal for batches; nothing otherwise.
type progress struct {
	w     io.Writer
	n     int
	shown bool
}

func newProgress(w io.Writer, n int) *progress {
	p := &progress{w: w, n: n}
	if f, ok := w.(*os.File); !ok || n < 2 || !isTerminal(f) {
		p.w = nil
	}
	return p
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) step(i int) {
	if p.w == nil {
		return
	}
	const width = 30
	done := width * i / p.n
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", done), strings.Repeat(".", width-done), i, p.n)
	p.shown = true
}

func (p *progress) clear() {
	if p.w != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
