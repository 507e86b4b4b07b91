package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// walkFixes is a worker's walk at about 1.2 m/s through grid code: from
// one interior point to the next (deterministic), a fix every step, n
// fixes from start. Each fix is {"t","lon","lat","accuracy_m"}.
func walkFixes(code string, start time.Time, n int, step time.Duration) []map[string]any {
	var out []map[string]any
	seed := uint64(11)
	at := pointIn(code, seed, 40)
	t := start
	for len(out) < n {
		seed++
		to := pointIn(code, seed, 40)
		dx, dy := (to[0]-at[0])*mPerDegLon(at[1]), (to[1]-at[1])*mPerDegLat
		d := math.Hypot(dx, dy)
		k := int(d / (1.2 * step.Seconds()))
		for i := 0; i < k && len(out) < n; i++ {
			f := float64(i) / float64(k)
			p := orb.Point{at[0] + f*(to[0]-at[0]), at[1] + f*(to[1]-at[1])}
			out = append(out, map[string]any{"t": t.Format(time.RFC3339Nano), "lon": p[0], "lat": p[1], "accuracy_m": 8.0})
			t = t.Add(step)
		}
		at = to
	}
	return out
}

// caseToVerify makes a case in the worker's grid that its unit handled
// and the center sent for verification, and returns its id.
func caseToVerify(ta *testApp, center, jw string) int64 {
	ta.t.Helper()
	id, _ := newCaseIn(ta, ownGrid, true)
	v := caseView{ID: id, Version: 1}
	ta.mustAct(center, &v, map[string]any{"action": "accept"})
	ta.mustAct(center, &v, map[string]any{"action": "dispatch", "unit": "jw"})
	ta.mustAct(jw, &v, map[string]any{"action": "unit_accept"})
	ta.mustAct(jw, &v, map[string]any{"action": "handle", "comment": "已修复", "photos": []int64{ta.upload(jw, 4)}})
	ta.mustAct(center, &v, map[string]any{"action": "send_verification"})
	return id
}

// todayView is the part of GET /api/v1/me/today the tests read.
type todayView struct {
	Date   string `json:"date"`
	Patrol struct {
		MinDailySeconds float64 `json:"min_daily_seconds"`
		PatrolSeconds   float64 `json:"patrol_seconds"`
		DistanceM       float64 `json:"distance_m"`
		Fixes           int     `json:"fixes"`
		Grids           []struct {
			Code      string  `json:"code"`
			Coverage  float64 `json:"coverage"`
			Cells     int     `json:"cells"`
			Outline   struct{ Type string }
			Uncovered struct {
				Type        string      `json:"type"`
				Coordinates [][]float64 `json:"coordinates"`
			} `json:"uncovered"`
		} `json:"grids"`
	} `json:"patrol"`
	Checkpoints []struct {
		ID        int64   `json:"id"`
		Name      string  `json:"name"`
		RadiusM   float64 `json:"radius_m"`
		VisitedAt *string `json:"visited_at"`
	} `json:"checkpoints"`
	Tasks struct {
		Verify []struct {
			ID        int64 `json:"id"`
			Version   int   `json:"version"`
			Deadlines struct {
				VerifyDue *time.Time `json:"verify_due"`
			} `json:"deadlines"`
			Allowed []string `json:"allowed_actions"`
		} `json:"verify"`
		Reported []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"reported"`
		SentBack []struct {
			ID           int64  `json:"id"`
			RejectReason string `json:"reject_reason"`
		} `json:"sent_back"`
	} `json:"tasks"`
	Categories []struct {
		Code  string `json:"code"`
		Count int    `json:"count"`
	} `json:"categories"`
}

// dailyView is the part of GET /api/v1/patrols/daily compared with it.
type dailyView struct {
	PatrolSeconds float64 `json:"patrol_seconds"`
	DistanceM     float64 `json:"distance_m"`
	Fixes         int     `json:"fixes"`
	Rules         struct {
		MinDailySeconds float64 `json:"min_daily_seconds"`
	} `json:"rules"`
	Grids []struct {
		Code      string  `json:"code"`
		Coverage  float64 `json:"coverage"`
		Uncovered struct {
			Coordinates [][][][]float64 `json:"coordinates"`
		} `json:"uncovered"`
	} `json:"grids"`
}

// checkTodayMatchesDaily fails unless the day's patrol figures on the
// field app's home equal those of GET /api/v1/patrols/daily.
func checkTodayMatchesDaily(t *testing.T, td todayView, d dailyView) {
	t.Helper()
	if td.Patrol.PatrolSeconds != d.PatrolSeconds || td.Patrol.DistanceM != d.DistanceM || td.Patrol.Fixes != d.Fixes {
		t.Errorf("me/today patrol %v s, %v m, %d fixes; patrols/daily %v s, %v m, %d fixes",
			td.Patrol.PatrolSeconds, td.Patrol.DistanceM, td.Patrol.Fixes, d.PatrolSeconds, d.DistanceM, d.Fixes)
	}
	if td.Patrol.MinDailySeconds != d.Rules.MinDailySeconds {
		t.Errorf("me/today's minimum %v s, the patrol rules' %v s", td.Patrol.MinDailySeconds, d.Rules.MinDailySeconds)
	}
	if len(td.Patrol.Grids) != len(d.Grids) {
		t.Fatalf("me/today has %d grids, patrols/daily %d", len(td.Patrol.Grids), len(d.Grids))
	}
	for i, g := range td.Patrol.Grids {
		if g.Code != d.Grids[i].Code || g.Coverage != d.Grids[i].Coverage {
			t.Errorf("grid %s coverage %v; patrols/daily %s %v", g.Code, g.Coverage, d.Grids[i].Code, d.Grids[i].Coverage)
		}
		if len(g.Uncovered.Coordinates) != len(d.Grids[i].Uncovered.Coordinates) {
			t.Errorf("grid %s: %d uncovered cell centres, patrols/daily has %d uncovered hexagons", g.Code, len(g.Uncovered.Coordinates), len(d.Grids[i].Uncovered.Coordinates))
		}
	}
}

// TestMeToday is the field app's home over the API: the patrol figures are
// those of GET /api/v1/patrols/daily, the checkpoints carry the patrol
// service's visits, the tasks list what waits for the worker (to verify,
// sent back, own reports), and other roles get 403. It also checks the
// worker's report needs no source or text, and that a retried upload or
// verification (Idempotency-Key) takes effect once.
func TestMeToday(t *testing.T) {
	t.Parallel()
	clk := &testClock{}
	clk.Set(cst(2026, 12, 2, 15, 0)) // a Wednesday afternoon
	ta := newCaseApp(t, clk)
	worker, center := ta.login(ownGrid), ta.login("center")
	jw := ta.login("dept-jw")

	var td todayView
	if res := ta.do("GET", "/api/v1/me/today", center, nil, nil); res.Status != 403 {
		t.Errorf("center's me/today: %d, want 403", res.Status)
	}
	ta.do("GET", "/api/v1/me/today", worker, nil, nil).decode(t, &td)
	if td.Date != "2026-12-02" || td.Patrol.PatrolSeconds != 0 || len(td.Patrol.Grids) != 1 || td.Patrol.Grids[0].Code != ownGrid {
		t.Fatalf("empty day: %+v", td.Patrol)
	}
	used0104 := 0
	for _, c := range td.Categories {
		if c.Code == "0104" {
			used0104 = c.Count
		}
	}
	if g := td.Patrol.Grids[0]; len(g.Uncovered.Coordinates) != g.Cells || g.Outline.Type != "MultiPolygon" {
		t.Errorf("unpatrolled grid: %d uncovered of %d cells, outline %q", len(g.Uncovered.Coordinates), g.Cells, g.Outline.Type)
	}

	// A morning's walk, and two checkpoints: one on the walk, one not.
	fixes := walkFixes(ownGrid, cst(2026, 12, 2, 9, 0), 600, 10*time.Second)
	if res := ta.do("POST", "/api/v1/patrols/points", worker, map[string]any{"worker": ownGrid, "points": fixes}, nil); res.Status != 200 {
		t.Fatalf("patrol points: %d %s", res.Status, res.Body)
	}
	on := fixes[300]
	far := pointIn(ownGrid, 999, 30)
	for _, cp := range []map[string]any{
		{"name": "A 池塘", "lon": on["lon"], "lat": on["lat"], "frequency": "daily", "radius_m": 25},
		{"name": "B 工地", "lon": far[0], "lat": far[1], "frequency": "daily", "radius_m": 1},
	} {
		if res := ta.do("POST", "/api/v1/checkpoints", center, cp, nil); res.Status != 201 {
			t.Fatalf("checkpoint: %d %s", res.Status, res.Body)
		}
	}
	// Late checkpoints are checked in on the day's recomputation: post a
	// late fix to mark the day dirty.
	late := walkFixes(ownGrid, cst(2026, 12, 2, 14, 0), 1, time.Second)
	ta.do("POST", "/api/v1/patrols/points", worker, map[string]any{"worker": ownGrid, "points": late}, nil)

	// A report from the worker: no source, no text.
	p := pointIn(ownGrid, 5, 30)
	photo := ta.upload(worker, 9)
	rep := ta.do("POST", "/api/v1/cases", worker, map[string]any{"category": "0104", "lon": p[0], "lat": p[1], "photos": []int64{photo}}, map[string]string{"Idempotency-Key": "field-report-1"})
	var mine struct {
		caseView
		Source      string `json:"source"`
		Description string `json:"description"`
	}
	if rep.Status != 201 {
		t.Fatalf("worker's report without source: %d %s", rep.Status, rep.Body)
	}
	rep.decode(t, &mine)
	var cats struct {
		Categories []struct{ Code, Name string }
	}
	ta.do("GET", "/api/v1/categories", worker, nil, nil).decode(t, &cats)
	want := ""
	for _, c := range cats.Categories {
		if c.Code == "0104" {
			want = c.Name
		}
	}
	if mine.Source != "worker_app" || mine.Description != want || want == "" {
		t.Errorf("worker's report: source %q, description %q; want worker_app and the category's name %q", mine.Source, mine.Description, want)
	}
	// Other roles still name the source.
	if res := ta.do("POST", "/api/v1/cases", center, map[string]any{"category": "0104", "description": "x", "lon": p[0], "lat": p[1]}, nil); res.Status != 400 {
		t.Errorf("center's report without source: %d, want 400", res.Status)
	}

	// Sent back: the center rejects another of the worker's reports.
	back := ta.report(worker, map[string]any{"category": "0201", "description": "重复", "lon": p[0] + 0.0003, "lat": p[1]}, nil)
	ta.mustAct(center, &back, map[string]any{"action": "reject", "comment": "不属于受理范围"})

	// To verify: a case handled by its unit and sent for verification.
	vid := caseToVerify(ta, center, jw)

	td = todayView{}
	ta.do("GET", "/api/v1/me/today", worker, nil, nil).decode(t, &td)
	var d dailyView
	ta.do("GET", "/api/v1/patrols/daily?worker="+ownGrid+"&date=2026-12-02", worker, nil, nil).decode(t, &d)
	if td.Patrol.PatrolSeconds <= 0 || td.Patrol.Grids[0].Coverage <= 0 {
		t.Fatalf("the walk did not count: %+v", td.Patrol)
	}
	checkTodayMatchesDaily(t, td, d)
	if len(td.Checkpoints) != 2 || td.Checkpoints[0].Name != "B 工地" || td.Checkpoints[0].VisitedAt != nil || td.Checkpoints[1].VisitedAt == nil {
		t.Errorf("checkpoints: want B still to visit first, A visited: %+v", td.Checkpoints)
	}
	if len(td.Tasks.Verify) != 1 || td.Tasks.Verify[0].ID != vid || td.Tasks.Verify[0].Deadlines.VerifyDue == nil || !slices.Contains(td.Tasks.Verify[0].Allowed, "verify_pass") {
		t.Errorf("to verify: %+v, want case %d with its verification deadline", td.Tasks.Verify, vid)
	}
	if !slices.ContainsFunc(td.Tasks.SentBack, func(c struct {
		ID           int64  `json:"id"`
		RejectReason string `json:"reject_reason"`
	}) bool {
		return c.ID == back.ID && c.RejectReason == "不属于受理范围"
	}) {
		t.Errorf("sent back: %+v, want case %d with its reason", td.Tasks.SentBack, back.ID)
	}
	ids := []int64{}
	for _, c := range td.Tasks.Reported {
		ids = append(ids, c.ID)
	}
	if !slices.Contains(ids, mine.ID) || !slices.Contains(ids, back.ID) || !slices.Contains(ids, vid) {
		t.Errorf("own reports %v lack %d, %d or %d", ids, mine.ID, back.ID, vid)
	}
	// 0104 twice more than before (the report above and the one to verify).
	if len(td.Categories) == 0 || td.Categories[0].Code != "0104" || td.Categories[0].Count != used0104+2 {
		t.Errorf("most used categories %+v, want 0104 first, %d times", td.Categories, used0104+2)
	}

	// Verification under an Idempotency-Key: the retry replays, once.
	proof := ta.upload(worker, 12)
	hdr := map[string]string{"If-Match": fmt.Sprintf(`"%d"`, td.Tasks.Verify[0].Version), "Idempotency-Key": "verify-1"}
	body := map[string]any{"action": "verify_pass", "comment": "核查通过", "photos": []int64{proof}}
	path := fmt.Sprintf("/api/v1/cases/%d/transitions", vid)
	if res := ta.do("POST", path, worker, body, hdr); res.Status != 200 || res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("verify: %d %s", res.Status, res.Body)
	}
	res := ta.do("POST", path, worker, body, hdr)
	var after caseView
	res.decode(t, &after)
	if res.Status != 200 || res.Header.Get("Idempotent-Replayed") != "true" || after.Status != "closed" {
		t.Errorf("retried verify: %d replayed %q status %s", res.Status, res.Header.Get("Idempotent-Replayed"), after.Status)
	}
	n := 0
	for _, e := range after.Timeline {
		if e.Action == "verify_pass" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d verify_pass events after a retry, want 1", n)
	}
	body["action"] = "verify_fail"
	if res := ta.do("POST", path, worker, body, hdr); res.Status != 422 {
		t.Errorf("the key with another action: %d, want 422", res.Status)
	}
	// Without a key a stale retry is still a 409.
	if res := ta.do("POST", path, worker, map[string]any{"action": "verify_pass"}, map[string]string{"If-Match": hdr["If-Match"]}); res.Status != 409 {
		t.Errorf("stale retry without a key: %d, want 409", res.Status)
	}

	// Uploads under an Idempotency-Key: one photo however often it is sent.
	up := func(shade uint8, key string) response {
		return ta.do("POST", "/api/v1/uploads", worker, testPNG(t, shade), map[string]string{"Content-Type": "image/png", "Idempotency-Key": key})
	}
	var u1, u2 struct{ ID int64 }
	r1, r2 := up(20, "photo-1"), up(20, "photo-1")
	r1.decode(t, &u1)
	r2.decode(t, &u2)
	if r1.Status != 201 || r2.Status != 200 || u1.ID != u2.ID || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retried upload: %d/%d ids %d/%d", r1.Status, r2.Status, u1.ID, u2.ID)
	}
	var count int
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM uploads WHERE idempotency_key = 'photo-1'`).Scan(&count); err != nil || count != 1 {
		t.Errorf("uploads under the key: %d (%v), want 1", count, err)
	}
	if res := up(21, "photo-1"); res.Status != 422 {
		t.Errorf("the key with another photo: %d, want 422", res.Status)
	}
}

// TestMeMonth is the worker's month: provisional while it runs, the patrol
// audit's figures for its grid, and its assessment result; other roles 403.
func TestMeMonth(t *testing.T) {
	t.Parallel()
	clk := &testClock{}
	clk.Set(cst(2026, 12, 3, 10, 0))
	ta := newCaseApp(t, clk)
	worker := ta.login(ownGrid)
	fixes := walkFixes(ownGrid, cst(2026, 12, 1, 9, 0), 300, 10*time.Second)
	if res := ta.do("POST", "/api/v1/patrols/points", worker, map[string]any{"worker": ownGrid, "points": fixes}, nil); res.Status != 200 {
		t.Fatalf("patrol points: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/me/month", ta.login("center"), nil, nil); res.Status != 403 {
		t.Errorf("center's me/month: %d, want 403", res.Status)
	}
	var m struct {
		Month       string `json:"month"`
		Provisional bool   `json:"provisional"`
		Days        int    `json:"days"`
		Grids       []struct {
			Code      string  `json:"code"`
			DaysUnder int     `json:"days_under_minimum"`
			Coverage  float64 `json:"monthly_coverage"`
		} `json:"grids"`
		Assessment *struct {
			Worker struct {
				Username string `json:"username"`
			} `json:"worker"`
			Total float64 `json:"total"`
		} `json:"assessment"`
	}
	res := ta.do("GET", "/api/v1/me/month", worker, nil, nil)
	if res.Status != 200 {
		t.Fatalf("me/month: %d %s", res.Status, res.Body)
	}
	res.decode(t, &m)
	if m.Month != "2026-12" || !m.Provisional || m.Days != 2 {
		t.Errorf("month %q provisional %v days %d, want 2026-12, true, 2", m.Month, m.Provisional, m.Days)
	}
	if len(m.Grids) != 1 || m.Grids[0].Code != ownGrid || m.Grids[0].Coverage <= 0 || m.Grids[0].DaysUnder != 2 {
		t.Errorf("month's grids %+v, want %s with some coverage and 2 days under the minimum (50 min on Dec 1, none on Dec 2)", m.Grids, ownGrid)
	}
	if m.Assessment == nil || m.Assessment.Worker.Username != ownGrid {
		t.Errorf("running assessment %+v, want the worker's result", m.Assessment)
	}
}
