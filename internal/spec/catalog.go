package spec

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

//go:embed catalog.json
var builtin []byte

// ErrUnknownSpec is matched (errors.Is) by every *UnknownSpecError.
var ErrUnknownSpec = errors.New("spec: unknown spec")

// UnknownSpecError says an id is not in the catalogue and, when one is close, which id
// was probably meant. Both fields are safe to show to a user.
type UnknownSpecError struct {
	ID         string
	DidYouMean string // "" when nothing is close
}

func (e *UnknownSpecError) Error() string {
	if e.DidYouMean == "" {
		return fmt.Sprintf("spec: unknown spec %q", e.ID)
	}
	return fmt.Sprintf("spec: unknown spec %q (did you mean %q?)", e.ID, e.DidYouMean)
}

func (e *UnknownSpecError) Unwrap() error { return ErrUnknownSpec }

// groupOrder is the display order of the groups; Parse accepts no others.
var groupOrder = []string{"common", "id", "exam", "visa", "other"}

// Limits on operator-supplied catalogues: they are files, but files can be wrong.
const (
	maxCatalogBytes = 4 << 20
	maxSpecs        = 5000
	maxIDLen        = 64
)

// Catalog is a validated, read-only set of specs.
type Catalog struct {
	specs []Spec // sorted by group, then id
	byID  map[string]int
}

// document is the file layout of catalog.json.
type document struct {
	Version int    `json:"version"`
	Specs   []Spec `json:"specs"`
}

// Load parses and validates the catalogue built into the binary.
func Load() (*Catalog, error) {
	c, err := Parse(builtin)
	if err != nil {
		return nil, fmt.Errorf("spec: built-in catalogue: %w", err)
	}
	return c, nil
}

// Parse reads a catalogue in the catalog.json layout and validates every entry. Unknown
// fields are rejected so that a misspelt rule is an error, not a silently missing band.
func Parse(data []byte) (*Catalog, error) {
	if len(data) > maxCatalogBytes {
		return nil, fmt.Errorf("spec: catalogue is %d bytes, more than %d", len(data), maxCatalogBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("spec: parse catalogue: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("spec: parse catalogue: data after the top-level object")
	}
	if doc.Version != 1 {
		return nil, fmt.Errorf("spec: catalogue version %d not supported (want 1)", doc.Version)
	}
	switch {
	case len(doc.Specs) == 0:
		return nil, errors.New("spec: catalogue has no specs")
	case len(doc.Specs) > maxSpecs:
		return nil, fmt.Errorf("spec: catalogue has %d specs, more than %d", len(doc.Specs), maxSpecs)
	}
	c := &Catalog{specs: doc.Specs, byID: make(map[string]int, len(doc.Specs))}
	for i, s := range c.specs {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("spec: entry %d: %w", i, err)
		}
		if _, dup := c.byID[s.ID]; dup {
			return nil, fmt.Errorf("spec: entry %d: duplicate id %q", i, s.ID)
		}
		c.byID[s.ID] = i
	}
	slices.SortStableFunc(c.specs, func(a, b Spec) int {
		if d := groupRank(a.Group) - groupRank(b.Group); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	for i, s := range c.specs {
		c.byID[s.ID] = i
	}
	return c, nil
}

func groupRank(g string) int { return slices.Index(groupOrder, g) }

// Lookup returns the spec with the given id (case and surrounding space ignored). An
// unknown id gives an *UnknownSpecError that wraps ErrUnknownSpec.
func (c *Catalog) Lookup(id string) (Spec, error) {
	key := strings.ToLower(strings.TrimSpace(id))
	if i, ok := c.byID[key]; ok {
		return clone(c.specs[i]), nil
	}
	shown := key
	if r := []rune(shown); len(r) > maxIDLen {
		shown = string(r[:maxIDLen]) + "…"
	}
	return Spec{}, &UnknownSpecError{ID: shown, DidYouMean: c.suggest(key)}
}

// suggest names the id closest to key: one that contains it ("idcard" → "cn-idcard"),
// else the nearest by edit distance when the distance is small for key's length.
func (c *Catalog) suggest(key string) string {
	r := []rune(key)
	if len(r) == 0 || len(r) > maxIDLen {
		return ""
	}
	best, bestD := "", 1<<30
	for _, s := range c.specs { // sorted, so ties go to the first in display order
		d := editDistance(r, []rune(s.ID))
		if strings.Contains(s.ID, key) && len(r) >= 3 {
			d = min(d, 1) // a fragment of an id is as good as a one-letter typo
		}
		if d < bestD {
			best, bestD = s.ID, d
		}
	}
	if bestD > max(2, len(r)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// All returns every spec, ordered by group (common, id, exam, visa, other), then id.
func (c *Catalog) All() []Spec {
	out := make([]Spec, len(c.specs))
	for i, s := range c.specs {
		out[i] = clone(s)
	}
	return out
}

// Groups returns the groups that hold at least one spec, in display order.
func (c *Catalog) Groups() []string {
	var out []string
	for _, s := range c.specs {
		if len(out) == 0 || out[len(out)-1] != s.Group {
			out = append(out, s.Group)
		}
	}
	return out
}

// clone copies s so callers cannot change the catalogue through the shared slice.
func clone(s Spec) Spec {
	s.Backgrounds = slices.Clone(s.Backgrounds)
	return s
}
