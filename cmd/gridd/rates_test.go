package main

import (
	"strings"
	"testing"
)

type rateRow struct {
	Key           string   `json:"key"`
	Reported      int      `json:"reported"`
	Problems      int      `json:"problems"`
	FoundByGrid   int      `json:"found_by_grid"`
	DiscoveryRate *float64 `json:"discovery_rate"`
	ReportedUp    int      `json:"reported_up"`
	ReportRate    *float64 `json:"report_rate"`
	Accepted      int      `json:"accepted"`
	Disposed      int      `json:"disposed"`
	DisposalRate  *float64 `json:"disposal_rate"`
	OnTimeRate    *float64 `json:"on_time_rate"`
	ReworkRate    *float64 `json:"rework_rate"`
	MeanDays      *float64 `json:"mean_handling_days"`
	Rank          *int     `json:"rank"`
}

// TestCaseRates: a hand-computed December 2026 of five cases, by village
// and by unit: 发现率, 上报率, 处置率, 按期结案率, 返工率, mean handling time
// and the unit ranks; "no data" is null.
//
//  1. worker_app, own grid: accepted, dispatched to hwsuo, handled, closed on time
//  2. worker_app, own grid: resolved on site
//  3. hotline_12345 (center), own grid: dispatched to hwsuo, never handled (overdue by 12-10)
//  4. inspector (center), other village: only reported
//  5. worker_app (other grid's worker), other village: rejected
func TestCaseRates(t *testing.T) {
	clk := &testClock{t: cst(2026, 12, 1, 9, 0)}
	ta := newCaseApp(t, clk)
	worker, other, center, hw := ta.login(ownGrid), ta.login(otherGrid), ta.login("center"), ta.login("dept-hwsuo")
	body := func(p uint64, grid, source string) map[string]any {
		b := reportBody("0104", pointIn(grid, p, 30))
		b["source"] = source
		return b
	}
	c1 := ta.report(worker, body(201, ownGrid, "worker_app"), nil)
	b2 := body(202, ownGrid, "worker_app")
	b2["photos"], b2["resolved_on_site"] = []int64{ta.upload(worker, 71)}, true
	ta.report(worker, b2, nil)
	c3 := ta.report(center, body(203, ownGrid, "hotline_12345"), nil)
	ta.report(center, body(204, otherGrid, "inspector"), nil)
	c5 := ta.report(other, body(205, otherGrid, "worker_app"), nil)
	for _, c := range []*caseView{&c1, &c3} {
		ta.mustAct(center, c, map[string]any{"action": "accept"})
		ta.mustAct(center, c, map[string]any{"action": "dispatch", "unit": "hwsuo"})
		ta.mustAct(hw, c, map[string]any{"action": "unit_accept"})
	}
	ta.mustAct(hw, &c1, map[string]any{"action": "handle", "photos": []int64{ta.upload(hw, 72)}})
	ta.mustAct(center, &c1, map[string]any{"action": "send_verification"})
	ta.mustAct(worker, &c1, map[string]any{"action": "verify_pass"})
	ta.mustAct(center, &c5, map[string]any{"action": "reject", "comment": "不属实"})
	clk.Set(cst(2026, 12, 10, 10, 0))

	get := func(groupBy string) (map[string]rateRow, rateRow, string) {
		res := ta.do("GET", "/api/v1/stats/cases?from=2026-12-01&to=2026-12-31&group_by="+groupBy, center, nil, nil)
		if res.Status != 200 {
			t.Fatalf("stats by %s: %d %s", groupBy, res.Status, res.Body)
		}
		var st struct {
			Groups []rateRow `json:"groups"`
			Total  rateRow   `json:"total"`
		}
		res.decode(t, &st)
		m := map[string]rateRow{}
		for _, g := range st.Groups {
			m[g.Key] = g
		}
		return m, st.Total, string(res.Body)
	}
	type want struct {
		reported, found, up, accepted, disposed               int
		discovery, report, disposal, onTime, rework, meanDays any // float64 or nil
		rank                                                  any // int or nil
	}
	check := func(name string, r rateRow, w want) {
		t.Helper()
		if r.Reported != w.reported || r.Problems != w.reported || r.FoundByGrid != w.found || r.ReportedUp != w.up ||
			r.Accepted != w.accepted || r.Disposed != w.disposed {
			t.Errorf("%s counts: %+v, want %+v", name, r, w)
		}
		for _, f := range []struct {
			name string
			got  *float64
			want any
		}{{"discovery", r.DiscoveryRate, w.discovery}, {"report", r.ReportRate, w.report}, {"disposal", r.DisposalRate, w.disposal},
			{"on_time", r.OnTimeRate, w.onTime}, {"rework", r.ReworkRate, w.rework}, {"mean_days", r.MeanDays, w.meanDays}} {
			if f.want == nil {
				if f.got != nil {
					t.Errorf("%s %s = %v, want null (no data)", name, f.name, *f.got)
				}
				continue
			}
			if !near(f.got, f.want.(float64)) {
				t.Errorf("%s %s = %v, want %v", name, f.name, deref(f.got), f.want)
			}
		}
		switch {
		case w.rank == nil && r.Rank != nil:
			t.Errorf("%s rank %d, want null", name, *r.Rank)
		case w.rank != nil && (r.Rank == nil || *r.Rank != w.rank.(int)):
			t.Errorf("%s rank %v, want %v", name, r.Rank, w.rank)
		}
	}
	// Total: found by grid 1, 2, 5 of 5 → 0.6; reported up 1, 5 of 3; accepted 1, 2, 3;
	// disposed 1 (closed), 2 (on site) → 2/3; due 1, 2, 3 (overdue), on time 1, 2 → 2/3;
	// rework 0 of 1 handled; mean days over case 1 (same day) = 0.
	villages, total, raw := get("village")
	check("total", total, want{5, 3, 2, 3, 2, 0.6, 2.0 / 3, 2.0 / 3, 2.0 / 3, 0.0, 0.0, nil})
	ownVillage, otherVillage := ownGrid[:12]+"000", otherGrid[:12]+"000"
	check("own village", villages[ownVillage], want{3, 2, 1, 3, 2, 2.0 / 3, 0.5, 2.0 / 3, 2.0 / 3, 0.0, 0.0, 1})
	check("other village", villages[otherVillage], want{2, 1, 1, 0, 0, 0.5, 1.0, nil, nil, nil, nil, nil})
	if !strings.Contains(raw, `"disposal_rate":null`) {
		t.Errorf("no data is not null in %s", raw)
	}
	// By unit: hwsuo (1, 3) on time 1 of 2 due; unassigned (2 on site, 4, 5) 1 of 1. "Not
	// dispatched" is no unit: it has its figures but no rank, so hwsuo is first
	// although its on-time rate is lower (issue 15).
	units, _, _ := get("unit")
	check("hwsuo", units["hwsuo"], want{2, 1, 1, 2, 1, 0.5, 1.0, 0.5, 0.5, 0.0, 0.0, 1})
	check("unassigned", units["unassigned"], want{3, 2, 1, 1, 1, 2.0 / 3, 0.5, 1.0, 1.0, nil, nil, nil})
}
