// Package pipeline turns a photo into a finished ID photo. It is the one entry point
// for the command line and the service: a list of steps over one run state, checking
// the context between steps and timing each.
//
// Face data (boxes, keypoints, the head measurements) lives only in the run state and
// is dropped with it (promise P3); Result carries only the finished photo's layout.
package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"sync"
	"time"

	"github.com/idphoto/idphoto/internal/compose"
	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/geometry"
	"github.com/idphoto/idphoto/internal/imageio"
	"github.com/idphoto/idphoto/internal/matte"
	"github.com/idphoto/idphoto/internal/spec"
)

// Config holds the engine's limits.
type Config struct {
	Limits imageio.Limits
	// WorkMaxSide caps the long side of the working copy that detection, matting and
	// composition use; the source is shrunk once after decoding, to three times the
	// finished photo's long side within [1024, WorkMaxSide].
	WorkMaxSide int
	// MaxRoll is the largest head roll, in degrees, that is straightened.
	MaxRoll float64
	// Budget, when set, bounds the memory of decoded pixels across the process: the
	// decode step waits for its share, taken from the header before decoding and
	// given back once the working copy is made. Share one with the service's uploads.
	Budget *imageio.Budget
}

// DefaultConfig is what the command line and the service use unless told otherwise.
func DefaultConfig() Config {
	return Config{Limits: imageio.DefaultLimits(), WorkMaxSide: 2048, MaxRoll: 30}
}

// Validate reports a config that can't work.
func (c Config) Validate() error {
	if c.WorkMaxSide < 256 {
		return fmt.Errorf("pipeline: work size %d is below 256 px", c.WorkMaxSide)
	}
	if c.MaxRoll <= 0 || c.MaxRoll > 45 {
		return fmt.Errorf("pipeline: max roll %.0f must be in (0, 45]", c.MaxRoll)
	}
	return c.Limits.Validate()
}

// Engine makes ID photos. It is safe for concurrent use when its detector and matter are.
type Engine struct {
	cfg    Config
	det    face.Detector
	matter matte.Matter
	steps  []step
}

// New builds an engine from a face detector and a matter.
func New(cfg Config, det face.Detector, m matte.Matter) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if det == nil || m == nil {
		return nil, errors.New("pipeline: a detector and a matter are required")
	}
	e := &Engine{cfg: cfg, det: det, matter: m}
	e.steps = []step{
		{"decode", e.decode},
		{"detect", e.detect},
		{"matte", e.matte},
		{"measure", e.measure},
		{"fit", e.fit},
		{"refine", e.refine},
		{"compose", e.compose},
		{"encode", e.encode},
		{"check", e.check},
	}
	return e, nil
}

// Steps names the pipeline's steps in order (for benchmarks and reports).
func (e *Engine) Steps() []string {
	names := make([]string, len(e.steps))
	for i, s := range e.steps {
		names[i] = s.name
	}
	return names
}

// Request says what to make.
type Request struct {
	Spec       spec.Spec
	Background compose.Background
}

// Timing is how long one step took.
type Timing struct {
	Step string
	D    time.Duration
}

// Result is a finished photo.
type Result struct {
	Image   *image.NRGBA // the finished photo at the spec's pixel size
	File    []byte       // encoded in the spec's format, DPI written, no metadata
	Format  imageio.Format
	Quality int // JPEG quality chosen to meet the spec's file-size range
	// Layout is where the head landed, as fractions of the photo.
	Layout geometry.Layout
	// Misses names the spec bands the photo does not meet (hair too tall, …).
	Misses []string
	// Warnings are things the user should know that don't stop the photo.
	Warnings []string
	Timings  []Timing
	Source   imageio.Info
	// Report is the photo check: every rule, measured on the source and the result.
	Report *CheckReport
}

// Total is the time all steps took.
func (r *Result) Total() time.Duration {
	var d time.Duration
	for _, t := range r.Timings {
		d += t.D
	}
	return d
}

type step struct {
	name string
	fn   func(context.Context, *run) error
}

// run is the state of one photo going through the steps. It holds face data and is
// never kept after Make returns.
type run struct {
	req   Request
	in    io.Reader
	info  imageio.Info
	work  *image.NRGBA
	face  face.Face
	alpha *image.Gray
	fg    *image.NRGBA
	head  geometry.Head
	place geometry.Placement
	out   *image.NRGBA
	res   *Result
}

// Make runs every step on the photo read from r.
func (e *Engine) Make(ctx context.Context, r io.Reader, req Request) (*Result, error) {
	if req.Spec.WidthPx <= 0 || req.Spec.HeightPx <= 0 {
		return nil, &Error{Code: CodeBadRequest, Msg: "no photo spec chosen"}
	}
	st := &run{req: req, in: r, res: &Result{}}
	for _, s := range e.steps {
		if err := ctx.Err(); err != nil {
			return nil, &Error{Code: CodeCanceled, Msg: "cancelled", Err: err}
		}
		t0 := time.Now()
		err := s.fn(ctx, st)
		st.res.Timings = append(st.res.Timings, Timing{Step: s.name, D: time.Since(t0)})
		if err != nil {
			return nil, classify(s.name, err)
		}
	}
	return st.res, nil
}

func (e *Engine) decode(ctx context.Context, st *run) error {
	work, info, err := e.cfg.Budget.DecodeWork(ctx, st.in, e.cfg.Limits, e.workSide(st.req.Spec))
	if err != nil && ctx.Err() != nil {
		return &Error{Code: CodeCanceled, Msg: "cancelled", Err: err} // while waiting for the budget
	}
	if err != nil {
		return err
	}
	st.info = info
	st.res.Source = info
	st.work = work
	return nil
}

// workSide is the long side of the working copy for spec s: a head in a selfie is a
// third to a half of the frame and fills two thirds of an ID photo, so three times
// the finished photo's long side keeps every detail it can show; the rest is work
// for nothing.
func (e *Engine) workSide(s spec.Spec) int {
	return min(e.cfg.WorkMaxSide, max(minWorkSide, 3*max(s.WidthPx, s.HeightPx)))
}

// minWorkSide keeps enough of the photo for the detectors and the matte.
const minWorkSide = 1024

func (e *Engine) detect(ctx context.Context, st *run) error {
	faces, err := e.det.Detect(ctx, st.work)
	if err != nil {
		return err
	}
	switch len(faces) {
	case 0:
		return &Error{Code: CodeNoFace, Msg: "no face found"}
	case 1:
	default:
		return &Error{Code: CodeManyFaces, Msg: fmt.Sprintf("%d faces found, need exactly 1", len(faces))}
	}
	st.face = faces[0]
	if roll := st.face.Roll(); roll > e.cfg.MaxRoll || roll < -e.cfg.MaxRoll {
		return &Error{Code: CodeHeadTilted, Msg: fmt.Sprintf("head is tilted %.0f degrees, more than the %.0f that can be straightened", abs(roll), e.cfg.MaxRoll)}
	}
	return nil
}

func (e *Engine) matte(ctx context.Context, st *run) error {
	a, err := e.matter.Matte(ctx, st.work, matte.Hint{Face: st.face})
	if err != nil {
		return err
	}
	st.alpha = a
	return nil
}

// refine sharpens the matte's edge and estimates the foreground colours, only over
// the part of the photo the finished photo is drawn from: on a phone photo that is a
// fraction of the frame.
func (e *Engine) refine(_ context.Context, st *run) error {
	r := sourceRegion(st.place, refineMargin).Intersect(st.work.Rect)
	if r.Empty() {
		r = st.work.Rect
	}
	img := st.work.SubImage(r).(*image.NRGBA)
	alpha := st.alpha.SubImage(r).(*image.Gray)
	// When the photo is drawn from a region much larger than itself, the edge work
	// is done at 1.5 times the finished photo's resolution: the same result for the
	// finished photo at a fraction of the cost, and no aliasing when composing.
	if f := maxOversample * st.place.Scale; f < 1 {
		long := int(math.Round(f * float64(max(r.Dx(), r.Dy()))))
		// The photo and its matte are shrunk at once when two processors are free.
		var wg sync.WaitGroup
		wg.Go(func() { alpha = imageio.ShrinkGray(alpha, long) })
		img = imageio.Shrink(img, long)
		wg.Wait()
		sx, sy := float64(img.Rect.Dx())/float64(r.Dx()), float64(img.Rect.Dy())/float64(r.Dy())
		st.place.ToSource = st.place.ToSource.
			Then(geometry.Translate(-float64(r.Min.X), -float64(r.Min.Y))).
			Then(geometry.Affine{A: sx, E: sy})
	}
	alpha = matte.Choke(matte.Refine(img, alpha), matte.DefaultChoke)
	st.fg = matte.Foreground(img, alpha)
	return nil
}

// maxOversample is how much finer than the finished photo the edge work is done.
const maxOversample = 1.5

// refineMargin covers the edge filters' reach, so the region's border doesn't show.
const refineMargin = 24

// sourceRegion is the source rectangle, grown by margin, that p draws the photo from.
func sourceRegion(p geometry.Placement, margin int) image.Rectangle {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, c := range [][2]float64{{0, 0}, {float64(p.Width), 0}, {0, float64(p.Height)}, {float64(p.Width), float64(p.Height)}} {
		x, y := p.ToSource.Apply(c[0], c[1])
		minX, minY = math.Min(minX, x), math.Min(minY, y)
		maxX, maxY = math.Max(maxX, x), math.Max(maxY, y)
	}
	return image.Rect(int(math.Floor(minX))-margin, int(math.Floor(minY))-margin, int(math.Ceil(maxX))+margin, int(math.Ceil(maxY))+margin)
}

func (e *Engine) measure(_ context.Context, st *run) error {
	f := st.face
	f.Chin = face.FindChin(st.work, f)
	mid, roll := f.EyeMid(), f.Roll()
	// On a face turned aside the eyes crowd together and the skin-based width, which
	// is held near the eye distance, comes out too small; the detector's box is not
	// fooled by the turn, and no face is narrower than 0.7 of it.
	width := max(face.FaceWidth(st.work, f), 0.7*f.Box.Dx())
	_, chinDown := geometry.Project(f.Chin, mid, roll)
	// The crown is looked for within twice the eye-to-chin distance above the eyes:
	// farther is a raised hand or a hat, not hair.
	crownUp := geometry.CrownUp(st.alpha, mid, roll, width/4, 2*chinDown)
	if crownUp < 0.5*chinDown {
		// The matte lost the top of the head (a backdrop as light as the hair, or a
		// bald head on a white wall): fall back on the face's proportions.
		crownUp = 0.9 * chinDown
		st.res.Warnings = append(st.res.Warnings, "top of the head not found in the matte: its height was estimated")
	}
	st.head = geometry.Head{EyeMid: mid, Roll: roll, CrownUp: crownUp, ChinDown: chinDown, FaceWidth: width}
	return nil
}

func (e *Engine) fit(_ context.Context, st *run) error {
	p, err := geometry.Fit(st.head, st.req.Spec)
	if err != nil {
		return &Error{Code: CodeUnmeasurable, Msg: "the head could not be measured in this photo: take it straight on, with the whole head visible", Err: err}
	}
	st.place = p
	st.res.Layout = p.Layout
	st.res.Misses = p.Misses
	if p.Scale > maxUpscale {
		st.res.Warnings = append(st.res.Warnings, fmt.Sprintf("the face in this photo is small: it is enlarged %.1f times and will look soft; take the photo closer or at a higher resolution", p.Scale))
	}
	// The photo must not show the edge of the source: where the crop leaves it below
	// the chin the body ends in a straight cut. Say so rather than hide it.
	if x, y := p.ToSource.Apply(float64(p.Width)/2, float64(p.Height)); y > float64(st.work.Rect.Dy())+2 || x < 0 {
		st.res.Warnings = append(st.res.Warnings, "the photo ends above the bottom of the ID photo: take it from farther away to show the shoulders")
	}
	return nil
}

func (e *Engine) compose(_ context.Context, st *run) error {
	st.out = compose.Render(st.place.Width, st.place.Height, st.fg, st.place.ToSource, st.req.Background)
	st.res.Image = st.out
	return nil
}

func (e *Engine) encode(_ context.Context, st *run) error {
	s := st.req.Spec
	dpi := s.DPI
	if s.Format == string(imageio.FormatPNG) {
		var buf bytes.Buffer
		if err := imageio.Encode(&buf, st.out, imageio.EncodeOptions{Format: imageio.FormatPNG, DPI: dpi}); err != nil {
			return err
		}
		st.res.File, st.res.Format = buf.Bytes(), imageio.FormatPNG
		return nil
	}
	data, q, err := imageio.EncodeJPEGInRange(st.out, dpi, s.MinKB, s.MaxKB)
	if err != nil {
		if !errors.Is(err, imageio.ErrSizeUnreachable) || data == nil {
			return err
		}
		st.res.Warnings = append(st.res.Warnings, err.Error())
	}
	st.res.File, st.res.Format, st.res.Quality = data, imageio.FormatJPEG, q
	return nil
}

// maxUpscale is the enlargement beyond which a finished photo looks soft.
const maxUpscale = 1.5

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
