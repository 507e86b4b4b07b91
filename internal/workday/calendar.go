package workday

import (
	"errors"
	"fmt"
	"slices"
)

// Year is one year's official calendar: the days off and the make-up
// working days, as published by the State Council General Office. Off
// lists every day off of the holiday spans, including the Saturdays and
// Sundays inside a span; Work lists the Saturdays and Sundays that are
// working days (调休上班). Its JSON form is
//
//	{"year":2026,"off":["2026-01-01",...],"work":["2026-01-04",...]}
type Year struct {
	Year int    `json:"year"`
	Off  []Date `json:"off"`
	Work []Date `json:"work"`
}

// DateError is a problem with one date of a Year, as reported by
// [Year.Validate].
type DateError struct {
	Year    int    // the Year being validated
	List    string // "off" or "work"
	Date    Date   // the offending date
	Problem string // what is wrong, for example "is a Monday, not a weekend day"
}

func (e *DateError) Error() string {
	return fmt.Sprintf("workday: year %d: %s date %s %s", e.Year, e.List, e.Date, e.Problem)
}

// Validate checks y: the year is in 1..9999, every date is a real date of
// that year, no date is listed twice in the same list, no date is both off
// and work, and every work date is a Saturday or a Sunday. Off dates may
// fall on any day of the week. It returns nil or all the problems found,
// joined with errors.Join; each is a *DateError naming the date and the
// problem (except a bad year number).
func (y Year) Validate() error {
	if y.Year < 1 || y.Year > 9999 {
		return fmt.Errorf("workday: year %d out of range 1..9999", y.Year)
	}
	var errs []error
	bad := func(list string, d Date, format string, args ...any) {
		errs = append(errs, &DateError{Year: y.Year, List: list, Date: d, Problem: fmt.Sprintf(format, args...)})
	}
	check := func(list string, dates []Date) map[Date]bool {
		seen := make(map[Date]bool, len(dates))
		for _, d := range dates {
			switch {
			case !d.IsValid():
				bad(list, d, "is not a valid date")
			case d.Year != y.Year:
				bad(list, d, "is not in year %d", y.Year)
			case seen[d]:
				bad(list, d, "is listed twice")
			}
			seen[d] = true
		}
		return seen
	}
	off := check("off", y.Off)
	check("work", y.Work)
	for _, d := range y.Work {
		if !d.IsValid() || d.Year != y.Year {
			continue
		}
		if off[d] {
			bad("work", d, "is also listed as a day off")
		}
		if !d.IsWeekend() {
			bad("work", d, "is a %s, not a weekend day", d.Weekday())
		}
	}
	return errors.Join(errs...)
}

// clone returns a deep copy of y.
func (y Year) clone() Year {
	return Year{Year: y.Year, Off: slices.Clone(y.Off), Work: slices.Clone(y.Work)}
}

// Calendar is an immutable working-day calendar built from [Year] values by
// [New]. It is safe for concurrent use. A nil *Calendar covers no year: every
// Monday–Friday is a working day.
type Calendar struct {
	years map[int]Year  // deep copies of the input, for Years
	off   map[Date]bool // listed days off
	work  map[Date]bool // listed make-up working days
	order []int         // covered years, ascending
	_     [0]func()     // not comparable
}

// New builds a calendar from years. Each Year must pass [Year.Validate] and
// no year may be given twice. The calendar keeps its own copy of the data:
// changing the slices of a Year afterwards does not change the calendar.
// New() with no years is a valid calendar that covers no year.
func New(years ...Year) (*Calendar, error) {
	c := &Calendar{
		years: make(map[int]Year, len(years)),
		off:   make(map[Date]bool),
		work:  make(map[Date]bool),
	}
	var errs []error
	for _, y := range years {
		if err := y.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := c.years[y.Year]; dup {
			errs = append(errs, fmt.Errorf("workday: year %d given twice", y.Year))
			continue
		}
		c.years[y.Year] = y.clone()
		c.order = append(c.order, y.Year)
		for _, d := range y.Off {
			c.off[d] = true
		}
		for _, d := range y.Work {
			c.work[d] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.Sort(c.order)
	return c, nil
}

// Covers reports whether the calendar holds the official data for year.
func (c *Calendar) Covers(year int) bool {
	if c == nil {
		return false
	}
	_, ok := c.years[year]
	return ok
}

// Years returns a copy of the calendar's data, in ascending order of year.
func (c *Calendar) Years() []Year {
	if c == nil {
		return nil
	}
	out := make([]Year, 0, len(c.order))
	for _, y := range c.order {
		out = append(out, c.years[y].clone())
	}
	return out
}

// IsWorkingDay reports whether d is a working day: a Monday–Friday that is
// not a listed day off, or a listed make-up working day. For a year the
// calendar does not cover, it is plain Monday–Friday. A Date with
// out-of-range fields is normalized first (2026-09-31 is 2026-10-01).
func (c *Calendar) IsWorkingDay(d Date) bool {
	d = NewDate(d.Year, d.Month, d.Day)
	if c != nil {
		if c.work[d] {
			return true
		}
		if c.off[d] {
			return false
		}
	}
	return !d.IsWeekend()
}
