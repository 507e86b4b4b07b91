package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
)

// assessMonth is the month the API tests assess: the demo's patrol month.
const assessMonth = "2026-02"

type assessView struct {
	Month       string                        `json:"month"`
	Version     int                           `json:"version"`
	Workers     []*assessment.Result          `json:"workers"`
	Departments []assessment.DepartmentFigure `json:"departments"`
	Diff        []assessment.Change           `json:"diff"`
}

func (ta *testApp) assessments(token, query string, want int) assessView {
	ta.t.Helper()
	res := ta.do("GET", "/api/v1/assessments?"+query, token, nil, nil)
	if res.Status != want {
		ta.t.Fatalf("GET assessments?%s: %d %s", query, res.Status, truncate(res.Body))
	}
	var v assessView
	if want == 200 {
		res.decode(ta.t, &v)
	}
	return v
}

func resultOf(t *testing.T, v assessView, username string) *assessment.Result {
	t.Helper()
	for _, r := range v.Workers {
		if r.Worker.Username == username {
			return r
		}
	}
	t.Fatalf("no result for %s in version %d", username, v.Version)
	return nil
}

func itemOf(r *assessment.Result, block, key string) assessment.Item {
	for _, b := range r.Blocks {
		if b.Key == block {
			for _, it := range b.Items {
				if it.Key == key {
					return it
				}
			}
		}
	}
	return assessment.Item{Key: "missing"}
}

// offset moves p by dx, dy metres.
func offset(p orb.Point, dx, dy float64) orb.Point {
	return orb.Point{p[0] + dx/mPerDegLon(p[1]), p[1] + dy/mPerDegLat}
}

func (ta *testApp) countRows(table string) int {
	ta.t.Helper()
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		ta.t.Fatal(err)
	}
	return n
}

// TestAssessmentAPI enters records through the API, builds the month's
// cases (own reports and hotline reports) and checks the computed month:
// items with their evidence ids, the backward-tracing join, the veto,
// access per role, versions on correction with the difference listed,
// concurrent runs and the xlsx export.
func TestAssessmentAPI(t *testing.T) {
	clk := &testClock{t: cst(2026, 3, 5, 9, 0)}
	ta := newCaseApp(t, clk)
	center, worker, dept := ta.login("center"), ta.login(ownGrid), ta.login("dept-hwsuo")
	tables := []string{"assessment_calls", "assessment_surveys", "assessment_findings"}
	before := map[string]int{}
	for _, table := range tables {
		before[table] = ta.countRows(table)
	}

	// Rejected input: 4xx naming the fields, nothing stored.
	res := ta.do("POST", "/api/v1/assessment/calls", center, map[string]any{}, nil)
	if res.Status != 400 {
		t.Fatalf("empty call: %d %s", res.Status, res.Body)
	}
	for _, f := range []string{`"worker"`, `"at"`, `"answered"`} {
		if !bytes.Contains(res.Body, []byte(`"field":`+f)) {
			t.Errorf("empty call: field %s not named: %s", f, res.Body)
		}
	}
	res = ta.do("POST", "/api/v1/assessment/surveys", center, map[string]any{"worker": ownGrid, "date": "2026-02-30", "households": 20, "satisfied": 21}, nil)
	if res.Status != 400 || !bytes.Contains(res.Body, []byte(`"field":"date"`)) || !bytes.Contains(res.Body, []byte(`"field":"satisfied"`)) {
		t.Errorf("bad survey: %d %s", res.Status, res.Body)
	}
	res = ta.do("POST", "/api/v1/assessment/findings", center, map[string]any{"worker": ownGrid, "kind": "gossip", "date": "2026-02-10"}, nil)
	if res.Status != 400 || !bytes.Contains(res.Body, []byte(`"field":"kind"`)) {
		t.Errorf("bad finding: %d %s", res.Status, res.Body)
	}
	res = ta.do("POST", "/api/v1/assessment/calls", center, map[string]any{"worker": "center", "at": "2026-02-10T10:00:00+08:00", "answered": true}, nil)
	if res.Status != 400 || !bytes.Contains(res.Body, []byte("not_a_worker")) {
		t.Errorf("call to a non-worker: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/assessment/calls", worker, map[string]any{"worker": ownGrid, "at": "2026-02-10T10:00:00+08:00", "answered": true}, nil); res.Status != 403 {
		t.Errorf("worker enters a call: %d", res.Status)
	}
	for _, table := range tables {
		if n := ta.countRows(table); n != before[table] {
			t.Fatalf("%s holds %d rows after rejected requests, %d before", table, n, before[table])
		}
	}

	// Records entered by the center.
	var unanswered, answered assessment.Call
	res = ta.do("POST", "/api/v1/assessment/calls", center, map[string]any{"worker": ownGrid, "at": "2026-02-10T10:00:00+08:00", "answered": false, "note": "两次未接"}, nil)
	if res.Status != 201 {
		t.Fatalf("call: %d %s", res.Status, res.Body)
	}
	res.decode(t, &unanswered)
	res = ta.do("POST", "/api/v1/assessment/calls", center, map[string]any{"worker": ownGrid, "at": "2026-02-11T15:00:00+08:00", "answered": true}, nil)
	if res.Status != 201 {
		t.Fatalf("call: %d %s", res.Status, res.Body)
	}
	res.decode(t, &answered)
	if res := ta.do("POST", "/api/v1/assessment/surveys", center, map[string]any{"worker": ownGrid, "date": "2026-02-20", "households": 20, "satisfied": 10}, nil); res.Status != 201 {
		t.Fatalf("survey: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/assessment/findings", center, map[string]any{"worker": ownGrid, "kind": "late_report", "date": "2026-02-18", "note": "火情迟报两小时"}, nil); res.Status != 201 {
		t.Fatalf("finding: %d %s", res.Status, res.Body)
	}

	// Cases: the worker's own reports and reports from other sources.
	p := pointIn(ownGrid, 11, 150)
	q := offset(p, 60, 0)
	body := func(category string, at orb.Point, source string, when time.Time) map[string]any {
		b := reportBody(category, at)
		b["source"] = source
		b["reported_at"] = when.Format(time.RFC3339)
		return b
	}
	own := ta.report(worker, body("0104", q, "worker_app", cst(2026, 2, 5, 9, 0)), nil) // accepted: 2 points
	ta.mustAct(center, &own, map[string]any{"action": "accept"})
	bad := ta.report(worker, body("0101", offset(p, -80, 40), "worker_app", cst(2026, 2, 6, 9, 0)), nil) // rejected
	ta.mustAct(center, &bad, map[string]any{"action": "reject", "comment": "照片不清"})
	missed := ta.report(center, body("0202", p, "hotline_12345", cst(2026, 2, 10, 10, 0)), nil) // never reported by the worker
	ta.mustAct(center, &missed, map[string]any{"action": "accept"})
	late := ta.report(worker, body("0202", offset(p, 10, 0), "worker_app", cst(2026, 2, 11, 9, 0)), nil) // after the hotline: does not clear it
	_ = late
	covered := ta.report(center, body("0104", offset(q, 20, 0), "wechat", cst(2026, 2, 12, 10, 0)), nil) // own report 20 m away 7 days before
	ta.mustAct(center, &covered, map[string]any{"action": "accept"})
	unverified := ta.report(center, body("0202", offset(p, -40, -40), "public", cst(2026, 2, 14, 10, 0)), nil) // not accepted
	_ = unverified

	v1 := ta.assessments(center, "month="+assessMonth, 200)
	if v1.Version != 1 || len(v1.Diff) != 0 {
		t.Fatalf("first read: version %d diff %v", v1.Version, v1.Diff)
	}
	r := resultOf(t, v1, ownGrid)
	// The demo month already holds the demo's records for this worker.
	recs := demo.DemoAssessment(demoTown(), demo.PatrolMonth(time.Time{}), 1)
	demoUnanswered, demoSatisfied := 0, 0
	for _, c := range recs.Calls[ownGrid] {
		if !c.Answered {
			demoUnanswered++
		}
	}
	for _, s := range recs.Surveys[ownGrid] {
		demoSatisfied += s.Satisfied
	}
	if len(recs.Findings[ownGrid]) != 0 || len(recs.Surveys[ownGrid]) != 1 {
		t.Fatalf("the test assumes the demo has one survey and no finding for %s", ownGrid)
	}
	it := itemOf(r, assessment.BlockAttendance, "unanswered_calls")
	if it.Points != -0.5*float64(demoUnanswered+1) || len(it.Evidence) != demoUnanswered+1 ||
		!slices.ContainsFunc(it.Evidence, func(e assessment.Ref) bool { return e.ID == fmt.Sprint(unanswered.ID) && e.Kind == "call" }) ||
		slices.ContainsFunc(it.Evidence, func(e assessment.Ref) bool { return e.ID == fmt.Sprint(answered.ID) }) {
		t.Errorf("unanswered calls item %+v, want call %d and the demo's %d", it, unanswered.ID, demoUnanswered)
	}
	if r.Figures.Calls != len(recs.Calls[ownGrid])+2 {
		t.Errorf("calls %d, want %d", r.Figures.Calls, len(recs.Calls[ownGrid])+2)
	}
	// Surveys add up: (demo + 10) satisfied of 40 households.
	rate := float64(demoSatisfied+10) / 40
	if it := itemOf(r, assessment.BlockMassWork, "survey"); (rate < 0.6) != (it.Points == -3) || len(it.Evidence) != 2 {
		t.Errorf("survey item %+v, rate %.3f", it, rate)
	}
	if it := itemOf(r, assessment.BlockInformation, "late_report"); it.Points != -10 || !r.Vetoed || r.PayEligible || r.Qualified {
		t.Errorf("late report %+v vetoed %v pay %v qualified %v", it, r.Vetoed, r.PayEligible, r.Qualified)
	}
	if r.Figures.Points != 2 || r.Figures.OrdersPassed != 1 || r.Figures.OrdersRejected != 1 || r.Figures.OrdersPending != 1 {
		t.Errorf("work-order figures %+v, want 2 points, 1 passed, 1 rejected, 1 pending", r.Figures)
	}
	if it := itemOf(r, assessment.BlockInformation, "pass_rate"); it.Points != -5 || len(it.Evidence) != 1 || it.Evidence[0].ID != bad.Number {
		t.Errorf("pass-rate item %+v, want −5 with case %s", it, bad.Number)
	}
	if it := itemOf(r, assessment.BlockInformation, "points_below_min"); it.Points != -10 || len(it.Evidence) != 1 || it.Evidence[0].ID != own.Number {
		t.Errorf("points item %+v, want −10 with case %s", it, own.Number)
	}
	if it := itemOf(r, assessment.BlockBacktrace, "missed_problems"); it.Points != -2 || len(it.Evidence) != 1 || it.Evidence[0].ID != missed.Number {
		t.Errorf("missed problems %+v, want only %s (0202 × 2); not %s (own report nearby) nor %s (unverified)", it, missed.Number, covered.Number, unverified.Number)
	}
	if len(r.Missing) != 0 {
		t.Errorf("missing evidence %v: the demo has patrol tracks in %s", r.Missing, assessMonth)
	}
	if it := itemOf(r, assessment.BlockAttendance, "short_days"); it.Key == "missing" || it.Points != -0.5*float64(it.Count) || len(it.Evidence) != it.Count {
		t.Errorf("short days item %+v", it)
	}
	if r.Rank != r.StreetSize {
		t.Errorf("a vetoed month ranks last: rank %d of %d", r.Rank, r.StreetSize)
	}

	// The join's radius and window are configuration: with 10 m, or with a
	// 5-day window, the own report (20 m away, 7 days before) no longer
	// clears the WeChat case.
	store := postgis.NewAssessmentStore(ta.db)
	period, err := assessment.PeriodOf(assessMonth)
	if err != nil {
		t.Fatal(err)
	}
	for _, tweak := range []func(*assessment.Rubric){
		func(r *assessment.Rubric) { r.Backtrace.RadiusM = 10 },
		func(r *assessment.Rubric) { r.Backtrace.WindowDays = 5 },
	} {
		rb := assessment.DefaultRubric()
		tweak(rb)
		ev, err := store.Evidence(context.Background(), period, rb)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ev.Missed {
			got = append(got, m.CaseNumber)
		}
		if !slices.Equal(got, []string{missed.Number, covered.Number}) {
			t.Errorf("radius %v m, window %d days: missed %v, want %s and %s", rb.Backtrace.RadiusM, rb.Backtrace.WindowDays, got, missed.Number, covered.Number)
		}
	}

	// Access: a worker sees only itself; a department no worker and only
	// its own unit's figures; a center's parent filter.
	wv := ta.assessments(worker, "month="+assessMonth, 200)
	if len(wv.Workers) != 1 || wv.Workers[0].Worker.Username != ownGrid || len(wv.Departments) != 0 {
		t.Errorf("worker sees %d results, %d departments", len(wv.Workers), len(wv.Departments))
	}
	dv := ta.assessments(dept, "month="+assessMonth, 200)
	if len(dv.Workers) != 0 || len(dv.Departments) != 1 || dv.Departments[0].Unit != "hwsuo" {
		t.Errorf("department sees %d results and departments %+v", len(dv.Workers), dv.Departments)
	}
	ta.assessments(worker, "month="+assessMonth+"&parent="+viewerScope, 403)
	pv := ta.assessments(center, "month="+assessMonth+"&parent="+viewerScope, 200)
	if len(pv.Workers) == 0 || len(pv.Workers) >= len(v1.Workers) {
		t.Errorf("parent filter: %d of %d workers", len(pv.Workers), len(v1.Workers))
	}
	for _, w := range pv.Workers {
		if !strings.HasPrefix(w.Worker.Grids[0], viewerScope[:12]) {
			t.Errorf("parent %s: worker %s of grids %v", viewerScope, w.Worker.Username, w.Worker.Grids)
		}
	}
	ta.assessments(center, "month=2026-13", 400)
	ta.assessments(center, "month=2026-04", 400) // not started at the injected clock
	ta.assessments(center, "", 400)
	if res := ta.do("POST", "/api/v1/assessments/run?month="+assessMonth, worker, nil, nil); res.Status != 403 {
		t.Errorf("worker runs the assessment: %d", res.Status)
	}

	// Same inputs, same version.
	res = ta.do("POST", "/api/v1/assessments/run?month="+assessMonth, center, nil, nil)
	if res.Status != 200 {
		t.Fatalf("rerun without changes: %d %s", res.Status, truncate(res.Body))
	}

	// A late correction: a new version, the old one kept, the difference listed.
	if res := ta.do("POST", "/api/v1/assessment/findings", center, map[string]any{"worker": ownGrid, "kind": "unfamiliar", "date": "2026-02-25", "note": "说不清网格内出租房数量"}, nil); res.Status != 201 {
		t.Fatalf("finding: %d %s", res.Status, res.Body)
	}
	res = ta.do("POST", "/api/v1/assessments/run?month="+assessMonth, center, nil, nil)
	if res.Status != 201 {
		t.Fatalf("run after correction: %d %s", res.Status, truncate(res.Body))
	}
	var v2 assessView
	res.decode(t, &v2)
	if v2.Version != 2 {
		t.Fatalf("version %d after a correction, want 2", v2.Version)
	}
	want := map[string]assessment.Change{
		"mass_work.unfamiliar": {Worker: ownGrid, Field: "mass_work.unfamiliar", From: "0", To: "-2"},
		"total":                {Worker: ownGrid, Field: "total", From: fmt.Sprint(r.Total), To: fmt.Sprint(r.Total - 2)},
	}
	for _, c := range v2.Diff {
		if w, ok := want[c.Field]; ok && c == w {
			delete(want, c.Field)
		}
	}
	if len(want) > 0 {
		t.Errorf("diff %+v lacks %+v", v2.Diff, want)
	}
	old := ta.assessments(center, "month="+assessMonth+"&version=1", 200)
	if old.Version != 1 || resultOf(t, old, ownGrid).Total != r.Total {
		t.Errorf("version 1 not kept: %d", old.Version)
	}
	if latest := ta.assessments(center, "month="+assessMonth, 200); latest.Version != 2 || resultOf(t, latest, ownGrid).Total != r.Total-2 {
		t.Errorf("latest version %d", latest.Version)
	}

	// Concurrent runs after another correction: one new version.
	if res := ta.do("POST", "/api/v1/assessment/calls", center, map[string]any{"worker": ownGrid, "at": "2026-02-26T09:30:00+08:00", "answered": false}, nil); res.Status != 201 {
		t.Fatalf("call: %d", res.Status)
	}
	var wg sync.WaitGroup
	versions := make([]int, 3)
	for i := range versions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := ta.do("POST", "/api/v1/assessments/run?month="+assessMonth, center, nil, nil)
			var v assessView
			res.decode(t, &v)
			versions[i] = v.Version
		}()
	}
	wg.Wait()
	for _, v := range versions {
		if v != 3 {
			t.Errorf("concurrent runs returned versions %v, want all 3", versions)
			break
		}
	}
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM assessment_runs WHERE month = $1`, assessMonth).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d stored versions (%v), want 3", n, err)
	}

	// Flags from the stored months: late reports (vetoed, last, unqualified)
	// in January and March as well give "last place two months running" in
	// February and both flags in March, whose quarter is complete.
	for _, d := range []string{"2026-01-15", "2026-03-02"} {
		if res := ta.do("POST", "/api/v1/assessment/findings", center, map[string]any{"worker": ownGrid, "kind": "late_report", "date": d}, nil); res.Status != 201 {
			t.Fatalf("finding %s: %d %s", d, res.Status, res.Body)
		}
	}
	runMonth := func(month string, status int) *assessment.Result {
		t.Helper()
		res := ta.do("POST", "/api/v1/assessments/run?month="+month, center, nil, nil)
		if res.Status != status {
			t.Fatalf("run %s: %d, want %d: %s", month, res.Status, status, truncate(res.Body))
		}
		var v assessView
		res.decode(t, &v)
		return resultOf(t, v, ownGrid)
	}
	if jan := runMonth("2026-01", 201); !jan.Vetoed || !jan.Last || len(jan.Flags) != 0 {
		t.Errorf("January: vetoed %v last %v flags %v", jan.Vetoed, jan.Last, jan.Flags)
	}
	if feb := runMonth(assessMonth, 201); !slices.Equal(feb.Flags, []string{assessment.FlagLastTwoMonths}) || len(feb.FlagsDetails) != 1 {
		t.Errorf("February after January was assessed: flags %v %v", feb.Flags, feb.FlagsDetails)
	}
	mar := runMonth("2026-03", 201)
	if !slices.Equal(mar.Flags, []string{assessment.FlagLastTwoMonths, assessment.FlagUnqualifiedThreeMonths}) {
		t.Errorf("March flags %v", mar.Flags)
	}
	if q := mar.Quarter; q == nil || q.Quarter != "2026-Q1" || !q.Complete || q.Grade != "不合格" || len(q.Months) != 3 {
		t.Errorf("March quarter %+v", mar.Quarter)
	}

	// The xlsx export opens, a sheet per block, Chinese headers, the items
	// with their evidence.
	res = ta.do("GET", "/api/v1/assessments/export.xlsx?month="+assessMonth, center, nil, nil)
	if res.Status != 200 || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("export: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("export does not open: %v", err)
	}
	defer f.Close()
	sheets := strings.Join(f.GetSheetList(), ",")
	if sheets != "总分,出勤率,群众工作,信息采集数量和质量,倒追考核,职能部门" {
		t.Errorf("sheets %s", sheets)
	}
	rows, err := f.GetRows("出勤率")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "网格员账号,姓名,考核项,次数,分值,计算说明,证据" {
		t.Fatalf("attendance header %v", rows)
	}
	found := false
	for _, row := range rows {
		if len(row) == 7 && row[0] == ownGrid && row[2] == "电话督查未接听" {
			found = row[4] == fmt.Sprint(-0.5*float64(demoUnanswered+2)) && strings.Contains(row[6], fmt.Sprintf("电话 %d", unanswered.ID))
			if !found {
				t.Errorf("unanswered calls row %v", row)
			}
		}
	}
	if !found {
		t.Errorf("no unanswered-calls row for %s", ownGrid)
	}
	rows, _ = f.GetRows("倒追考核")
	found = false
	for _, row := range rows {
		if len(row) == 7 && row[0] == ownGrid && strings.Contains(row[6], missed.Number) {
			found = row[4] == "-2"
		}
	}
	if !found {
		t.Errorf("backward-tracing sheet lacks %s for %s: %v", missed.Number, ownGrid, rows)
	}
	summary, _ := f.GetRows("总分")
	if len(summary) != len(v1.Workers)+1 || !strings.Contains(strings.Join(summary[0], ","), "总分") {
		t.Errorf("summary: %d rows for %d workers; header %v", len(summary), len(v1.Workers), summary[0])
	}
	// A worker's export holds only itself.
	res = ta.do("GET", "/api/v1/assessments/export.xlsx?month="+assessMonth+"&lang=en", worker, nil, nil)
	if res.Status != 200 {
		t.Fatalf("worker export: %d", res.Status)
	}
	wf, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer wf.Close()
	if ws, _ := wf.GetRows("Summary"); len(ws) != 2 || ws[1][3] != ownGrid {
		t.Errorf("worker export summary %v", ws)
	}
}
