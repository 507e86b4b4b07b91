package workday_test

import (
	"testing"
	"time"

	"github.com/gridd/gridd/internal/workday"
)

func TestWorkingTimeAcrossNationalDay(t *testing.T) {
	cal, err := workday.New(workday.China2026)
	if err != nil {
		t.Fatal(err)
	}
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, workday.Shanghai()) }
	cases := []struct {
		name string
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"within a working day", at(9, 29, 9), 4 * time.Hour, at(9, 29, 13)},
		// Wed 09-30 20:00 + 8 h: 4 h left on 09-30, 10-01..07 off, 4 h into Thu 10-08.
		{"across the holiday", at(9, 30, 20), 8 * time.Hour, at(10, 8, 4)},
		// Fri 10-09 22:00 + 4 h: Sat 10-10 is a make-up working day.
		{"into the make-up Saturday", at(10, 9, 22), 4 * time.Hour, at(10, 10, 2)},
		{"back across the holiday", at(10, 8, 4), -8 * time.Hour, at(9, 30, 20)},
		{"back to the start of a working day", at(10, 8, 24), -24 * time.Hour, at(10, 8, 0)},
		{"from a day off", at(10, 3, 12), time.Hour, at(10, 8, 1)},
	}
	for _, c := range cases {
		got := cal.AddWorkingTime(c.from, c.d)
		if !got.Equal(c.want) {
			t.Errorf("%s: AddWorkingTime(%v, %v) = %v, want %v", c.name, c.from, c.d, got, c.want)
		}
		if c.d > 0 {
			if back := cal.WorkingTimeBetween(c.from, got); back != c.d {
				t.Errorf("%s: WorkingTimeBetween = %v, want %v", c.name, back, c.d)
			}
		}
	}
	if got := cal.WorkingTimeBetween(at(9, 30, 0), at(10, 9, 0)); got != 48*time.Hour {
		t.Errorf("09-30..10-09: %v working time, want 48h (09-30 and 10-08)", got)
	}
	if got := cal.WorkingTimeBetween(at(10, 9, 0), at(9, 30, 0)); got != -48*time.Hour {
		t.Errorf("reversed: %v, want -48h", got)
	}
}
