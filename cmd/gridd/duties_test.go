package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/paulmach/orb"
)

// ownWorkerOther is the worker login of otherGrid (another village).
const ownWorkerOther = otherGrid

type dueView struct {
	Today   string `json:"today"`
	Overdue int    `json:"overdue"`
	Items   []struct {
		Target struct {
			Kind string `json:"kind"`
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"target"`
		KindName    string  `json:"kind_name"`
		GridCode    string  `json:"grid_code"`
		LastVisit   *string `json:"last_visit"`
		DueOn       string  `json:"due_on"`
		Overdue     bool    `json:"overdue"`
		DaysOverdue int     `json:"days_overdue"`
		StateText   string  `json:"state_text"`
	} `json:"items"`
}

type visitView struct {
	ID        int64    `json:"id"`
	OnSite    bool     `json:"on_site"`
	DistanceM *float64 `json:"distance_m"`
	Check     string   `json:"check"`
	VisitedOn string   `json:"visited_on"`
	PhotoIDs  []int64  `json:"photo_ids"`
}

// addHousehold creates a household at p as the center and returns its id.
func (ta *testApp) addHousehold(token, address string, p orb.Point) int64 {
	ta.t.Helper()
	res := ta.do("POST", "/api/v1/registers/households", token, map[string]any{"address": address, "lon": p[0], "lat": p[1], "size": 3}, nil)
	if res.Status != 201 {
		ta.t.Fatalf("create household: %d %s", res.Status, res.Body)
	}
	var f regFeature
	res.decode(ta.t, &f)
	return int64(f.Properties["id"].(float64))
}

func (ta *testApp) assign(token string, household int64, username, from string) {
	ta.t.Helper()
	res := ta.do("POST", "/api/v1/responsibilities", token, map[string]any{"target": map[string]any{"kind": "household", "id": household},
		"username": username, "valid_from": from}, nil)
	if res.Status != 201 {
		ta.t.Fatalf("assign household %d to %s: %d %s", household, username, res.Status, res.Body)
	}
}

func (ta *testApp) due(token, query string) dueView {
	ta.t.Helper()
	res := ta.do("GET", "/api/v1/visits/due?"+query, token, nil, nil)
	if res.Status != 200 {
		ta.t.Fatalf("visits due?%s: %d %s", query, res.Status, res.Body)
	}
	var v dueView
	res.decode(ta.t, &v)
	return v
}

func visitBody(household int64, p orb.Point, notes string, photos ...int64) map[string]any {
	if photos == nil {
		photos = []int64{}
	}
	return map[string]any{"target": map[string]any{"kind": "household", "id": household},
		"location": map[string]any{"lon": p[0], "lat": p[1]}, "notes": notes, "photo_ids": photos}
}

// TestVisitDutyAcrossMonths: a household is assigned to the grid's worker,
// comes due a month later, is visited (a retry takes effect once; a visit
// recorded 2 km away is kept but does not count), is overdue the next
// month once that month's date passes, and the months' visit coverage
// feeds the assessment's mass-work block.
func TestVisitDutyAcrossMonths(t *testing.T) {
	t.Parallel()
	clk := &testClock{}
	clk.Set(cst(2026, 11, 2, 10, 0))
	ta := newCaseApp(t, clk)
	center, worker, other := ta.login("center"), ta.login(ownGrid), ta.login(ownWorkerOther)

	home := pointIn(ownGrid, 21, 40)
	hid := ta.addHousehold(center, "龙泉镇测试村1号", home)

	// Bad assignments: nothing stored, the field named.
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"target": map[string]any{"kind": "school", "id": hid}, "username": ownGrid}, 400, "target.kind"},
		{map[string]any{"target": map[string]any{"kind": "household", "id": hid}, "username": ownGrid, "valid_from": "2026-13-01"}, 400, "valid_from"},
		{map[string]any{"target": map[string]any{"kind": "household", "id": hid}, "username": ownGrid, "valid_from": "2026-11-02", "valid_to": "2026-11-01"}, 400, "valid_to"},
		{map[string]any{"target": map[string]any{"kind": "household", "id": hid}, "username": ownWorkerOther}, 422, "username"},
	} {
		res := ta.do("POST", "/api/v1/responsibilities", center, c.body, nil)
		if res.Status != c.status || !strings.Contains(string(res.Body), `"field":"`+c.field+`"`) {
			t.Errorf("assign %v: %d %s, want %d naming %s", c.body, res.Status, res.Body, c.status, c.field)
		}
	}
	if n := ta.countRows("responsibilities"); n != 0 {
		t.Fatalf("%d responsibilities stored from rejected requests", n)
	}
	if res := ta.do("POST", "/api/v1/responsibilities", other, map[string]any{"target": map[string]any{"kind": "household", "id": hid}, "username": ownGrid}, nil); res.Status != 403 {
		t.Errorf("a worker assigns: %d, want 403", res.Status)
	}
	ta.assign(center, hid, ownGrid, "2026-11-02")
	// One member at a time: an overlapping closed span is a conflict.
	res := ta.do("POST", "/api/v1/responsibilities", center, map[string]any{"target": map[string]any{"kind": "household", "id": hid},
		"username": ownGrid, "valid_from": "2026-10-01", "valid_to": "2026-11-10"}, nil)
	if res.Status != 409 {
		t.Errorf("overlapping assignment: %d %s, want 409", res.Status, res.Body)
	}

	d := ta.due(worker, "")
	if len(d.Items) != 1 || d.Items[0].Target.ID != hid || d.Items[0].DueOn != "2026-12-02" || d.Items[0].Overdue || d.Items[0].LastVisit != nil {
		t.Fatalf("due after assignment: %+v", d)
	}

	// Access: the other village's worker neither sees nor visits it.
	if v := ta.due(other, ""); len(v.Items) != 0 {
		t.Errorf("other worker's due list holds %d items", len(v.Items))
	}
	for _, q := range []string{"grid=" + ownGrid, "worker=" + ownGrid} {
		if res := ta.do("GET", "/api/v1/visits/due?"+q, other, nil, nil); res.Status != 403 {
			t.Errorf("other worker, due?%s: %d, want 403", q, res.Status)
		}
	}
	if res := ta.do("POST", "/api/v1/visits", other, visitBody(hid, home, "越界"), nil); res.Status != 403 {
		t.Errorf("other worker visits: %d %s, want 403", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/worklog?worker="+ownGrid, other, nil, nil); res.Status != 403 {
		t.Errorf("other worker reads the log: %d, want 403", res.Status)
	}

	// The visit on 11-10, 20 m from the door, with a photo; retried.
	clk.Set(cst(2026, 11, 10, 9, 30))
	photo := ta.upload(worker, 40)
	body := visitBody(hid, offset(home, 12, 16), "入户走访，家中老人身体尚好", photo)
	key := map[string]string{"Idempotency-Key": "visit-1110"}
	res = ta.do("POST", "/api/v1/visits", worker, body, key)
	if res.Status != 201 {
		t.Fatalf("visit: %d %s", res.Status, res.Body)
	}
	var v1 visitView
	res.decode(t, &v1)
	if !v1.OnSite || v1.DistanceM == nil || *v1.DistanceM < 18 || *v1.DistanceM > 22 || v1.VisitedOn != "2026-11-10" || len(v1.PhotoIDs) != 1 {
		t.Errorf("visit: %+v", v1)
	}
	// The visit's photo: the center of its grid sees it, another village's worker not.
	for tok, want := range map[string]int{center: 200, other: 403} {
		if res := ta.do("GET", fmt.Sprintf("/api/v1/uploads/%d", photo), tok, nil, nil); res.Status != want {
			t.Errorf("visit photo: %d, want %d", res.Status, want)
		}
	}
	res = ta.do("POST", "/api/v1/visits", worker, body, key)
	var again visitView
	res.decode(t, &again)
	if res.Status != 200 || res.Header.Get("Idempotent-Replayed") != "true" || again.ID != v1.ID {
		t.Errorf("retry: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/visits", worker, visitBody(hid, home, "另一次"), key); res.Status != 422 {
		t.Errorf("key reused for another visit: %d %s, want 422", res.Status, res.Body)
	}
	// Rejected input stores nothing.
	if res := ta.do("POST", "/api/v1/visits", worker, map[string]any{"target": map[string]any{"kind": "household", "id": hid}}, nil); res.Status != 400 || !strings.Contains(string(res.Body), `"field":"location"`) {
		t.Errorf("visit without a location: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/visits", worker, visitBody(hid, home, "", 999999), nil); res.Status != 400 {
		t.Errorf("visit with someone else's photo: %d %s", res.Status, res.Body)
	}
	// Recorded 2 km away: kept, flagged, not counted.
	res = ta.do("POST", "/api/v1/visits", worker, visitBody(hid, offset(home, 2000, 0), "在村委会电话回访"), nil)
	var far visitView
	res.decode(t, &far)
	if res.Status != 201 || far.OnSite || !strings.Contains(far.Check, "不计入") {
		t.Errorf("far visit: %d %s", res.Status, res.Body)
	}
	if n := ta.countRows("visits"); n != 2 {
		t.Errorf("%d visits stored, want 2 (one retried, one far)", n)
	}

	d = ta.due(worker, "")
	if len(d.Items) != 1 || d.Items[0].LastVisit == nil || *d.Items[0].LastVisit != "2026-11-10" || d.Items[0].DueOn != "2026-12-10" || d.Items[0].Overdue {
		t.Fatalf("due after the visit: %+v", d)
	}

	// 12-15: overdue by 5 days, listed before a household assigned today.
	clk.Set(cst(2026, 12, 15, 8, 0))
	hid2 := ta.addHousehold(center, "龙泉镇测试村2号", pointIn(ownGrid, 22, 40))
	ta.assign(center, hid2, ownGrid, "2026-12-15")
	d = ta.due(center, "grid="+ownGrid)
	if len(d.Items) != 2 || d.Overdue != 1 || d.Items[0].Target.ID != hid || !d.Items[0].Overdue || d.Items[0].DaysOverdue != 5 ||
		d.Items[0].StateText != "已逾期5天" || d.Items[1].Target.ID != hid2 || d.Items[1].Overdue || d.Items[1].DueOn != "2027-01-15" {
		t.Errorf("due on 12-15: %+v", d)
	}
	if en := ta.do("GET", "/api/v1/visits/due?lang=en", worker, nil, nil); !strings.Contains(string(en.Body), "Overdue by 5 day(s)") {
		t.Errorf("English due list: %s", en.Body)
	}

	// The assessment: November covered, December not (neither household visited).
	clk.Set(cst(2027, 1, 3, 9, 0))
	nov := resultOf(t, ta.assessments(center, "month=2026-11", 200), ownGrid)
	if it := itemOf(nov, assessment.BlockMassWork, "visit_coverage"); it.Points != 0 || nov.Figures.VisitCoverage == nil || *nov.Figures.VisitCoverage != 1 {
		t.Errorf("November visit item %+v, coverage %v", it, nov.Figures.VisitCoverage)
	}
	dec := resultOf(t, ta.assessments(center, "month=2026-12", 200), ownGrid)
	it := itemOf(dec, assessment.BlockMassWork, "visit_coverage")
	if it.Points != -2 || it.Count != 2 || len(it.Evidence) != 2 || dec.Figures.VisitCoverage == nil || *dec.Figures.VisitCoverage != 0 {
		t.Errorf("December visit item %+v, coverage %v", it, dec.Figures.VisitCoverage)
	}
}

type worklogView struct {
	Date   string `json:"date"`
	Worker struct {
		Username string `json:"username"`
	} `json:"worker"`
	Patrol *struct {
		Seconds   float64 `json:"seconds"`
		DistanceM float64 `json:"distance_m"`
		Text      string  `json:"text"`
	} `json:"patrol"`
	Reports []struct {
		Number string `json:"number"`
	} `json:"reports"`
	Verifications []struct {
		Number string `json:"number"`
		Action string `json:"action"`
	} `json:"verifications"`
	Visits []struct {
		TargetID int64 `json:"target_id"`
		OnSite   bool  `json:"on_site"`
	} `json:"visits"`
	Inspections []json.RawMessage `json:"inspections"`
	Entry       *struct {
		Notes   string `json:"notes"`
		Late    bool   `json:"late"`
		Version int    `json:"version"`
	} `json:"entry"`
	StatusText string `json:"status_text"`
}

// TestDailyLog: a worker's recorded day (a morning's patrol, a report, a
// verification, a visit) assembles into its daily log; the log is
// submitted once (again: 409), amended with If-Match (stale: 409); a day
// submitted after midnight is flagged late; the center reads any worker of
// its scope, another worker cannot.
func TestDailyLog(t *testing.T) {
	t.Parallel()
	clk := &testClock{}
	clk.Set(cst(2026, 12, 2, 8, 0))
	ta := newCaseApp(t, clk)
	center, worker := ta.login("center"), ta.login(ownGrid)

	home := pointIn(ownGrid, 31, 40)
	hid := ta.addHousehold(center, "龙泉镇日志村8号", home)
	ta.assign(center, hid, ownGrid, "2026-12-01")

	// A case from yesterday goes to verification today; one reported today.
	clk.Set(cst(2026, 12, 1, 10, 0))
	c := ta.report(worker, reportBody("0104", pointIn(ownGrid, 32, 30)), nil)
	ta.mustAct(center, &c, map[string]any{"action": "accept"})
	ta.mustAct(center, &c, map[string]any{"action": "dispatch", "unit": "hwsuo"})
	hw := ta.login("dept-hwsuo")
	ta.mustAct(hw, &c, map[string]any{"action": "unit_accept"})
	ta.mustAct(hw, &c, map[string]any{"action": "handle", "photos": []int64{ta.upload(hw, 8)}})
	ta.mustAct(center, &c, map[string]any{"action": "send_verification"})
	clk.Set(cst(2026, 12, 2, 11, 0))
	ta.mustAct(worker, &c, map[string]any{"action": "verify_pass"})
	today := ta.report(worker, reportBody("0104", pointIn(ownGrid, 33, 30)), nil)
	clk.Set(cst(2026, 12, 2, 15, 0))
	if res := ta.do("POST", "/api/v1/visits", worker, visitBody(hid, home, "走访"), nil); res.Status != 201 {
		t.Fatalf("visit: %d %s", res.Status, res.Body)
	}
	fixes := walkFixes(ownGrid, cst(2026, 12, 2, 9, 0), 400, 10*time.Second)
	if res := ta.do("POST", "/api/v1/patrols/points", worker, map[string]any{"worker": ownGrid, "points": fixes}, nil); res.Status != 200 {
		t.Fatalf("patrol points: %d %s", res.Status, res.Body)
	}

	clk.Set(cst(2026, 12, 2, 18, 0))
	var d worklogView
	ta.do("GET", "/api/v1/worklog", worker, nil, nil).decode(t, &d)
	if d.Date != "2026-12-02" || d.Worker.Username != ownGrid || d.Patrol == nil || d.Patrol.Seconds < 3000 || d.Patrol.DistanceM <= 0 {
		t.Errorf("log's patrol: %+v", d.Patrol)
	}
	if len(d.Reports) != 1 || d.Reports[0].Number != today.Number {
		t.Errorf("log's reports %+v, want only %s", d.Reports, today.Number)
	}
	if len(d.Verifications) != 1 || d.Verifications[0].Number != c.Number || d.Verifications[0].Action != "verify_pass" {
		t.Errorf("log's verifications: %+v", d.Verifications)
	}
	if len(d.Visits) != 1 || d.Visits[0].TargetID != hid || !d.Visits[0].OnSite {
		t.Errorf("log's visits: %+v", d.Visits)
	}
	if d.Inspections == nil || len(d.Inspections) != 0 || d.Entry != nil || d.StatusText != "当日日志未提交" {
		t.Errorf("log before submission: inspections %v, entry %+v, %q", d.Inspections, d.Entry, d.StatusText)
	}
	// Yesterday's log lists yesterday's report, not today's.
	var y worklogView
	ta.do("GET", "/api/v1/worklog?date=2026-12-01", worker, nil, nil).decode(t, &y)
	if len(y.Reports) != 1 || y.Reports[0].Number != c.Number || len(y.Visits) != 0 {
		t.Errorf("yesterday's log: %+v", y)
	}

	// Submit today's log once; amend it.
	if res := ta.do("POST", "/api/v1/worklog", worker, map[string]any{"notes": "  "}, nil); res.Status != 400 || !strings.Contains(string(res.Body), `"field":"notes"`) {
		t.Errorf("empty notes: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/worklog", worker, map[string]any{"date": "2026-12-03", "notes": "明天"}, nil); res.Status != 400 {
		t.Errorf("a future day: %d %s", res.Status, res.Body)
	}
	res := ta.do("POST", "/api/v1/worklog", worker, map[string]any{"notes": "上午巡查，下午走访一户"}, nil)
	if res.Status != 201 || res.Header.Get("ETag") != `"1"` || strings.Contains(string(res.Body), `"late":true`) {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/worklog", worker, map[string]any{"notes": "再交一次"}, nil); res.Status != 409 {
		t.Errorf("second submission: %d, want 409", res.Status)
	}
	if res := ta.do("PUT", "/api/v1/worklog", worker, map[string]any{"notes": "补充"}, map[string]string{"If-Match": `"1"`}); res.Status != 200 || res.Header.Get("ETag") != `"2"` {
		t.Errorf("amend: %d %s", res.Status, res.Body)
	}
	if res := ta.do("PUT", "/api/v1/worklog", worker, map[string]any{"notes": "过期版本"}, map[string]string{"If-Match": `"1"`}); res.Status != 409 {
		t.Errorf("stale amend: %d, want 409", res.Status)
	}
	if res := ta.do("POST", "/api/v1/worklog", center, map[string]any{"notes": "中心代交"}, nil); res.Status != 403 {
		t.Errorf("center submits: %d, want 403", res.Status)
	}

	// Yesterday's log, submitted today: late.
	res = ta.do("POST", "/api/v1/worklog", worker, map[string]any{"date": "2026-12-01", "notes": "补交昨日日志"}, nil)
	if res.Status != 201 || !strings.Contains(string(res.Body), `"late":true`) {
		t.Errorf("late submission: %d %s", res.Status, res.Body)
	}
	// Just before midnight is on time, in Asia/Shanghai.
	clk.Set(cst(2026, 12, 3, 23, 59))
	if res := ta.do("POST", "/api/v1/worklog", worker, map[string]any{"notes": "当天23:59提交"}, nil); res.Status != 201 || strings.Contains(string(res.Body), `"late":true`) {
		t.Errorf("23:59 submission: %d %s", res.Status, res.Body)
	}

	// The center reads the worker's logs.
	var cv worklogView
	res = ta.do("GET", "/api/v1/worklog?worker="+ownGrid+"&date=2026-12-01", center, nil, nil)
	res.decode(t, &cv)
	if res.Status != 200 || cv.Entry == nil || !cv.Entry.Late || !strings.Contains(cv.StatusText, "逾期提交") {
		t.Errorf("center reads the late log: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/worklog", center, nil, nil); res.Status != 400 {
		t.Errorf("center without ?worker: %d, want 400", res.Status)
	}
	if res := ta.do("GET", "/api/v1/worklog?worker=dept-hwsuo", center, nil, nil); res.Status != 403 {
		t.Errorf("center reads a department user's log: %d, want 403", res.Status)
	}
}

// TestPublicResponsibleLookup: the public lookup needs no token, answers
// by point and by address with the grid, the worker's name, the assigned
// member's name and only the published contacts — never a phone number,
// an ID, a username or a household — and is rate-limited per client.
func TestPublicResponsibleLookup(t *testing.T) {
	t.Parallel()
	clk := &testClock{}
	clk.Set(cst(2026, 12, 2, 10, 0))
	ta := newTestAppConfig(t, true, func(c *Config) { c.Now = clk.Now; c.PublicRate = 0.001; c.PublicBurst = 7 })
	center := ta.login("center")
	home := pointIn(ownGrid, 41, 40)
	hid := ta.addHousehold(center, "龙泉镇  公开路 3号", home)
	ta.assign(center, hid, ownGrid, "2026-12-01")
	if res := ta.do("PUT", "/api/v1/public-contacts/"+ownGrid, center, map[string]any{"contact": "0531-8888 1234"}, nil); res.Status != 200 {
		t.Fatalf("publish contact: %d %s", res.Status, res.Body)
	}
	if res := ta.do("PUT", "/api/v1/public-contacts/"+ownGrid, ta.login(ownGrid), map[string]any{"contact": "x"}, nil); res.Status != 403 {
		t.Errorf("a worker publishes: %d, want 403", res.Status)
	}
	var worker struct{ Name, Phone string }
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT name, phone FROM users WHERE username = $1`, ownGrid).Scan(&worker.Name, &worker.Phone); err != nil {
		t.Fatal(err)
	}

	type answer struct {
		Grid        map[string]string `json:"grid"`
		Worker      *map[string]any   `json:"worker"`
		Responsible *map[string]any   `json:"responsible"`
	}
	check := func(name string, res response, wantResponsible bool) {
		t.Helper()
		if res.Status != 200 {
			t.Fatalf("%s: %d %s", name, res.Status, res.Body)
		}
		var raw map[string]any
		res.decode(t, &raw)
		if len(raw) != 3 {
			t.Errorf("%s: members %v, want grid, worker, responsible only", name, raw)
		}
		var a answer
		res.decode(t, &a)
		if a.Grid["code"] != ownGrid || a.Grid["name"] == "" || len(a.Grid) != 2 {
			t.Errorf("%s: grid %v", name, a.Grid)
		}
		if a.Worker == nil || len(*a.Worker) != 2 || (*a.Worker)["name"] != worker.Name || (*a.Worker)["contact"] != "0531-8888 1234" {
			t.Errorf("%s: worker %v", name, a.Worker)
		}
		if (a.Responsible != nil) != wantResponsible {
			t.Errorf("%s: responsible %v", name, a.Responsible)
		}
		body := string(res.Body)
		for _, leak := range []string{worker.Phone, ownGrid + `"`, "username", "household", `"id"`, "id_number", "address", "phone"} {
			if leak != "" && strings.Contains(strings.Replace(body, `"code":"`+ownGrid+`"`, "", 1), leak) {
				t.Errorf("%s leaks %q: %s", name, leak, body)
			}
		}
	}
	check("by point", ta.do("GET", fmt.Sprintf("/api/v1/public/responsible?lon=%f&lat=%f", home[0], home[1]), "", nil, nil), false)
	check("by address", ta.do("GET", "/api/v1/public/responsible?address="+strings.ReplaceAll("龙泉镇 公开路 3号", " ", "%20"), "", nil, nil), true)
	for q, want := range map[string]int{"": 400, "address=没有这个地址": 404, "lon=abc&lat=1": 400, "lon=1&lat=1": 404, "lon=117&lat=36&address=x": 400} {
		if res := ta.do("GET", "/api/v1/public/responsible?"+q, "", nil, nil); res.Status != want {
			t.Errorf("?%s: %d %s, want %d", q, res.Status, res.Body, want)
		}
	}
	// The 7 lookups of the burst are spent: the next is refused with Retry-After.
	res := ta.do("GET", "/api/v1/public/responsible?address=x", "", nil, nil)
	if res.Status != 429 || res.Header.Get("Retry-After") != "1" {
		t.Errorf("8th lookup: %d %s (Retry-After %q), want 429", res.Status, res.Body, res.Header.Get("Retry-After"))
	}
}

// TestKeyPersonVisitsAndHandover: a key person comes due by its category's
// schedule (community correction: weekly; an admin changes it to two
// weeks); its visit must be on site, and its notes go only into the sealed
// visit log. A household handed over to another team member leaves the
// first member's due list for the second's.
func TestKeyPersonVisitsAndHandover(t *testing.T) {
	t.Parallel()
	clk := &testClock{}
	clk.Set(cst(2026, 12, 1, 9, 0))
	ta := newCaseApp(t, clk)
	admin, center, worker := ta.login("admin"), ta.login("center"), ta.login(ownGrid)

	at := pointIn(ownGrid, 71, 40)
	res := ta.do("POST", "/api/v1/keypersons", admin, map[string]any{"category": "community_correction", "name": "孙八", "address": "五号院",
		"lon": at[0], "lat": at[1], "responsible": ownGrid, "id_number": validID("37010219800101123")}, nil)
	if res.Status != 201 {
		t.Fatalf("key person: %d %s", res.Status, res.Body)
	}
	var kp struct{ ID int64 }
	res.decode(t, &kp)
	d := ta.due(worker, "")
	if len(d.Items) != 1 || d.Items[0].Target.Kind != "key_person" || d.Items[0].DueOn != "2026-12-08" || d.Items[0].KindName != "重点人员" {
		t.Fatalf("key person due: %+v", d)
	}
	kpBody := func(p orb.Point, notes string) map[string]any {
		return map[string]any{"target": map[string]any{"kind": "key_person", "id": kp.ID}, "location": map[string]any{"lon": p[0], "lat": p[1]}, "notes": notes}
	}
	clk.Set(cst(2026, 12, 3, 10, 0))
	secret := "情绪稳定，按时报到"
	if res := ta.do("POST", "/api/v1/visits", worker, kpBody(offset(at, 400, 0), secret), nil); res.Status != 422 || !strings.Contains(string(res.Body), "visit_not_on_site") {
		t.Errorf("off-site key-person visit: %d %s, want 422", res.Status, res.Body)
	}
	if n, m := ta.countRows("visits"), ta.countRows("key_person_visits"); n != 0 || m != 0 {
		t.Fatalf("a refused visit stored %d visits, %d log entries", n, m)
	}
	if res := ta.do("POST", "/api/v1/visits", worker, kpBody(offset(at, 5, 5), secret), nil); res.Status != 201 {
		t.Fatalf("key-person visit: %d %s", res.Status, res.Body)
	}
	var plain int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM visits WHERE notes <> ''`).Scan(&plain); err != nil || plain != 0 {
		t.Errorf("key-person notes in the visits table: %d (%v)", plain, err)
	}
	var enc []byte
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT notes_enc FROM key_person_visits WHERE key_person_id = $1`, kp.ID).Scan(&enc); err != nil {
		t.Fatalf("the sealed log entry: %v", err)
	}
	if len(enc) == 0 || strings.Contains(string(enc), secret) {
		t.Errorf("the log entry is not sealed: %q", enc)
	}
	if d := ta.due(worker, ""); d.Items[0].DueOn != "2026-12-10" || *d.Items[0].LastVisit != "2026-12-03" {
		t.Errorf("due after the visit: %+v", d.Items[0])
	}

	// The admin changes the schedules: every kind keeps a default.
	bad := map[string]any{"schedules": []map[string]any{{"target_kind": "household", "every": 1, "unit": "month"}}}
	if res := ta.do("PUT", "/api/v1/visits/schedules", admin, bad, nil); res.Status != 400 || !strings.Contains(string(res.Body), "default_required") {
		t.Errorf("schedules without defaults: %d %s", res.Status, res.Body)
	}
	good := map[string]any{"schedules": []map[string]any{
		{"target_kind": "household", "every": 1, "unit": "month"}, {"target_kind": "business", "every": 1, "unit": "month"},
		{"target_kind": "place", "every": 1, "unit": "month"}, {"target_kind": "key_person", "every": 1, "unit": "month"},
		{"target_kind": "key_person", "category": "community_correction", "every": 2, "unit": "week"}}}
	if res := ta.do("PUT", "/api/v1/visits/schedules", admin, good, nil); res.Status != 200 {
		t.Fatalf("schedules: %d %s", res.Status, res.Body)
	}
	clk.Set(cst(2026, 12, 12, 10, 0))
	if d := ta.due(worker, ""); d.Items[0].DueOn != "2026-12-17" || d.Items[0].Overdue {
		t.Errorf("due every two weeks: %+v", d.Items[0])
	}

	// Hand-over: from 12-15 the grid's party-group leader answers for the household.
	clk.Set(cst(2026, 12, 1, 9, 0))
	hid := ta.addHousehold(center, "龙泉镇交接路1号", pointIn(ownGrid, 72, 40))
	ta.assign(center, hid, ownGrid, "2026-12-01")
	var leader string
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT u.username FROM grid_assignments a JOIN users u ON u.id = a.user_id
WHERE a.grid_code = $1 AND a.grid_role = 'party_leader' AND a.valid_to IS NULL LIMIT 1`, ownGrid).Scan(&leader); err != nil {
		t.Fatalf("the grid's party-group leader: %v", err)
	}
	ta.assign(center, hid, leader, "2026-12-15")
	var list struct {
		Responsibilities []struct {
			Username string  `json:"username"`
			ValidTo  *string `json:"valid_to"`
		} `json:"responsibilities"`
	}
	ta.do("GET", "/api/v1/responsibilities?grid="+ownGrid, center, nil, nil).decode(t, &list)
	if len(list.Responsibilities) != 2 || list.Responsibilities[0].Username != ownGrid || list.Responsibilities[0].ValidTo == nil ||
		*list.Responsibilities[0].ValidTo != "2026-12-15" || list.Responsibilities[1].Username != leader || list.Responsibilities[1].ValidTo != nil {
		t.Errorf("after the hand-over: %+v", list.Responsibilities)
	}
	clk.Set(cst(2026, 12, 16, 9, 0))
	for who, want := range map[string]int{ownGrid: 0, leader: 1} {
		n := 0
		for _, it := range ta.due(center, "worker="+who).Items {
			if it.Target.Kind == "household" && it.Target.ID == hid {
				n++
			}
		}
		if n != want {
			t.Errorf("%s's due list holds the household %d times, want %d", who, n, want)
		}
	}
}
