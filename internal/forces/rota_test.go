package forces

import (
	"fmt"
	"testing"
	"time"
)

func TestCheckFlagsBreachesOfTheNorm(t *testing.T) {
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var shifts []Shift
	// Day 1: three full shifts of 3 from nine officers; day 2: shift 1 has
	// 4, shift 2 has 2, shift 3 none.
	for k := 1; k <= 3; k++ {
		for i := 0; i < 3; i++ {
			shifts = append(shifts, Shift{Date: day, Shift: k, UserID: int64(k*10 + i)})
		}
	}
	d2 := day.AddDate(0, 0, 1)
	for i := 0; i < 4; i++ {
		shifts = append(shifts, Shift{Date: d2, Shift: 1, UserID: int64(10 + i)})
	}
	shifts = append(shifts, Shift{Date: d2, Shift: 2, UserID: 20}, Shift{Date: d2, Shift: 2, UserID: 21})
	officers, flags := Check(DefaultNorms(), shifts, day, d2)
	if officers != 10 {
		t.Errorf("officers %d, want 10", officers)
	}
	want := "[{shift_overstaffed 2026-12-02 1 4 3} {shift_understaffed 2026-12-02 2 2 3} {shift_understaffed 2026-12-02 3 0 3}]"
	if got := fmt.Sprint(flags); got != want {
		t.Errorf("flags %s, want %s", got, want)
	}
	// Fewer officers than the norm is flagged; a norm of 2 per shift moves
	// the flags (the norm is configuration, not code).
	officers, flags = Check(Norms{OfficersPerCommunity: 12, ShiftsPerDay: 3, PerShift: 2}, shifts[:9], day, day)
	if officers != 9 || fmt.Sprint(flags) != "[{officers_below_norm  0 9 12} {shift_overstaffed 2026-12-01 1 3 2} {shift_overstaffed 2026-12-01 2 3 2} {shift_overstaffed 2026-12-01 3 3 2}]" {
		t.Errorf("norm 12/2: %d %v", officers, flags)
	}
}

// TestShiftOf: three shifts cut the Shanghai day at 08:00 and 16:00, each
// holding its start; an instant given in UTC is read in Shanghai.
func TestShiftOf(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	n := DefaultNorms()
	for _, c := range []struct {
		at   time.Time
		day  string
		want int
	}{
		{time.Date(2026, 11, 23, 0, 0, 0, 0, sh), "2026-11-23", 1},
		{time.Date(2026, 11, 23, 7, 59, 59, 0, sh), "2026-11-23", 1},
		{time.Date(2026, 11, 23, 8, 0, 0, 0, sh), "2026-11-23", 2},
		{time.Date(2026, 11, 23, 16, 0, 0, 0, sh), "2026-11-23", 3},
		{time.Date(2026, 11, 23, 23, 59, 0, 0, sh), "2026-11-23", 3},
		{time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC), "2026-11-24", 1}, // 01:00 the next day in Shanghai
	} {
		day, got := n.ShiftOf(c.at)
		if day.Format(time.DateOnly) != c.day || got != c.want {
			t.Errorf("ShiftOf(%s) = %s shift %d, want %s shift %d", c.at, day.Format(time.DateOnly), got, c.day, c.want)
		}
	}
}
