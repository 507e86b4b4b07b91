package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gridd/gridd/internal/analytics"
)

type leaderResultsBody struct {
	Year   int `json:"year"`
	Rubric struct {
		GridShare float64 `json:"grid_share"`
	} `json:"rubric"`
	Leaders []leaderRow `json:"leaders"`
}

type leaderRow struct {
	UserID int64    `json:"user_id"`
	Role   string   `json:"role"`
	Grids  []string `json:"grids"`
	Items  []struct {
		Code   string   `json:"code"`
		Points float64  `json:"points"`
		Metric string   `json:"metric"`
		Value  *float64 `json:"value"`
		Earned *float64 `json:"earned"`
	} `json:"items"`
	Score     *float64 `json:"score"`
	Deduction *float64 `json:"deduction"`
	YearEnd   *float64 `json:"year_end_points"`
	Missing   []string `json:"missing"`
	Rank      *int     `json:"rank"`
}

// TestLeaderResults: the supervising leaders' and cadres' yearly result
// (the leaders' part of the town's 1,000-point system) comes from the
// yearly results of their grids' workers and the grids' case statistics —
// checked here against the worker results and statistics routes — plus
// the joint meeting's score; without that score a leader has no result;
// with it the deduction is the grid share times the points short of 100.
func TestLeaderResults(t *testing.T) {
	clk := &testClock{t: cst(2026, 12, 10, 10, 0)}
	ta := newCaseApp(t, clk)
	admin, center := ta.login("admin"), ta.login("center")

	var workers struct {
		Workers []struct {
			Worker struct {
				Grids []string `json:"grids"`
			} `json:"worker"`
			Mean float64 `json:"mean"`
		} `json:"workers"`
	}
	ta.do("GET", "/api/v1/results/workers?period=2026", center, nil, nil).decode(t, &workers)
	var stats struct {
		Groups []struct {
			Key          string `json:"key"`
			ClosedOnTime int    `json:"closed_on_time"`
			FoundByGrid  int    `json:"found_by_grid"`
			Problems     int    `json:"problems"`
			Due          int    `json:"due"`
			Postponed    int    `json:"postponed"`
		} `json:"groups"`
	}
	ta.do("GET", "/api/v1/stats/cases?from=2026-01-01&to=2027-01-01&group_by=grid", center, nil, nil).decode(t, &stats)

	// All four kinds of item.
	full := map[string]any{"total": 1000, "grid_share": 100, "items": []map[string]any{
		{"code": "workers", "name": "网格员均分", "name_en": "Workers' mean", "points": 40, "metric": "worker_mean"},
		{"code": "on_time", "name": "按期结案率", "name_en": "On-time rate", "points": 20, "metric": "on_time_rate"},
		{"code": "found", "name": "发现率", "name_en": "Discovery rate", "points": 20, "metric": "discovery_rate"},
		{"code": "meeting", "name": "联席会评议", "name_en": "Joint meeting", "points": 20, "metric": "manual"}}}
	if res := ta.do("PUT", "/api/v1/results/leaders/rubric", admin, full, nil); res.Status != 200 {
		t.Fatalf("save rubric: %d %s", res.Status, res.Body)
	}
	var lr leaderResultsBody
	res := ta.do("GET", "/api/v1/results/leaders?year=2026", center, nil, nil)
	if res.Status != 200 {
		t.Fatalf("leaders: %d %s", res.Status, res.Body)
	}
	res.decode(t, &lr)
	if len(lr.Leaders) < 2 {
		t.Fatalf("%d leaders and cadres in the demo town", len(lr.Leaders))
	}
	roles := map[string]int{}
	withRate := 0
	for _, l := range lr.Leaders {
		roles[l.Role]++
		if l.Score != nil || l.Rank != nil || !slices.Contains(l.Missing, "meeting") {
			t.Errorf("leader %d has a result before the meeting scored: %+v", l.UserID, l)
		}
		var sum float64
		var n int
		for _, w := range workers.Workers {
			if slices.ContainsFunc(w.Worker.Grids, func(g string) bool { return slices.Contains(l.Grids, g) }) {
				sum += w.Mean
				n++
			}
		}
		var onTime, due, found, problems int
		for _, g := range stats.Groups {
			if slices.Contains(l.Grids, g.Key) {
				onTime += g.ClosedOnTime
				due += g.Due - g.Postponed
				found += g.FoundByGrid
				problems += g.Problems
			}
		}
		var missing []string
		for _, it := range l.Items {
			var want *float64
			switch it.Metric {
			case analytics.MetricWorkerMean:
				if n > 0 {
					v := sum / float64(n) / 100
					want = &v
				}
			case analytics.MetricOnTimeRate:
				if due > 0 {
					v := float64(onTime) / float64(due)
					want = &v
				}
			case analytics.MetricDiscoveryRate:
				if problems > 0 {
					v := float64(found) / float64(problems)
					want = &v
					withRate++
				}
			}
			if it.Metric != analytics.MetricManual && want == nil {
				missing = append(missing, it.Code)
			}
			if (want == nil) != (it.Value == nil) || (want != nil && math.Abs(*want-*it.Value) > 1e-4) {
				t.Errorf("leader %d %s = %v, want %v (grids %v)", l.UserID, it.Code, ptr(it.Value), ptr(want), l.Grids)
			}
			if it.Value != nil && (it.Earned == nil || math.Abs(*it.Earned-it.Points**it.Value) > 0.01) {
				t.Errorf("leader %d %s earned %v of %v points at %v", l.UserID, it.Code, ptr(it.Earned), it.Points, *it.Value)
			}
		}
		if !slices.Equal(l.Missing, append(missing, "meeting")) {
			t.Errorf("leader %d misses %v, want %v", l.UserID, l.Missing, append(missing, "meeting"))
		}
	}
	if roles["supervising_leader"] == 0 || roles["supervising_cadre"] == 0 {
		t.Errorf("roles %v, want leaders and cadres", roles)
	}
	if withRate == 0 {
		t.Error("no leader's grids have a discovery rate: the test checks nothing of the case statistics")
	}

	// The joint meeting scores every leader; then each has a result.
	for i, l := range lr.Leaders {
		res := ta.do("PUT", "/api/v1/results/leaders/scores", center, map[string]any{"year": 2026, "user_id": l.UserID, "item": "meeting", "score": 70 + i%3*10}, nil)
		if res.Status != 200 {
			t.Fatalf("score leader %d: %d %s", l.UserID, res.Status, res.Body)
		}
	}
	order := map[int64]int{}
	for i, l := range lr.Leaders {
		order[l.UserID] = i
	}
	lr = leaderResultsBody{}
	ta.do("GET", "/api/v1/results/leaders?year=2026", admin, nil, nil).decode(t, &lr)
	scored := 0
	for i, l := range lr.Leaders {
		var sum float64
		complete := true
		for _, it := range l.Items {
			if it.Earned == nil {
				complete = false
				continue
			}
			sum += *it.Earned
			if it.Code == "meeting" {
				want := float64(70 + order[l.UserID]%3*10)
				if *it.Value != want {
					t.Errorf("leader %d meeting score %v, want %v", l.UserID, *it.Value, want)
				}
			}
		}
		if !complete {
			if l.Score != nil {
				t.Errorf("leader %d has a score with an item missing", l.UserID)
			}
			continue
		}
		scored++
		if l.Score == nil || math.Abs(*l.Score-sum) > 0.01 {
			t.Fatalf("leader %d score %v, want the items' sum %v", l.UserID, ptr(l.Score), sum)
		}
		wantDed := lr.Rubric.GridShare * (100 - *l.Score) / 100
		if math.Abs(*l.Deduction-wantDed) > 0.01 || math.Abs(*l.YearEnd-(lr.Rubric.GridShare-*l.Deduction)) > 0.01 {
			t.Errorf("leader %d: score %v, deduction %v (want %v), year-end %v", l.UserID, *l.Score, *l.Deduction, wantDed, *l.YearEnd)
		}
		if l.Rank == nil || (i > 0 && lr.Leaders[i-1].Score != nil && *lr.Leaders[i-1].Score < *l.Score) {
			t.Errorf("leader %d ranked %v after a lower score", l.UserID, l.Rank)
		}
	}
	if scored == 0 {
		t.Fatal("no leader has a result after the meeting scored them all")
	}

	// A rubric without a manual item: every leader with data has a result.
	rub := map[string]any{"total": 1000, "grid_share": 50, "items": []map[string]any{
		{"code": "workers", "name": "网格员均分", "name_en": "Workers' mean", "points": 100, "metric": "worker_mean"}}}
	if res := ta.do("PUT", "/api/v1/results/leaders/rubric", admin, rub, nil); res.Status != 200 {
		t.Fatalf("save rubric: %d %s", res.Status, res.Body)
	}
	lr = leaderResultsBody{}
	ta.do("GET", "/api/v1/results/leaders?year=2026", center, nil, nil).decode(t, &lr)
	for _, l := range lr.Leaders {
		if l.Items[0].Value != nil && (l.Score == nil || math.Abs(*l.Score-100**l.Items[0].Value) > 0.01 || math.Abs(*l.Deduction-50*(100-*l.Score)/100) > 0.01) {
			t.Errorf("leader %d under the new rubric: %+v", l.UserID, l)
		}
	}

	// Bad input names its field; nothing is stored.
	for name, c := range map[string]struct {
		method, path string
		body         any
		field        string
	}{
		"score above 100": {"PUT", "/api/v1/results/leaders/scores", map[string]any{"year": 2026, "user_id": lr.Leaders[0].UserID, "item": "workers", "score": 120}, "score"},
		"computed item":   {"PUT", "/api/v1/results/leaders/scores", map[string]any{"year": 2026, "user_id": lr.Leaders[0].UserID, "item": "workers", "score": 80}, "item"},
		"no score":        {"PUT", "/api/v1/results/leaders/scores", map[string]any{"year": 2026, "user_id": lr.Leaders[0].UserID, "item": "workers"}, "score"},
		"points not 100": {"PUT", "/api/v1/results/leaders/rubric", map[string]any{"total": 1000, "grid_share": 50, "items": []map[string]any{
			{"code": "a", "name": "甲", "name_en": "A", "points": 60, "metric": "manual"}}}, "items"},
		"unknown metric": {"PUT", "/api/v1/results/leaders/rubric", map[string]any{"total": 1000, "grid_share": 50, "items": []map[string]any{
			{"code": "a", "name": "甲", "name_en": "A", "points": 100, "metric": "luck"}}}, "items[0].metric"},
		"share above total": {"PUT", "/api/v1/results/leaders/rubric", map[string]any{"total": 100, "grid_share": 150, "items": []map[string]any{
			{"code": "a", "name": "甲", "name_en": "A", "points": 100, "metric": "manual"}}}, "grid_share"},
		"bad year": {"GET", "/api/v1/results/leaders?year=26", nil, "year"},
	} {
		res := ta.do(c.method, c.path, admin, c.body, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != c.field {
			t.Errorf("%s: %d %s, want 400 naming %s", name, res.Status, res.Body, c.field)
		}
	}
	var rubNow struct {
		GridShare float64 `json:"grid_share"`
	}
	ta.do("GET", "/api/v1/results/leaders/rubric", center, nil, nil).decode(t, &rubNow)
	if rubNow.GridShare != 50 {
		t.Errorf("a refused rubric was stored: grid share %v", rubNow.GridShare)
	}
	// A user who supervised nothing cannot be scored.
	au, err := ta.people.FindUserByUsername(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	adminID := au.ID
	rub["items"] = []map[string]any{{"code": "m", "name": "评议", "name_en": "Meeting", "points": 100, "metric": "manual"}}
	ta.do("PUT", "/api/v1/results/leaders/rubric", admin, rub, nil)
	res = ta.do("PUT", "/api/v1/results/leaders/scores", center, map[string]any{"year": 2026, "user_id": adminID, "item": "m", "score": 80}, nil)
	if res.Status != 400 || problemOf(t, res).Errors[0].Field != "user" {
		t.Errorf("score for a non-supervisor: %d %s", res.Status, res.Body)
	}
}

func ptr(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
