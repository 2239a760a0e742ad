package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/image/draw"

	"github.com/idphoto/idphoto/internal/engine"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/pipeline"
)

// cmdBench runs the pipeline over a folder of photos and prints per-step medians,
// photos per second and the peak memory of the process.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	specID := fs.String("spec", "cn-1inch", "photo spec id")
	bgName := fs.String("bg", "blue", "background")
	mp := fs.Float64("megapixels", 0, "scale every photo to this many megapixels (re-encoded as JPEG) before the run, e.g. 12 for a phone photo")
	repeat := fs.Int("repeat", 3, "runs over the whole folder")
	eo := engineFlags(fs)
	fs.IntVar(&eo.WarmUp, "warmup", eo.WarmUp, "warm-up runs of the neural matte at start (not timed)")
	dirs, err := parseArgs(fs, args, stdout)
	if err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	if len(dirs) != 1 {
		return usageError{"give one folder of photos"}
	}
	if *repeat < 1 || *repeat > 100 || *mp < 0 || *mp > 50 {
		return usageError{"--repeat must be 1-100 and --megapixels 0-50"}
	}
	s, bg, err := lookupSpec(*specID, *bgName)
	if err != nil {
		return err
	}
	photos, names, err := loadBenchPhotos(dirs[0], *mp)
	if err != nil {
		return err
	}
	// Scaling the photos to --megapixels held a few full-size copies: give that memory
	// back and restart the kernel's peak count (Linux), so the peak reported is the
	// engine's, not the bench's own set-up.
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	t0 := time.Now()
	eng, err := engine.Open(*eo, pipeline.DefaultConfig())
	if err != nil {
		return err
	}
	defer eng.Close()
	startup := time.Since(t0)

	steps := map[string][]time.Duration{}
	var totals []time.Duration
	fails := map[string]string{}
	wall := time.Now()
	for r := 0; r < *repeat; r++ {
		for i, p := range photos {
			res, err := eng.Make(ctx, bytes.NewReader(p), pipeline.Request{Spec: s, Background: bg})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				fails[names[i]] = err.Error()
				continue
			}
			for _, t := range res.Timings {
				steps[t.Step] = append(steps[t.Step], t.D)
			}
			totals = append(totals, res.Total())
		}
	}
	elapsed := time.Since(wall)

	fmt.Fprintf(stdout, "engine %s, spec %s, %d photos x %d runs, GOMAXPROCS %d, engine start %s\n",
		eng.Kind, s.ID, len(photos), *repeat, runtime.GOMAXPROCS(0), startup.Round(time.Millisecond))
	if *mp > 0 {
		fmt.Fprintf(stdout, "photos scaled to %.0f MP JPEG\n", *mp)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tmedian ms\tp90 ms\t")
	for _, name := range eng.Steps() {
		d := steps[name]
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t\n", name, ms(quantile(d, 0.5)), ms(quantile(d, 0.9)))
	}
	fmt.Fprintf(tw, "total\t%.1f\t%.1f\t\n", ms(quantile(totals, 0.5)), ms(quantile(totals, 0.9)))
	tw.Flush()
	done := len(totals)
	fmt.Fprintf(stdout, "%d made, %d failed, %.2f photos/s, peak memory %s\n",
		done, len(photos)*(*repeat)-done, float64(done)/elapsed.Seconds(), peakMemory())
	for _, n := range sortedKeys(fails) {
		fmt.Fprintf(stdout, "failed: %s: %s\n", n, fails[n])
	}
	return nil
}

func loadBenchPhotos(dir string, mp float64) ([][]byte, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var photos [][]byte
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, err
		}
		if _, err := imageio.Sniff(data); err != nil {
			continue // not a photo
		}
		if mp > 0 {
			if data, err = scaleTo(data, mp); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", e.Name(), err)
			}
		}
		photos = append(photos, data)
		names = append(names, e.Name())
	}
	if len(photos) == 0 {
		return nil, nil, fmt.Errorf("no photos in %s", dir)
	}
	return photos, names, nil
}

// scaleTo re-encodes a photo at about mp megapixels, as a phone would have taken it.
func scaleTo(data []byte, mp float64) ([]byte, error) {
	img, _, err := imageio.Decode(bytes.NewReader(data), imageio.DefaultLimits())
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	k := math.Sqrt(mp * 1e6 / float64(b.Dx()*b.Dy()))
	dst := image.NewNRGBA(image.Rect(0, 0, int(float64(b.Dx())*k), int(float64(b.Dy())*k)))
	draw.CatmullRom.Scale(dst, dst.Rect, img, b, draw.Src, nil)
	var buf bytes.Buffer
	if err := imageio.Encode(&buf, dst, imageio.EncodeOptions{Format: imageio.FormatJPEG, Quality: 92, DPI: 72}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1)+0.5)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// peakMemory is the process's peak resident set (VmHWM): it counts the ONNX Runtime's
// memory too, which the Go runtime's statistics don't see.
func peakMemory() string {
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				if kb, err := strconv.Atoi(f[1]); err == nil {
					return fmt.Sprintf("%.0f MB", float64(kb)/1024)
				}
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return fmt.Sprintf("%.0f MB (Go heap only)", float64(m.Sys)/(1<<20))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
