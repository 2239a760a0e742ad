package workday_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/idphoto/idphoto/internal/workday"
)

// at is an instant in Shanghai time, written "2006-01-02 15:04".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, workday.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDefaultCalendar(t *testing.T) {
	c := workday.Default()
	if got := c.Years(); len(got) != 2 || got[0] != 2025 || got[1] != 2026 {
		t.Fatalf("Years() = %v, want [2025 2026]", got)
	}
	for y, want := range map[int]bool{2024: false, 2025: true, 2026: true, 2027: false} {
		if got := c.Covered(y); got != want {
			t.Errorf("Covered(%d) = %v, want %v", y, got, want)
		}
	}
	es := c.Entries()
	workdays := 0
	for i, e := range es {
		if i > 0 && !es[i-1].Date.Before(e.Date) {
			t.Fatalf("Entries not in date order at %s", e.Date)
		}
		if e.Kind == workday.Workday {
			workdays++
		}
	}
	if len(es) != 72 || workdays != 11 {
		t.Errorf("Entries: %d days, %d make-up workdays; want 72 and 11 (the rows of the CSV)", len(es), workdays)
	}
	e, ok := c.Lookup(at(t, "2025-10-01 12:00"))
	if !ok || e.Kind != workday.Holiday || e.Name != "国庆节、中秋节" || !strings.Contains(e.Source, "2025年") {
		t.Errorf("Lookup(2025-10-01) = %+v, %v", e, ok)
	}
	if _, ok := c.Lookup(at(t, "2025-10-09 12:00")); ok {
		t.Error("Lookup(2025-10-09) found an entry for an ordinary Thursday")
	}
}

// The built-in copy must not drift from the product's data folder (present in the
// workspace, not in a module download).
func TestEmbeddedCopyMatchesSharedData(t *testing.T) {
	shared, err := os.ReadFile("../../../shared/data/cn-public-holidays.csv")
	if err != nil {
		t.Skipf("shared data not here: %v", err)
	}
	local, err := os.ReadFile("cn-public-holidays.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, local) {
		t.Fatal("internal/workday/cn-public-holidays.csv differs from shared/data/cn-public-holidays.csv; copy it again")
	}
}

func TestIsWorkday(t *testing.T) {
	c := workday.Default()
	tests := []struct {
		day  string
		want bool
		why  string
	}{
		{"2025-09-26", true, "Friday"},
		{"2025-09-27", false, "Saturday"},
		{"2025-09-28", true, "Sunday, make-up day for National Day"},
		{"2025-10-01", false, "Wednesday, National Day"},
		{"2025-10-04", false, "Saturday inside the holiday"},
		{"2025-10-08", false, "Wednesday, last day of the holiday"},
		{"2025-10-09", true, "Thursday after the holiday"},
		{"2025-10-11", true, "Saturday, make-up day"},
		{"2025-10-12", false, "Sunday"},
		{"2025-01-26", true, "Sunday, make-up day for Spring Festival 2025"},
		{"2025-01-28", false, "Tuesday, Spring Festival eve"},
		{"2025-02-04", false, "Tuesday, last day of Spring Festival 2025"},
		{"2025-02-08", true, "Saturday, make-up day"},
		{"2026-01-04", true, "Sunday, make-up day for New Year 2026"},
		{"2026-02-14", true, "Saturday, make-up day for Spring Festival 2026"},
		{"2026-02-23", false, "Monday, last day of Spring Festival 2026"},
		{"2026-02-28", true, "Saturday, make-up day"},
		{"2024-10-01", true, "Tuesday in 2024, a year not loaded: weekdays only"},
		{"2027-01-02", false, "Saturday in 2027, a year not loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.day, func(t *testing.T) {
			if got := c.IsWorkday(at(t, tt.day+" 12:00")); got != tt.want {
				t.Errorf("IsWorkday(%s, %s) = %v, want %v", tt.day, tt.why, got, tt.want)
			}
		})
	}
	// The date is the Shanghai date: 2025-09-30T16:30Z is 00:30 on 1 October there.
	if c.IsWorkday(utc(t, "2025-09-30T16:30:00Z")) {
		t.Error("2025-09-30T16:30Z (1 October in Shanghai) is a working day")
	}
	if !c.IsWorkday(utc(t, "2025-09-30T15:59:59Z")) {
		t.Error("2025-09-30T15:59:59Z (30 September in Shanghai) is not a working day")
	}
}

// Each case counts the working days by hand. Day 1 is the first working day after the
// day received; weekdays are given for 2025-09/10 (1 Oct 2025 is a Wednesday), 2025-01/02
// (28 Jan 2025 is a Tuesday) and 2026-02/03 (14 Feb 2026 is a Saturday).
func TestPromiseR6DueDate(t *testing.T) {
	c := workday.Default()
	tests := []struct {
		name     string
		received time.Time
		due      string
	}{
		// National Day 2025: holiday Wed 1 Oct - Wed 8 Oct, make-up Sun 28 Sep and Sat 11 Oct.
		{
			// Sep 28 Sun(make-up) 1, 29 Mon 2, 30 Tue 3, [Oct 1-8 off], 9 Thu 4, 10 Fri 5,
			// 11 Sat(make-up) 6, 13 Mon 7, 14 8, 15 9, 16 10, 17 Fri 11, 20 Mon 12, 21 13,
			// 22 14, 23 Thu 15.
			name: "Friday before the make-up Sunday", received: at(t, "2025-09-26 10:00"), due: "2025-10-23",
		},
		{
			// Sep 22 Mon 1, 23 2, 24 3, 25 4, 26 Fri 5, 28 Sun(make-up) 6, 29 7, 30 8,
			// Oct 9 Thu 9, 10 Fri 10, 11 Sat(make-up) 11, 13 Mon 12, 14 13, 15 14, 16 Thu 15.
			name: "ordinary Saturday", received: at(t, "2025-09-20 15:00"), due: "2025-10-16",
		},
		{
			// Received on a make-up working day, which is not counted:
			// Sep 29 Mon 1, 30 Tue 2, Oct 9 Thu 3, 10 Fri 4, 11 Sat(make-up) 5, 13 Mon 6,
			// 14 7, 15 8, 16 9, 17 Fri 10, 20 Mon 11, 21 12, 22 13, 23 14, 24 Fri 15.
			name: "make-up Sunday", received: at(t, "2025-09-28 09:00"), due: "2025-10-24",
		},
		{
			// Oct 9 Thu 1, 10 Fri 2, 11 Sat(make-up) 3, 13 Mon 4, 14 5, 15 6, 16 7, 17 Fri 8,
			// 20 Mon 9, 21 10, 22 11, 23 12, 24 Fri 13, 27 Mon 14, 28 Tue 15.
			name: "inside the holiday", received: at(t, "2025-10-03 11:00"), due: "2025-10-28",
		},
		{
			// Same count as inside the holiday: nothing between 30 Sep and 9 Oct is a working day.
			name: "last working day before the holiday", received: at(t, "2025-09-30 17:00"), due: "2025-10-28",
		},
		{
			// Oct 13 Mon 1, 14 2, 15 3, 16 4, 17 Fri 5, 20 Mon 6, 21 7, 22 8, 23 9, 24 Fri 10,
			// 27 Mon 11, 28 12, 29 13, 30 14, 31 Fri 15.
			name: "make-up Saturday", received: at(t, "2025-10-11 16:00"), due: "2025-10-31",
		},
		{
			// 16:30 UTC on Sat 27 Sep is 00:30 on Sun 28 Sep (make-up day) in Shanghai, so
			// the count is the make-up Sunday's (Oct 24), not the Saturday's (Oct 23).
			name: "late at night UTC, make-up Sunday in Shanghai", received: utc(t, "2025-09-27T16:30:00Z"), due: "2025-10-24",
		},
		{
			// 17:00 UTC on Fri 10 Oct is 01:00 on Sat 11 Oct (make-up day) in Shanghai:
			// the make-up Saturday's count. Counted from the UTC date it would be
			// Oct 11 1, 13 2, ... 30 Thu 15.
			name: "late at night UTC, make-up Saturday in Shanghai", received: utc(t, "2025-10-10T17:00:00Z"), due: "2025-10-31",
		},

		// Spring Festival 2025: holiday Tue 28 Jan - Tue 4 Feb, make-up Sun 26 Jan and Sat 8 Feb.
		{
			// Jan 26 Sun(make-up) 1, 27 Mon 2, [Jan 28 - Feb 4 off], Feb 5 Wed 3, 6 Thu 4,
			// 7 Fri 5, 8 Sat(make-up) 6, 10 Mon 7, 11 8, 12 9, 13 10, 14 Fri 11, 17 Mon 12,
			// 18 13, 19 14, 20 Thu 15.
			name: "Friday before Spring Festival 2025", received: at(t, "2025-01-24 10:00"), due: "2025-02-20",
		},
		{
			// Feb 5 Wed 1, 6 Thu 2, 7 Fri 3, 8 Sat(make-up) 4, 10 Mon 5, 11 6, 12 7, 13 8,
			// 14 Fri 9, 17 Mon 10, 18 11, 19 12, 20 13, 21 Fri 14, 24 Mon 15.
			name: "Spring Festival 2025 holiday", received: at(t, "2025-01-29 20:00"), due: "2025-02-24",
		},
		{
			// Received on the make-up Sunday: Jan 27 Mon 1, Feb 5 Wed 2, 6 3, 7 4,
			// 8 Sat(make-up) 5, 10 Mon 6, 11 7, 12 8, 13 9, 14 Fri 10, 17 Mon 11, 18 12,
			// 19 13, 20 14, 21 Fri 15.
			name: "make-up Sunday before Spring Festival 2025", received: at(t, "2025-01-26 08:00"), due: "2025-02-21",
		},

		// Spring Festival 2026: holiday Sun 15 Feb - Mon 23 Feb, make-up Sat 14 Feb and Sat 28 Feb.
		{
			// Feb 14 Sat(make-up) 1, [15-23 off], 24 Tue 2, 25 3, 26 4, 27 Fri 5,
			// 28 Sat(make-up) 6, Mar 2 Mon 7, 3 8, 4 9, 5 10, 6 Fri 11, 9 Mon 12, 10 13,
			// 11 14, 12 Thu 15.
			name: "Friday before Spring Festival 2026", received: at(t, "2026-02-13 18:00"), due: "2026-03-12",
		},
		{
			// Feb 24 Tue 1, 25 2, 26 3, 27 Fri 4, 28 Sat(make-up) 5, Mar 2 Mon 6, 3 7, 4 8,
			// 5 9, 6 Fri 10, 9 Mon 11, 10 12, 11 13, 12 14, 13 Fri 15.
			name: "make-up Saturday before Spring Festival 2026", received: at(t, "2026-02-14 10:00"), due: "2026-03-13",
		},
		{
			// Same count as the make-up Saturday before it.
			name: "Spring Festival 2026 holiday", received: at(t, "2026-02-15 10:00"), due: "2026-03-13",
		},
		{
			// Mar 2 Mon 1, 3 2, 4 3, 5 4, 6 Fri 5, 9 Mon 6, 10 7, 11 8, 12 9, 13 Fri 10,
			// 16 Mon 11, 17 12, 18 13, 19 14, 20 Fri 15.
			name: "make-up Saturday after Spring Festival 2026", received: at(t, "2026-02-28 23:59"), due: "2026-03-20",
		},

		// New Year 2026 (holiday Thu 1 - Sat 3 Jan, make-up Sun 4 Jan), across the year end.
		{
			// Jan 4 Sun(make-up) 1, 5 Mon 2, 6 3, 7 4, 8 5, 9 Fri 6, 12 Mon 7, 13 8, 14 9,
			// 15 10, 16 Fri 11, 19 Mon 12, 20 13, 21 14, 22 Thu 15.
			name: "New Year's Eve 2025", received: at(t, "2025-12-31 22:00"), due: "2026-01-22",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.DueDate(tt.received, workday.PrivacyRequestDays)
			if d := got.Date.Format(time.DateOnly); d != tt.due {
				t.Errorf("DueDate(%s) = %s, want %s", tt.received, d, tt.due)
			}
			if !got.Covered {
				t.Error("Covered = false inside 2025-2026")
			}
			if got.Date.Location() != workday.Shanghai || got.Date.Hour() != 0 {
				t.Errorf("Date = %s, want 00:00 in Shanghai", got.Date)
			}
			if want := got.Date.AddDate(0, 0, 1); !got.End.Equal(want) {
				t.Errorf("End = %s, want %s", got.End, want)
			}
		})
	}
}

func TestDueEndAndOverdue(t *testing.T) {
	due := workday.Default().DueDate(at(t, "2025-09-26 10:00"), 15) // due Thu 2025-10-23
	if want := at(t, "2025-10-24 00:00"); !due.End.Equal(want) {
		t.Fatalf("End = %s, want %s", due.End, want)
	}
	if due.Overdue(at(t, "2025-10-23 23:59")) {
		t.Error("overdue at 23:59 on the due day")
	}
	if !due.Overdue(at(t, "2025-10-24 00:00")) {
		t.Error("not overdue at 00:00 the day after")
	}
	// 2025-10-23T16:00Z is 00:00 on 24 October in Shanghai.
	if !due.Overdue(utc(t, "2025-10-23T16:00:00Z")) || due.Overdue(utc(t, "2025-10-23T15:59:59Z")) {
		t.Error("Overdue does not turn at midnight Shanghai time")
	}
}

func TestDueDateSmallCounts(t *testing.T) {
	c := workday.Default()
	// n = 1 from a Monday is the Tuesday; from the last day before National Day it is 9 Oct.
	if got := c.DueDate(at(t, "2025-09-22 09:00"), 1).Date.Format(time.DateOnly); got != "2025-09-23" {
		t.Errorf("1 working day after Mon 2025-09-22 = %s, want 2025-09-23", got)
	}
	if got := c.DueDate(at(t, "2025-09-30 09:00"), 1).Date.Format(time.DateOnly); got != "2025-10-09" {
		t.Errorf("1 working day after Tue 2025-09-30 = %s, want 2025-10-09", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("DueDate with n = 0 did not panic")
		}
	}()
	c.DueDate(at(t, "2025-09-22 09:00"), 0)
}

// operator2027 stands for a file an operator supplies for a year after the built-in ones.
// The dates are made up for the test, not the 2027 notice.
const operator2027 = "\uFEFFdate,kind,name,source\r\n" +
	"2027-01-01,holiday,元旦,test fixture (not an official notice)\r\n" +
	"2027-01-02,holiday,元旦,test fixture (not an official notice)\r\n" +
	"2027-01-03,holiday,元旦,test fixture (not an official notice)\r\n" +
	"2027-02-20,workday,春节,test fixture (not an official notice)\r\n"

func TestUncoveredYearAndOperatorMerge(t *testing.T) {
	received := at(t, "2026-12-20 10:00") // a Sunday; 1 Jan 2027 is a Friday
	c := workday.Default()

	// Without 2027: Dec 21 Mon 1, 22 2, 23 3, 24 4, 25 Fri 5, 28 Mon 6, 29 7, 30 8,
	// 31 Thu 9, Jan 1 Fri 10 (weekday, 2027 unknown), 4 Mon 11, 5 12, 6 13, 7 14, 8 Fri 15.
	due := c.DueDate(received, 15)
	if got := due.Date.Format(time.DateOnly); got != "2027-01-08" || due.Covered {
		t.Errorf("without 2027: due %s covered %v, want 2027-01-08 covered false", got, due.Covered)
	}
	// A range that stays in covered years but starts from an uncovered day is covered:
	// the day received is not counted.
	if due := c.DueDate(at(t, "2024-12-31 10:00"), 1); !due.Covered || due.Date.Format(time.DateOnly) != "2025-01-02" {
		t.Errorf("from 2024-12-31: %+v, want 2025-01-02 covered", due)
	}

	op, err := workday.Load(strings.NewReader(operator2027))
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Merge(op)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Years(); len(got) != 3 || got[2] != 2027 {
		t.Errorf("merged Years() = %v, want [2025 2026 2027]", got)
	}
	if c.Covered(2027) {
		t.Error("Merge changed the built-in calendar")
	}
	// With 2027: Dec 21 .. Dec 31 as above 1-9, [Jan 1-3 off], Jan 4 Mon 10, 5 11, 6 12,
	// 7 13, 8 Fri 14, 11 Mon 15.
	due = m.DueDate(received, 15)
	if got := due.Date.Format(time.DateOnly); got != "2027-01-11" || !due.Covered {
		t.Errorf("with 2027: due %s covered %v, want 2027-01-11 covered true", got, due.Covered)
	}
	if !m.IsWorkday(at(t, "2027-02-20 09:00")) || c.IsWorkday(at(t, "2027-02-20 09:00")) {
		t.Error("the operator's make-up Saturday is not a working day after Merge only")
	}
	// The 2025 days are still there.
	if m.IsWorkday(at(t, "2025-10-01 09:00")) || !m.IsWorkday(at(t, "2025-10-11 09:00")) {
		t.Error("Merge lost the built-in days")
	}
}

func TestMerge(t *testing.T) {
	c := workday.Default()
	t.Run("same day same kind", func(t *testing.T) {
		again, err := workday.Load(strings.NewReader("date,kind,name,source\n2025-10-01,holiday,国庆节,operator copy\n"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.Merge(again)
		if err != nil {
			t.Fatal(err)
		}
		if e, _ := m.Lookup(at(t, "2025-10-01 09:00")); e.Source != "operator copy" {
			t.Errorf("source = %q, want the later calendar's", e.Source)
		}
	})
	t.Run("same day different kind", func(t *testing.T) {
		bad, err := workday.Load(strings.NewReader("date,kind,name,source\n2025-10-04,workday,x,operator\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Merge(bad); err == nil || !strings.Contains(err.Error(), "2025-10-04") {
			t.Errorf("Merge = %v, want an error naming 2025-10-04", err)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	const h = "date,kind,name,source\n"
	const src = ",n,s\n"
	tests := []struct {
		name string
		in   string
		line int    // 0: no line (not a *ParseError)
		msg  string // part of the error text
	}{
		{"empty file", "", 1, "empty file"},
		{"header only", h, 2, "no rows"},
		{"wrong header", "date,kind,name\n2025-10-01,holiday,n\n", 1, "header"},
		{"header in another case", "Date,Kind,Name,Source\n", 1, "header"},
		{"too few fields", h + "2025-10-01,holiday,n\n", 2, "3 fields"},
		{"too many fields", h + "2025-10-01,holiday,n,s,x\n", 2, "5 fields"},
		{"month 13", h + "2025-13-01,holiday" + src, 2, "not a date"},
		{"30 February", h + "2026-02-30,holiday" + src, 2, "not a date"},
		{"no zero padding", h + "2025-1-01,holiday" + src, 2, "not a date"},
		{"slashes", h + "2025/10/01,holiday" + src, 2, "not a date"},
		{"space before date", h + " 2025-10-01,holiday" + src, 2, "not a date"},
		{"year 1999", h + "1999-10-01,holiday" + src, 2, "outside"},
		{"year 2100", h + "2100-10-01,holiday" + src, 2, "outside"},
		{"unknown kind", h + "2025-10-01,festival" + src, 2, "neither"},
		{"kind in capitals", h + "2025-10-01,Holiday" + src, 2, "neither"},
		{"workday on a Thursday", h + "2025-10-09,workday" + src, 2, "Saturday or Sunday"},
		{"duplicate different kind", h + "2025-10-11,workday" + src + "2025-10-11,holiday" + src, 3, "line 2"},
		{"duplicate same kind", h + "2025-10-01,holiday" + src + "2025-10-01,holiday" + src, 3, "already listed"},
		{"empty name", h + "2025-10-01,holiday, ,s\n", 2, "name is empty"},
		{"empty source", h + "2025-10-01,holiday,n,\n", 2, "source is empty"},
		{"GBK text", h + "2025-10-01,holiday,\xb9\xfa\xc7\xec,s\n", 2, "UTF-8"},
		{"bare quote", h + "2025-10-01,holiday,n,s\n2025-10-02,holiday,a\"b,s\n", 3, "quote"},
		{"error after a quoted newline", h + "2025-10-01,holiday,\"a\nb\",s\n2025-10-02,holiday,n,\n", 4, "source"},
		{"too large", h + strings.Repeat("x", workday.MaxFileBytes), 0, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := workday.Load(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("Load succeeded with %d years", len(c.Years()))
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
			var pe *workday.ParseError
			switch {
			case tt.line == 0 && errors.As(err, &pe):
				t.Errorf("got a ParseError at line %d, want none", pe.Line)
			case tt.line != 0 && !errors.As(err, &pe):
				t.Errorf("error %q is not a *ParseError", err)
			case tt.line != 0 && pe.Line != tt.line:
				t.Errorf("line %d, want %d (%v)", pe.Line, tt.line, err)
			}
		})
	}
}

func TestLoadAccepts(t *testing.T) {
	// CRLF, a byte-order mark, quoted fields with commas, a holiday on a weekend, and a
	// December make-up day from the next year's notice (which does not cover 2018).
	in := "\uFEFFdate,kind,name,source\r\n" +
		"2018-12-29,workday,元旦,\"国办发明电〔2018〕15号, 2018-12-06\"\r\n" +
		"2018-12-30,holiday,元旦,\"国办发明电〔2018〕15号, 2018-12-06\"\r\n" +
		"2018-12-31,holiday,元旦,\"国办发明电〔2018〕15号, 2018-12-06\"\r\n" +
		"2019-01-01,holiday,元旦,\"国办发明电〔2018〕15号, 2018-12-06\"\r\n"
	c, err := workday.Load(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if c.Covered(2018) || !c.Covered(2019) {
		t.Errorf("Covered(2018) = %v, Covered(2019) = %v, want false, true", c.Covered(2018), c.Covered(2019))
	}
	if !c.IsWorkday(at(t, "2018-12-29 10:00")) || c.IsWorkday(at(t, "2018-12-31 10:00")) {
		t.Error("2018-12-29 (make-up Saturday) or 2018-12-31 (holiday Monday) misread")
	}
	e, _ := c.Lookup(at(t, "2019-01-01 10:00"))
	if e.Source != "国办发明电〔2018〕15号, 2018-12-06" {
		t.Errorf("source = %q", e.Source)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(operator2027))
	f.Add([]byte("date,kind,name,source\n2025-10-11,workday,国庆节,s\n2025-10-01,holiday,\"a,b\",s\n"))
	f.Add([]byte("date,kind,name,source\n2025-10-09,workday,x,s\n"))
	f.Add([]byte("date,kind,name,source\n\"2025-10-01\nx\",holiday,n,s\n"))
	f.Add([]byte("\uFEFF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := workday.Load(bytes.NewReader(data))
		if err != nil {
			var pe *workday.ParseError
			if errors.As(err, &pe) && pe.Line < 1 {
				t.Fatalf("line %d in %v", pe.Line, err)
			}
			return
		}
		// A loaded calendar keeps its own rules: listed workdays are weekends and
		// working days, listed holidays are not working days, covered years have 1 January.
		for _, e := range c.Entries() {
			wd := e.Date.Weekday()
			weekend := wd == time.Saturday || wd == time.Sunday
			if e.Kind == workday.Workday && (!weekend || !c.IsWorkday(e.Date)) {
				t.Fatalf("listed workday %s on a %s, IsWorkday %v", e.Date, wd, c.IsWorkday(e.Date))
			}
			if e.Kind == workday.Holiday && c.IsWorkday(e.Date) {
				t.Fatalf("listed holiday %s is a working day", e.Date)
			}
			if e.Name == "" || e.Source == "" {
				t.Fatalf("entry %+v without name or source", e)
			}
		}
		for _, y := range c.Years() {
			jan1 := time.Date(y, time.January, 1, 12, 0, 0, 0, workday.Shanghai)
			if e, ok := c.Lookup(jan1); !ok || e.Kind != workday.Holiday {
				t.Fatalf("year %d covered without 1 January as a holiday", y)
			}
			if y < 2000 || y > 2099 {
				t.Fatalf("year %d accepted", y)
			}
		}
		m, err := workday.Default().Merge(c)
		if err != nil {
			return
		}
		for _, y := range c.Years() {
			if !m.Covered(y) {
				t.Fatalf("merged calendar lost year %d", y)
			}
		}
	})
}

func BenchmarkDueDate(b *testing.B) {
	c := workday.Default()
	received := time.Date(2025, 9, 26, 10, 0, 0, 0, workday.Shanghai)
	for b.Loop() {
		c.DueDate(received, workday.PrivacyRequestDays)
	}
}
