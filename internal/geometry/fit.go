package geometry

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/spec"
)

// Head is a person's head measured in the head's own frame: the origin is the midpoint
// of the eyes, x runs along the eye line and y down the face's axis. Distances are in
// source pixels.
type Head struct {
	EyeMid    face.Point // source pixels
	Roll      float64    // eye-line angle in degrees (face.Face.Roll)
	CrownUp   float64    // eye line up to the top of the hair
	ChinDown  float64    // eye line down to the chin
	FaceWidth float64    // cheek to cheek
	CenterDX  float64    // face centre's offset from EyeMid along the eye line
}

// Validate rejects measurements no real head gives.
func (h Head) Validate() error {
	switch {
	case !(h.CrownUp > 0) || !(h.ChinDown > 0):
		return errors.New("geometry: head has no height")
	case !(h.FaceWidth > 0):
		return errors.New("geometry: face has no width")
	case math.IsNaN(h.Roll) || math.Abs(h.Roll) > 60:
		return fmt.Errorf("geometry: head roll %.0f degrees is beyond correction", h.Roll)
	}
	return nil
}

// Layout says where the head lands in the finished photo, as fractions of the photo
// (the same units as spec.Head), so it can be compared with the spec's bands.
type Layout struct {
	CrownTop       float64 // may be negative: hair cut at the top
	Height         float64
	EyeFromBottom  float64
	ChinFromBottom float64
	FaceWidth      float64
	CenterX        float64
}

// Placement is the answer of Fit: how to turn the source into the finished photo.
type Placement struct {
	Width, Height int
	// ToSource maps a finished-photo pixel position to the source image.
	ToSource Affine
	// FromSource maps a source position to the finished photo.
	FromSource Affine
	Scale      float64 // finished-photo pixels per source pixel
	Layout     Layout
	// Misses names the spec bands the placement could not meet (empty when all hold).
	Misses []string
}

// weights of a band's violation in Fit's cost; the eye and chin rules win over the
// crown for specs that say so (tall hair may be cut).
const (
	weightHard  = 1000.0
	weightCrown = 1000.0
	weightSoft  = 30.0
)

// Fit places the head in the spec's frame: it straightens the roll, scales so the head
// height and face width fall in their bands, and positions the eye line, crown, chin and
// centre inside theirs. When the bands cannot all hold it minimises the violation, and
// with spec.Head.EyeWins it gives up the crown and head-height bands first (both
// include the hair) and keeps the eye line and the face width.
func Fit(h Head, s spec.Spec) (Placement, error) {
	if err := h.Validate(); err != nil {
		return Placement{}, err
	}
	if s.WidthPx <= 0 || s.HeightPx <= 0 {
		return Placement{}, fmt.Errorf("geometry: spec %s has no pixel size", s.ID)
	}
	W, H := float64(s.WidthPx), float64(s.HeightPx)
	b := s.Head
	head := h.CrownUp + h.ChinDown

	// Preferred scale: the middle of the head-height band, else the face-width band,
	// else a head of two thirds of the photo.
	kpref := 0.0
	switch {
	case b.Height.Set():
		kpref = b.Height.Mid() * H / head
	case b.FaceWidth.Set():
		kpref = b.FaceWidth.Mid() * W / h.FaceWidth
	default:
		kpref = 0.66 * H / head
	}
	crownW, heightW := weightCrown, weightHard
	if b.EyeWins {
		crownW, heightW = weightSoft, weightSoft
	}

	best := struct {
		cost, k, ey float64
	}{cost: math.Inf(1)}
	const steps = 400
	for i := 0; i <= steps; i++ {
		k := kpref * (0.5 + float64(i)/steps) // 0.5 … 1.5 × kpref
		ey, cost := placeEyes(k, h, b, W, H, crownW, heightW)
		cost += 0.5 * math.Abs(k-kpref) / kpref // prefer the band's middle
		if cost < best.cost {
			best.cost, best.k, best.ey = cost, k, ey
		}
	}
	k, ey := best.k, best.ey
	cx := 0.5
	if b.CenterX.Set() {
		cx = b.CenterX.Mid()
	}
	ex := cx*W - k*h.CenterDX

	from := Rotate(-h.Roll, h.EyeMid.X, h.EyeMid.Y).
		Then(Translate(-h.EyeMid.X, -h.EyeMid.Y)).
		Then(Scale(k)).
		Then(Translate(ex, ey))
	to, ok := from.Inverse()
	if !ok {
		return Placement{}, errors.New("geometry: degenerate placement")
	}
	l := Layout{
		CrownTop:       (ey - k*h.CrownUp) / H,
		Height:         k * head / H,
		EyeFromBottom:  (H - ey) / H,
		ChinFromBottom: (H - ey - k*h.ChinDown) / H,
		FaceWidth:      k * h.FaceWidth / W,
		CenterX:        (ex + k*h.CenterDX) / W,
	}
	return Placement{
		Width: s.WidthPx, Height: s.HeightPx,
		ToSource: to, FromSource: from, Scale: k,
		Layout: l, Misses: Misses(l, b),
	}, nil
}

// defaultCrownMargin is the space above the hair, as a fraction of the photo's
// height, for specs whose rules don't say: ICAO-style photos leave 3-5 mm of 45.
const defaultCrownMargin = 0.08

// placeEyes chooses the eye line's row for scale k: inside every vertical band when
// they overlap, else where the weighted violation is least. It returns the row and
// the violation cost (0 when all bands hold).
func placeEyes(k float64, h Head, b spec.Head, W, H, crownW, heightW float64) (float64, float64) {
	type iv struct {
		lo, hi, w float64
	}
	var ivs []iv
	if b.CrownTop.Set() {
		ivs = append(ivs, iv{H*b.CrownTop.Min + k*h.CrownUp, H*b.CrownTop.Max + k*h.CrownUp, crownW})
	}
	if b.EyeFromBottom.Set() {
		ivs = append(ivs, iv{H * (1 - b.EyeFromBottom.Max), H * (1 - b.EyeFromBottom.Min), weightHard})
	}
	if b.ChinFromBottom.Set() {
		ivs = append(ivs, iv{H*(1-b.ChinFromBottom.Max) - k*h.ChinDown, H*(1-b.ChinFromBottom.Min) - k*h.ChinDown, weightHard})
	}
	// The head must not leave the photo at the chin, and the crown may leave it only
	// when the eye rule wins.
	ivs = append(ivs, iv{0, H - k*h.ChinDown, weightHard})
	ivs = append(ivs, iv{k * h.CrownUp, H, crownW})

	// Size bands don't depend on the row, only on k.
	cost := 0.0
	if b.Height.Set() {
		cost += heightW * outside(k*(h.CrownUp+h.ChinDown)/H, b.Height.Min, b.Height.Max)
	}
	if b.FaceWidth.Set() {
		cost += weightHard * outside(k*h.FaceWidth/W, b.FaceWidth.Min, b.FaceWidth.Max)
	}

	// Candidate rows: the one that puts the crown in the middle of its band (or, for
	// specs without a crown band, the margin studios leave above the hair), then
	// every interval end; pick the cheapest, and among equals the nearest to that.
	eval := func(y float64) float64 {
		c := 0.0
		for _, v := range ivs {
			c += v.w * outside(y, v.lo, v.hi) / H
		}
		return c
	}
	crown := defaultCrownMargin
	if b.CrownTop.Set() {
		crown = b.CrownTop.Mid()
	}
	target := H*crown + k*h.CrownUp
	bestY, bestC := target, eval(target)
	for _, v := range ivs {
		for _, y := range []float64{v.lo, v.hi, clamp(target, v.lo, v.hi)} {
			if c := eval(y) + 1e-6*math.Abs(y-target)/H; c < bestC {
				bestY, bestC = y, c
			}
		}
	}
	return bestY, cost + bestC
}

func outside(v, lo, hi float64) float64 {
	switch {
	case v < lo:
		return lo - v
	case v > hi:
		return v - hi
	}
	return 0
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Misses lists the spec bands that layout l does not meet.
func Misses(l Layout, b spec.Head) []string {
	var out []string
	check := func(name string, r spec.Range, v float64) {
		// a thousandth of slack absorbs rounding to whole pixels
		if r.Set() && (v < r.Min-1e-3 || v > r.Max+1e-3) {
			out = append(out, fmt.Sprintf("%s %.3f outside %.3f-%.3f", name, v, r.Min, r.Max))
		}
	}
	check("crown_top", b.CrownTop, l.CrownTop)
	check("height", b.Height, l.Height)
	check("eye_from_bottom", b.EyeFromBottom, l.EyeFromBottom)
	check("chin_from_bottom", b.ChinFromBottom, l.ChinFromBottom)
	check("face_width", b.FaceWidth, l.FaceWidth)
	check("center_x", b.CenterX, l.CenterX)
	return out
}

// CrownUp walks up the head's axis from the eye line over the matte and returns the
// distance to the top of the hair: the first row of a gap of background rows, where a
// row is a band of halfBand pixels either side of the axis. maxUp caps the walk.
func CrownUp(alpha *image.Gray, eyeMid face.Point, roll, halfBand, maxUp float64) float64 {
	r := roll * math.Pi / 180
	c, s := math.Cos(r), math.Sin(r)
	upX, upY := s, -c // the head's "up" in source coordinates
	alX, alY := c, s  // along the eye line
	const gap = 3     // background rows in a row that end the head
	n := int(halfBand)
	if n < 2 {
		n = 2
	}
	top, miss := 0.0, 0
	for t := 0.0; t < maxUp; t++ {
		fg, all := 0, 0
		for i := -n; i <= n; i++ {
			x := eyeMid.X + t*upX + float64(i)*halfBand/float64(n)*alX
			y := eyeMid.Y + t*upY + float64(i)*halfBand/float64(n)*alY
			xi, yi := int(math.Floor(x)), int(math.Floor(y))
			if !(image.Point{xi, yi}.In(alpha.Rect)) {
				continue
			}
			all++
			if alpha.Pix[alpha.PixOffset(xi, yi)] >= 128 {
				fg++
			}
		}
		if all == 0 { // walked off the image: the hair reaches the edge
			return t
		}
		if fg*4 >= all { // a quarter of the band is person
			top, miss = t, 0
			continue
		}
		if miss++; miss >= gap {
			break
		}
	}
	return top
}

// Project gives p's coordinates in the head frame of eyeMid and roll: x along the eye
// line, y down the face's axis.
func Project(p, eyeMid face.Point, roll float64) (x, y float64) {
	r := roll * math.Pi / 180
	c, s := math.Cos(r), math.Sin(r)
	dx, dy := p.X-eyeMid.X, p.Y-eyeMid.Y
	return dx*c + dy*s, -dx*s + dy*c
}
