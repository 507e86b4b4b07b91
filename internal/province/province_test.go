package province

import (
	"os"
	"strings"
	"testing"
)

// TestPIPLListsEveryPublishedColumn: docs/PIPL.md's "What leaves a city"
// names every table and column a city publishes, so the note cannot fall
// behind the publication.
func TestPIPLListsEveryPublishedColumn(t *testing.T) {
	b, err := os.ReadFile("../../docs/PIPL.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## What leaves a city")
	if !ok {
		t.Fatal(`docs/PIPL.md has no "What leaves a city" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, tb := range Published {
		var row string
		for _, line := range strings.Split(section, "\n") {
			if strings.HasPrefix(line, "| `"+tb.Name+"` |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("table %s has no row", tb.Name)
			continue
		}
		sent := strings.Split(row, "|")[2]
		for _, c := range tb.Columns {
			if !strings.Contains(sent, "`"+c+"`") {
				t.Errorf("%s.%s is published but not listed", tb.Name, c)
			}
		}
		if n := strings.Count(sent, "`"); n != 2*len(tb.Columns) {
			t.Errorf("%s: the note lists %d columns, the publication %d", tb.Name, n/2, len(tb.Columns))
		}
	}
}

// TestSum: counties add month by month; the mean is recomputed from the
// summed totals, the extremes taken across counties.
func TestSum(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	a := &CountyFigures{CountyCode: "370101", Grids: 3, Population: 10, Months: []*MonthFigures{
		{Month: "2026-11", Reported: 2, Closed: 1},
		{Month: "2026-12", Reported: 1, Assessment: &AssessmentFigures{Workers: 2, TotalSum: 180, MinTotal: f(85), MaxTotal: f(95)}},
	}}
	b := &CountyFigures{CountyCode: "370102", Grids: 2, Population: 5, Months: []*MonthFigures{
		{Month: "2026-12", Reported: 4, Open: 3, Assessment: &AssessmentFigures{Workers: 1, TotalSum: 60, MinTotal: f(60), MaxTotal: f(60)}},
	}}
	a.Finish()
	b.Finish()
	s := Sum("province", []*CountyFigures{b, a})
	if s.Grids != 5 || s.Population != 15 || len(s.Months) != 2 || s.Months[0].Month != "2026-11" {
		t.Fatalf("sum %+v", s)
	}
	dec := s.Months[1]
	if dec.Reported != 5 || dec.Open != 3 || s.Total.Reported != 7 || s.Total.Closed != 1 {
		t.Errorf("December %+v, total %+v", dec, s.Total)
	}
	as := dec.Assessment
	if as.Workers != 3 || *as.MeanTotal != 80 || *as.MinTotal != 60 || *as.MaxTotal != 95 {
		t.Errorf("assessment %+v", as)
	}
	if m := a.Months[1].Assessment.MeanTotal; m == nil || *m != 90 {
		t.Errorf("county A's December mean %v, want 90", m)
	}
}
