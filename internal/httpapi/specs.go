package httpapi

import (
	"fmt"
	"net/http"

	"github.com/idphoto/idphoto/internal/spec"
)

// specJSON is one document of the catalogue as clients show it: what it is and its
// size, not the head bands the checker applies.
type specJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	NameZH      string   `json:"name_zh"`
	Country     string   `json:"country,omitempty"`
	WidthMM     float64  `json:"width_mm"`
	HeightMM    float64  `json:"height_mm"`
	WidthPx     int      `json:"width_px"`
	HeightPx    int      `json:"height_px"`
	DPI         int      `json:"dpi"`
	Backgrounds []string `json:"backgrounds"`
	Format      string   `json:"format"`
	MinKB       int      `json:"min_kb,omitempty"`
	MaxKB       int      `json:"max_kb,omitempty"`
}

type specGroupJSON struct {
	Group string     `json:"group"` // common, id, exam, visa, other
	Specs []specJSON `json:"specs"`
}

// backgroundJSON is a named background colour and its sRGB value, for swatches.
type backgroundJSON struct {
	Name string `json:"name"`
	Hex  string `json:"hex"`
}

// listSpecs is the spec catalogue grouped in display order, public and the same for
// everyone, and the named background colours.
func (a *API) listSpecs(w http.ResponseWriter, _ *http.Request, _ string) {
	groups := []specGroupJSON{}
	for _, s := range a.specs.All() {
		if len(groups) == 0 || groups[len(groups)-1].Group != s.Group {
			groups = append(groups, specGroupJSON{Group: s.Group})
		}
		g := &groups[len(groups)-1]
		g.Specs = append(g.Specs, specOut(s))
	}
	bgs := []backgroundJSON{}
	for _, name := range spec.BackgroundNames() {
		c, err := spec.BackgroundColor(name)
		if err != nil {
			continue
		}
		bgs = append(bgs, backgroundJSON{Name: name, Hex: fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": groups, "backgrounds": bgs})
}

func specOut(s spec.Spec) specJSON {
	return specJSON{ID: s.ID, Name: s.Name, NameZH: s.NameZH, Country: s.Country, WidthMM: s.WidthMM, HeightMM: s.HeightMM,
		WidthPx: s.WidthPx, HeightPx: s.HeightPx, DPI: s.DPI, Backgrounds: s.Backgrounds, Format: s.Format,
		MinKB: s.MinKB, MaxKB: s.MaxKB}
}
