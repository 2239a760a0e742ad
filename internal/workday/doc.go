// Package workday counts working days in mainland China for the due dates of privacy
// requests (promise R6: an answer within 15 working days).
//
// # Working days
//
// A working day is a Monday to Friday that the calendar does not list as a `holiday`, or
// any day it lists as a `workday` (a make-up working day on a weekend, 调休上班). The
// calendar holds the State Council's yearly notices (国务院办公厅关于部分节假日安排的通知);
// the 2025 and 2026 notices are built in, and an operator adds a later year from a file
// with Load and Merge, without a release.
//
// # Dates and time zone
//
// Days are civil dates in Asia/Shanghai. The package uses a fixed UTC+08:00 zone
// (Shanghai) rather than the tz database: mainland China has kept UTC+08:00 without
// daylight saving since 1991, so the two agree on every date the calendar accepts
// (2000-2099), and the binary needs no zoneinfo files or time/tzdata (about 450 KB).
// An instant such as 2025-09-27T16:30:00Z is on 2025-09-28 here.
//
// # Due dates
//
// DueDate follows the Civil Code's rules for periods counted in days (民法典 第二百零一条,
// 第二百零三条): the day a request is received is not counted, whatever kind of day it is,
// and the period ends at 24:00 of its last day. Day 1 is therefore the first working day
// strictly after the day received, and the due date is the n-th working day (n = 1 makes
// a request received on an ordinary Monday due on the Tuesday); one received on a
// Saturday or during a holiday counts from the next working day. Due.End is the first instant after the due day
// (00:00 UTC+08:00 the following day); a request is overdue from then on.
//
// A year is covered when the calendar lists its 1 January as a holiday: New Year's Day is
// a statutory holiday every year (全国年节及纪念日放假办法 第二条), so every notice lists it,
// while a year that only holds a December make-up day from the next year's notice (as
// the 2019 notice did for 2018-12-29) is not mistaken for a covered one. Outside the
// covered years IsWorkday answers by weekdays alone, and DueDate reports Covered false so
// the operator view can warn that the date may move once the notice is loaded.
//
// # File format
//
// UTF-8 CSV with the header date,kind,name,source (a leading byte-order mark, as
// spreadsheets write it, is allowed), one row per day, at most 1 MiB. Load rejects, with
// the line number:
//   - a header other than exactly date,kind,name,source, or a row without four fields;
//   - a date not written YYYY-MM-DD, not a real date, or outside 2000-2099;
//   - a kind other than `holiday` or `workday` (lower case);
//   - a `workday` on Monday to Friday (it would change nothing, so it is a typo);
//   - a date listed twice, with the same kind or not, in one file;
//   - an empty name or source (every day must say which notice it comes from), or text
//     that is not UTF-8 (a file saved as GBK);
//   - a file with no rows.
//
// A `holiday` on a weekend is valid: the notices list the whole break, weekend included.
// Merge accepts a day listed by both calendars with the same kind (an operator file that
// repeats a built-in year) and rejects one listed with different kinds.
package workday
