package workday

import "time"

// Working time is time that falls on working days: every working day
// counts its whole 24 hours (00:00 to 24:00 Asia/Shanghai), every day off
// counts nothing. A limit in working hours ("review within 4 working
// hours") runs only on working days: 4 working hours from Friday 22:00,
// with Saturday and Sunday off, end on Monday 02:00.

// WorkingTimeBetween returns the working time in [a, b); it is negative if
// b is before a.
func (c *Calendar) WorkingTimeBetween(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.WorkingTimeBetween(b, a)
	}
	var total time.Duration
	for d := DateOf(a); !d.Start().After(b) && d.Start().Before(b); d = d.AddDays(1) {
		if !c.IsWorkingDay(d) {
			continue
		}
		from, to := d.Start(), d.End()
		if from.Before(a) {
			from = a
		}
		if to.After(b) {
			to = b
		}
		if to.After(from) {
			total += to.Sub(from)
		}
	}
	return total
}

// AddWorkingTime returns the instant at which d of working time has passed
// since t (d > 0), or the instant d of working time before t (d < 0). When
// the answer falls on a boundary between a working day and days off it is
// the end of the working day going forward (24:00) and the start of the
// working day going back (00:00). d = 0 returns t. It gives up after ten
// years of calendar without a working day and returns the zero time.
func (c *Calendar) AddWorkingTime(t time.Time, d time.Duration) time.Time {
	if d == 0 {
		return t
	}
	day := DateOf(t)
	for i := 0; i < 3660; i++ {
		if c.IsWorkingDay(day) {
			if d > 0 {
				from := day.Start()
				if from.Before(t) {
					from = t
				}
				if left := day.End().Sub(from); d <= left {
					return from.Add(d)
				} else if left > 0 {
					d -= left
				}
			} else {
				to := day.End()
				if to.After(t) {
					to = t
				}
				if left := to.Sub(day.Start()); -d <= left {
					return to.Add(d)
				} else if left > 0 {
					d += left
				}
			}
		}
		if d > 0 {
			day = day.AddDays(1)
		} else {
			day = day.AddDays(-1)
		}
	}
	return time.Time{}
}
