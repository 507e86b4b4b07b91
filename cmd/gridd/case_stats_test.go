package main

import (
	"math"
	"testing"
	"time"
)

type statsRow struct {
	Key              string   `json:"key"`
	Reported         int      `json:"reported"`
	Accepted         int      `json:"accepted"`
	Closed           int      `json:"closed"`
	ClosedOnTime     int      `json:"closed_on_time"`
	Due              int      `json:"due"`
	Postponed        int      `json:"postponed"`
	CloseRate        *float64 `json:"close_rate"`
	OnTimeRate       *float64 `json:"on_time_rate"`
	Reworked         int      `json:"reworked"`
	Handled          int      `json:"handled"`
	ReworkRate       *float64 `json:"rework_rate"`
	MeanHandlingDays *float64 `json:"mean_handling_days"`
}

func near(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 0.005 }

// TestCaseStats builds eight cases in December 2026 with known outcomes
// and checks every figure and formula of GET /api/v1/stats/cases.
func TestCaseStats(t *testing.T) {
	clk := &testClock{t: cst(2026, 12, 1, 9, 0)} // Tue
	ta := newCaseApp(t, clk)
	worker, center, hw := ta.login(ownGrid), ta.login("center"), ta.login("dept-hwsuo")
	cases := make([]caseView, 9)
	for i := 1; i <= 8; i++ {
		body := reportBody("0104", pointIn(ownGrid, uint64(100+i), 30))
		if i == 7 {
			body["photos"] = []int64{ta.upload(worker, 70)}
			body["resolved_on_site"] = true
		}
		cases[i] = ta.report(worker, body, nil)
	}
	toUnit := func(c *caseView) {
		ta.mustAct(center, c, map[string]any{"action": "accept"})
		ta.mustAct(center, c, map[string]any{"action": "dispatch", "unit": "hwsuo"})
		ta.mustAct(hw, c, map[string]any{"action": "unit_accept"})
	}
	handle := func(c *caseView) {
		ta.mustAct(hw, c, map[string]any{"action": "handle", "photos": []int64{ta.upload(hw, uint8(c.ID))}})
		ta.mustAct(center, c, map[string]any{"action": "send_verification"})
	}
	// 1: closed on time. 2: reworked once, closed on time.
	toUnit(&cases[1])
	handle(&cases[1])
	ta.mustAct(worker, &cases[1], map[string]any{"action": "verify_pass"})
	toUnit(&cases[2])
	handle(&cases[2])
	ta.mustAct(worker, &cases[2], map[string]any{"action": "verify_fail", "comment": "未清理干净"})
	ta.mustAct(hw, &cases[2], map[string]any{"action": "unit_accept"})
	handle(&cases[2])
	ta.mustAct(worker, &cases[2], map[string]any{"action": "verify_pass"})
	// 3: postponed. 4: handling past its deadline. 5: only reported. 6: closed late.
	toUnit(&cases[3])
	ta.mustAct(hw, &cases[3], map[string]any{"action": "request_postponement", "comment": "等待设备"})
	ta.mustAct(center, &cases[3], map[string]any{"action": "grant_postponement"})
	toUnit(&cases[4])
	toUnit(&cases[6])
	// 8: rejected.
	ta.mustAct(center, &cases[8], map[string]any{"action": "reject", "comment": "重复"})
	// Handling deadline of 4 and 6: end of Tue 12-08. Case 6 is handled on Thu 12-10.
	clk.Set(cst(2026, 12, 10, 10, 0))
	handle(&cases[6])
	ta.mustAct(worker, &cases[6], map[string]any{"action": "verify_pass"})
	if cases[6].HandledOnTime == nil || *cases[6].HandledOnTime {
		t.Errorf("case 6 handled on time: %v", cases[6].HandledOnTime)
	}

	var st struct {
		GroupBy string     `json:"group_by"`
		AsOf    time.Time  `json:"as_of"`
		Groups  []statsRow `json:"groups"`
		Total   statsRow   `json:"total"`
	}
	res := ta.do("GET", "/api/v1/stats/cases?from=2026-12-01&to=2026-12-31&group_by=unit", center, nil, nil)
	if res.Status != 200 {
		t.Fatalf("stats: %d %s", res.Status, res.Body)
	}
	res.decode(t, &st)
	check := func(name string, r statsRow, reported, accepted, closed, onTime, due, postponed, handled, reworked int, closeRate, onTimeRate, reworkRate, meanDays float64) {
		t.Helper()
		if r.Reported != reported || r.Accepted != accepted || r.Closed != closed || r.ClosedOnTime != onTime || r.Due != due ||
			r.Postponed != postponed || r.Handled != handled || r.Reworked != reworked {
			t.Errorf("%s counts: %+v", name, r)
		}
		if !near(r.CloseRate, closeRate) || !near(r.OnTimeRate, onTimeRate) || !near(r.ReworkRate, reworkRate) || !near(r.MeanHandlingDays, meanDays) {
			t.Errorf("%s rates: close %v on-time %v rework %v mean %v; want %.4f %.4f %.4f %.2f", name,
				deref(r.CloseRate), deref(r.OnTimeRate), deref(r.ReworkRate), deref(r.MeanHandlingDays), closeRate, onTimeRate, reworkRate, meanDays)
		}
	}
	// Total: 8 reported; 6 accepted (1,2,3,4,6 and the on-site 7); closed 1,2,6,7;
	// on time 1,2,7; due = closed 4 + postponed 3 + overdue 4 = 6; 结案率 = 4/(6−1);
	// 按期结案率 = 3/(6−1); 返工率 = 1 of 3 handled; mean working days 立案→结案
	// over 1, 2 (same day: 0) and 6 (12-02..12-10: 7) = 7/3.
	check("total", st.Total, 8, 6, 4, 3, 6, 1, 3, 1, 0.8, 0.6, 1.0/3, 7.0/3)
	var hwRow *statsRow
	for i := range st.Groups {
		if st.Groups[i].Key == "hwsuo" {
			hwRow = &st.Groups[i]
		}
	}
	if hwRow == nil {
		t.Fatalf("no hwsuo group: %+v", st.Groups)
	}
	check("hwsuo", *hwRow, 5, 5, 3, 2, 5, 1, 3, 1, 0.75, 0.5, 1.0/3, 7.0/3)

	// By month: all eight in 2026-12.
	res = ta.do("GET", "/api/v1/stats/cases?from=2026-12-01&to=2026-12-31&group_by=month", center, nil, nil)
	res.decode(t, &st)
	if len(st.Groups) != 1 || st.Groups[0].Key != "2026-12" || st.Groups[0].Reported != 8 {
		t.Errorf("by month: %+v", st.Groups)
	}
	// A worker's statistics cover its grids only; a department its unit only.
	res = ta.do("GET", "/api/v1/stats/cases?from=2026-12-01&to=2026-12-31&group_by=grid", ta.login(otherGrid), nil, nil)
	res.decode(t, &st)
	if st.Total.Reported != 0 {
		t.Errorf("another grid's worker counts %d cases", st.Total.Reported)
	}
	res = ta.do("GET", "/api/v1/stats/cases?from=2026-12-01&to=2026-12-31&group_by=category", hw, nil, nil)
	res.decode(t, &st)
	if st.Total.Reported != 5 {
		t.Errorf("hwsuo counts %d cases, want its 5", st.Total.Reported)
	}
	for q, field := range map[string]string{"from=2026-12-01&to=2026-12-31&group_by=street": "group_by",
		"to=2026-12-31": "from,to", "from=2026-12-31&to=2026-12-01": "to", "from=12/01/2026&to=2026-12-31": "from"} {
		res := ta.do("GET", "/api/v1/stats/cases?"+q, center, nil, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != field {
			t.Errorf("?%s: %d %s, want 400 naming %s", q, res.Status, res.Body, field)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
