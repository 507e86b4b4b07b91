package workday

import (
	"fmt"
	"sync"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve even on hosts without zoneinfo.
)

// shanghai is the Asia/Shanghai location, loaded once.
var shanghai = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// China has used UTC+8 without daylight saving time since 1991.
		return time.FixedZone("Asia/Shanghai", 8*60*60)
	}
	return loc
})

// Shanghai returns the Asia/Shanghai location. It is loaded once; if the
// time zone database cannot be loaded (the package embeds time/tzdata, so
// this should not happen) it is a fixed UTC+08:00 zone named "Asia/Shanghai".
func Shanghai() *time.Location { return shanghai() }

// dateLayout is the text form of a Date.
const dateLayout = "2006-01-02"

// Date is a civil date (a day in the calendar, with no time of day and no
// location). Its text and JSON form is "YYYY-MM-DD". The zero Date is not a
// valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date year-month-day, normalized as time.Date does
// (so NewDate(2026, 2, 29) is 2026-03-01).
func NewDate(year int, month time.Month, day int) Date {
	return dateOfUTC(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the civil date of instant t in Asia/Shanghai, whatever the
// location of t.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Shanghai()).Date()
	return Date{y, m, d}
}

// ParseDate parses a date in the form "YYYY-MM-DD". It rejects dates that
// do not exist, such as "2026-02-29".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("workday: invalid date %q: want YYYY-MM-DD", s)
	}
	return dateOfUTC(t), nil
}

func dateOfUTC(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// utc returns midnight UTC of d, used for calendar arithmetic.
func (d Date) utc() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// IsValid reports whether d is a real calendar date in years 1 to 9999
// (for example 2026-02-29 and the zero Date are not).
func (d Date) IsValid() bool {
	return d.Year >= 1 && d.Year <= 9999 && NewDate(d.Year, d.Month, d.Day) == d
}

// String returns d as "YYYY-MM-DD". An invalid date is printed with its
// fields as they are, for example "2026-02-30".
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText implements encoding.TextMarshaler ("YYYY-MM-DD").
func (d Date) MarshalText() ([]byte, error) {
	if !d.IsValid() {
		return nil, fmt.Errorf("workday: cannot marshal invalid date %s", d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler ("YYYY-MM-DD").
func (d *Date) UnmarshalText(b []byte) error {
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// IsWeekend reports whether d is a Saturday or a Sunday.
func (d Date) IsWeekend() bool {
	w := d.Weekday()
	return w == time.Saturday || w == time.Sunday
}

// AddDays returns the date n days after d (before d if n < 0).
func (d Date) AddDays(n int) Date { return dateOfUTC(d.utc().AddDate(0, 0, n)) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.utc().Compare(e.utc()) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Start returns the first instant of d in Asia/Shanghai (00:00).
func (d Date) Start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Shanghai())
}

// End returns the instant at which d ends in Asia/Shanghai (24:00), which is
// the first instant of the next day.
func (d Date) End() time.Time { return d.AddDays(1).Start() }
