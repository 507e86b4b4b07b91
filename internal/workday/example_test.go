package workday_test

import (
	"fmt"
	"time"

	"github.com/gridd/gridd/internal/workday"
)

func Example() {
	// In production the years come from the database; the seed data is used here.
	cal, err := workday.New(workday.China2025, workday.China2026)
	if err != nil {
		panic(err)
	}
	// A case accepted on Tue 2026-09-29 at 10:00 must be handled within
	// 5 working days. Counting starts the next day: 09-30 (1), National Day
	// 10-01..07 off, 10-08 (2), 10-09 (3), Sat 10-10 make-up day (4), 10-12 (5).
	accepted := time.Date(2026, time.September, 29, 10, 0, 0, 0, workday.Shanghai())
	deadline := cal.Deadline(accepted, 5)
	fmt.Println("deadline:", deadline.Format(time.RFC3339))

	// Finished on Wed 10-14: two working days late (10-13, 10-14).
	finished := time.Date(2026, time.October, 14, 9, 30, 0, 0, workday.Shanghai())
	fmt.Println("handling time:", cal.WorkingDaysBetween(accepted, finished), "working days")
	fmt.Println("overdue by:", cal.OverdueWorkingDays(deadline, finished), "working days")

	// Postponed (缓办) for the whole of Thu 10-08: that day does not count.
	pause := workday.Interval{
		From: time.Date(2026, time.October, 8, 0, 0, 0, 0, workday.Shanghai()),
		To:   time.Date(2026, time.October, 9, 0, 0, 0, 0, workday.Shanghai()),
	}
	fmt.Println("with pause:", cal.DeadlineWithPauses(accepted, 5, []workday.Interval{pause}).Format(time.RFC3339))
	fmt.Println("2026-10-10 is a working day:", cal.IsWorkingDay(workday.Date{Year: 2026, Month: time.October, Day: 10}))
	// Output:
	// deadline: 2026-10-13T00:00:00+08:00
	// handling time: 7 working days
	// overdue by: 2 working days
	// with pause: 2026-10-14T00:00:00+08:00
	// 2026-10-10 is a working day: true
}
