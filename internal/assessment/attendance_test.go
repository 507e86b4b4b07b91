package assessment

import (
	"fmt"
	"testing"
)

// TestCountedDays: the rubric's counted_days decides which short days cost
// points; approved leave never does; every short day is explained, counted
// or not.
func TestCountedDays(t *testing.T) {
	ev := &Evidence{Month: "2026-10", Workers: []Worker{{ID: 1, Username: "w"}}}
	ev.Patrols = []PatrolMonth{{WorkerID: 1, GridCode: "370114001001001", Days: 31, Coverage: 0.97, CoverageMet: true}}
	// 10-01..10-07 are the National Day holiday; 10-10 a Saturday working day (调休).
	for _, d := range []string{"2026-10-01", "2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12"} {
		ev.ShortDays = append(ev.ShortDays, ShortDay{WorkerID: 1, Date: d, PatrolSeconds: 3600})
	}
	ev.Absences = []Absence{{WorkerID: 1, Date: "2026-10-08", Kind: "leave", LeaveID: 7}, {WorkerID: 1, Date: "2026-10-12", Kind: "rest", LeaveID: 8}}
	ev.NonWorkingDays = []string{"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07", "2026-10-11", "2026-10-17"}
	for _, c := range []struct {
		counted string
		want    string // counted days
		points  float64
	}{
		{"", "[2026-10-01 2026-10-09 2026-10-10 2026-10-12]", -2},
		{CountAllDays, "[2026-10-01 2026-10-09 2026-10-10 2026-10-12]", -2},
		{CountWorkingDays, "[2026-10-09 2026-10-10 2026-10-12]", -1.5},
		{CountRosteredDays, "[2026-10-01 2026-10-09 2026-10-10]", -1.5},
	} {
		r := DefaultRubric()
		r.Attendance.CountedDays = c.counted
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		res := Score(r, ev)[0]
		short, excused := item(res, BlockAttendance, "short_days"), item(res, BlockAttendance, "excused_days")
		var days []string
		for _, e := range short.Evidence {
			days = append(days, e.Date)
		}
		if fmt.Sprint(days) != c.want || short.Points != c.points {
			t.Errorf("counted_days %q: counted %v (%v points), want %s (%v)", c.counted, days, short.Points, c.want, c.points)
		}
		if len(short.Evidence)+len(excused.Evidence) != 5 {
			t.Errorf("counted_days %q: %d counted + %d excused, want every one of the 5 short days explained", c.counted, len(short.Evidence), len(excused.Evidence))
		}
		for _, e := range excused.Evidence {
			if e.Date == "2026-10-08" && e.Note != "1.0 h; approved leave #7" {
				t.Errorf("counted_days %q: the leave day reads %q", c.counted, e.Note)
			}
		}
	}
	r := DefaultRubric()
	r.Attendance.CountedDays = "weekdays"
	if err := r.Validate(); err == nil {
		t.Error("counted_days weekdays accepted")
	}
}
