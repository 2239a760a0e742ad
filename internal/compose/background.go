// Package compose blends the cut-out person onto the new background.
package compose

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"github.com/idphoto/idphoto/internal/spec"
)

// Kind is the shape of a background.
type Kind int

const (
	Solid    Kind = iota
	Vertical      // From at the top to To at the bottom
	Radial        // From in the centre to To at the corners
)

// Background is a solid colour or a two-colour gradient.
type Background struct {
	Kind     Kind
	From, To color.NRGBA
}

// ParseColor reads a named colour, #RGB or #RRGGBB (the # is optional).
func ParseColor(s string) (color.NRGBA, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if c, err := spec.BackgroundColor(s); err == nil {
		return c, nil // the catalogue's names and #RRGGBB
	}
	h := strings.TrimPrefix(s, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		return color.NRGBA{}, fmt.Errorf("unknown colour %q: use a name (%s) or #RRGGBB", s, strings.Join(spec.BackgroundNames(), ", "))
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.NRGBA{}, fmt.Errorf("unknown colour %q: use a name (%s) or #RRGGBB", s, strings.Join(spec.BackgroundNames(), ", "))
	}
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}, nil
}

// ParseBackground reads "blue", "#438EDB", "vertical:white:blue" or "radial:#fff:#438edb".
func ParseBackground(s string) (Background, error) {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) == 1:
		c, err := ParseColor(parts[0])
		return Background{Kind: Solid, From: c, To: c}, err
	case len(parts) == 3 && (parts[0] == "vertical" || parts[0] == "radial"):
		from, err := ParseColor(parts[1])
		if err != nil {
			return Background{}, err
		}
		to, err := ParseColor(parts[2])
		if err != nil {
			return Background{}, err
		}
		k := Vertical
		if parts[0] == "radial" {
			k = Radial
		}
		return Background{Kind: k, From: from, To: to}, nil
	}
	return Background{}, fmt.Errorf("unknown background %q: use a colour, vertical:TOP:BOTTOM or radial:CENTRE:EDGE", s)
}

// String is the form ParseBackground reads.
func (b Background) String() string {
	hex := func(c color.NRGBA) string { return fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B) }
	switch b.Kind {
	case Vertical:
		return "vertical:" + hex(b.From) + ":" + hex(b.To)
	case Radial:
		return "radial:" + hex(b.From) + ":" + hex(b.To)
	}
	return hex(b.From)
}
