package report

import (
	"testing"
	"time"
)

func TestParseWeek(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	for _, c := range []struct{ in, from string }{
		{"2026-W01", "2025-12-29"}, // the week holding 4 January
		{"2026-W50", "2026-12-07"},
		{"2026-W53", "2026-12-28"}, // 2026 has 53 ISO weeks (it ends on a Thursday)
		{"2021-W01", "2021-01-04"},
	} {
		p, err := ParseWeek(c.in, loc)
		if err != nil || p.From.Format("2006-01-02") != c.from || p.To.Sub(p.From) != 7*24*time.Hour || p.From.Weekday() != time.Monday {
			t.Errorf("%s: %v %v", c.in, p, err)
		}
	}
	for _, bad := range []string{"2025-W53", "2026-W00", "2026-W54", "2026W50", "2026-W5", "2026-50"} {
		if _, err := ParseWeek(bad, loc); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if p, err := ParseMonth("2026-02", loc); err != nil || p.To.Format("2006-01-02") != "2026-03-01" {
		t.Errorf("month: %v %v", p, err)
	}
	if _, err := ParseMonth("2026-13", loc); err == nil {
		t.Error("2026-13 accepted")
	}
}
