package check

import (
	"image"
	"math"
	"slices"

	"github.com/idphoto/idphoto/internal/face"
)

// evaluation holds one Input and the measurements several rules share, each
// computed on first use.
type evaluation struct {
	in Input

	// The head frame of the face: origin at the eyes' midpoint, u along the eye
	// line towards the right-hand eye, v down the face; ed is the eye distance.
	hasFace      bool
	mid          face.Point
	cos, sin, ed float64
	noseU, noseV float64
	mouthU       float64
	mouthV       float64

	grid      *faceGrid
	skin      *lab
	skinTried bool
}

func newEvaluation(in Input) *evaluation {
	ev := &evaluation{in: in}
	f := in.Face
	if !in.HasFace || in.Source == nil {
		return ev
	}
	ed := f.EyeDistance()
	if !(ed >= 4) || math.IsInf(ed, 0) {
		return ev
	}
	r := f.Roll() * math.Pi / 180
	ev.hasFace, ev.mid, ev.cos, ev.sin, ev.ed = true, f.EyeMid(), math.Cos(r), math.Sin(r), ed
	ev.noseU, ev.noseV = ev.project(f.Nose)
	ev.mouthU, ev.mouthV = ev.project(f.Mouth)
	return ev
}

// project gives p in the head frame.
func (ev *evaluation) project(p face.Point) (u, v float64) {
	dx, dy := p.X-ev.mid.X, p.Y-ev.mid.Y
	return dx*ev.cos + dy*ev.sin, -dx*ev.sin + dy*ev.cos
}

// unproject gives the source position of head-frame point (u, v).
func (ev *evaluation) unproject(u, v float64) (x, y float64) {
	return ev.mid.X + u*ev.cos - v*ev.sin, ev.mid.Y + u*ev.sin + v*ev.cos
}

// cellsPerEye is the face grid's resolution: cells per eye distance. Measures of
// sharpness, eyes and mouth are taken on the face at this size whatever its size
// in the photo, so their limits hold for every resolution.
const cellsPerEye = 32

// faceGrid is the inner face (brows to below the mouth, cheek to cheek) resampled
// to cellsPerEye cells per eye distance along the head frame, in luma (0-255).
type faceGrid struct {
	w, h   int
	u0, v0 float64 // head-frame position of cell (0, 0)'s corner
	cs     float64 // cell size in source pixels
	y      []float64
	valid  []bool // the cell is inside the photo and on the person
	bbox   image.Rectangle
	// matteCover is the share of the grid's cells inside the photo that the
	// matte counts as the person.
	matteCover float64

	// statistics over the valid cells
	n                 int
	mean, median      float64
	p2, p98           float64
	leftMean, rightMn float64
}

func (g *faceGrid) at(i, j int) (float64, bool) {
	if i < 0 || j < 0 || i >= g.w || j >= g.h {
		return 0, false
	}
	k := j*g.w + i
	return g.y[k], g.valid[k]
}

// cell gives the cell holding head-frame point (u, v).
func (g *faceGrid) cell(u, v float64) (int, int) {
	return int(math.Floor((u - g.u0) / g.cs)), int(math.Floor((v - g.v0) / g.cs))
}

// faceGrid builds the grid once: one pass over the source pixels of the face's
// bounding box, each averaged into its cell; cells no pixel fell in (a face smaller
// than the grid) take a bilinear sample at their centre.
func (ev *evaluation) faceGrid() *faceGrid {
	if ev.grid != nil || !ev.hasFace {
		return ev.grid
	}
	src, alpha := ev.in.Source, ev.in.Alpha
	if alpha != nil && alpha.Rect != src.Rect {
		alpha = nil
	}
	ed := ev.ed
	mouth := min(max(ev.mouthV, 0.7*ed), 1.6*ed)
	g := &faceGrid{u0: -0.75 * ed, v0: -0.4 * ed, cs: max(1, ed/cellsPerEye)}
	g.w = int(math.Ceil(1.5 * ed / g.cs))
	g.h = int(math.Ceil((mouth + 0.3*ed - g.v0) / g.cs))
	n := g.w * g.h
	sum := make([]float64, n)
	asum := make([]float64, n)
	cnt := make([]int32, n)

	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range [4][2]float64{{g.u0, g.v0}, {g.u0 + float64(g.w)*g.cs, g.v0}, {g.u0, g.v0 + float64(g.h)*g.cs}, {g.u0 + float64(g.w)*g.cs, g.v0 + float64(g.h)*g.cs}} {
		x, y := ev.unproject(c[0], c[1])
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
	}
	g.bbox = image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX))+1, int(math.Ceil(maxY))+1).Intersect(src.Rect)
	inv := 1 / g.cs
	for y := g.bbox.Min.Y; y < g.bbox.Max.Y; y++ {
		dy := float64(y) - ev.mid.Y
		row := src.Pix[src.PixOffset(g.bbox.Min.X, y):]
		var arow []uint8
		if alpha != nil {
			arow = alpha.Pix[alpha.PixOffset(g.bbox.Min.X, y):]
		}
		for x := g.bbox.Min.X; x < g.bbox.Max.X; x++ {
			dx := float64(x) - ev.mid.X
			u := (dx*ev.cos + dy*ev.sin - g.u0) * inv
			v := (-dx*ev.sin + dy*ev.cos - g.v0) * inv
			if u < 0 || v < 0 {
				continue
			}
			i, j := int(u), int(v)
			if i >= g.w || j >= g.h {
				continue
			}
			o := 4 * (x - g.bbox.Min.X)
			k := j*g.w + i
			sum[k] += luma(row[o], row[o+1], row[o+2])
			if arow != nil {
				asum[k] += float64(arow[x-g.bbox.Min.X])
			} else {
				asum[k] += 255
			}
			cnt[k]++
		}
	}
	g.y = sum
	g.valid = make([]bool, n)
	inside := make([]bool, n) // the cell has pixels of the photo
	fg, all := 0, 0
	for j := range g.h {
		for i := range g.w {
			k := j*g.w + i
			if cnt[k] > 0 {
				g.y[k] /= float64(cnt[k])
				inside[k], g.valid[k] = true, asum[k]/float64(cnt[k]) >= 128
			} else {
				x, y := ev.unproject(g.u0+(float64(i)+0.5)*g.cs, g.v0+(float64(j)+0.5)*g.cs)
				if l, ok := bilinearLuma(src, x, y); ok {
					g.y[k] = l
					inside[k], g.valid[k] = true, alpha == nil || alphaAt(alpha, x, y) >= 128
				}
			}
			if inside[k] {
				all++
				if g.valid[k] {
					fg++
				}
			}
		}
	}
	if all > 0 {
		g.matteCover = float64(fg) / float64(all)
	}
	// The matte is there to leave the background out at the face's sides; when
	// it has lost the face itself, the face is still the face (the matte_face rule
	// says the matte is wrong).
	if g.matteCover < 0.5 {
		copy(g.valid, inside)
	}
	g.stats(ed)
	ev.grid = g
	return g
}

func (g *faceGrid) stats(ed float64) {
	vals := make([]float64, 0, len(g.y))
	var ls, rs float64
	var ln, rn int
	for j := range g.h {
		for i := range g.w {
			k := j*g.w + i
			if !g.valid[k] {
				continue
			}
			vals = append(vals, g.y[k])
			// The halves leave out a strip down the nose, whose own shading is no
			// sign of the light's direction.
			switch u := g.u0 + (float64(i)+0.5)*g.cs; {
			case u < -0.1*ed:
				ls += g.y[k]
				ln++
			case u > 0.1*ed:
				rs += g.y[k]
				rn++
			}
		}
	}
	g.n = len(vals)
	if g.n == 0 {
		return
	}
	s := 0.0
	for _, v := range vals {
		s += v
	}
	g.mean = s / float64(g.n)
	slices.Sort(vals)
	g.median = quantile(vals, 0.5)
	g.p2, g.p98 = quantile(vals, 0.02), quantile(vals, 0.98)
	if ln > 0 && rn > 0 {
		g.leftMean, g.rightMn = ls/float64(ln), rs/float64(rn)
	}
}

// minGridCells is the fewest valid face cells the face measures need.
const minGridCells = 200

func (ev *evaluation) usableGrid() *faceGrid {
	g := ev.faceGrid()
	if g == nil || g.n < minGridCells {
		return nil
	}
	return g
}

// sharpness is the face's blur width: sqrt(E|∇I|² / (2 E(ΔI)²)) / edgeShape over
// the face grid, in percent of the eye distance. It is the variance of the
// Laplacian normalised twice: by the gradient's energy (so exposure and contrast
// cancel) and by the face's size (it is taken on the grid resampled to the eye
// distance). For a step edge blurred by a Gaussian of width σ the ratio of the
// gradient's to the Laplacian's energy is 2σ², for a thin line 2σ²/3; a face's
// features are both, and edgeShape, measured on the portraits blurred by known
// amounts (σ = 2-12% of the eye distance), turns the ratio back into σ: a blur of
// σ reads as sqrt(σ² + s0²), s0 being the photo's own, about 2% on sharp photos.
func (g *faceGrid) sharpness(ed float64) (float64, bool) {
	var ge, le float64
	n := 0
	for j := 1; j < g.h-1; j++ {
		for i := 1; i < g.w-1; i++ {
			c, ok0 := g.at(i, j)
			l, ok1 := g.at(i-1, j)
			r, ok2 := g.at(i+1, j)
			u, ok3 := g.at(i, j-1)
			d, ok4 := g.at(i, j+1)
			if !(ok0 && ok1 && ok2 && ok3 && ok4) {
				continue
			}
			gx, gy := (r-l)/2, (d-u)/2
			lap := l + r + u + d - 4*c
			ge += gx*gx + gy*gy
			le += lap * lap
			n++
		}
	}
	if n < minGridCells || le <= 0 {
		return 0, false
	}
	sigma := math.Sqrt(ge/(2*le)) / edgeShape // in cells
	return 100 * sigma / cellsPerEyeOf(g, ed), true
}

// eyeOpening is the height of the dark band (iris and pupil) at an eye, in percent
// of the eye distance: the rows of the eye's vertical profile darker than halfway
// between its darkest row and its brightest (the lid above, the cheek below, lit as
// the eye is). An open eye shows the iris, about 15-20%; a closed one only the
// lashes' line.
func (g *faceGrid) eyeOpening(ed, eyeU float64) (float64, bool) {
	i0, _ := g.cell(eyeU-0.12*ed, 0)
	i1, _ := g.cell(eyeU+0.12*ed, 0)
	_, j0 := g.cell(0, -0.2*ed)
	_, j1 := g.cell(0, 0.2*ed)
	var prof []float64
	for j := j0; j <= j1; j++ {
		s, n := 0.0, 0
		for i := i0; i <= i1; i++ {
			if v, ok := g.at(i, j); ok {
				s += v
				n++
			}
		}
		if n*2 < i1-i0+1 {
			return 0, false
		}
		prof = append(prof, s/float64(n))
	}
	if len(prof) < 5 {
		return 0, false
	}
	dark, ref := slices.Min(prof), slices.Max(prof)
	if ref-dark < 0.15*ref {
		return 0, true // no dark iris at all
	}
	th := dark + 0.5*(ref-dark)
	// count the contiguous rows below th around the darkest one
	k := slices.Index(prof, dark)
	rows := 1
	for a := k - 1; a >= 0 && prof[a] < th; a-- {
		rows++
	}
	for b := k + 1; b < len(prof) && prof[b] < th; b++ {
		rows++
	}
	return 100 * float64(rows) / cellsPerEyeOf(g, ed), true
}

// edgeShape is how much of a blur's width the energy ratio reads on faces.
const edgeShape = 0.63

// cellsPerEyeOf is how many grid cells one eye distance spans (fewer than
// cellsPerEye on a face smaller than the grid).
func cellsPerEyeOf(g *faceGrid, ed float64) float64 { return ed / g.cs }

// mouthDark is the share, in percent, of the mouth's cells darker than
// mouthDarkLevel × the face's median: an open mouth shows its dark interior, closed
// lips a thin line. The level is below the luma of dark-red lipstick (about 0.45 of
// the skin's on the portraits).
const mouthDarkLevel = 0.35

func (g *faceGrid) mouthDark(ed, mu, mv float64) (float64, bool) {
	i0, j0 := g.cell(mu-0.22*ed, mv-0.12*ed)
	i1, j1 := g.cell(mu+0.22*ed, mv+0.12*ed)
	dark, n := 0, 0
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			v, ok := g.at(i, j)
			if !ok {
				continue
			}
			n++
			if v < mouthDarkLevel*g.median {
				dark++
			}
		}
	}
	if n < 20 {
		return 0, false
	}
	return 100 * float64(dark) / float64(n), true
}

// skinL is the lightness skin colours are compared at.
const skinL = 65.0

// skinColour is the median CIELAB colour of two cheek patches, below each eye and
// beside the nose, sampled on the source, brought to lightness skinL.
func (ev *evaluation) skinColour() *lab {
	if ev.skinTried || !ev.hasFace {
		return ev.skin
	}
	ev.skinTried = true
	src, alpha := ev.in.Source, ev.in.Alpha
	if alpha != nil && alpha.Rect != src.Rect {
		alpha = nil
	}
	ed := ev.ed
	r := 0.1 * ed
	step := max(1, r/6)
	var cs []lab
	for _, side := range []float64{-1, 1} {
		cu, cv := side*0.55*ed, 0.5*ed
		for dv := -r; dv <= r; dv += step {
			for du := -r; du <= r; du += step {
				if du*du+dv*dv > r*r {
					continue
				}
				x, y := ev.unproject(cu+du, cv+dv)
				p := image.Pt(int(math.Round(x)), int(math.Round(y)))
				if !p.In(src.Rect) || (alpha != nil && alpha.GrayAt(p.X, p.Y).Y < 128) {
					continue
				}
				o := src.PixOffset(p.X, p.Y)
				cs = append(cs, toLab(src.Pix[o], src.Pix[o+1], src.Pix[o+2]))
			}
		}
	}
	if len(cs) < 10 {
		return nil
	}
	// The colour at a standard lightness, so skin of every tone and exposure
	// compares: scaling a colour's light by s scales L*+16, a* and b* alike by
	// the cube root of s (above the curve's linear toe).
	for i, c := range cs {
		if c.L > 1 {
			k := (skinL + 16) / (c.L + 16)
			cs[i] = lab{skinL, c.A * k, c.B * k}
		}
	}
	m := medianLab(cs)
	ev.skin = &m
	return ev.skin
}

// blockiness measures JPEG's 8x8 block edges on the face's region of the source:
// the mean luma step between neighbouring pixels is summed by the step's phase in
// the block grid (8 phases of a grid of 8 × SourceScale pixels: the upload's blocks,
// shrunk with it), and the strongest phase is compared with the mean of the
// others. Photos without block edges give about 1; heavy compression 2 and more.
// The phase is found rather than assumed, so a grid shifted by cropping or by the
// EXIF rotation is still found.
func (ev *evaluation) blockiness() (float64, bool) {
	g := ev.faceGrid()
	if g == nil {
		return 0, false
	}
	src := ev.in.Source
	b := g.bbox
	if b.Dx() < 32 || b.Dy() < 32 {
		return 0, false
	}
	scale := ev.in.SourceScale
	if !(scale > 0) || scale > 1 {
		scale = 1
	}
	period := 8 * scale
	if period < 3 {
		return 0, false // the grid was shrunk away
	}
	phase := func(p int) int { // phase of the boundary before pixel p
		f := math.Mod(float64(p)/period, 1)
		return min(int(f*8), 7)
	}
	var e [8]float64
	var n [8]int
	w := b.Dx()
	lum := make([]float64, w*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, y):]
		for x := range w {
			lum[(y-b.Min.Y)*w+x] = luma(row[4*x], row[4*x+1], row[4*x+2])
		}
	}
	colPhase := make([]int, w)
	for x := 1; x < w; x++ {
		colPhase[x] = phase(b.Min.X + x)
	}
	for y := 0; y < b.Dy(); y++ {
		line := lum[y*w : (y+1)*w]
		for x := 1; x < w; x++ {
			ph := colPhase[x]
			e[ph] += math.Abs(line[x] - line[x-1])
			n[ph]++
		}
	}
	for y := 1; y < b.Dy(); y++ {
		ph := phase(b.Min.Y + y)
		cur, prev := lum[y*w:(y+1)*w], lum[(y-1)*w:y*w]
		for x := range w {
			e[ph] += math.Abs(cur[x] - prev[x])
		}
		n[ph] += w
	}
	var m [8]float64
	best := 0
	for k := range 8 {
		if n[k] == 0 {
			continue
		}
		m[k] = e[k] / float64(n[k])
		if m[k] > m[best] {
			best = k
		}
	}
	others, cnt := 0.0, 0
	for k := range 8 {
		if k != best && n[k] > 0 {
			others += m[k]
			cnt++
		}
	}
	if cnt == 0 || others <= 0 {
		return 0, false
	}
	return m[best] / (others / float64(cnt)), true
}

// backgroundSpread is the mean CIELAB difference from the median colour over the
// background of the source (matte below 16 of 255), sampled on a grid over the part
// of the photo the ID photo is drawn from, or the whole photo when not fitted.
func (ev *evaluation) backgroundSpread() (float64, bool) {
	src, alpha := ev.in.Source, ev.in.Alpha
	if src == nil || alpha == nil || alpha.Rect != src.Rect {
		return 0, false
	}
	r := src.Rect
	if p := ev.in.Placement; p != nil {
		r = sourceRegion(p.ToSource.Apply, p.Width, p.Height).Intersect(src.Rect)
	}
	if r.Dx() < 8 || r.Dy() < 8 {
		return 0, false
	}
	const n = 64
	var cs []lab
	for j := range n {
		y := r.Min.Y + (2*j+1)*r.Dy()/(2*n)
		for i := range n {
			x := r.Min.X + (2*i+1)*r.Dx()/(2*n)
			if alpha.GrayAt(x, y).Y >= 16 {
				continue
			}
			o := src.PixOffset(x, y)
			cs = append(cs, toLab(src.Pix[o], src.Pix[o+1], src.Pix[o+2]))
		}
	}
	return spread(cs)
}

// resultBackgroundSpread is backgroundSpread on the finished photo: its pixels whose
// source lies on the background (or outside the source, which is background too).
func (ev *evaluation) resultBackgroundSpread() (float64, bool) {
	out, p, alpha := ev.in.Photo, ev.in.Placement, ev.in.Alpha
	if out == nil || p == nil || alpha == nil {
		return 0, false
	}
	const n = 48
	var cs []lab
	r := out.Rect
	for j := range n {
		y := r.Min.Y + (2*j+1)*r.Dy()/(2*n)
		for i := range n {
			x := r.Min.X + (2*i+1)*r.Dx()/(2*n)
			sx, sy := p.ToSource.Apply(float64(x)+0.5, float64(y)+0.5)
			q := image.Pt(int(math.Floor(sx)), int(math.Floor(sy)))
			if q.In(alpha.Rect) && alpha.GrayAt(q.X, q.Y).Y >= 16 {
				continue
			}
			o := out.PixOffset(x, y)
			cs = append(cs, toLab(out.Pix[o], out.Pix[o+1], out.Pix[o+2]))
		}
	}
	return spread(cs)
}

func spread(cs []lab) (float64, bool) {
	if len(cs) < 50 {
		return 0, false
	}
	m := medianLab(slices.Clone(cs))
	s := 0.0
	for _, c := range cs {
		s += deltaE(c, m)
	}
	return s / float64(len(cs)), true
}

// sourceRegion is the bounding box, in the source, of the photo a placement draws.
func sourceRegion(toSource func(x, y float64) (float64, float64), w, h int) image.Rectangle {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range [4][2]float64{{0, 0}, {float64(w), 0}, {0, float64(h)}, {float64(w), float64(h)}} {
		x, y := toSource(c[0], c[1])
		minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
	}
	return image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
}

// room is how far, in source pixels, one can go from (x, y) in direction (dx, dy)
// before leaving the image.
func room(b image.Rectangle, x, y, dx, dy float64) float64 {
	t := math.Inf(1)
	if dx > 1e-9 {
		t = min(t, (float64(b.Max.X)-x)/dx)
	} else if dx < -1e-9 {
		t = min(t, (float64(b.Min.X)-x)/dx)
	}
	if dy > 1e-9 {
		t = min(t, (float64(b.Max.Y)-y)/dy)
	} else if dy < -1e-9 {
		t = min(t, (float64(b.Min.Y)-y)/dy)
	}
	return max(t, 0)
}

func bilinearLuma(m *image.NRGBA, x, y float64) (float64, bool) {
	b := m.Rect
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	if x0 < b.Min.X || y0 < b.Min.Y || x0+1 >= b.Max.X || y0+1 >= b.Max.Y {
		return 0, false
	}
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(px, py int) float64 {
		o := m.PixOffset(px, py)
		return luma(m.Pix[o], m.Pix[o+1], m.Pix[o+2])
	}
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy, true
}

func alphaAt(a *image.Gray, x, y float64) uint8 {
	p := image.Pt(int(math.Round(x)), int(math.Round(y)))
	if !p.In(a.Rect) {
		return 0
	}
	return a.GrayAt(p.X, p.Y).Y
}

// quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// median of v (v is reordered).
func median(v []float64) float64 {
	slices.Sort(v)
	return quantile(v, 0.5)
}
