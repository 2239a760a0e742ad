package face

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"slices"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

// The cascades are pigo's (MIT, see cascade/LICENSE): the face finder, the pupil
// localiser and the landmark cascades used for the nose and the mouth.
//
//go:embed cascade/facefinder cascade/puploc cascade/lps/lp93 cascade/lps/lp84 cascade/lps/lp82 cascade/lps/lp81
var cascades embed.FS

// PigoConfig tunes the pure-Go detector. The zero value means the defaults.
type PigoConfig struct {
	// MaxSide is the long side, in pixels, of the grayscale copy the detector works
	// on; larger photos are shrunk first. Default 640: a face worth an ID photo is
	// far above the detector's smallest window there, at a third of the time 1000 takes.
	MaxSide int
	// MinFace is the smallest face side searched for, in pixels of that copy.
	// Default 24.
	MinFace int
	// MinScore is the least clustered cascade score kept as a face. Default 15;
	// TestFinderScores shows the scores seen on faces and non-faces.
	MinScore float64
	// Perturbs is how many perturbed starts each eye and landmark search takes its
	// median over. Default 31.
	Perturbs int
}

// Defaults of PigoConfig.
const (
	DefaultMaxSide  = 640
	DefaultMinFace  = 24
	DefaultMinScore = 15
	DefaultPerturbs = 31
)

// withDefaults fills the zero fields.
func (c PigoConfig) withDefaults() PigoConfig {
	if c.MaxSide == 0 {
		c.MaxSide = DefaultMaxSide
	}
	if c.MinFace == 0 {
		c.MinFace = DefaultMinFace
	}
	if c.MinScore == 0 {
		c.MinScore = DefaultMinScore
	}
	if c.Perturbs == 0 {
		c.Perturbs = DefaultPerturbs
	}
	return c
}

// Validate reports a setting outside its sensible range (zero means the default).
func (c PigoConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.MaxSide < 64 || c.MaxSide > 8000 {
		errs = append(errs, fmt.Errorf("face: MaxSide %d not in [64, 8000]", c.MaxSide))
	}
	if c.MinFace < 16 || c.MinFace > c.MaxSide {
		errs = append(errs, fmt.Errorf("face: MinFace %d not in [16, MaxSide]", c.MinFace))
	}
	if c.MinScore < 0 || math.IsNaN(c.MinScore) || math.IsInf(c.MinScore, 0) {
		errs = append(errs, errors.New("face: MinScore must be a finite number ≥ 0"))
	}
	if c.Perturbs < 1 || c.Perturbs > 255 {
		errs = append(errs, fmt.Errorf("face: Perturbs %d not in [1, 255]", c.Perturbs))
	}
	return errors.Join(errs...)
}

// Pigo is the pure-Go Detector. It holds only parsed cascades and is safe for
// concurrent use.
type Pigo struct {
	cfg    PigoConfig
	finder *pigo.Pigo
	pupil  *lploc
	nose   *lploc // lp93: tip of the nose
	corner *lploc // lp84: a mouth corner (mirrored for the other one)
	upper  *lploc // lp81: middle of the upper lip
	lower  *lploc // lp82: middle of the lower lip
}

var _ Detector = (*Pigo)(nil)

// NewPigo parses the embedded cascades. Each Pigo costs about 10 MB; make one and
// share it.
func NewPigo(cfg PigoConfig) (*Pigo, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pigo{cfg: cfg.withDefaults()}
	ff, err := cascades.ReadFile("cascade/facefinder")
	if err != nil {
		return nil, fmt.Errorf("face: read facefinder: %w", err)
	}
	if p.finder, err = pigo.NewPigo().Unpack(ff); err != nil {
		return nil, fmt.Errorf("face: unpack facefinder: %w", err)
	}
	for _, l := range []struct {
		name string
		dst  **lploc
	}{
		{"cascade/puploc", &p.pupil},
		{"cascade/lps/lp93", &p.nose},
		{"cascade/lps/lp84", &p.corner},
		{"cascade/lps/lp81", &p.upper},
		{"cascade/lps/lp82", &p.lower},
	} {
		data, err := cascades.ReadFile(l.name)
		if err != nil {
			return nil, fmt.Errorf("face: read %s: %w", l.name, err)
		}
		if *l.dst, err = parseLploc(data); err != nil {
			return nil, fmt.Errorf("face: %s: %w", l.name, err)
		}
	}
	return p, nil
}

// pigo resolves rotations in steps of 1/32 turn (11.25°); the face finder tolerates
// about half a step either way, so upright plus one step each side covers heads
// tilted up to about 17° (the pupil search, turned to the eyes, follows further).
// The turned passes cost twice the upright one each, so they run only when the
// upright pass finds no face scoring twice MinScore.
var finderAngles = []float64{0, 1.0 / 32, 31.0 / 32}

// candidate is one clustered detection in working coordinates.
type candidate struct {
	x, y, size float64 // centre and side of the window
	roll       float64 // radians, clockwise on screen
	score      float64
}

// Detect finds every face in img, best score first.
func (p *Pigo) Detect(ctx context.Context, img image.Image) ([]Face, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("face: detect: %w", err)
	}
	b := img.Bounds()
	if b.Dx() < p.cfg.MinFace || b.Dy() < p.cfg.MinFace {
		return []Face{}, nil
	}
	g, sx, sy := toGray(img, p.cfg.MaxSide)
	cands, err := p.findFaces(ctx, g)
	if err != nil {
		return nil, err
	}
	faces := make([]Face, 0, len(cands))
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("face: detect: %w", err)
		}
		f := p.landmarks(g, c)
		// Working pixel i covers source pixels [i*s, (i+1)*s); points use pixel
		// centres, so the centre of working pixel i is source (i+0.5)*s - 0.5.
		toSrc := func(q Point) Point {
			return Point{float64(b.Min.X) + (q.X+0.5)*sx - 0.5, float64(b.Min.Y) + (q.Y+0.5)*sy - 0.5}
		}
		f.Box = Rect{toSrc(f.Box.Min), toSrc(f.Box.Max)}
		f.LeftEye, f.RightEye = toSrc(f.LeftEye), toSrc(f.RightEye)
		f.Nose, f.Mouth = toSrc(f.Nose), toSrc(f.Mouth)
		faces = append(faces, f)
	}
	return faces, nil
}

// findFaces runs the face finder at each angle, clusters, merges the angles and keeps
// the candidates above MinScore, best first.
func (p *Pigo) findFaces(ctx context.Context, g *grayImage) ([]candidate, error) {
	var all []candidate
	for i, a := range finderAngles {
		if i > 0 && slices.ContainsFunc(all, func(c candidate) bool { return c.score >= 2*p.cfg.MinScore }) {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("face: detect: %w", err)
		}
		img := pigo.ImageParams{Pixels: g.pix, Rows: g.h, Cols: g.w, Dim: g.w}
		if a != 0 {
			// pigo's rotated classifier clamps columns to the row count, so it needs
			// a square raster.
			img = squareParams(g)
		}
		params := pigo.CascadeParams{
			MinSize:     p.cfg.MinFace,
			MaxSize:     min(g.w, g.h),
			ShiftFactor: 0.1,
			ScaleFactor: 1.1,
			ImageParams: img,
		}
		dets := p.finder.ClusterDetections(p.runCascade(params, a), 0.2)
		// pigo turns its window counter-clockwise on screen as a grows.
		roll := -a * 2 * math.Pi
		if roll < -math.Pi {
			roll += 2 * math.Pi
		}
		for _, d := range dets {
			if d.Col < 0 || d.Col >= g.w || d.Row < 0 || d.Row >= g.h {
				continue // centred in the padding
			}
			all = append(all, candidate{
				x: float64(d.Col), y: float64(d.Row), size: float64(d.Scale),
				roll: roll, score: float64(d.Q),
			})
		}
	}
	slices.SortStableFunc(all, func(a, b candidate) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	var kept []candidate
	for _, c := range all {
		if c.score < p.cfg.MinScore {
			break
		}
		dup := false
		for _, k := range kept {
			if overlap(c, k) > 0.3 {
				dup = true
				break
			}
		}
		if !dup {
			kept = append(kept, c)
		}
	}
	return kept, nil
}

// runCascade is the finder's RunCascade with its window sizes split in two runs of
// about equal work, run at once when two processors are free: the same detections
// in the same order, so clustering them gives the same faces.
func (p *Pigo) runCascade(cp pigo.CascadeParams, angle float64) []pigo.Detection {
	scales, work := cascadeScales(cp)
	if runtime.GOMAXPROCS(0) < 2 || len(scales) < 2 {
		return p.finder.RunCascade(cp, angle)
	}
	// The small windows are the most: split where half the windows are done.
	total := 0
	for _, n := range work {
		total += n
	}
	k, done := 1, work[0]
	for k < len(scales)-1 && done+work[k] <= total/2 {
		done += work[k]
		k++
	}
	small, large := cp, cp
	small.MaxSize, large.MinSize = scales[k-1], scales[k]
	var rest []pigo.Detection
	var wg sync.WaitGroup
	wg.Go(func() { rest = p.finder.RunCascade(large, angle) })
	dets := p.finder.RunCascade(small, angle)
	wg.Wait()
	return append(dets, rest...)
}

// cascadeScales lists the window sizes RunCascade tries for cp, as it steps them,
// and how many windows it classifies at each.
func cascadeScales(cp pigo.CascadeParams) (scales, windows []int) {
	for scale := cp.MinSize; scale <= cp.MaxSize; {
		step := int(math.Max(cp.ShiftFactor*float64(scale), 1))
		offset := scale/2 + 1
		rows, cols := 0, 0
		if cp.Rows >= 2*offset && cp.Cols >= 2*offset {
			rows, cols = (cp.Rows-2*offset)/step+1, (cp.Cols-2*offset)/step+1
		}
		scales = append(scales, scale)
		windows = append(windows, rows*cols)
		scale = int(float64(scale) + math.Max(2, float64(scale)*cp.ScaleFactor-float64(scale)))
	}
	return scales, windows
}

// overlap is the intersection over union of two square windows.
func overlap(a, b candidate) float64 {
	ix := math.Max(0, math.Min(a.x+a.size/2, b.x+b.size/2)-math.Max(a.x-a.size/2, b.x-b.size/2))
	iy := math.Max(0, math.Min(a.y+a.size/2, b.y+b.size/2)-math.Max(a.y-a.size/2, b.y-b.size/2))
	in := ix * iy
	return in / (a.size*a.size + b.size*b.size - in)
}

// squareParams pads g to a square by repeating its last row and column.
func squareParams(g *grayImage) pigo.ImageParams {
	side := max(g.w, g.h)
	pix := make([]uint8, side*side)
	for y := range side {
		src := g.pix[min(y, g.h-1)*g.w:][:g.w]
		row := pix[y*side : (y+1)*side]
		copy(row, src)
		last := src[g.w-1]
		for x := g.w; x < side; x++ {
			row[x] = last
		}
	}
	return pigo.ImageParams{Pixels: pix, Rows: side, Cols: side, Dim: side}
}

// landmarks places the eyes, nose and mouth of candidate c, in working coordinates.
func (p *Pigo) landmarks(g *grayImage, c candidate) Face {
	s := c.size
	f := Face{
		Box:   Rect{Point{c.x - s/2, c.y - s/2}, Point{c.x + s/2, c.y + s/2}},
		Score: c.score,
	}
	cos, sin := math.Cos(c.roll), math.Sin(c.roll)
	// inFace maps a point given in the face's frame (x right, y down, in window
	// sides, origin at the window centre) to the image.
	inFace := func(fx, fy float64) Point {
		return Point{c.x + (cos*fx-sin*fy)*s, c.y + (sin*fx+cos*fy)*s}
	}
	// Where pigo's examples start the pupil search, and where eyes sit in a window.
	l0, r0 := inFace(-0.175, -0.075), inFace(0.175, -0.075)
	n := p.cfg.Perturbs
	lx, ly := p.pupil.find(g, l0.X, l0.Y, 0.25*s, c.roll, false, n)
	rx, ry := p.pupil.find(g, r0.X, r0.Y, 0.25*s, c.roll, false, n)
	left, right := Point{lx, ly}, Point{rx, ry}
	if !eyesPlausible(c, left, right) {
		left, right = l0, r0
	} else {
		// A second pass turned to the roll the eyes show: puploc works best upright.
		roll := math.Atan2(right.Y-left.Y, right.X-left.X)
		lx, ly = p.pupil.find(g, left.X, left.Y, 0.25*s, roll, false, n)
		rx, ry = p.pupil.find(g, right.X, right.Y, 0.25*s, roll, false, n)
		if l2, r2 := (Point{lx, ly}), (Point{rx, ry}); eyesPlausible(c, l2, r2) {
			left, right = l2, r2
		}
	}
	f.LeftEye, f.RightEye = left, right

	// The landmark cascades start from the eyes as pigo's GetLandmarkPoint does:
	// a quarter of the eye distance below and 0.15 of it right of their midpoint,
	// at a window of three eye distances, all turned with the eye line.
	d := f.EyeDistance()
	roll := f.Roll() * math.Pi / 180
	mid := f.EyeMid()
	rc, rs := math.Cos(roll), math.Sin(roll)
	sx, sy := mid.X+(rc*0.15*d-rs*0.25*d), mid.Y+(rs*0.15*d+rc*0.25*d)
	ws := 3 * d
	nx, ny := p.nose.find(g, sx, sy, ws, roll, false, n)
	ux, uy := p.upper.find(g, sx, sy, ws, roll, false, n)
	bx, by := p.lower.find(g, sx, sy, ws, roll, false, n)
	c1x, c1y := p.corner.find(g, sx, sy, ws, roll, false, n)
	c2x, c2y := p.corner.find(g, sx, sy, ws, roll, true, n)
	f.Nose = Point{nx, ny}
	// The mouth centre: the lips' midpoints and the corners' midpoint agree on a
	// closed mouth; averaging the two estimates halves the noise of either.
	f.Mouth = Point{((ux+bx)/2 + (c1x+c2x)/2) / 2, ((uy+by)/2 + (c1y+c2y)/2) / 2}
	f.Nose, f.Mouth = saneBelowEyes(f, f.Nose, 0.3, 1.3), saneBelowEyes(f, f.Mouth, 0.6, 2.0)
	return f
}

// eyesPlausible checks that the eyes sit in the upper half of the window, one on
// each side, roughly level and a plausible distance apart.
func eyesPlausible(c candidate, l, r Point) bool {
	cos, sin := math.Cos(-c.roll), math.Sin(-c.roll)
	local := func(q Point) (float64, float64) { // back into the face frame, in sides
		dx, dy := q.X-c.x, q.Y-c.y
		return (cos*dx - sin*dy) / c.size, (sin*dx + cos*dy) / c.size
	}
	lx, ly := local(l)
	rx, ry := local(r)
	if lx > -0.05 || lx < -0.45 || rx < 0.05 || rx > 0.45 {
		return false
	}
	if ly < -0.4 || ly > 0.1 || ry < -0.4 || ry > 0.1 {
		return false
	}
	d := math.Hypot(rx-lx, ry-ly)
	if d < 0.2 || d > 0.65 {
		return false
	}
	// Roughly level in the window's frame: within about 30°, as far as the
	// finder itself tolerates a tilt.
	return math.Abs(ry-ly) < 0.58*(rx-lx)
}

// saneBelowEyes returns q when it lies below the eye midpoint along the face's
// vertical axis by between lo and hi eye distances, and roughly on the axis;
// otherwise the point at the typical proportion (the middle of the band).
func saneBelowEyes(f Face, q Point, lo, hi float64) Point {
	d := f.EyeDistance()
	if d == 0 {
		return q
	}
	mid := f.EyeMid()
	ux, uy := (f.RightEye.X-f.LeftEye.X)/d, (f.RightEye.Y-f.LeftEye.Y)/d // along the eyes
	vx, vy := -uy, ux                                                    // down the face
	dx, dy := q.X-mid.X, q.Y-mid.Y
	along, down := (dx*ux+dy*uy)/d, (dx*vx+dy*vy)/d
	if down >= lo && down <= hi && math.Abs(along) < 0.5 {
		return q
	}
	t := (lo + hi) / 2
	return Point{mid.X + vx*t*d, mid.Y + vy*t*d}
}
