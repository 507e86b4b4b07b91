package visits

import (
	"testing"

	"github.com/gridd/gridd/internal/workday"
)

func TestScheduleNext(t *testing.T) {
	d := workday.NewDate
	for _, c := range []struct {
		s    Schedule
		from workday.Date
		want workday.Date
	}{
		{Schedule{Every: 1, Unit: "month"}, d(2026, 11, 10), d(2026, 12, 10)},
		{Schedule{Every: 1, Unit: "month"}, d(2026, 12, 15), d(2027, 1, 15)},
		{Schedule{Every: 1, Unit: "month"}, d(2027, 1, 31), d(2027, 2, 28)}, // clamped, not March 3
		{Schedule{Every: 1, Unit: "month"}, d(2028, 1, 31), d(2028, 2, 29)}, // leap year
		{Schedule{Every: 3, Unit: "month"}, d(2026, 11, 30), d(2027, 2, 28)},
		{Schedule{Every: 1, Unit: "week"}, d(2026, 12, 28), d(2027, 1, 4)},
		{Schedule{Every: 2, Unit: "week"}, d(2026, 2, 20), d(2026, 3, 6)},
		{Schedule{Every: 10, Unit: "day"}, d(2026, 12, 25), d(2027, 1, 4)},
	} {
		if got := c.s.Next(c.from); got != c.want {
			t.Errorf("every %d %s from %s: %s, want %s", c.s.Every, c.s.Unit, c.from, got, c.want)
		}
	}
}

func TestScheduleFor(t *testing.T) {
	ss := []Schedule{{TargetKind: "household", Every: 1, Unit: "month"}, {TargetKind: "key_person", Every: 1, Unit: "month"},
		{TargetKind: "key_person", Category: "community_correction", Every: 1, Unit: "week"}}
	if s, ok := ScheduleFor(ss, "key_person", "community_correction"); !ok || s.Unit != "week" {
		t.Errorf("community correction: %+v %v", s, ok)
	}
	if s, ok := ScheduleFor(ss, "key_person", "drug_user"); !ok || s.Unit != "month" || s.Category != "" {
		t.Errorf("drug user falls back to the kind's default: %+v %v", s, ok)
	}
	if _, ok := ScheduleFor(ss, "place", ""); ok {
		t.Error("a kind without a schedule is scheduled")
	}
}
