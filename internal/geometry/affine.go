// Package geometry is the pure maths of placing a head in a photo spec: from the face,
// the matte and the spec to a rotation and a crop.
package geometry

import "math"

// Affine maps a point (x, y) to (A*x + B*y + C, D*x + E*y + F).
type Affine struct{ A, B, C, D, E, F float64 }

// Identity is the affine map that changes nothing.
var Identity = Affine{A: 1, E: 1}

// Apply maps (x, y).
func (m Affine) Apply(x, y float64) (float64, float64) {
	return m.A*x + m.B*y + m.C, m.D*x + m.E*y + m.F
}

// Then returns the map that applies m first, then n.
func (m Affine) Then(n Affine) Affine {
	return Affine{
		A: n.A*m.A + n.B*m.D, B: n.A*m.B + n.B*m.E, C: n.A*m.C + n.B*m.F + n.C,
		D: n.D*m.A + n.E*m.D, E: n.D*m.B + n.E*m.E, F: n.D*m.C + n.E*m.F + n.F,
	}
}

// Inverse returns the inverse map; ok is false when m is singular.
func (m Affine) Inverse() (Affine, bool) {
	det := m.A*m.E - m.B*m.D
	if math.Abs(det) < 1e-12 {
		return Affine{}, false
	}
	a, b, d, e := m.E/det, -m.B/det, -m.D/det, m.A/det
	return Affine{A: a, B: b, C: -(a*m.C + b*m.F), D: d, E: e, F: -(d*m.C + e*m.F)}, true
}

// Translate moves by (tx, ty).
func Translate(tx, ty float64) Affine { return Affine{A: 1, C: tx, E: 1, F: ty} }

// Scale scales by s about the origin.
func Scale(s float64) Affine { return Affine{A: s, E: s} }

// Rotate rotates by deg degrees about (cx, cy); positive turns clockwise on screen
// (y points down).
func Rotate(deg, cx, cy float64) Affine {
	r := deg * math.Pi / 180
	c, s := math.Cos(r), math.Sin(r)
	return Translate(-cx, -cy).Then(Affine{A: c, B: -s, D: s, E: c}).Then(Translate(cx, cy))
}
