package analytics

import (
	"reflect"
	"testing"

	"github.com/gridd/gridd/internal/assessment"
)

func TestPeriodMonths(t *testing.T) {
	got, err := PeriodMonths("2026-Q3")
	if err != nil || !reflect.DeepEqual(got, []string{"2026-07", "2026-08", "2026-09"}) {
		t.Errorf("Q3: %v %v", got, err)
	}
	if got, _ := PeriodMonths("2025"); len(got) != 12 || got[0] != "2025-01" || got[11] != "2025-12" {
		t.Errorf("year: %v", got)
	}
	for _, bad := range []string{"2026-Q5", "26", "2026-07", ""} {
		if _, err := PeriodMonths(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A hand-computed quarter of four workers under the default bands
// (优秀 ≥ 90, 合格 ≥ 75, 基本合格 ≥ 60, 不合格).
func TestSummariseQuarter(t *testing.T) {
	r := assessment.DefaultRubric()
	w := func(id int64, name string, grids ...string) assessment.Worker {
		return assessment.Worker{ID: id, Username: name, Name: name, Grids: grids}
	}
	a, b, c, d := w(1, "a", "g1"), w(2, "b", "g2"), w(3, "c", "g3"), w(4, "d", "g4")
	res := func(wk assessment.Worker, total float64, vetoed bool) *assessment.Result {
		return &assessment.Result{Worker: wk, Total: total, Vetoed: vetoed}
	}
	months := []string{"2026-07", "2026-08", "2026-09"}
	byMonth := map[string][]*assessment.Result{
		"2026-07": {res(a, 95, false), res(b, 92, false), res(c, 80, false), res(d, 99, false)},
		"2026-08": {res(a, 91, false), res(b, 94, false), res(c, 70, false), res(d, 99, true)},
		"2026-09": {res(a, 90, false), res(b, 90, false), res(c, 75.5, false)},
	}
	ws := Summarise(r, months, months, byMonth)
	// a: (95+91+90)/3 = 92 优秀; b: 92 优秀 (tie with a → rank 1); c: 225.5/3 = 75.17 合格;
	// d: vetoed, 99 → 不合格, last, incomplete (two months).
	want := []struct {
		user     string
		mean     float64
		grade    string
		rank     int
		complete bool
	}{{"a", 92, "优秀", 1, true}, {"b", 92, "优秀", 1, true}, {"c", 75.17, "合格", 3, true}, {"d", 99, "不合格", 4, false}}
	if len(ws) != len(want) {
		t.Fatalf("%d results", len(ws))
	}
	for i, w := range want {
		g := ws[i]
		if g.Worker.Username != w.user || g.Mean != w.mean || g.Grade != w.grade || g.Rank != w.rank || g.Complete != w.complete {
			t.Errorf("#%d: %s mean %v grade %s rank %d complete %v; want %+v", i, g.Worker.Username, g.Mean, g.Grade, g.Rank, g.Complete, w)
		}
	}
	// ⌈0.5·4⌉ = 2 advanced workers: a and b.
	adv := Advanced(r, ws, 0.5)
	if len(adv) != 2 || adv[0].GridCode != "g1" || adv[1].GridCode != "g2" {
		t.Errorf("advanced: %+v", adv)
	}
	// ⌈0.1·4⌉ = 1.
	if adv := Advanced(r, ws, 0.1); len(adv) != 1 || adv[0].Worker != "a" {
		t.Errorf("advanced at 0.1: %+v", adv)
	}
	// A custom rubric's bands.
	r.Grades = []assessment.Grade{{Name: "甲", NameEN: "A", Min: 92}, {Name: "乙", NameEN: "B", Min: 0}}
	if ws := Summarise(r, months, months, byMonth); ws[0].Grade != "甲" || ws[2].Grade != "乙" {
		t.Errorf("custom bands: %s %s", ws[0].Grade, ws[2].Grade)
	}
}
