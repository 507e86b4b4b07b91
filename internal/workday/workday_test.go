package workday

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// official returns a calendar built from the 2025 and 2026 seed data.
func official(t testing.TB) *Calendar {
	t.Helper()
	c, err := New(China2025, China2026)
	if err != nil {
		t.Fatalf("New(China2025, China2026): %v", err)
	}
	return c
}

// cst returns the instant year-month-day hour:min in Asia/Shanghai.
func cst(year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, Shanghai())
}

func mustDate(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// span returns the dates from..to inclusive.
func span(t testing.TB, from, to string) []Date {
	t.Helper()
	var out []Date
	for d, end := mustDate(t, from), mustDate(t, to); !d.After(end); d = d.AddDays(1) {
		out = append(out, d)
	}
	return out
}

func TestShanghai(t *testing.T) {
	loc := Shanghai()
	if loc.String() != "Asia/Shanghai" {
		t.Errorf("Shanghai() = %q, want Asia/Shanghai", loc)
	}
	if Shanghai() != loc {
		t.Error("Shanghai() is not loaded once")
	}
	_, off := cst(2026, time.July, 1, 12, 0).Zone()
	if off != 8*60*60 {
		t.Errorf("offset in 2026 = %d s, want +08:00", off)
	}
}

func TestSeedDataValid(t *testing.T) {
	for _, y := range []Year{China2025, China2026} {
		if err := y.Validate(); err != nil {
			t.Errorf("China%d.Validate(): %v", y.Year, err)
		}
	}
	// 2026: 3+9+3+5+3+3+7 days off, 6 make-up days; 2025: 1+8+3+5+3+8 and 5.
	if got := len(China2026.Off); got != 33 {
		t.Errorf("len(China2026.Off) = %d, want 33", got)
	}
	if got := len(China2026.Work); got != 6 {
		t.Errorf("len(China2026.Work) = %d, want 6", got)
	}
	if got := len(China2025.Off); got != 28 {
		t.Errorf("len(China2025.Off) = %d, want 28", got)
	}
	if got := len(China2025.Work); got != 5 {
		t.Errorf("len(China2025.Work) = %d, want 5", got)
	}
}

func TestIsWorkingDay(t *testing.T) {
	c := official(t)
	type tc struct {
		name string
		date string
		want bool
	}
	var cases []tc
	offSpans := []struct{ name, from, to string }{
		{"2026 New Year", "2026-01-01", "2026-01-03"},
		{"2026 Spring Festival", "2026-02-15", "2026-02-23"},
		{"2026 Qingming", "2026-04-04", "2026-04-06"},
		{"2026 Labour Day", "2026-05-01", "2026-05-05"},
		{"2026 Dragon Boat", "2026-06-19", "2026-06-21"},
		{"2026 Mid-Autumn", "2026-09-25", "2026-09-27"},
		{"2026 National Day", "2026-10-01", "2026-10-07"},
		{"2025 Spring Festival", "2025-01-28", "2025-02-04"},
		{"2025 National Day", "2025-10-01", "2025-10-08"},
	}
	for _, s := range offSpans {
		for _, d := range span(t, s.from, s.to) {
			cases = append(cases, tc{s.name + " off " + d.Weekday().String()[:3], d.String(), false})
		}
	}
	cases = append(cases, []tc{
		// Make-up working days (weekend days that are working days).
		{"2026 New Year make-up Sun", "2026-01-04", true},
		{"2026 Spring Festival make-up Sat before", "2026-02-14", true},
		{"2026 Spring Festival make-up Sat after", "2026-02-28", true},
		{"2026 Labour Day make-up Sat", "2026-05-09", true},
		{"2026 National Day make-up Sun before", "2026-09-20", true},
		{"2026 National Day make-up Sat after", "2026-10-10", true},
		{"2025 Spring Festival make-up Sun", "2025-01-26", true},
		{"2025 Spring Festival make-up Sat", "2025-02-08", true},
		{"2025 Labour Day make-up Sun", "2025-04-27", true},
		{"2025 National Day make-up Sun", "2025-09-28", true},
		{"2025 National Day make-up Sat", "2025-10-11", true},
		// Ordinary weekends and weekdays.
		{"ordinary Sat", "2026-03-07", false},
		{"ordinary Sun", "2026-03-08", false},
		{"Sun after National Day make-up Sat", "2026-10-11", false},
		{"Sun after Spring Festival make-up Sat", "2026-03-01", false},
		{"ordinary Mon", "2026-03-09", true},
		{"ordinary Fri", "2026-03-13", true},
		{"first day back after New Year Mon", "2026-01-05", true},
		{"first day back after Spring Festival Tue", "2026-02-24", true},
		{"first day back after National Day Thu", "2026-10-08", true},
		{"day before National Day Wed", "2026-09-30", true},
		// Years not loaded: plain Monday–Friday.
		{"uncovered 2027-01-01 Fri is a weekday", "2027-01-01", true},
		{"uncovered 2027-01-02 Sat", "2027-01-02", false},
		{"uncovered 2024-10-01 Tue is a weekday", "2024-10-01", true},
	}...)
	for _, tt := range cases {
		t.Run(tt.name+" "+tt.date, func(t *testing.T) {
			if got := c.IsWorkingDay(mustDate(t, tt.date)); got != tt.want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.date, got, tt.want)
			}
		})
	}
}

func TestIsWorkingDayEdgeCases(t *testing.T) {
	c := official(t)
	// Out-of-range fields are normalized: 2026-09-31 is 2026-10-01, a holiday.
	if c.IsWorkingDay(Date{2026, time.September, 31}) {
		t.Error("IsWorkingDay(2026-09-31 = 2026-10-01) = true, want false")
	}
	var nilCal *Calendar
	if !nilCal.IsWorkingDay(mustDate(t, "2026-10-01")) || nilCal.IsWorkingDay(mustDate(t, "2026-10-10")) {
		t.Error("nil calendar is not plain Monday–Friday")
	}
	empty, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if !empty.IsWorkingDay(mustDate(t, "2026-10-01")) {
		t.Error("empty calendar: 2026-10-01 Thu should be a plain weekday")
	}
}

func TestWorkingDaysPerYear(t *testing.T) {
	c := official(t)
	// 2025 and 2026 both have 261 Monday–Fridays. 2025: 18 of them off, 5
	// make-up days: 248. 2026: 19 off (2+6+1+3+1+1+5), 6 make-up days: 248.
	for _, tt := range []struct {
		year int
		want int
	}{{2025, 248}, {2026, 248}, {2027, 261}} {
		a := cst(tt.year-1, time.December, 31, 12, 0)
		b := cst(tt.year, time.December, 31, 12, 0)
		if got := c.WorkingDaysBetween(a, b); got != tt.want {
			t.Errorf("working days in %d = %d, want %d", tt.year, got, tt.want)
		}
	}
}

func TestCovers(t *testing.T) {
	c := official(t)
	for year, want := range map[int]bool{2024: false, 2025: true, 2026: true, 2027: false} {
		if got := c.Covers(year); got != want {
			t.Errorf("Covers(%d) = %v, want %v", year, got, want)
		}
	}
	var nilCal *Calendar
	if nilCal.Covers(2026) {
		t.Error("nil calendar covers 2026")
	}
}

func TestDeadline(t *testing.T) {
	c := official(t)
	tests := []struct {
		name  string
		start time.Time
		n     int
		want  time.Time
	}{
		// National Day 2026. Accepted Tue 09-29 10:00: 09-30 Wed is day 1,
		// 10-01..07 off, 10-08 Thu day 2, 10-09 Fri day 3, 10-10 Sat (make-up)
		// day 4, 10-11 Sun off, 10-12 Mon day 5: ends 10-12 24:00.
		{"National Day n=5", cst(2026, 9, 29, 10, 0), 5, cst(2026, 10, 13, 0, 0)},
		// 09-30 Wed is day 1: ends 09-30 24:00.
		{"National Day n=1", cst(2026, 9, 29, 10, 0), 1, cst(2026, 10, 1, 0, 0)},
		// 09-30 day 1, 10-01..07 off, 10-08 Thu day 2.
		{"National Day n=2", cst(2026, 9, 29, 10, 0), 2, cst(2026, 10, 9, 0, 0)},
		// Accepted Tue 09-22: 09-23 Wed 1, 09-24 Thu 2, 09-25..27 Mid-Autumn
		// off, 09-28 Mon 3, 09-29 Tue 4, 09-30 Wed 5, 10-01..07 off, 10-08 Thu 6,
		// 10-09 Fri 7.
		{"Mid-Autumn and National Day n=7", cst(2026, 9, 22, 9, 0), 7, cst(2026, 10, 10, 0, 0)},
		// Accepted Fri 09-18: 09-19 Sat off, 09-20 Sun (make-up) is day 1.
		{"make-up Sun 09-20 n=1", cst(2026, 9, 18, 16, 0), 1, cst(2026, 9, 21, 0, 0)},

		// Spring Festival 2026. Accepted Fri 02-13: 02-14 Sat (make-up) day 1,
		// 02-15..23 off, 02-24 Tue 2, 02-25 Wed 3, 02-26 Thu 4, 02-27 Fri 5.
		{"Spring Festival n=5", cst(2026, 2, 13, 9, 0), 5, cst(2026, 2, 28, 0, 0)},
		// ... then 02-28 Sat (make-up) is day 6.
		{"Spring Festival n=6", cst(2026, 2, 13, 9, 0), 6, cst(2026, 3, 1, 0, 0)},
		// ... 03-01 Sun off, 03-02 Mon is day 7.
		{"Spring Festival n=7", cst(2026, 2, 13, 9, 0), 7, cst(2026, 3, 3, 0, 0)},
		// Accepted Thu 02-12: 02-13 Fri 1, 02-14 Sat (make-up) 2.
		{"Spring Festival make-up Sat n=2", cst(2026, 2, 12, 9, 0), 2, cst(2026, 2, 15, 0, 0)},
		// Accepted Sun 02-15 (a holiday): 02-16..23 off, 02-24 Tue is day 1.
		{"accepted during Spring Festival n=1", cst(2026, 2, 15, 11, 0), 1, cst(2026, 2, 25, 0, 0)},

		// New Year 2026. Accepted Wed 2025-12-31: 01-01..03 off, 01-04 Sun
		// (make-up) day 1.
		{"New Year n=1", cst(2025, 12, 31, 16, 0), 1, cst(2026, 1, 5, 0, 0)},
		// ... 01-05 Mon 2, 01-06 Tue 3.
		{"New Year n=3", cst(2025, 12, 31, 16, 0), 3, cst(2026, 1, 7, 0, 0)},

		// Instants given in UTC count by their date in Shanghai.
		// 2026-09-28T17:00Z is Tue 09-29 01:00 CST: 09-30 is day 1 (the UTC
		// date 09-28 would wrongly make 09-29 day 1).
		{"UTC instant already next day n=1", time.Date(2026, 9, 28, 17, 0, 0, 0, time.UTC), 1, cst(2026, 10, 1, 0, 0)},
		// 2026-09-30T17:00Z is 10-01 01:00 CST; n=0 ends at 10-01 24:00.
		{"UTC instant on 10-01 in Shanghai n=0", time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC), 0, cst(2026, 10, 2, 0, 0)},
		// Same instant, n=1: 10-02..07 off, 10-08 Thu is day 1.
		{"UTC instant on 10-01 in Shanghai n=1", time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC), 1, cst(2026, 10, 9, 0, 0)},
		// 2026-09-30T15:59:59Z is 09-30 23:59:59 CST, still 09-30.
		{"last second of 09-30 CST n=0", time.Date(2026, 9, 30, 15, 59, 59, 0, time.UTC), 0, cst(2026, 10, 1, 0, 0)},
		// 00:00 CST belongs to the day it starts: 09-30 itself does not count.
		{"midnight start n=1", cst(2026, 9, 30, 0, 0), 1, cst(2026, 10, 9, 0, 0)},

		// n = 0: the end of the day of t, working day or not.
		{"n=0 working day", cst(2026, 9, 29, 10, 0), 0, cst(2026, 9, 30, 0, 0)},
		{"n=0 holiday", cst(2026, 10, 3, 10, 0), 0, cst(2026, 10, 4, 0, 0)},

		// Accepted on an ordinary Sat 03-07: 03-08 Sun off, 03-09 Mon day 1.
		{"accepted on Saturday n=1", cst(2026, 3, 7, 10, 0), 1, cst(2026, 3, 10, 0, 0)},
		// Into a year not loaded: 2027-01-01 Fri counts as a plain weekday.
		{"into uncovered 2027 n=1", cst(2026, 12, 31, 10, 0), 1, cst(2027, 1, 2, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Deadline(tt.start, tt.n)
			if !got.Equal(tt.want) {
				t.Errorf("Deadline(%s, %d) = %s, want %s", tt.start.Format(time.RFC3339), tt.n,
					got.Format(time.RFC3339), tt.want.Format(time.RFC3339))
			}
			if got.Location() != Shanghai() {
				t.Errorf("Deadline location = %s, want Asia/Shanghai", got.Location())
			}
			if n := c.WorkingDaysBetween(tt.start, got.Add(-time.Nanosecond)); n != tt.n {
				t.Errorf("WorkingDaysBetween(start, deadline-1ns) = %d, want %d", n, tt.n)
			}
		})
	}
}

func TestDeadlineString(t *testing.T) {
	c := official(t)
	got := c.Deadline(cst(2026, 9, 29, 10, 0), 5).Format(time.RFC3339)
	if got != "2026-10-13T00:00:00+08:00" {
		t.Errorf("deadline = %s, want 2026-10-13T00:00:00+08:00", got)
	}
}

func TestDeadlineNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Deadline with n = -1 did not panic")
		}
	}()
	official(t).Deadline(cst(2026, 1, 1, 0, 0), -1)
}

func TestWorkingDaysBetween(t *testing.T) {
	c := official(t)
	tests := []struct {
		name string
		a, b time.Time
		want int
	}{
		{"same day", cst(2026, 9, 29, 8, 0), cst(2026, 9, 29, 18, 0), 0},
		{"next working day", cst(2026, 9, 29, 18, 0), cst(2026, 9, 30, 8, 0), 1},
		// (09-29, 10-12]: 09-30, 10-08, 10-09, 10-10, 10-12.
		{"across National Day", cst(2026, 9, 29, 10, 0), cst(2026, 10, 12, 23, 0), 5},
		{"reversed is negative", cst(2026, 10, 12, 23, 0), cst(2026, 9, 29, 10, 0), -5},
		{"holiday only", cst(2026, 10, 1, 10, 0), cst(2026, 10, 7, 10, 0), 0},
		// (02-13, 02-28]: 02-14, 02-24..27, 02-28.
		{"across Spring Festival", cst(2026, 2, 13, 10, 0), cst(2026, 2, 28, 10, 0), 6},
		// UTC instant 2026-09-30T17:00Z is 10-01 in Shanghai: (09-29, 10-01] = {09-30}.
		{"UTC end", cst(2026, 9, 29, 10, 0), time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC), 1},
		// UTC instant 2026-09-29T16:30Z is 09-30 00:30 CST: (09-30, 10-08] = {10-08}.
		{"UTC start", time.Date(2026, 9, 29, 16, 30, 0, 0, time.UTC), cst(2026, 10, 8, 9, 0), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkingDaysBetween(tt.a, tt.b); got != tt.want {
				t.Errorf("WorkingDaysBetween = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestWorkingDaysBetweenProperties(t *testing.T) {
	c := official(t)
	rng := rand.New(rand.NewPCG(2026, 10))
	lo := cst(2024, 12, 1, 0, 0)
	span := cst(2027, 2, 1, 0, 0).Sub(lo)
	randTime := func() time.Time {
		t := lo.Add(time.Duration(rng.Int64N(int64(span))))
		if rng.IntN(2) == 0 {
			return t.UTC() // the location of the value must not matter
		}
		return t
	}
	for i := 0; i < 2000; i++ {
		a, b, m := randTime(), randTime(), randTime()
		whole := c.WorkingDaysBetween(a, b)
		if split := c.WorkingDaysBetween(a, m) + c.WorkingDaysBetween(m, b); split != whole {
			t.Fatalf("split at %s: %d, whole (%s, %s]: %d", m, split, a, b, whole)
		}
		if back := c.WorkingDaysBetween(b, a); back != -whole {
			t.Fatalf("WorkingDaysBetween(b, a) = %d, want %d", back, -whole)
		}
		n := rng.IntN(40)
		dl := c.Deadline(a, n)
		if got := c.WorkingDaysBetween(a, dl.Add(-time.Nanosecond)); got != n {
			t.Fatalf("WorkingDaysBetween(%s, Deadline(.., %d)-1ns) = %d", a, n, got)
		}
		if !dl.Equal(DateOf(dl).Start()) {
			t.Fatalf("deadline %s is not a midnight in Shanghai", dl)
		}
		if last := DateOf(dl.Add(-time.Nanosecond)); n > 0 && !c.IsWorkingDay(last) {
			t.Fatalf("Deadline(%s, %d) ends on %s, not a working day", a, n, last)
		}
	}
}

func TestOverdueWorkingDays(t *testing.T) {
	c := official(t)
	dl := c.Deadline(cst(2026, 9, 29, 10, 0), 5) // 2026-10-13T00:00+08:00, end of Mon 10-12
	tests := []struct {
		name string
		at   time.Time
		want int
	}{
		{"before the deadline", cst(2026, 10, 12, 23, 59), 0},
		{"at the deadline", dl, 0},
		{"next working day", cst(2026, 10, 13, 0, 0).Add(time.Second), 1},
		{"two working days later", cst(2026, 10, 14, 18, 0), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.OverdueWorkingDays(dl, tt.at); got != tt.want {
				t.Errorf("OverdueWorkingDays = %d, want %d", got, tt.want)
			}
		})
	}
	// Deadline at the end of Fri 10-09 (n=3). Finished Sun 10-11: Sat 10-10
	// is a make-up working day, so 1 working day late. Finished Mon 10-12:
	// 10-10 and 10-12, 2 working days late.
	dl3 := c.Deadline(cst(2026, 9, 29, 10, 0), 3)
	if got := c.OverdueWorkingDays(dl3, cst(2026, 10, 11, 9, 0)); got != 1 {
		t.Errorf("OverdueWorkingDays(Sun 10-11) = %d, want 1", got)
	}
	if got := c.OverdueWorkingDays(dl3, cst(2026, 10, 12, 9, 0)); got != 2 {
		t.Errorf("OverdueWorkingDays(Mon 10-12) = %d, want 2", got)
	}
	// Deadline end of Fri 2026-03-13, finished Sat 03-14: late by 0 working days.
	dlFri := cst(2026, 3, 14, 0, 0)
	if got := c.OverdueWorkingDays(dlFri, cst(2026, 3, 14, 10, 0)); got != 0 {
		t.Errorf("OverdueWorkingDays(Sat after Fri deadline) = %d, want 0", got)
	}
}

func TestDeadlineWithPauses(t *testing.T) {
	c := official(t)
	start := cst(2026, 9, 29, 10, 0) // Tue; without pauses n=5 ends 10-12 24:00
	const n = 5
	tests := []struct {
		name   string
		pauses []Interval
		want   time.Time
	}{
		{"no pauses", nil, cst(2026, 10, 13, 0, 0)},
		// 10-08 entirely paused: 09-30 1, 10-09 2, 10-10 3, 10-12 4, 10-13 Tue 5.
		{"whole working day paused", []Interval{{cst(2026, 10, 8, 0, 0), cst(2026, 10, 9, 0, 0)}}, cst(2026, 10, 14, 0, 0)},
		// Partial coverage of 10-08 and 10-09: both still count.
		{"partial days count", []Interval{{cst(2026, 10, 8, 9, 0), cst(2026, 10, 9, 17, 0)}}, cst(2026, 10, 13, 0, 0)},
		// 10-08 09:00 .. 10-10 09:00 covers only 10-09 entirely:
		// 09-30 1, 10-08 2, 10-10 3, 10-12 4, 10-13 5.
		{"only fully covered day is dropped", []Interval{{cst(2026, 10, 8, 9, 0), cst(2026, 10, 10, 9, 0)}}, cst(2026, 10, 14, 0, 0)},
		// Two touching halves (given out of order, one in UTC) cover 10-08.
		{"touching pauses merge", []Interval{
			{time.Date(2026, 10, 8, 4, 0, 0, 0, time.UTC), cst(2026, 10, 9, 0, 0)}, // 12:00 CST .. 24:00
			{cst(2026, 10, 8, 0, 0), cst(2026, 10, 8, 12, 0)},
		}, cst(2026, 10, 14, 0, 0)},
		// A one-minute gap leaves 10-08 uncovered, so it counts.
		{"gap between pauses", []Interval{
			{cst(2026, 10, 8, 0, 0), cst(2026, 10, 8, 12, 0)},
			{cst(2026, 10, 8, 12, 1), cst(2026, 10, 9, 0, 0)},
		}, cst(2026, 10, 13, 0, 0)},
		// 10-08 .. 10-10 inclusive paused (To 10-11 00:00): 09-30 1, 10-12 2,
		// 10-13 3, 10-14 4, 10-15 5.
		{"several days paused", []Interval{{cst(2026, 10, 8, 0, 0), cst(2026, 10, 11, 0, 0)}}, cst(2026, 10, 16, 0, 0)},
		// Holidays are not working days anyway.
		{"pause over holidays only", []Interval{{cst(2026, 10, 1, 0, 0), cst(2026, 10, 8, 0, 0)}}, cst(2026, 10, 13, 0, 0)},
		{"pause before start", []Interval{{cst(2026, 9, 1, 0, 0), cst(2026, 9, 10, 0, 0)}}, cst(2026, 10, 13, 0, 0)},
		{"pause after deadline", []Interval{{cst(2026, 10, 20, 0, 0), time.Time{}}}, cst(2026, 10, 13, 0, 0)},
		// A pause covering the day of acceptance changes nothing: it never counts.
		{"pause on day of start", []Interval{{cst(2026, 9, 29, 0, 0), cst(2026, 9, 30, 0, 0)}}, cst(2026, 10, 13, 0, 0)},
		{"empty and inverted pauses ignored", []Interval{
			{cst(2026, 10, 8, 0, 0), cst(2026, 10, 8, 0, 0)},
			{cst(2026, 10, 9, 0, 0), cst(2026, 10, 8, 0, 0)},
		}, cst(2026, 10, 13, 0, 0)},
		// Open-ended pause from 10-08 08:00: 10-08 counts (day 2), 10-09 is
		// entirely paused and so is every later day: no deadline yet.
		{"open-ended pause", []Interval{{cst(2026, 10, 8, 8, 0), time.Time{}}}, time.Time{}},
		// An open-ended pause merged with an earlier one that touches it.
		{"open-ended pause merged", []Interval{
			{cst(2026, 10, 8, 0, 0), cst(2026, 10, 9, 0, 0)},
			{cst(2026, 10, 8, 12, 0), time.Time{}},
		}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.DeadlineWithPauses(start, n, tt.pauses)
			if !got.Equal(tt.want) || got.IsZero() != tt.want.IsZero() {
				t.Fatalf("DeadlineWithPauses = %s, want %s", got.Format(time.RFC3339), tt.want.Format(time.RFC3339))
			}
			if got.IsZero() {
				return
			}
			if k := c.WorkingDaysBetweenWithPauses(start, got.Add(-time.Nanosecond), tt.pauses); k != n {
				t.Errorf("WorkingDaysBetweenWithPauses(start, deadline-1ns) = %d, want %d", k, n)
			}
		})
	}
	// n = 0 ignores pauses: the end of the day of start.
	if got := c.DeadlineWithPauses(start, 0, []Interval{{cst(2026, 9, 1, 0, 0), time.Time{}}}); !got.Equal(cst(2026, 9, 30, 0, 0)) {
		t.Errorf("DeadlineWithPauses(n=0) = %s", got)
	}
}

func TestWorkingDaysBetweenWithPauses(t *testing.T) {
	c := official(t)
	ps := []Interval{{cst(2026, 10, 8, 0, 0), cst(2026, 10, 10, 0, 0)}} // 10-08, 10-09 paused
	// (09-29, 10-12]: 09-30, 10-10, 10-12 count; 10-08 and 10-09 do not.
	if got := c.WorkingDaysBetweenWithPauses(cst(2026, 9, 29, 10, 0), cst(2026, 10, 12, 10, 0), ps); got != 3 {
		t.Errorf("got %d, want 3", got)
	}
	if got := c.WorkingDaysBetweenWithPauses(cst(2026, 10, 12, 10, 0), cst(2026, 9, 29, 10, 0), ps); got != -3 {
		t.Errorf("reversed: got %d, want -3", got)
	}
}

func TestValidate(t *testing.T) {
	d := func(s string) Date { return mustDate(t, s) }
	tests := []struct {
		name  string
		year  Year
		wants []string // substrings of the error; none means valid
	}{
		{"seed 2026", China2026, nil},
		{"empty year", Year{Year: 2027}, nil},
		{"work on a weekday", Year{Year: 2026, Work: []Date{d("2026-10-12")}},
			[]string{"work date 2026-10-12", "is a Monday, not a weekend day"}},
		{"off date in another year", Year{Year: 2026, Off: []Date{d("2025-12-31")}},
			[]string{"off date 2025-12-31", "is not in year 2026"}},
		{"work date in another year", Year{Year: 2026, Work: []Date{d("2027-01-02")}},
			[]string{"work date 2027-01-02", "is not in year 2026"}},
		{"both off and work", Year{Year: 2026, Off: []Date{d("2026-10-10")}, Work: []Date{d("2026-10-10")}},
			[]string{"work date 2026-10-10", "is also listed as a day off"}},
		{"off listed twice", Year{Year: 2026, Off: []Date{d("2026-10-01"), d("2026-10-01")}},
			[]string{"off date 2026-10-01", "is listed twice"}},
		{"work listed twice", Year{Year: 2026, Work: []Date{d("2026-10-10"), d("2026-10-10")}},
			[]string{"work date 2026-10-10", "is listed twice"}},
		{"invalid date", Year{Year: 2026, Off: []Date{{2026, time.February, 30}}},
			[]string{"off date 2026-02-30", "is not a valid date"}},
		{"year out of range", Year{Year: 0}, []string{"year 0 out of range"}},
		{"several problems reported together", Year{Year: 2026,
			Off:  []Date{d("2025-01-01"), d("2026-05-09")},
			Work: []Date{d("2026-05-09"), d("2026-05-08")}},
			[]string{"2025-01-01 is not in year 2026", "2026-05-09 is also listed as a day off", "2026-05-08 is a Friday"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.year.Validate()
			if len(tt.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error containing %q", tt.wants)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
	err := Year{Year: 2026, Work: []Date{d("2026-10-12")}}.Validate()
	var de *DateError
	if !errors.As(err, &de) || de.Date != d("2026-10-12") || de.List != "work" || de.Year != 2026 {
		t.Errorf("errors.As(*DateError) = %+v", de)
	}
}

func TestNew(t *testing.T) {
	if _, err := New(China2026, China2026); err == nil || !strings.Contains(err.Error(), "year 2026 given twice") {
		t.Errorf("New(dup) error = %v", err)
	}
	bad := Year{Year: 2026, Work: []Date{mustDate(t, "2026-10-12")}}
	if c, err := New(China2025, bad); err == nil || c != nil {
		t.Errorf("New(invalid) = %v, %v; want nil, error", c, err)
	}

	// The calendar is immutable: it copies its input and hands out copies.
	y := Year{Year: 2026, Off: []Date{mustDate(t, "2026-10-01")}, Work: []Date{mustDate(t, "2026-10-10")}}
	c, err := New(y)
	if err != nil {
		t.Fatal(err)
	}
	y.Off[0] = mustDate(t, "2026-10-02")
	y.Work[0] = mustDate(t, "2026-10-11")
	if c.IsWorkingDay(mustDate(t, "2026-10-01")) || !c.IsWorkingDay(mustDate(t, "2026-10-02")) ||
		!c.IsWorkingDay(mustDate(t, "2026-10-10")) || c.IsWorkingDay(mustDate(t, "2026-10-11")) {
		t.Error("calendar changed when its input Year was modified")
	}
	ys := c.Years()
	ys[0].Off[0] = mustDate(t, "2026-10-05")
	if !reflect.DeepEqual(c.Years()[0].Off, []Date{mustDate(t, "2026-10-01")}) {
		t.Error("Years() does not return a copy")
	}

	c2, err := New(China2026, China2025)
	if err != nil {
		t.Fatal(err)
	}
	got := c2.Years()
	if len(got) != 2 || got[0].Year != 2025 || got[1].Year != 2026 || !reflect.DeepEqual(got[1], China2026) {
		t.Errorf("Years() = %d years, not the input in ascending order", len(got))
	}
}

func TestYearJSON(t *testing.T) {
	b, err := json.Marshal(China2026)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"year":2026`, `"off":["2026-01-01","2026-01-02"`, `"work":["2026-01-04","2026-02-14"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s does not contain %s", s, want)
		}
	}
	var back Year
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, China2026) {
		t.Errorf("round trip: got %+v, want %+v", back, China2026)
	}

	for _, in := range []string{
		`{"year":2026,"off":["2026-13-01"]}`,
		`{"year":2026,"off":["2026-02-29"]}`,
		`{"year":2026,"work":["10/10/2026"]}`,
		`{"year":2026,"work":[20261010]}`,
	} {
		var y Year
		if err := json.Unmarshal([]byte(in), &y); err == nil {
			t.Errorf("Unmarshal(%s) = nil error", in)
		}
	}
	if _, err := json.Marshal(Year{Year: 2026, Off: []Date{{}}}); err == nil {
		t.Error("Marshal of the zero Date succeeded")
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2026-10-10")
	if err != nil || d != (Date{2026, time.October, 10}) {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	if d.String() != "2026-10-10" || d.Weekday() != time.Saturday || !d.IsWeekend() {
		t.Errorf("%s: weekday %s", d, d.Weekday())
	}
	for _, s := range []string{"", "2026-1-1", "2026-02-29", "2026-10-10T00:00:00Z", " 2026-10-10"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) succeeded", s)
		}
	}
	if got := d.AddDays(22); got.String() != "2026-11-01" {
		t.Errorf("AddDays = %s", got)
	}
	if got := NewDate(2026, time.February, 29); got.String() != "2026-03-01" {
		t.Errorf("NewDate(2026-02-29) = %s", got)
	}
	if (Date{}).IsValid() || !d.IsValid() {
		t.Error("IsValid")
	}
	if got := DateOf(time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC)); got.String() != "2026-10-01" {
		t.Errorf("DateOf(2026-09-30T16:00Z) = %s, want 2026-10-01", got)
	}
	if got := d.End().Format(time.RFC3339); got != "2026-10-11T00:00:00+08:00" {
		t.Errorf("End = %s", got)
	}
	if !d.Before(d.AddDays(1)) || !d.After(d.AddDays(-1)) || d.Compare(d) != 0 {
		t.Error("Compare")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := official(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			start := cst(2026, 1, 1, 0, 0).AddDate(0, 0, i)
			for n := 0; n < 50; n++ {
				c.Deadline(start, n)
				c.WorkingDaysBetween(start, start.AddDate(0, 1, 0))
			}
		})
	}
	wg.Wait()
}
