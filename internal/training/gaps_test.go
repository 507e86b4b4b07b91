package training

import (
	"fmt"
	"testing"
	"time"
)

// TestMonthWeeks: a week belongs to the month holding its Thursday, so
// each ISO week is judged in exactly one month, across a year's end too.
func TestMonthWeeks(t *testing.T) {
	for _, c := range []struct{ month, want string }{
		{"2026-11", "[2026-11-02 2026-11-09 2026-11-16 2026-11-23]"},
		{"2026-12", "[2026-11-30 2026-12-07 2026-12-14 2026-12-21 2026-12-28]"}, // Thursday 2026-12-31
		{"2027-01", "[2027-01-04 2027-01-11 2027-01-18 2027-01-25]"},
		{"2026-10", "[2026-09-28 2026-10-05 2026-10-12 2026-10-19 2026-10-26]"}, // Thursday 2026-10-01
	} {
		m, err := ParseMonth(c.month)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range MonthWeeks(m) {
			got = append(got, d.Format(time.DateOnly))
		}
		if fmt.Sprint(got) != c.want {
			t.Errorf("MonthWeeks(%s) = %v, want %s", c.month, got, c.want)
		}
	}
}

// TestMonthGapsRule: sessions outside the month and missed sessions do not
// count; a meeting on Sunday counts for its week; weeks not yet ended are
// not judged.
func TestMonthGapsRule(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	month := day("2026-11-01")
	workers := []GridWorker{{UserID: 1, Username: "a", Grids: []string{"g1"}}, {UserID: 2, Username: "b", Grids: []string{"g2"}}}
	sessions := []*Session{
		{ID: 1, Date: day("2026-10-31"), Attendees: []Attendee{{UserID: 1, Attended: true}}},
		{ID: 2, Date: day("2026-11-01"), Attendees: []Attendee{{UserID: 1, Attended: true}, {UserID: 2, Attended: false}}},
		{ID: 3, Date: day("2026-11-30"), Attendees: []Attendee{{UserID: 1, Attended: true}, {UserID: 2, Attended: true}}},
	}
	meetings := []*Meeting{
		{Kind: "grid", GridCode: "g1", Date: day("2026-11-08")},
		{Kind: "party_group", GridCode: "g1", Date: day("2026-11-02")},
	}
	g := MonthGaps(month, day("2026-11-17"), workers, sessions, meetings)
	if g.Complete || len(g.WorkersShort) != 1 || g.WorkersShort[0].Username != "b" || g.WorkersShort[0].Sessions != 1 {
		t.Errorf("workers short: %+v (complete %v), want b with 1", g.WorkersShort, g.Complete)
	}
	var got []string
	for _, w := range g.WeeksWithoutMeeting {
		got = append(got, w.Grid+" "+w.Week+" "+fmt.Sprint(w.Missing))
	}
	want := "[g2 2026-W45 [party_group grid] g1 2026-W46 [party_group grid] g2 2026-W46 [party_group grid]]"
	if fmt.Sprint(got) != want {
		t.Errorf("weeks without a meeting on 2026-11-17: %v, want %s", got, want)
	}
}
