package face

import (
	"context"
	"image"
	"math"
)

// RefineEyes moves f's eye points onto the pupils with the pupil localiser. Neural
// detectors place their eye keypoints within a few pixels, which on a small face is
// several degrees of roll; the pupils give the eye line that photo rules mean. A
// refined point that strays more than a quarter of the eye distance is not trusted.
func (p *Pigo) RefineEyes(img image.Image, f Face) Face {
	d := f.EyeDistance()
	if !(d > 0) {
		return f
	}
	// Work on the eyes' neighbourhood at its own resolution (up to 150 px between the
	// eyes, plenty for the localiser), not on a shrunk copy of the whole photo.
	mid := f.EyeMid()
	area := image.Rect(int(mid.X-1.5*d), int(mid.Y-1.2*d), int(mid.X+1.5*d)+1, int(mid.Y+1.2*d)+1).Intersect(img.Bounds())
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if area.Empty() || !ok {
		return f
	}
	region := sub.SubImage(area)
	maxSide := max(area.Dx(), area.Dy())
	if d > 150 {
		maxSide = int(float64(maxSide) * 150 / d)
	}
	b := region.Bounds()
	g, sx, sy := toGray(region, maxSide)
	toWork := func(q Point) Point {
		return Point{(q.X-float64(b.Min.X)+0.5)/sx - 0.5, (q.Y-float64(b.Min.Y)+0.5)/sy - 0.5}
	}
	toSrc := func(q Point) Point {
		return Point{float64(b.Min.X) + (q.X+0.5)*sx - 0.5, float64(b.Min.Y) + (q.Y+0.5)*sy - 0.5}
	}
	l, r := toWork(f.LeftEye), toWork(f.RightEye)
	wd := math.Hypot(r.X-l.X, r.Y-l.Y)
	// pigo's face windows are about 2.7 eye distances wide; the localiser searches a
	// quarter of a window.
	s := 0.25 * 2.7 * wd
	roll := math.Atan2(r.Y-l.Y, r.X-l.X)
	n := p.cfg.Perturbs
	lx, ly := p.pupil.find(g, l.X, l.Y, s, roll, false, n)
	rx, ry := p.pupil.find(g, r.X, r.Y, s, roll, false, n)
	nl, nr := Point{lx, ly}, Point{rx, ry}
	if math.Hypot(nl.X-l.X, nl.Y-l.Y) > wd/4 || math.Hypot(nr.X-r.X, nr.Y-r.Y) > wd/4 || nr.X <= nl.X {
		return f
	}
	f.LeftEye, f.RightEye = toSrc(nl), toSrc(nr)
	return f
}

// PupilRefined wraps a detector so every face it finds has its eyes refined by the
// pupil localiser of p.
func PupilRefined(det Detector, p *Pigo) Detector { return pupilRefined{det, p} }

type pupilRefined struct {
	det Detector
	p   *Pigo
}

func (d pupilRefined) Detect(ctx context.Context, img image.Image) ([]Face, error) {
	faces, err := d.det.Detect(ctx, img)
	for i := range faces {
		faces[i] = d.p.RefineEyes(img, faces[i])
	}
	return faces, err
}
