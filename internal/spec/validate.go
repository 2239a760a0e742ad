package spec

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
)

// namedColors are the background names a catalogue may use besides #RRGGBB.
var namedColors = map[string]color.NRGBA{
	"white":      {0xFF, 0xFF, 0xFF, 0xFF},
	"blue":       {0x43, 0x8E, 0xDB, 0xFF},
	"light-blue": {0x8E, 0xC5, 0xF0, 0xFF}, // no official value: a pale studio blue (CET "浅蓝")
	"red":        {0xD7, 0x45, 0x32, 0xFF},
	"dark-blue":  {0x4B, 0x61, 0x90, 0xFF},
	"light-grey": {0xF2, 0xF0, 0xF0, 0xFF},
}

// BackgroundNames lists the named background colours, lightest first.
func BackgroundNames() []string {
	return []string{"white", "light-grey", "light-blue", "blue", "red", "dark-blue"}
}

// BackgroundColor resolves a background name from the catalogue (white, blue,
// light-blue, red, dark-blue, light-grey) or a #RRGGBB value.
func BackgroundColor(name string) (color.NRGBA, error) {
	if c, ok := namedColors[name]; ok {
		return c, nil
	}
	if len(name) == 7 && name[0] == '#' {
		var v [3]uint8
		ok := true
		for i := range v {
			hi, ok1 := hexDigit(name[1+2*i])
			lo, ok2 := hexDigit(name[2+2*i])
			ok = ok && ok1 && ok2
			v[i] = hi<<4 | lo
		}
		if ok {
			return color.NRGBA{v[0], v[1], v[2], 0xFF}, nil
		}
	}
	if len(name) > 32 {
		name = name[:32] + "…"
	}
	return color.NRGBA{}, fmt.Errorf("spec: unknown background %q (want a name or #RRGGBB)", name)
}

func hexDigit(b byte) (uint8, bool) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', true
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, true
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// PxFromMM is the pixel count of mm millimetres at dpi: round(mm / 25.4 × dpi).
func PxFromMM(mm float64, dpi int) int { return int(math.Round(mm / 25.4 * float64(dpi))) }

// crownToEye is a typical head's crown-to-eye distance as a fraction of its
// chin-to-crown height; Validate uses it to prove a spec's bands can all hold at once.
const crownToEye = 0.45

// Validate checks one entry: a well-formed id and group, positive and consistent sizes,
// known backgrounds, head bands inside (0,1) that give the placer a target and can hold
// together for a typical head, a sane KB range, format and source.
func (s Spec) Validate() error {
	if err := s.validate(); err != nil {
		id := s.ID
		if len(id) > maxIDLen {
			id = id[:maxIDLen] + "…"
		}
		return fmt.Errorf("%q: %w", id, err)
	}
	return nil
}

func (s Spec) validate() error {
	if err := validID(s.ID); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(s.Name) == "":
		return errors.New("no name")
	case groupRank(s.Group) < 0:
		return fmt.Errorf("group must be one of %s", strings.Join(groupOrder, ", "))
	case s.Country != "" && !(len(s.Country) == 2 && isUpper(s.Country[0]) && isUpper(s.Country[1])):
		return errors.New("country must be an ISO 3166 alpha-2 code or empty")
	case s.WidthPx <= 0 || s.HeightPx <= 0 || s.WidthPx > 10000 || s.HeightPx > 10000:
		return fmt.Errorf("pixel size %dx%d not in 1-10000", s.WidthPx, s.HeightPx)
	case s.DPI < 72 || s.DPI > 2400:
		return fmt.Errorf("dpi %d not in 72-2400", s.DPI)
	case !(s.WidthMM >= 0) || !(s.HeightMM >= 0) || (s.WidthMM == 0) != (s.HeightMM == 0):
		return errors.New("size in mm must be both positive or both zero")
	case s.MinKB < 0 || s.MaxKB < 0 || (s.MaxKB > 0 && s.MinKB > s.MaxKB):
		return fmt.Errorf("KB range %d-%d is not a range", s.MinKB, s.MaxKB)
	case s.Format != "jpeg" && s.Format != "png":
		return errors.New(`format must be "jpeg" or "png"`)
	case strings.TrimSpace(s.Source) == "":
		return errors.New("no source")
	}
	if s.WidthMM > 0 {
		// operator catalogues may round mm to a tenth: allow one pixel either way
		if d := PxFromMM(s.WidthMM, s.DPI) - s.WidthPx; d < -1 || d > 1 {
			return fmt.Errorf("width %g mm at %d dpi is %d px, not %d", s.WidthMM, s.DPI, PxFromMM(s.WidthMM, s.DPI), s.WidthPx)
		}
		if d := PxFromMM(s.HeightMM, s.DPI) - s.HeightPx; d < -1 || d > 1 {
			return fmt.Errorf("height %g mm at %d dpi is %d px, not %d", s.HeightMM, s.DPI, PxFromMM(s.HeightMM, s.DPI), s.HeightPx)
		}
	}
	if len(s.Backgrounds) == 0 {
		return errors.New("no backgrounds")
	}
	for i, b := range s.Backgrounds {
		if _, err := BackgroundColor(b); err != nil {
			return err
		}
		if slices.Contains(s.Backgrounds[:i], b) {
			return fmt.Errorf("background %q listed twice", b)
		}
	}
	return s.Head.validate()
}

func validID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("id must be 1-%d characters", maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return errors.New("id may hold only a-z, 0-9 and '-'")
		}
	}
	if id[0] == '-' || id[len(id)-1] == '-' {
		return errors.New("id may not start or end with '-'")
	}
	return nil
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }

func (h Head) validate() error {
	bands := []struct {
		name string
		r    Range
	}{
		{"crown_top", h.CrownTop}, {"height", h.Height}, {"eye_from_bottom", h.EyeFromBottom},
		{"face_width", h.FaceWidth}, {"center_x", h.CenterX}, {"chin_from_bottom", h.ChinFromBottom},
	}
	for _, b := range bands {
		// NaN fails every comparison, so it is caught here too
		if b.r.Set() && !(b.r.Min > 0 && b.r.Min <= b.r.Max && b.r.Max < 1) {
			return fmt.Errorf("head %s band must have 0 < min <= max < 1", b.name)
		}
	}
	switch {
	case !h.Height.Set() && !h.FaceWidth.Set():
		return errors.New("head needs a height or face_width band")
	case !h.CrownTop.Set() && !h.EyeFromBottom.Set():
		return errors.New("head needs a crown_top or eye_from_bottom band")
	case !h.CenterX.Set():
		return errors.New("head center_x band missing")
	case !h.Feasible():
		return errors.New("head bands cannot all hold for a typical head")
	}
	return nil
}

// Feasible reports whether some head height in the Height band, with the crown in the
// CrownTop band, puts a typical head's eye line and chin inside their bands and the
// whole head inside the photo. Its crown-to-eye distance is 0.45 of its height. A spec
// without a Height band (scaled by face width) is tried over heights 0.5-0.95.
func (h Head) Feasible() bool {
	const steps = 200
	height := h.Height
	if !height.Set() {
		height = Range{Min: 0.5, Max: 0.95} // the face width sets the scale instead
	}
	for i := 0; i <= steps; i++ {
		ht := height.Min + (height.Max-height.Min)*float64(i)/steps
		cLo, cHi := 0.0, 1-ht
		if h.CrownTop.Set() {
			cLo, cHi = max(cLo, h.CrownTop.Min), min(cHi, h.CrownTop.Max)
		}
		for j := 0; j <= steps && cLo <= cHi; j++ {
			c := cLo + (cHi-cLo)*float64(j)/steps
			if h.EyeFromBottom.Contains(1-c-crownToEye*ht) && h.ChinFromBottom.Contains(1-c-ht) {
				return true
			}
		}
	}
	return false
}
