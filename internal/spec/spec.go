// Package spec is the catalogue of ID-photo specifications, kept as data (catalog.json)
// with the source of every entry.
package spec

// Range is a closed interval; a zero Range (Min == Max == 0) means "no rule".
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Set reports whether the range holds a rule.
func (r Range) Set() bool { return r.Min != 0 || r.Max != 0 }

// Contains reports whether v lies in r (always true for an unset range).
func (r Range) Contains(v float64) bool { return !r.Set() || (v >= r.Min && v <= r.Max) }

// Mid is the middle of r.
func (r Range) Mid() float64 { return (r.Min + r.Max) / 2 }

// Head holds the head-placement bands, each as a fraction of the photo:
// heights and vertical positions of the photo height, widths of the photo width.
type Head struct {
	// CrownTop: distance from the top edge to the crown (top of hair) / photo height.
	CrownTop Range `json:"crown_top"`
	// Height: chin-to-crown distance / photo height.
	Height Range `json:"height"`
	// EyeFromBottom: distance from the bottom edge up to the eye line / photo height.
	EyeFromBottom Range `json:"eye_from_bottom"`
	// FaceWidth: face width (cheek to cheek) / photo width.
	FaceWidth Range `json:"face_width"`
	// CenterX: horizontal position of the face centre / photo width.
	CenterX Range `json:"center_x"`
	// ChinFromBottom: distance from the chin to the bottom edge / photo height.
	ChinFromBottom Range `json:"chin_from_bottom"`
	// EyeWins: when hair is too tall for the crown band, the eye and chin rules win and
	// the hair may be cut at the top (GA 461 for the resident ID card).
	EyeWins bool `json:"eye_wins"`
}

// Spec is one photo specification.
type Spec struct {
	ID       string  `json:"id"`      // stable, lower-case, e.g. "cn-1inch"
	Name     string  `json:"name"`    // English
	NameZH   string  `json:"name_zh"` // Chinese
	Group    string  `json:"group"`   // "common", "id", "exam", "visa", "other"
	Country  string  `json:"country"` // ISO 3166 alpha-2, or "" for generic sizes
	WidthMM  float64 `json:"width_mm"`
	HeightMM float64 `json:"height_mm"`
	WidthPx  int     `json:"width_px"`
	HeightPx int     `json:"height_px"`
	DPI      int     `json:"dpi"`
	// Backgrounds lists the allowed background names or #RRGGBB; the first is the default.
	Backgrounds []string `json:"backgrounds"`
	Head        Head     `json:"head"`
	MinKB       int      `json:"min_kb,omitempty"` // 0: no lower bound
	MaxKB       int      `json:"max_kb,omitempty"` // 0: no upper bound
	Format      string   `json:"format"`           // "jpeg" or "png"
	Retouch     bool     `json:"retouch"`          // whether beautification is allowed
	Source      string   `json:"source"`           // where the numbers come from
}
