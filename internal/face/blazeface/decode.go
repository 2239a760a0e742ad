package blazeface

import (
	"context"
	"fmt"
	"image"
	"math"
	"slices"
	"sort"

	"github.com/idphoto/idphoto/internal/face"
)

// detection is one face in source pixels: box centre and size, six keypoints (the
// subject's right eye, left eye, nose tip, mouth, right and left ear tragion) and the
// score.
type detection struct {
	cx, cy, w, h float64
	kp           [6][2]float64
	score        float64
}

// detect runs the network on the square sq of the photo and returns the merged
// detections above the threshold, in source pixels.
func (n *network) detect(ctx context.Context, img *pyramid, sq square, cfg Config) ([]detection, error) {
	input := img.input(sq, n.size)
	out, err := n.sess.Run(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("blazeface: %w", err)
	}
	raw := decode(out, n.size, cfg.Threshold)
	dets := merge(raw, cfg.Overlap)
	for i := range dets {
		dets[i] = sq.toSource(dets[i])
	}
	return dets, nil
}

// decode turns the raw heads into detections in [0,1] coordinates of the input
// square (y down), keeping those whose score passes threshold. out holds the score
// heads then the regressor heads, as newNetwork asks for them.
func decode(out [][]float32, size int, threshold float64) []detection {
	var dets []detection
	scale := 1 / float64(size)
	for hi, h := range heads {
		scores, regs := out[hi], out[len(heads)+hi]
		for cy := range h.cells {
			for cx := range h.cells {
				ax := (float64(cx) + 0.5) / float64(h.cells)
				ay := (float64(cy) + 0.5) / float64(h.cells)
				for a := range h.anchors {
					i := (cy*h.cells+cx)*h.anchors + a
					if i >= len(scores) || (i+1)*regressors > len(regs) {
						return dets
					}
					s := sigmoid(float64(scores[i]))
					if !(s > threshold) {
						continue
					}
					r := regs[i*regressors : (i+1)*regressors]
					d := detection{
						cx:    ax + float64(r[0])*scale,
						cy:    ay + float64(r[1])*scale,
						w:     float64(r[2]) * scale,
						h:     float64(r[3]) * scale,
						score: s,
					}
					for k := range d.kp {
						d.kp[k] = [2]float64{ax + float64(r[4+2*k])*scale, ay + float64(r[5+2*k])*scale}
					}
					if d.w <= 0 || d.h <= 0 || !finite(d) {
						continue
					}
					dets = append(dets, d)
				}
			}
		}
	}
	return dets
}

func sigmoid(x float64) float64 {
	x = math.Max(-100, math.Min(100, x)) // as MediaPipe clips the logits
	return 1 / (1 + math.Exp(-x))
}

func finite(d detection) bool {
	v := d.cx + d.cy + d.w + d.h
	for _, k := range d.kp {
		v += k[0] + k[1]
	}
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// merge is weighted non-maximum suppression: the best remaining detection absorbs
// every other one overlapping it by more than overlap, and the group's geometry is
// the score-weighted mean, which steadies the box and the keypoints.
func merge(dets []detection, overlap float64) []detection {
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].score > dets[j].score })
	used := make([]bool, len(dets))
	var out []detection
	for i := range dets {
		if used[i] {
			continue
		}
		top := dets[i]
		var acc detection
		var wsum float64
		for j := i; j < len(dets); j++ {
			if used[j] || (j != i && iou(top, dets[j]) <= overlap) {
				continue
			}
			used[j] = true
			d, s := dets[j], dets[j].score
			acc.cx += d.cx * s
			acc.cy += d.cy * s
			acc.w += d.w * s
			acc.h += d.h * s
			for k := range acc.kp {
				acc.kp[k][0] += d.kp[k][0] * s
				acc.kp[k][1] += d.kp[k][1] * s
			}
			wsum += s
		}
		acc.cx, acc.cy, acc.w, acc.h = acc.cx/wsum, acc.cy/wsum, acc.w/wsum, acc.h/wsum
		for k := range acc.kp {
			acc.kp[k][0] /= wsum
			acc.kp[k][1] /= wsum
		}
		acc.score = top.score
		out = append(out, acc)
	}
	return out
}

// suppress keeps the best of each group of detections overlapping by more than
// overlap, best score first.
func suppress(dets []detection, overlap float64) []detection {
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].score > dets[j].score })
	var out []detection
	for _, d := range dets {
		if !slices.ContainsFunc(out, func(o detection) bool { return iou(o, d) > overlap }) {
			out = append(out, d)
		}
	}
	return out
}

// iou is the intersection over union of two boxes.
func iou(a, b detection) float64 {
	ix := math.Min(a.cx+a.w/2, b.cx+b.w/2) - math.Max(a.cx-a.w/2, b.cx-b.w/2)
	iy := math.Min(a.cy+a.h/2, b.cy+b.h/2) - math.Max(a.cy-a.h/2, b.cy-b.h/2)
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	return inter / (a.w*a.h + b.w*b.h - inter)
}

// face converts d to a face.Face, the box clipped to the image bounds b.
func (d detection) face(b image.Rectangle) face.Face {
	clampX := func(x float64) float64 { return math.Max(float64(b.Min.X), math.Min(float64(b.Max.X), x)) }
	clampY := func(y float64) float64 { return math.Max(float64(b.Min.Y), math.Min(float64(b.Max.Y), y)) }
	pt := func(k int) face.Point { return face.Point{X: d.kp[k][0], Y: d.kp[k][1]} }
	f := face.Face{
		Box: face.Rect{
			Min: face.Point{X: clampX(d.cx - d.w/2), Y: clampY(d.cy - d.h/2)},
			Max: face.Point{X: clampX(d.cx + d.w/2), Y: clampY(d.cy + d.h/2)},
		},
		LeftEye:  pt(0),
		RightEye: pt(1),
		Nose:     pt(2),
		Mouth:    pt(3),
		Score:    d.score,
	}
	if f.LeftEye.X > f.RightEye.X {
		f.LeftEye, f.RightEye = f.RightEye, f.LeftEye
	}
	return f
}
