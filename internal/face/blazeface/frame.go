package blazeface

import "math"

// square is the part of the source image a network looks at: a square of side
// pixels centred on (cx, cy), turned by angle radians (clockwise on screen, the sense
// of face.Face.Roll) and optionally mirrored left to right. It may reach outside the
// image; that part of the input is black.
type square struct {
	cx, cy, side float64
	angle        float64
	mirror       bool
}

func squareAround(cx, cy, side float64) square {
	return square{cx: cx, cy: cy, side: side}
}

// point maps (u, v) in [0,1]² of the network's input to source pixels.
func (sq square) point(u, v float64) (x, y float64) {
	px, py := (u-0.5)*sq.side, (v-0.5)*sq.side
	if sq.mirror {
		px = -px
	}
	sin, cos := math.Sincos(sq.angle)
	return sq.cx + cos*px - sin*py, sq.cy + sin*px + cos*py
}

// toSource maps a detection from the network's [0,1] frame to source pixels. In a
// mirrored frame the subject's right and left swap sides, so their keypoints swap.
func (sq square) toSource(d detection) detection {
	d.cx, d.cy = sq.point(d.cx, d.cy)
	d.w, d.h = d.w*sq.side, d.h*sq.side
	for k := range d.kp {
		d.kp[k][0], d.kp[k][1] = sq.point(d.kp[k][0], d.kp[k][1])
	}
	if sq.mirror {
		d.kp[0], d.kp[1] = d.kp[1], d.kp[0]
		d.kp[4], d.kp[5] = d.kp[5], d.kp[4]
	}
	return d
}
