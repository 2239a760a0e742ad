package matte

import "image"

// ChokeRange maps alpha levels: at or below Lo becomes 0, at or above Hi 255, and
// linear between.
type ChokeRange struct{ Lo, Hi uint8 }

// DefaultChoke drops the faint outer rim that neural mattes leave on the old backdrop
// (the light outline users see around hair on a new colour) while keeping strands
// that are at least a sixth opaque.
var DefaultChoke = ChokeRange{Lo: 40, Hi: 230}

// Choke tightens a matte's soft edge in place and returns it: the outermost,
// mostly-backdrop pixels of the edge become transparent and the nearly-solid ones
// solid, so Foreground only has to solve the truly mixed pixels.
func Choke(a *image.Gray, r ChokeRange) *image.Gray {
	if r.Hi <= r.Lo {
		return a
	}
	var lut [256]uint8
	span := float64(r.Hi) - float64(r.Lo)
	for v := range lut {
		x := (float64(v) - float64(r.Lo)) / span
		lut[v] = uint8(clamp01(float32(x))*255 + 0.5)
	}
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		row := a.Pix[a.PixOffset(a.Rect.Min.X, y):][:a.Rect.Dx()]
		for i, v := range row {
			row[i] = lut[v]
		}
	}
	return a
}
