package matte

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sort"
)

// BackdropConfig tunes the plain-backdrop matte. Zero fields take the defaults of
// DefaultBackdropConfig. Distances are CIELAB ΔE with lightness weighted down by
// LightnessWeight, so soft shading on a wall counts less than a change of hue.
type BackdropConfig struct {
	// Border is the width of the sampled border strips, as a fraction of the short side.
	Border float64
	// OffModel is the distance beyond which a border sample does not fit the backdrop.
	OffModel float64
	// MaxOffModel is the largest fraction of border samples allowed not to fit before
	// the backdrop counts as busy (a shelf, a flag, a second colour).
	MaxOffModel float64
	// MaxNoise is the largest RMS distance of the fitting samples to the backdrop model
	// (texture: foliage, crowds, mottled studio cloths).
	MaxNoise float64
	// Near and Far bound the soft ramp: a pixel nearer the backdrop colour than
	// max(Near, 3·noise) is backdrop, one further by Far more is person.
	Near, Far float64
	// LightnessWeight scales ΔL in the distance (1 is plain ΔE76).
	LightnessWeight float64
	// MinFace is the smallest fraction of the face box that must differ from the
	// backdrop; below it the person cannot be told from the wall.
	MinFace float64
}

// DefaultBackdropConfig returns the tuned defaults.
func DefaultBackdropConfig() BackdropConfig {
	return BackdropConfig{
		Border:          0.04,
		OffModel:        12,
		MaxOffModel:     0.06,
		MaxNoise:        4,
		Near:            8,
		Far:             12,
		LightnessWeight: 0.6,
		MinFace:         0.5,
	}
}

// Validate reports a setting out of its range (zero means default and is valid).
func (c BackdropConfig) Validate() error {
	switch {
	case c.Border < 0 || c.Border > 0.25:
		return errors.New("matte: backdrop border must be in [0, 0.25]")
	case c.OffModel < 0, c.MaxNoise < 0, c.Near < 0, c.Far < 0:
		return errors.New("matte: backdrop distances must not be negative")
	case c.MaxOffModel < 0 || c.MaxOffModel >= 1:
		return errors.New("matte: backdrop off-model fraction must be in [0, 1)")
	case c.LightnessWeight < 0 || c.LightnessWeight > 2:
		return errors.New("matte: backdrop lightness weight must be in [0, 2]")
	case c.MinFace < 0 || c.MinFace > 1:
		return errors.New("matte: backdrop face fraction must be in [0, 1]")
	}
	return nil
}

func (c BackdropConfig) withDefaults() BackdropConfig {
	d := DefaultBackdropConfig()
	set := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&c.Border, d.Border)
	set(&c.OffModel, d.OffModel)
	set(&c.MaxOffModel, d.MaxOffModel)
	set(&c.MaxNoise, d.MaxNoise)
	set(&c.Near, d.Near)
	set(&c.Far, d.Far)
	set(&c.LightnessWeight, d.LightnessWeight)
	set(&c.MinFace, d.MinFace)
	return c
}

// Backdrop is the pure-Go matte for photos taken against a plain wall: it models the
// wall colour from the image border and refuses (ErrBusyBackground) anything else.
type Backdrop struct {
	cfg BackdropConfig
}

// NewBackdrop returns a plain-backdrop matter; zero or negative fields of cfg take the
// defaults (call cfg.Validate first to reject bad settings).
func NewBackdrop(cfg BackdropConfig) *Backdrop {
	return &Backdrop{cfg: cfg.withDefaults()}
}

// labPlanes holds an image in CIELAB, one float plane per channel.
type labPlanes struct {
	w, h    int
	l, a, b []float32
}

func toLab(m *image.RGBA) labPlanes {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	p := labPlanes{w: w, h: h, l: make([]float32, w*h), a: make([]float32, w*h), b: make([]float32, w*h)}
	inHalves(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				i := y*w + x
				p.l[i], p.a[i], p.b[i] = lab(row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	})
	return p
}

// wallModel is the backdrop colour as a plane over the image, per Lab channel:
// c(x, y) = k0 + k1·u + k2·v with u, v the position scaled to 0..1. A plane, not a
// constant, because walls are lit from one side.
type wallModel struct {
	k     [3][3]float64
	noise float64 // RMS distance of the fitting samples
}

func (m wallModel) at(ch int, u, v float64) float64 {
	return m.k[ch][0] + m.k[ch][1]*u + m.k[ch][2]*v
}

type sample struct {
	u, v    float64
	lab     [3]float64
	outside bool
}

// faceRect converts the hint's box into 0-based pixel coordinates clipped to the image;
// ok is false when nothing of it is inside.
func faceRect(hint Hint, b image.Rectangle) (x0, y0, x1, y1 float64, ok bool) {
	box := hint.Face.Box
	x0 = math.Max(box.Min.X-float64(b.Min.X), 0)
	y0 = math.Max(box.Min.Y-float64(b.Min.Y), 0)
	x1 = math.Min(box.Max.X-float64(b.Min.X), float64(b.Dx()))
	y1 = math.Min(box.Max.Y-float64(b.Min.Y), float64(b.Dy()))
	ok = x1-x0 >= 2 && y1-y0 >= 2 && !math.IsNaN(x0+y0+x1+y1)
	return x0, y0, x1, y1, ok
}

// Matte implements Matter.
func (bd *Backdrop) Matte(ctx context.Context, img image.Image, hint Hint) (*image.Gray, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("matte: backdrop: %w", err)
	}
	bounds := img.Bounds()
	w, h := bounds.Dx(), bounds.Dy()
	if w < 8 || h < 8 {
		return nil, errors.New("matte: backdrop: image too small")
	}
	fx0, fy0, fx1, fy1, ok := faceRect(hint, bounds)
	if !ok {
		return nil, errors.New("matte: backdrop: face box outside the image")
	}
	cfg := bd.cfg
	lp := toLab(rgbaOf(img))
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("matte: backdrop: %w", err)
	}

	wall, err := fitWall(lp, fx0, fy0, fx1, fy1, cfg)
	if err != nil {
		return nil, err
	}

	// Soft classification by distance to the wall colour at each pixel.
	near := math.Max(cfg.Near, 3*wall.noise)
	far := near + cfg.Far
	raw := make([]float32, w*h)
	fg := make([]bool, w*h)
	lw := cfg.LightnessWeight
	inHalves(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			v := float64(y) / float64(h)
			// Along a row the model is linear in u: step it instead of recomputing.
			var c0, dc [3]float64
			for ch := range 3 {
				c0[ch] = wall.at(ch, 0, v)
				dc[ch] = wall.k[ch][1] / float64(w)
			}
			for x := 0; x < w; x++ {
				i := y*w + x
				dl := (float64(lp.l[i]) - (c0[0] + dc[0]*float64(x))) * lw
				da := float64(lp.a[i]) - (c0[1] + dc[1]*float64(x))
				db := float64(lp.b[i]) - (c0[2] + dc[2]*float64(x))
				d := math.Sqrt(dl*dl + da*da + db*db)
				a := float32((d - near) / (far - near))
				raw[i] = clamp01(a)
				fg[i] = raw[i] >= 0.5
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("matte: backdrop: %w", err)
	}

	// Keep what is connected to the face; the rest is speckle or objects on the wall.
	seeds := make([]bool, w*h)
	faceFG, faceN := 0, 0
	for y := int(fy0); y < int(math.Ceil(fy1)); y++ {
		for x := int(fx0); x < int(math.Ceil(fx1)); x++ {
			i := y*w + x
			seeds[i] = true
			faceN++
			if fg[i] {
				faceFG++
			}
		}
	}
	if float64(faceFG) < cfg.MinFace*float64(faceN) {
		return nil, fmt.Errorf("matte: backdrop: person too close to the backdrop colour: %w", ErrBusyBackground)
	}
	person := flood(fg, seeds, w, h)

	// Holes: backdrop-coloured areas the person encloses (a white shirt on a white
	// wall, a glint) are not reachable from the image border.
	notPerson := make([]bool, w*h)
	border := make([]bool, w*h)
	for i, p := range person {
		notPerson[i] = !p
	}
	for x := 0; x < w; x++ {
		border[x], border[(h-1)*w+x] = true, true
	}
	for y := 0; y < h; y++ {
		border[y*w], border[y*w+w-1] = true, true
	}
	outside := flood(notPerson, border, w, h)
	filled := make([]bool, w*h)
	for i, o := range outside {
		filled[i] = !o
	}

	// Trimap: solid inside, clear outside, the soft ramp only in a band at the edge.
	faceW := fx1 - fx0
	band := max(2, int(faceW/40+0.5))
	var inside, reach []bool
	together(func() { inside = erode(filled, w, h, band) }, func() { reach = dilate(filled, w, h, band) })
	pix := make([]uint8, w*h)
	for i := range pix {
		switch {
		case inside[i] || (filled[i] && !person[i]):
			pix[i] = 255
		case reach[i]:
			pix[i] = to8(raw[i])
		}
	}
	return newAlpha(bounds, pix), nil
}

// fitWall samples the top strip and the side strips above the shoulders, leaving out
// the columns of the head (hair often reaches the top edge), fits the wall model and
// decides whether the backdrop is plain.
func fitWall(lp labPlanes, fx0, fy0, fx1, fy1 float64, cfg BackdropConfig) (wallModel, error) {
	w, h := lp.w, lp.h
	strip := max(3, int(cfg.Border*float64(min(w, h))+0.5))
	fw, fh := fx1-fx0, fy1-fy0
	headX0, headX1 := fx0-0.6*fw, fx1+0.6*fw
	shoulders := int(math.Min(fy1+0.3*fh, float64(h)))
	step := max(1, int(math.Sqrt(float64(w*h))/400)) // ~ a few thousand samples at most
	var ss []sample
	add := func(x, y int) {
		i := y*w + x
		ss = append(ss, sample{
			u: float64(x) / float64(w), v: float64(y) / float64(h),
			lab: [3]float64{float64(lp.l[i]), float64(lp.a[i]), float64(lp.b[i])},
		})
	}
	for y := 0; y < shoulders; y += step {
		if y < strip {
			for x := 0; x < w; x += step {
				// hair often reaches the top edge: leave out the head's columns there
				if fx := float64(x); fx < headX0 || fx > headX1 {
					add(x, y)
				}
			}
			continue
		}
		for x := 0; x < strip; x += step {
			add(x, y)
			add(w-1-x, y)
		}
	}
	if len(ss) < 50 {
		return wallModel{}, fmt.Errorf("matte: backdrop: too little backdrop visible: %w", ErrBusyBackground)
	}

	// Start from the per-channel median as a flat wall, then refit a plane on the
	// samples that fit, twice: a robust fit that ignores a stray strand of hair.
	var m wallModel
	for ch := range 3 {
		vals := make([]float64, len(ss))
		for i, s := range ss {
			vals[i] = s.lab[ch]
		}
		sort.Float64s(vals)
		m.k[ch][0] = vals[len(vals)/2]
	}
	cut := cfg.OffModel
	for range 3 {
		var in []sample
		for _, s := range ss {
			if wallDistance(m, s, cfg.LightnessWeight) <= cut {
				in = append(in, s)
			}
		}
		if len(in) < 10 {
			return wallModel{}, fmt.Errorf("matte: backdrop: no dominant backdrop colour: %w", ErrBusyBackground)
		}
		m = fitPlane(in, m)
	}
	off, sum2, n := 0, 0.0, 0
	for _, s := range ss {
		d := wallDistance(m, s, cfg.LightnessWeight)
		if d > cfg.OffModel {
			off++
			continue
		}
		sum2 += d * d
		n++
	}
	m.noise = math.Sqrt(sum2 / float64(max(n, 1)))
	if float64(off) > cfg.MaxOffModel*float64(len(ss)) {
		return wallModel{}, fmt.Errorf("matte: backdrop: border has several colours: %w", ErrBusyBackground)
	}
	if m.noise > cfg.MaxNoise {
		return wallModel{}, fmt.Errorf("matte: backdrop: border is textured: %w", ErrBusyBackground)
	}
	return m, nil
}

func wallDistance(m wallModel, s sample, lw float64) float64 {
	dl := (s.lab[0] - m.at(0, s.u, s.v)) * lw
	da := s.lab[1] - m.at(1, s.u, s.v)
	db := s.lab[2] - m.at(2, s.u, s.v)
	return math.Sqrt(dl*dl + da*da + db*db)
}

// fitPlane solves the 3x3 least-squares normal equations for each channel; when the
// samples do not span a plane (all in one row) it keeps the previous model's slope.
func fitPlane(ss []sample, prev wallModel) wallModel {
	var a [3][3]float64
	var rhs [3][3]float64 // [channel][row]
	for _, s := range ss {
		basis := [3]float64{1, s.u, s.v}
		for r := range 3 {
			for c := range 3 {
				a[r][c] += basis[r] * basis[c]
			}
			for ch := range 3 {
				rhs[ch][r] += basis[r] * s.lab[ch]
			}
		}
	}
	// Tikhonov damping on the slopes keeps a near-degenerate sample layout (a single
	// strip) from producing wild gradients.
	damp := 1e-3 * float64(len(ss))
	a[1][1] += damp
	a[2][2] += damp
	out := prev
	for ch := range 3 {
		k, ok := solve3(a, rhs[ch])
		if ok {
			out.k[ch] = k
		}
	}
	return out
}

// solve3 solves a·k = b by Cramer's rule.
func solve3(a [3][3]float64, b [3]float64) ([3]float64, bool) {
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
			m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
			m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(a)
	if math.Abs(d) < 1e-12 {
		return [3]float64{}, false
	}
	var k [3]float64
	for c := range 3 {
		m := a
		for r := range 3 {
			m[r][c] = b[r]
		}
		k[c] = det(m) / d
	}
	return k, true
}
