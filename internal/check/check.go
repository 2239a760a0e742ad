// Package check judges whether a photo can make a compliant ID photo and says why
// not, rule by rule, in words a person can act on (promise P5).
//
// The rules are data (the table in rules.go): each has an id, a severity, a measure
// computed on the source photo or on the finished one, the range it must fall in for
// the chosen spec, and a message and a fix in English and Chinese. Evaluate runs them
// all and returns a Report that holds measured numbers only (angles, ratios, levels),
// never coordinates: face data stays in the Input, in memory, for one run (promise
// P3).
//
// The measures follow BSI's OFIQ (ISO/IEC 29794-5) where it has one, simplified to
// run in milliseconds in pure Go; the limits come from ICAO 9303 / ISO/IEC 19794-5 and
// from each spec's own bands.
package check

import (
	"encoding/json"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"

	"github.com/idphoto/idphoto/internal/face"
	"github.com/idphoto/idphoto/internal/geometry"
	"github.com/idphoto/idphoto/internal/spec"
)

// Severities of a rule.
const (
	Block = "block" // the photo must not be made (or paid for) until this is fixed
	Warn  = "warn"  // the photo can be made; the user should know
)

// Input is everything a report is computed from. Fields may be missing when the
// pipeline stopped early (no face, two faces, a matte that failed): the rules that
// need them are then reported as skipped.
type Input struct {
	Spec spec.Spec
	// Source is the working copy of the photo (after orientation and shrinking).
	Source *image.NRGBA
	// SourceScale is Source's pixels per pixel of the decoded photo (1 when it was
	// not shrunk); the JPEG block grid of the upload is 8/SourceScale source pixels.
	SourceScale float64
	// Faces are all the faces found; Face is the one the photo is made of, valid
	// when HasFace.
	Faces   []face.Face
	Face    face.Face
	HasFace bool
	// Head is the head measured on Source (zero when not measured).
	Head geometry.Head
	// Alpha is the matte over Source (nil when not computed).
	Alpha *image.Gray
	// Placement is how Source becomes the photo (nil when not fitted).
	Placement *geometry.Placement
	// Photo and File are the finished photo and its encoded bytes (nil when not made).
	Photo *image.NRGBA
	File  []byte
	// MaxRoll is the largest roll, in degrees, the pipeline straightens (0: 30).
	MaxRoll float64
}

// Report is the verdict on one photo.
type Report struct {
	// Pass is true when no blocking rule failed.
	Pass  bool     `json:"pass"`
	Spec  string   `json:"spec"`
	Rules []Result `json:"rules"`
}

// Result is one rule's verdict.
type Result struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	NameZH   string  `json:"name_zh"`
	Measured float64 `json:"measured"`
	Unit     string  `json:"unit,omitempty"`
	// Allowed is where Measured passes; BlockOutside, for rules that only warn at
	// first, is where a miss becomes blocking.
	Allowed      Bounds  `json:"allowed"`
	BlockOutside *Bounds `json:"block_outside,omitempty"`
	Pass         bool    `json:"pass"`
	// Severity is the rule's own on a pass and the one that applies on a miss.
	Severity string `json:"severity"`
	// Skipped: the rule could not be measured on this photo (Message says why); it
	// counts as passed.
	Skipped bool `json:"skipped,omitempty"`
	// Withheld: a face-derived measurement left out of a stored report (ForStorage).
	Withheld  bool   `json:"withheld,omitempty"`
	Message   string `json:"message,omitempty"`
	MessageZH string `json:"message_zh,omitempty"`
	Fix       string `json:"fix,omitempty"`
	FixZH     string `json:"fix_zh,omitempty"`
	prec      int
}

// Blocking is a failed blocking rule.
func (r Result) Blocking() bool { return !r.Pass && r.Severity == Block }

// MeasuredText is the measured value with its unit, rounded as the rule reads.
func (r Result) MeasuredText() string {
	if r.Skipped {
		return "-"
	}
	return formatValue(r.Measured, r.prec) + r.Unit
}

// AllowedText is the allowed range with its unit.
func (r Result) AllowedText() string { return r.Allowed.Format(r.Unit, r.prec) }

// Failed lists the rules that did not pass, blocking ones first.
func (r *Report) Failed() []Result {
	var block, warn []Result
	for _, x := range r.Rules {
		switch {
		case x.Blocking():
			block = append(block, x)
		case !x.Pass:
			warn = append(warn, x)
		}
	}
	return append(block, warn...)
}

// Result returns the result of rule id.
func (r *Report) Result(id string) (Result, bool) {
	for _, x := range r.Rules {
		if x.ID == id {
			return x, true
		}
	}
	return Result{}, false
}

// Bounds is a closed interval; an open side is ±Inf, written as null in JSON.
type Bounds struct {
	Min, Max float64
}

// AtLeast is [min, +Inf).
func AtLeast(min float64) Bounds { return Bounds{min, math.Inf(1)} }

// AtMost is (-Inf, max].
func AtMost(max float64) Bounds { return Bounds{math.Inf(-1), max} }

// Within is [-d, d].
func Within(d float64) Bounds { return Bounds{-d, d} }

// Contains reports whether v lies in b.
func (b Bounds) Contains(v float64) bool { return v >= b.Min && v <= b.Max }

// Format writes b for people: "≥ 90 px", "≤ 5°", "-5 to 5°".
func (b Bounds) Format(unit string, prec int) string {
	lo, hi := !math.IsInf(b.Min, -1), !math.IsInf(b.Max, 1)
	switch {
	case lo && hi && b.Min == b.Max:
		return formatValue(b.Min, prec) + unit
	case lo && hi:
		return formatValue(b.Min, prec) + " to " + formatValue(b.Max, prec) + unit
	case lo:
		return "≥ " + formatValue(b.Min, prec) + unit
	case hi:
		return "≤ " + formatValue(b.Max, prec) + unit
	}
	return "any"
}

func formatValue(v float64, prec int) string {
	if prec < 0 {
		prec = 0
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if s == "-0" || strings.Trim(s, "-0.") == "" && strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	return s
}

type boundsJSON struct {
	Min *float64 `json:"min"`
	Max *float64 `json:"max"`
}

// MarshalJSON writes open sides as null.
func (b Bounds) MarshalJSON() ([]byte, error) {
	var j boundsJSON
	if !math.IsInf(b.Min, 0) {
		j.Min = &b.Min
	}
	if !math.IsInf(b.Max, 0) {
		j.Max = &b.Max
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads null or a missing side as open.
func (b *Bounds) UnmarshalJSON(data []byte) error {
	var j boundsJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("check: bounds: %w", err)
	}
	*b = Bounds{math.Inf(-1), math.Inf(1)}
	if j.Min != nil {
		b.Min = *j.Min
	}
	if j.Max != nil {
		b.Max = *j.Max
	}
	if b.Min > b.Max {
		return fmt.Errorf("check: bounds: min %g above max %g", b.Min, b.Max)
	}
	return nil
}

// Evaluate runs every rule that applies to in.Spec and returns the report.
func Evaluate(in Input) *Report {
	ev := newEvaluation(in)
	rep := &Report{Pass: true, Spec: in.Spec.ID}
	for _, r := range rules {
		res, ok := r.evaluate(ev)
		if !ok {
			continue // the rule does not apply to this spec
		}
		if res.Blocking() {
			rep.Pass = false
		}
		rep.Rules = append(rep.Rules, res)
	}
	return rep
}
