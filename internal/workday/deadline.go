package workday

import (
	"fmt"
	"slices"
	"time"
)

// Deadline returns the deadline instant for a time limit of n working days
// starting at t: the end (24:00 Asia/Shanghai) of the n-th working day after
// the civil day of t, which is 00:00 of the following day. The day of t
// itself does not count (自受理之次日起计算). For n = 0 it is the end of the
// day of t. The result is in the Asia/Shanghai location. Deadline panics if
// n < 0.
//
// Example: accepted Tue 2026-09-29 10:00 CST, 5 working days: 09-30 is day 1,
// 10-01..07 are off, 10-08 day 2, 10-09 day 3, Sat 10-10 (make-up) day 4,
// 10-12 day 5, so the deadline is 2026-10-13T00:00+08:00.
func (c *Calendar) Deadline(t time.Time, n int) time.Time {
	return c.DeadlineWithPauses(t, n, nil)
}

// WorkingDaysBetween counts the working days whose civil date (Asia/Shanghai)
// is in (date(a), date(b)]: after the day of a, up to and including the day
// of b. The times of day do not matter. If b is before a the count is
// negative: WorkingDaysBetween(a, b) == -WorkingDaysBetween(b, a), so for
// any a, b, c, WorkingDaysBetween(a, b) + WorkingDaysBetween(b, c) ==
// WorkingDaysBetween(a, c).
//
// Use it for handling time in working days (accepted at a, finished at b;
// work finished on the day of acceptance takes 0 working days). For n >= 0,
// WorkingDaysBetween(t, c.Deadline(t, n).Add(-time.Nanosecond)) == n. To
// measure how late a case is, see [Calendar.OverdueWorkingDays].
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	return c.WorkingDaysBetweenWithPauses(a, b, nil)
}

// OverdueWorkingDays returns by how many working days at is past deadline:
// the working days whose civil date is after the day on which the deadline
// falls (the day of its last instant, deadline - 1ns) up to and including the
// day of at. It is 0 if at is not after deadline. With a deadline from
// [Calendar.Deadline] (24:00 of its last working day), a case finished on the
// next working day is 1 working day late; one finished on the weekend right
// after the deadline is late (at.After(deadline)) by 0 working days.
func (c *Calendar) OverdueWorkingDays(deadline, at time.Time) int {
	if !at.After(deadline) {
		return 0
	}
	return c.WorkingDaysBetween(deadline.Add(-time.Nanosecond), at)
}

// Interval is a pause of a case's clock (postponement, 缓办), the half-open
// interval [From, To). A zero To means the pause has not ended. An interval
// with To not after From is empty and ignored.
type Interval struct {
	From, To time.Time
}

// pauses is a set of pauses, merged and sorted.
type pauses []Interval

// open reports whether iv is open-ended.
func (iv Interval) open() bool { return iv.To.IsZero() }

// merge returns the union of ps as disjoint sorted intervals, merging those
// that overlap or touch. Empty intervals are dropped.
func merge(ps []Interval) pauses {
	var in []Interval
	for _, p := range ps {
		if p.open() || p.To.After(p.From) {
			in = append(in, p)
		}
	}
	slices.SortFunc(in, func(a, b Interval) int { return a.From.Compare(b.From) })
	var out pauses
	for _, p := range in {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.open() || !p.From.After(last.To) { // overlaps or touches
				if !last.open() && (p.open() || p.To.After(last.To)) {
					last.To = p.To
				}
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// covers reports whether the pauses cover the whole of day d
// (00:00 to 24:00 Asia/Shanghai), and whether the covering pause is
// open-ended.
func (ps pauses) covers(d Date) (covered, open bool) {
	if len(ps) == 0 {
		return false, false
	}
	start, end := d.Start(), d.End()
	for _, p := range ps {
		if p.From.After(start) {
			break // sorted: later pauses start even later
		}
		if p.open() {
			return true, true
		}
		if !p.To.Before(end) {
			return true, false
		}
	}
	return false, false
}

// counts reports whether d counts toward a time limit: it is a working day
// not entirely covered by a pause.
func (c *Calendar) counts(d Date, ps pauses) bool {
	if !c.IsWorkingDay(d) {
		return false
	}
	covered, _ := ps.covers(d)
	return !covered
}

// DeadlineWithPauses is [Calendar.Deadline] for a case whose clock was
// paused (postponement, 缓办): a working day counts toward the n days unless
// the pauses, taken together, cover it entirely (00:00 to 24:00 Asia/Shanghai).
// A working day that a pause covers only in part — the day a pause starts
// during office hours, or the day it ends — counts in full. Pauses that
// overlap or touch are merged first, so two pauses that together cover a day
// leave it uncounted.
//
// If counting reaches a day covered by a pause that has not ended (zero To),
// the deadline cannot be known yet and DeadlineWithPauses returns the zero
// time.Time. It panics if n < 0.
func (c *Calendar) DeadlineWithPauses(start time.Time, n int, ps []Interval) time.Time {
	if n < 0 {
		panic(fmt.Sprintf("workday: negative number of working days %d", n))
	}
	merged := merge(ps)
	d := DateOf(start)
	for n > 0 {
		d = d.AddDays(1)
		if !c.IsWorkingDay(d) {
			continue
		}
		covered, open := merged.covers(d)
		if open {
			return time.Time{}
		}
		if !covered {
			n--
		}
	}
	return d.End()
}

// WorkingDaysBetweenWithPauses is [Calendar.WorkingDaysBetween] that leaves
// out the working days the pauses cover entirely, under the rule of
// [Calendar.DeadlineWithPauses]. For n >= 0 and a non-zero deadline
// dl = DeadlineWithPauses(t, n, ps),
// WorkingDaysBetweenWithPauses(t, dl.Add(-time.Nanosecond), ps) == n.
func (c *Calendar) WorkingDaysBetweenWithPauses(a, b time.Time, ps []Interval) int {
	da, db := DateOf(a), DateOf(b)
	sign := 1
	if db.Before(da) {
		da, db, sign = db, da, -1
	}
	merged := merge(ps)
	n := 0
	for d := da.AddDays(1); !d.After(db); d = d.AddDays(1) {
		if c.counts(d, merged) {
			n++
		}
	}
	return sign * n
}
