package workday

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

//go:embed cn-public-holidays.csv
var builtin []byte

// Shanghai is UTC+08:00, the civil time of mainland China (see the package comment for
// why it is a fixed zone).
var Shanghai = time.FixedZone("CST", 8*60*60)

// PrivacyRequestDays is the number of working days within which a privacy request is
// answered (R6).
const PrivacyRequestDays = 15

// Limits on calendar files: an operator's file is trusted to be meant, not to be right.
const (
	MaxFileBytes = 1 << 20
	minYear      = 2000
	maxYear      = 2099
)

// Kind says what a listed day is.
type Kind uint8

const (
	Holiday Kind = iota + 1 // a day off, weekend days of a break included
	Workday                 // a make-up working day on a weekend (调休上班)
)

func (k Kind) String() string {
	switch k {
	case Holiday:
		return "holiday"
	case Workday:
		return "workday"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Entry is one row of a calendar file.
type Entry struct {
	Date   time.Time // 00:00 in Shanghai
	Kind   Kind
	Name   string // the festival, e.g. 国庆节
	Source string // the notice it comes from
	line   int
}

// ParseError is a fault in a calendar file, with the line it is on (1 is the header).
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("workday: line %d: %v", e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// Calendar is a read-only set of listed days; it is safe for concurrent use.
type Calendar struct {
	days    map[int]Entry // by day number (days since 1970-01-01)
	covered map[int]bool  // years whose 1 January is listed as a holiday
}

var header = []string{"date", "kind", "name", "source"}

var defaultCalendar = sync.OnceValue(func() *Calendar {
	c, err := Load(bytes.NewReader(builtin))
	if err != nil {
		panic("workday: built-in calendar: " + err.Error()) // a test loads it, so never at run time
	}
	return c
})

// Default returns the calendar built into the binary (the 2025 and 2026 notices).
func Default() *Calendar { return defaultCalendar() }

// Load reads and validates a calendar file (rules in the package comment).
func Load(r io.Reader) (*Calendar, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("workday: read calendar: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("workday: calendar file is larger than %d bytes", MaxFileBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))

	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // counted below, for a clearer message
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{Line: 1, Err: errors.New("empty file, want the header date,kind,name,source")}
	}
	if err != nil {
		return nil, csvError(err)
	}
	if !slices.Equal(rec, header) {
		return nil, &ParseError{Line: 1, Err: fmt.Errorf("header is %q, want date,kind,name,source", strings.Join(rec, ","))}
	}

	c := &Calendar{days: map[int]Entry{}, covered: map[int]bool{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		e, err := parseRow(rec)
		if err != nil {
			return nil, &ParseError{Line: line, Err: err}
		}
		e.line = line
		d := dayNumber(e.Date)
		if prev, dup := c.days[d]; dup {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("%s is already listed as a %s on line %d", e.Date.Format(time.DateOnly), prev.Kind, prev.line)}
		}
		c.days[d] = e
	}
	if len(c.days) == 0 {
		return nil, &ParseError{Line: 2, Err: errors.New("no rows after the header")}
	}
	c.index()
	return c, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{Line: pe.Line, Err: pe.Err}
	}
	return fmt.Errorf("workday: read calendar: %w", err)
}

func parseRow(rec []string) (Entry, error) {
	if len(rec) != len(header) {
		return Entry{}, fmt.Errorf("%d fields, want 4 (date,kind,name,source)", len(rec))
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return Entry{}, errors.New("text is not UTF-8 (save the file as UTF-8)")
		}
	}
	date, kind, name, source := rec[0], rec[1], rec[2], rec[3]

	t, err := time.ParseInLocation(time.DateOnly, date, Shanghai)
	if err != nil || t.Format(time.DateOnly) != date {
		return Entry{}, fmt.Errorf("date %q is not a date written YYYY-MM-DD", date)
	}
	if y := t.Year(); y < minYear || y > maxYear {
		return Entry{}, fmt.Errorf("date %s is outside the years %d-%d", date, minYear, maxYear)
	}

	e := Entry{Date: t, Name: strings.TrimSpace(name), Source: strings.TrimSpace(source)}
	switch kind {
	case "holiday":
		e.Kind = Holiday
	case "workday":
		e.Kind = Workday
		if !weekend(t.Weekday()) {
			return Entry{}, fmt.Errorf("%s is a %s: a make-up workday must be a Saturday or Sunday", date, t.Weekday())
		}
	default:
		return Entry{}, fmt.Errorf("kind %q is neither holiday nor workday", kind)
	}
	if e.Name == "" {
		return Entry{}, errors.New("name is empty")
	}
	if e.Source == "" {
		return Entry{}, errors.New("source is empty: say which notice the day comes from")
	}
	return e, nil
}

// index fills the covered years from the listed days.
func (c *Calendar) index() {
	clear(c.covered)
	for _, e := range c.days {
		if e.Kind == Holiday && e.Date.Month() == time.January && e.Date.Day() == 1 {
			c.covered[e.Date.Year()] = true
		}
	}
}

// Merge returns a calendar with the days of both c and other; neither is changed. A day
// listed by both with the same kind keeps other's name and source; a day listed with
// different kinds is an error naming both.
func (c *Calendar) Merge(other *Calendar) (*Calendar, error) {
	m := &Calendar{days: make(map[int]Entry, len(c.days)+len(other.days)), covered: map[int]bool{}}
	for d, e := range c.days {
		m.days[d] = e
	}
	for d, e := range other.days {
		if prev, ok := m.days[d]; ok && prev.Kind != e.Kind {
			return nil, fmt.Errorf("workday: merge: %s is a %s (%s) in one calendar and a %s (%s) in the other",
				e.Date.Format(time.DateOnly), prev.Kind, prev.Source, e.Kind, e.Source)
		}
		m.days[d] = e
	}
	m.index()
	return m, nil
}

// Covered reports whether the calendar holds the notice for year.
func (c *Calendar) Covered(year int) bool { return c.covered[year] }

// Years lists the covered years in order, for the operator view.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.covered))
	for y := range c.covered {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// Entries lists the listed days in date order, for the operator view.
func (c *Calendar) Entries() []Entry {
	es := make([]Entry, 0, len(c.days))
	for _, e := range c.days {
		e.line = 0
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b Entry) int { return a.Date.Compare(b.Date) })
	return es
}

// Lookup returns the listed entry for the Shanghai date of t, if any.
func (c *Calendar) Lookup(t time.Time) (Entry, bool) {
	e, ok := c.days[dayNumber(t)]
	e.line = 0
	return e, ok
}

// IsWorkday reports whether the Shanghai date of t is a working day. Outside the covered
// years it answers by weekdays alone.
func (c *Calendar) IsWorkday(t time.Time) bool { return c.isWorkday(dayNumber(t)) }

func (c *Calendar) isWorkday(d int) bool {
	if e, ok := c.days[d]; ok {
		return e.Kind == Workday
	}
	return !weekend(dayTime(d).Weekday())
}

// Due is the due date of a request.
type Due struct {
	Date time.Time // the due day, 00:00 in Shanghai
	End  time.Time // 00:00 in Shanghai the day after: overdue from this instant on
	// Covered is false when a day counted lies in a year the calendar does not cover;
	// Date then counts that year's weekdays only and may move once its notice is loaded.
	Covered bool
}

// Overdue reports whether now is after the end of the due day.
func (d Due) Overdue(now time.Time) bool { return !now.Before(d.End) }

// DueDate returns the end of the n-th working day after the Shanghai date of received
// (the convention is in the package comment). It panics if n < 1, which is a
// programming error like a negative count to strings.Repeat.
func (c *Calendar) DueDate(received time.Time, n int) Due {
	if n < 1 {
		panic(fmt.Sprintf("workday: DueDate with n = %d, want at least 1", n))
	}
	covered := true
	d := dayNumber(received)
	for left := n; left > 0; {
		d++
		if !c.covered[dayTime(d).Year()] {
			covered = false
		}
		if c.isWorkday(d) {
			left--
		}
	}
	date := dayTime(d)
	start := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, Shanghai)
	return Due{Date: start, End: start.AddDate(0, 0, 1), Covered: covered}
}

// dayNumber is the Shanghai civil date of t as days since 1970-01-01.
func dayNumber(t time.Time) int {
	y, m, d := t.In(Shanghai).Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	n := u / 86400
	if u%86400 < 0 { // floor, for dates before 1970
		n--
	}
	return int(n)
}

// dayTime is day number d as 00:00 UTC on that date (used for its calendar fields only).
func dayTime(d int) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func weekend(w time.Weekday) bool { return w == time.Saturday || w == time.Sunday }
