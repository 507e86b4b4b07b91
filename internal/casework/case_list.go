package casework

import (
	"fmt"
	"math"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
)

// SortKey is what the case list is ordered by; ties are broken by id in
// the same direction.
type SortKey string

// The sort keys of the case list.
const (
	SortReported SortKey = "reported_at" // the default, newest first
	SortStageDue SortKey = "stage_due"   // the running stage's deadline; cases without one sort as +infinity
	SortNumber   SortKey = "number"
)

// CaseSort orders the case list. The zero value is reported_at descending.
type CaseSort struct {
	Key SortKey
	Asc bool
}

// ParseCaseSort parses "key" or "key.asc|key.desc" (also "-key" for
// descending); a key alone is descending.
func ParseCaseSort(field, s string) (CaseSort, error) {
	out := CaseSort{}
	key, dir := s, "desc"
	if len(s) > 0 && s[0] == '-' {
		key = s[1:]
	}
	for _, d := range []string{".asc", ".desc"} {
		if len(s) > len(d) && s[len(s)-len(d):] == d {
			key, dir = s[:len(s)-len(d)], d[1:]
		}
	}
	switch SortKey(key) {
	case SortReported, SortStageDue, SortNumber:
		out.Key = SortKey(key)
	default:
		return out, errs.Invalidf(field, "invalid_sort", "want reported_at, stage_due or number, optionally with .asc or .desc, got %q", s)
	}
	out.Asc = dir == "asc"
	return out, nil
}

// Normal returns s with the default key filled in.
func (s CaseSort) Normal() CaseSort {
	if s.Key == "" {
		s.Key = SortReported
	}
	return s
}

// CaseCursor is a keyset position in a sorted case list: the sort key's
// value of the last case seen and its id.
type CaseCursor struct {
	Sort CaseSort
	// Time is the reported_at or stage_due value (nil for a case with no
	// stage deadline); Number the case number.
	Time   *time.Time
	Number string
	ID     int64
}

// CursorAfter is the position just after c in sort order.
func CursorAfter(s CaseSort, c *Case) *CaseCursor {
	s = s.Normal()
	cur := &CaseCursor{Sort: s, ID: c.ID}
	switch s.Key {
	case SortReported:
		t := c.ReportedAt
		cur.Time = &t
	case SortStageDue:
		if c.Status.Open() && c.DueAt != nil {
			t := *c.DueAt
			cur.Time = &t
		}
	case SortNumber:
		cur.Number = c.Number
	}
	return cur
}

// Period is a date preset of the case list.
type Period string

// The presets: the calendar day, ISO week (Monday first) or month of Now
// in Asia/Shanghai.
const (
	PeriodToday Period = "today"
	PeriodWeek  Period = "week"
	PeriodMonth Period = "month"
)

// ParsePeriod validates a period value.
func ParsePeriod(field, s string) (Period, error) {
	switch Period(s) {
	case PeriodToday, PeriodWeek, PeriodMonth:
		return Period(s), nil
	}
	return "", errs.Invalidf(field, "invalid_period", "want today, week or month, got %q", s)
}

// Bounds returns [from, to) of the period containing now, in Asia/Shanghai.
func (p Period) Bounds(now time.Time) (time.Time, time.Time, error) {
	t := now.In(workday.Shanghai())
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	switch p {
	case PeriodToday:
		return day, day.AddDate(0, 0, 1), nil
	case PeriodWeek:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		from := day.AddDate(0, 0, -back)
		return from, from.AddDate(0, 0, 7), nil
	case PeriodMonth:
		from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
		return from, from.AddDate(0, 1, 0), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("period %q", p)
}

// resolvePeriod narrows From and To to the period at Now (the tighter
// bound wins when both are given).
func (f *CaseFilter) resolvePeriod() {
	if f.Period == "" {
		return
	}
	from, to, err := f.Period.Bounds(f.Now)
	if err != nil {
		return
	}
	if f.From == nil || f.From.Before(from) {
		f.From = &from
	}
	if f.To == nil || f.To.After(to) {
		f.To = &to
	}
	f.Period = ""
}

// CaseSummary is the case list's counts: per status, overdue, and total.
type CaseSummary struct {
	Total    int
	ByStatus map[Status]int
	Overdue  int
}

// DaysOverdue is how many calendar days (24-hour periods begun) the open
// case's running stage is past its deadline at now; 0 when it is not
// overdue or no clock runs.
func (c *Case) DaysOverdue(now time.Time) int {
	if !c.Status.Open() || c.DueAt == nil || now.Before(*c.DueAt) {
		return 0
	}
	return int(math.Floor(now.Sub(*c.DueAt).Hours()/24)) + 1
}
