package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

const (
	caseVillage = "370114001001000" // ownGrid's village
	caseGrid2   = "370114001001002" // the other grid of that village
)

func problemOf(t *testing.T, res response) Problem {
	t.Helper()
	var p Problem
	res.decode(t, &p)
	return p
}

// Problem is the problem+json body the tests read.
type Problem struct {
	Status  int      `json:"status"`
	Reason  string   `json:"reason"`
	Detail  string   `json:"detail"`
	Allowed []string `json:"allowed"`
	Errors  []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

func reportBody(category string, p orb.Point, photos ...int64) map[string]any {
	if photos == nil {
		photos = []int64{}
	}
	return map[string]any{"category": category, "description": "测试案件：" + category, "lon": p[0], "lat": p[1],
		"crs": "wgs84", "source": "worker_app", "photos": photos}
}

// TestCaseFullLoop takes cases through every branch of the loop over HTTP:
// accept, dispatch, return, extension, postponement, handling, failed
// verification and rework, closing, rating, reject, escalation, merge of a
// duplicate, emergency and on-site resolution.
func TestCaseFullLoop(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)} // a Monday
	ta := newCaseApp(t, clk)
	worker, center, admin := ta.login(ownGrid), ta.login("center"), ta.login("admin")
	tokens := map[string]string{}
	dept := func(code string) string {
		if tokens[code] == "" {
			tokens[code] = ta.login("dept-" + code)
		}
		return tokens[code]
	}
	p := pointIn(ownGrid, 1, 30)

	// Report (上报) with a photo, in the worker's own grid.
	photo := ta.upload(worker, 1)
	a := ta.report(worker, reportBody("0601", p, photo), nil)
	if a.Status != "reported" || a.GridCode != ownGrid || len(a.GridChain) != 3 || a.WorkerID == 0 {
		t.Fatalf("intake: %+v", a)
	}
	if !regexpCaseNumber(a.Number) || !strings.HasPrefix(a.Number, "2026-11-") {
		t.Errorf("case number %q, want 2026-11-NNNNNN", a.Number)
	}
	if a.Suggestion == nil || a.Suggestion.LeadUnit != "jw" || !slices.Equal(a.Suggestion.CoUnits, []string{"nw"}) {
		t.Errorf("routing suggestion %+v, want jw + nw (市政设施)", a.Suggestion)
	}
	if len(a.Allowed) != 0 {
		t.Errorf("the reporting worker may do nothing yet, got %v", a.Allowed)
	}

	// A second report of the same problem nearby is a duplicate candidate.
	clk.Add(10 * time.Minute)
	dupPoint := orb.Point{p[0] + 0.0002, p[1]} // ~18 m east
	dup := ta.report(worker, reportBody("0601", dupPoint), nil)
	if !slices.Contains(dup.Duplicates, a.ID) {
		t.Errorf("duplicates %v, want to contain %d", dup.Duplicates, a.ID)
	}
	other := ta.report(worker, reportBody("0104", dupPoint), nil)
	if slices.Contains(other.Duplicates, a.ID) {
		t.Errorf("a report of another category is no duplicate: %v", other.Duplicates)
	}

	// An illegal action is a 409 listing the allowed ones.
	res := ta.act(center, &a, map[string]any{"action": "handle"})
	if res.Status != 409 {
		t.Fatalf("handle on a reported case: %d %s", res.Status, res.Body)
	}
	if pr := problemOf(t, res); !slices.Equal(pr.Allowed, []string{"accept", "reject", "escalate", "merge", "flag_emergency"}) {
		t.Errorf("allowed %v", pr.Allowed)
	}
	// A stale version is a 409 too.
	stale := a
	stale.Version = 99
	if res := ta.act(center, &stale, map[string]any{"action": "accept"}); res.Status != 409 {
		t.Errorf("stale If-Match: %d", res.Status)
	}
	// The worker may not review.
	if res := ta.act(worker, &a, map[string]any{"action": "accept"}); res.Status != 409 {
		t.Errorf("worker accepts: %d %s", res.Status, res.Body)
	}

	// Merge the duplicate into the original: it keeps its reporter and links.
	ta.mustAct(center, &dup, map[string]any{"action": "merge", "into": a.ID, "comment": "重复上报"})
	if dup.Status != "merged" || dup.MergedInto != a.ID {
		t.Errorf("merged: %+v", dup)
	}

	// Review, emergency flag, dispatch.
	ta.mustAct(center, &a, map[string]any{"action": "accept"})
	ta.mustAct(center, &a, map[string]any{"action": "flag_emergency", "comment": "影响通行"})
	if !a.Emergency {
		t.Error("emergency flag not set")
	}
	res = ta.act(center, &a, map[string]any{"action": "dispatch", "unit": "no-such-unit"})
	if res.Status != 400 || problemOf(t, res).Errors[0].Field != "unit" {
		t.Errorf("dispatch to an unknown unit: %d %s", res.Status, res.Body)
	}
	ta.mustAct(center, &a, map[string]any{"action": "dispatch", "unit": "zzb"})
	// The wrong unit returns it (退回 to the center), with a reason.
	if res := ta.act(dept("zzb"), &a, map[string]any{"action": "return"}); res.Status != 400 {
		t.Errorf("return without a reason: %d", res.Status)
	}
	ta.mustAct(dept("zzb"), &a, map[string]any{"action": "return", "comment": "不属于本单位职责"})
	if a.Status != "accepted" || a.LeadUnit != "" {
		t.Errorf("returned: %+v", a)
	}
	if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", a.ID), dept("zzb"), nil, nil); res.Status != 403 {
		t.Errorf("a unit that returned the case still reads it: %d", res.Status)
	}
	ta.mustAct(center, &a, map[string]any{"action": "dispatch", "unit": "jw", "co_units": []string{"nw"}})
	if a.Deadlines.AcceptDue == nil || !a.Deadlines.AcceptDue.Equal(cst(2026, 11, 26, 0, 0)) {
		t.Errorf("accept due %v, want end of Wed 2026-11-25", a.Deadlines.AcceptDue)
	}
	jw := dept("jw")
	if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", a.ID), dept("nw"), nil, nil); res.Status != 200 {
		t.Errorf("a co-unit reads the case: %d", res.Status)
	}
	if res := ta.act(dept("nw"), &a, map[string]any{"action": "unit_accept"}); res.Status != 409 {
		t.Errorf("a co-unit accepts for the lead: %d", res.Status)
	}
	clk.Add(time.Hour) // Mon 10:10
	ta.mustAct(jw, &a, map[string]any{"action": "unit_accept"})
	// 5 working days from Mon 2026-11-23: Tue..Fri + Mon → end of Mon 11-30.
	if a.Deadlines.HandleDue == nil || !a.Deadlines.HandleDue.Equal(cst(2026, 12, 1, 0, 0)) {
		t.Errorf("handle due %v, want end of 2026-11-30", a.Deadlines.HandleDue)
	}

	// Extension (延期): asked by the unit, granted by the center.
	if res := ta.act(jw, &a, map[string]any{"action": "request_extension", "days": 0, "comment": "x"}); res.Status != 400 || problemOf(t, res).Errors[0].Field != "days" {
		t.Errorf("extension of 0 days: %d %s", res.Status, res.Body)
	}
	ta.mustAct(jw, &a, map[string]any{"action": "request_extension", "days": 2, "comment": "需协调施工"})
	ta.mustAct(center, &a, map[string]any{"action": "refuse_extension", "comment": "不予延期"})
	ta.mustAct(jw, &a, map[string]any{"action": "request_extension", "days": 2, "comment": "需协调施工，再次申请"})
	ta.mustAct(center, &a, map[string]any{"action": "grant_extension"})
	if !a.Deadlines.HandleDue.Equal(cst(2026, 12, 3, 0, 0)) {
		t.Errorf("extended handle due %v, want end of Wed 2026-12-02", a.Deadlines.HandleDue)
	}

	// Postponement (缓办): the clock stops while postponed.
	ta.mustAct(jw, &a, map[string]any{"action": "request_postponement", "comment": "等待材料"})
	ta.mustAct(center, &a, map[string]any{"action": "refuse_postponement"})
	ta.mustAct(jw, &a, map[string]any{"action": "request_postponement", "comment": "等待材料"})
	clk.Set(cst(2026, 11, 24, 17, 0)) // Tue evening
	ta.mustAct(center, &a, map[string]any{"action": "grant_postponement"})
	if a.Status != "postponed" || a.Deadlines.HandleDue != nil || a.Deadlines.Current != nil {
		t.Errorf("postponed: status %s, handle due %v", a.Status, a.Deadlines.HandleDue)
	}
	clk.Set(cst(2026, 11, 27, 9, 0)) // resumed Fri morning: Wed and Thu were paused entirely
	ta.mustAct(center, &a, map[string]any{"action": "resume"})
	if !a.Deadlines.HandleDue.Equal(cst(2026, 12, 5, 0, 0)) {
		t.Errorf("handle due after the pause %v, want end of Fri 2026-12-04", a.Deadlines.HandleDue)
	}

	// Handling feedback needs a photo.
	if res := ta.act(jw, &a, map[string]any{"action": "handle", "comment": "已修复"}); res.Status != 400 || problemOf(t, res).Errors[0].Field != "photos" {
		t.Errorf("handle without photos: %d %s", res.Status, res.Body)
	}
	fix := ta.upload(jw, 2)
	if res := ta.act(jw, &a, map[string]any{"action": "handle", "comment": "已修复", "photos": []int64{photo}}); res.Status != 400 {
		t.Errorf("handle with someone else's photo: %d %s", res.Status, res.Body)
	}
	ta.mustAct(jw, &a, map[string]any{"action": "handle", "comment": "已修复", "photos": []int64{fix}})
	if a.HandledOnTime == nil || !*a.HandledOnTime {
		t.Errorf("handled on time: %v", a.HandledOnTime)
	}
	ta.mustAct(center, &a, map[string]any{"action": "send_verification"})
	// Verification fails → back to the unit (返工).
	other2 := ta.login("370114001002001")
	if res := ta.act(other2, &a, map[string]any{"action": "verify_pass"}); res.Status != 403 {
		t.Errorf("a worker of another grid verifies: %d", res.Status)
	}
	ta.mustAct(worker, &a, map[string]any{"action": "verify_fail", "comment": "仍未修复"})
	if a.Status != "dispatched" || a.Rework != 1 || a.LeadUnit != "jw" {
		t.Errorf("rework: %+v", a)
	}
	ta.mustAct(jw, &a, map[string]any{"action": "unit_accept"})
	fix2 := ta.upload(jw, 3)
	ta.mustAct(jw, &a, map[string]any{"action": "handle", "comment": "已返工", "photos": []int64{fix2}})
	ta.mustAct(center, &a, map[string]any{"action": "send_verification"})
	ta.mustAct(worker, &a, map[string]any{"action": "verify_pass", "comment": "核查通过"})
	if a.Status != "closed" {
		t.Fatalf("closed: %s", a.Status)
	}
	ta.mustAct(worker, &a, map[string]any{"action": "rate", "rating": 5, "comment": "满意"})
	if res := ta.act(worker, &a, map[string]any{"action": "rate", "rating": 4}); res.Status != 409 {
		t.Errorf("rating twice: %d", res.Status)
	}
	var full caseView
	ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", a.ID), center, nil, nil).decode(t, &full)
	var actions []string
	for _, e := range full.Timeline {
		actions = append(actions, e.Action)
	}
	want := []string{"report", "merged_in", "accept", "flag_emergency", "dispatch", "return", "dispatch", "unit_accept",
		"request_extension", "refuse_extension", "request_extension", "grant_extension", "request_postponement",
		"refuse_postponement", "request_postponement", "grant_postponement", "resume", "handle", "send_verification",
		"verify_fail", "unit_accept", "handle", "send_verification", "verify_pass", "rate"}
	if !slices.Equal(actions, want) {
		t.Errorf("timeline\n got %v\nwant %v", actions, want)
	}

	// Reject (退回) needs a reason; a rejected case accepts no action.
	b := ta.report(worker, reportBody("0903", pointIn(ownGrid, 2, 30)), nil)
	if res := ta.act(center, &b, map[string]any{"action": "reject"}); res.Status != 400 || problemOf(t, res).Errors[0].Field != "comment" {
		t.Errorf("reject without reason: %d %s", res.Status, res.Body)
	}
	ta.mustAct(center, &b, map[string]any{"action": "reject", "comment": "信息不全"})
	if res := ta.act(center, &b, map[string]any{"action": "accept"}); res.Status != 409 || len(problemOf(t, res).Allowed) != 0 {
		t.Errorf("accept a rejected case: %d %s", res.Status, res.Body)
	}

	// Escalation (上报): the town center hands it up; only a higher center acts.
	e := ta.report(worker, reportBody("0905", pointIn(ownGrid, 3, 30)), nil)
	ta.mustAct(center, &e, map[string]any{"action": "escalate", "comment": "群体性事件，超出镇级权限"})
	if e.Status != "escalated" {
		t.Fatalf("escalated: %s", e.Status)
	}
	if res := ta.act(center, &e, map[string]any{"action": "accept"}); res.Status != 409 {
		t.Errorf("the escalating center accepts: %d", res.Status)
	}
	ta.mustAct(admin, &e, map[string]any{"action": "accept"})
	ta.mustAct(admin, &e, map[string]any{"action": "dispatch", "unit": "zzb"})

	// On-site resolution (先期处置) closes at once with its evidence.
	if res := ta.do("POST", "/api/v1/cases", worker, map[string]any{"category": "0105", "description": "路面杂物已清理",
		"lon": p[0], "lat": p[1], "source": "worker_app", "resolved_on_site": true}, nil); res.Status != 400 || problemOf(t, res).Errors[0].Field != "photos" {
		t.Errorf("on-site without evidence: %d %s", res.Status, res.Body)
	}
	ev := ta.upload(worker, 4)
	body := reportBody("0105", p, ev)
	body["resolved_on_site"] = true
	o := ta.report(worker, body, nil)
	if o.Status != "closed" || len(o.Allowed) != 1 || o.Allowed[0] != "rate" {
		t.Errorf("on-site: %s %v", o.Status, o.Allowed)
	}
}

func regexpCaseNumber(s string) bool {
	if len(s) != 14 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// TestCaseDeadlinesNationalDay2026 dispatches across National Day 2026
// (10-01..10-07 off) and its make-up working day (Sat 10-10), and checks
// that a calendar edit reaches the deadlines.
func TestCaseDeadlinesNationalDay2026(t *testing.T) {
	clk := &testClock{t: cst(2026, 9, 29, 16, 0)} // Tue
	ta := newCaseApp(t, clk)
	worker, center, admin := ta.login(ownGrid), ta.login("center"), ta.login("admin")

	// The calendar in the database is the official one.
	var y workday.Year
	ta.do("GET", "/api/v1/calendar/2026", worker, nil, nil).decode(t, &y)
	if !slices.Equal(y.Off, workday.China2026.Off) || !slices.Equal(y.Work, workday.China2026.Work) {
		t.Fatalf("calendar 2026 in the database differs from workday.China2026: %+v", y)
	}
	ta.do("GET", "/api/v1/calendar/2025", worker, nil, nil).decode(t, &y)
	if !slices.Equal(y.Off, workday.China2025.Off) || !slices.Equal(y.Work, workday.China2025.Work) {
		t.Fatalf("calendar 2025 in the database differs from workday.China2025")
	}

	c := ta.report(worker, reportBody("0601", pointIn(ownGrid, 4, 30)), nil)
	ta.mustAct(center, &c, map[string]any{"action": "accept"})
	ta.mustAct(center, &c, map[string]any{"action": "dispatch", "unit": "jw"})
	// Accept within 2 working days of Tue 09-29: Wed 09-30, then Thu 10-08.
	if !c.Deadlines.AcceptDue.Equal(cst(2026, 10, 9, 0, 0)) {
		t.Errorf("accept due %v, want end of 2026-10-08", c.Deadlines.AcceptDue)
	}
	clk.Set(cst(2026, 9, 30, 10, 0))
	jw := ta.login("dept-jw")
	ta.mustAct(jw, &c, map[string]any{"action": "unit_accept"})
	// Handle within 5: Thu 10-08, Fri 10-09, Sat 10-10 (make-up), Mon 10-12, Tue 10-13.
	if !c.Deadlines.HandleDue.Equal(cst(2026, 10, 14, 0, 0)) {
		t.Errorf("handle due %v, want end of 2026-10-13", c.Deadlines.HandleDue)
	}
	// Overdue on Wed 10-14, not before.
	clk.Set(cst(2026, 10, 13, 23, 0))
	var got caseView
	ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), center, nil, nil).decode(t, &got)
	if got.Overdue {
		t.Error("overdue before the deadline")
	}
	clk.Set(cst(2026, 10, 14, 0, 0))
	ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), center, nil, nil).decode(t, &got)
	if !got.Overdue {
		t.Error("not overdue at the deadline")
	}
	var list struct {
		Total int        `json:"total"`
		Cases []caseView `json:"cases"`
	}
	ta.do("GET", "/api/v1/cases?overdue=true&status=handling", center, nil, nil).decode(t, &list)
	if list.Total != 1 || list.Cases[0].ID != c.ID {
		t.Errorf("overdue list: %d cases", list.Total)
	}

	// Editing the calendar (admin only) reaches new deadlines: make Wed
	// 10-14 a day off and Sat 10-17 a make-up day.
	edited := workday.China2026
	edited.Off = append(slices.Clone(edited.Off), workday.NewDate(2026, 10, 14))
	edited.Work = append(slices.Clone(edited.Work), workday.NewDate(2026, 10, 17))
	if res := ta.do("PUT", "/api/v1/calendar/2026", center, edited, nil); res.Status != 403 {
		t.Errorf("center edits the calendar: %d", res.Status)
	}
	bad := workday.Year{Year: 2026, Off: []workday.Date{}, Work: []workday.Date{workday.NewDate(2026, 10, 14)}}
	if res := ta.do("PUT", "/api/v1/calendar/2026", admin, bad, nil); res.Status != 400 {
		t.Errorf("a weekday as make-up day: %d %s", res.Status, res.Body)
	}
	if res := ta.do("PUT", "/api/v1/calendar/2026", admin, edited, nil); res.Status != 200 {
		t.Fatalf("put calendar: %d %s", res.Status, res.Body)
	}
	clk.Set(cst(2026, 10, 13, 10, 0)) // Tue
	d := ta.report(worker, reportBody("0601", pointIn(ownGrid, 5, 30)), nil)
	ta.mustAct(center, &d, map[string]any{"action": "accept"})
	ta.mustAct(center, &d, map[string]any{"action": "dispatch", "unit": "jw"})
	// 2 working days after Tue 10-13: Thu 10-15, Fri 10-16 (10-14 is now off).
	if !d.Deadlines.AcceptDue.Equal(cst(2026, 10, 17, 0, 0)) {
		t.Errorf("accept due with the edited calendar %v, want end of 2026-10-16", d.Deadlines.AcceptDue)
	}
}

// TestCaseIdempotency posts one report 50 times at once with one key:
// one case, the same case for every answer; the same key with another
// body is 422; keys are per user.
func TestCaseIdempotency(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(t, clk)
	worker := ta.login(ownGrid)
	body := reportBody("0104", pointIn(ownGrid, 6, 30))
	hdr := map[string]string{"Idempotency-Key": "report-7f3a"}
	var wg sync.WaitGroup
	ids := make([]int64, 50)
	statuses := make([]int, 50)
	for i := range 50 {
		wg.Go(func() {
			res := ta.do("POST", "/api/v1/cases", worker, body, hdr)
			statuses[i] = res.Status
			var c caseView
			if json.Unmarshal(res.Body, &c) == nil {
				ids[i] = c.ID
			}
		})
	}
	wg.Wait()
	created := 0
	for i := range 50 {
		switch statuses[i] {
		case 201:
			created++
		case 200:
		default:
			t.Errorf("post %d: status %d", i, statuses[i])
		}
		if ids[i] != ids[0] || ids[i] == 0 {
			t.Errorf("post %d answered case %d, post 0 case %d", i, ids[i], ids[0])
		}
	}
	if created != 1 {
		t.Errorf("%d posts created a case, want 1", created)
	}
	var n int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM cases WHERE description = $1`, body["description"]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d cases stored, want 1", n)
	}
	other := reportBody("0104", pointIn(ownGrid, 7, 30))
	res := ta.do("POST", "/api/v1/cases", worker, other, hdr)
	if res.Status != 422 || problemOf(t, res).Reason != "idempotency_key_reused" {
		t.Errorf("same key, other body: %d %s", res.Status, res.Body)
	}
	// Another user's key space is its own.
	if res := ta.do("POST", "/api/v1/cases", ta.login("center"), other, hdr); res.Status != 201 {
		t.Errorf("same key, other user: %d %s", res.Status, res.Body)
	}
	// Keys are kept at least 7 days: a purge after 6 days keeps the key
	// (the same body still replays the same case), one after 9 days frees it.
	clk.Add(6 * 24 * time.Hour)
	if _, err := ta.cases.PurgeIdempotencyKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	res = ta.do("POST", "/api/v1/cases", worker, body, hdr)
	var again caseView
	res.decode(t, &again)
	if res.Status != 200 || again.ID != ids[0] {
		t.Errorf("replay after 6 days: %d, case %d want %d", res.Status, again.ID, ids[0])
	}
	clk.Add(3 * 24 * time.Hour)
	if n, err := ta.cases.PurgeIdempotencyKeys(t.Context()); err != nil || n < 1 {
		t.Fatalf("purge after 9 days: %d keys, %v", n, err)
	}
	if res := ta.do("POST", "/api/v1/cases", worker, other, hdr); res.Status != 201 {
		t.Errorf("the purged key reused: %d %s", res.Status, res.Body)
	}
	// A key that is no UTF-8 text is refused, naming the header; nothing
	// is stored.
	odd := reportBody("0104", pointIn(ownGrid, 8, 30))
	odd["description"] = "键无效的上报"
	res = ta.do("POST", "/api/v1/cases", worker, odd, map[string]string{"Idempotency-Key": "report-\xff\xfe"})
	if p := problemOf(t, res); res.Status != 400 || p.Reason != "invalid_idempotency_key" || !strings.Contains(string(res.Body), "Idempotency-Key") {
		t.Errorf("key of invalid UTF-8: %d %s", res.Status, res.Body)
	}
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM cases WHERE description = $1`, odd["description"]).Scan(&n); err != nil || n != 0 {
		t.Errorf("key of invalid UTF-8: %d cases stored (%v), want 0", n, err)
	}
}

// TestCaseConcurrentTransitions sends 100 transitions with the same
// If-Match at once: exactly one wins, the rest get 409.
func TestCaseConcurrentTransitions(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(t, clk)
	worker, center := ta.login(ownGrid), ta.login("center")
	c := ta.report(worker, reportBody("0104", pointIn(ownGrid, 8, 30)), nil)
	var wg sync.WaitGroup
	statuses := make([]int, 100)
	for i := range 100 {
		wg.Go(func() {
			action := []string{"accept", "reject", "escalate", "flag_emergency"}[i%4]
			res := ta.do("POST", fmt.Sprintf("/api/v1/cases/%d/transitions", c.ID), center,
				map[string]any{"action": action, "comment": fmt.Sprintf("attempt %d", i)}, map[string]string{"If-Match": `"1"`})
			statuses[i] = res.Status
		})
	}
	wg.Wait()
	won := 0
	for i, s := range statuses {
		switch s {
		case 200:
			won++
		case 409:
		default:
			t.Errorf("transition %d: status %d", i, s)
		}
	}
	if won != 1 {
		t.Errorf("%d transitions won, want exactly 1", won)
	}
	var got caseView
	ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), center, nil, nil).decode(t, &got)
	if got.Version != 2 || len(got.Timeline) != 2 {
		t.Errorf("after the race: version %d, %d timeline entries; want 2 and 2", got.Version, len(got.Timeline))
	}
}

// TestRoutingExplain routes points inside/outside the seat area and
// near/far from a main road through the demo's routing table.
func TestRoutingExplain(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(t, clk)
	tok := ta.login(ownGrid)
	town := demoTown()
	seat := town.SeatArea
	// Candidates on a 100 m lattice over the town, classified by the test's
	// own geometry with wide margins.
	var inSeatFar, outFar, nearRoadOut orb.Point
	var outVillage string
	b := town.Grids[0].Geometry.Bound()
	for lat := b.Min[1]; lat < b.Max[1]; lat += 0.0009 {
		for lon := b.Min[0]; lon < b.Max[0]; lon += 0.0011 {
			p := orb.Point{lon, lat}
			if !planar.MultiPolygonContains(town.Grids[0].Geometry, p) {
				continue
			}
			in := planar.PolygonContains(seat, p)
			rd := roadDistanceM(p)
			edge := ringDistanceM(seat[0], p)
			switch {
			case in && rd > 300 && edge > 100 && inSeatFar == (orb.Point{}):
				inSeatFar = p
			case !in && rd > 300 && edge > 300 && outFar == (orb.Point{}):
				outFar = p
			}
		}
	}
	// A point on a road vertex well outside the seat area.
	for _, r := range town.Roads {
		for _, v := range r.Line {
			if planar.MultiPolygonContains(town.Grids[0].Geometry, v) && !planar.PolygonContains(seat, v) && ringDistanceM(seat[0], v) > 300 {
				nearRoadOut = orb.Point{v[0] + 10/mPerDegLon(v[1]), v[1]} // ~10 m east of the vertex
				break
			}
		}
		if nearRoadOut != (orb.Point{}) {
			break
		}
	}
	if inSeatFar == (orb.Point{}) || outFar == (orb.Point{}) || nearRoadOut == (orb.Point{}) {
		t.Fatalf("fixture points not found: %v %v %v", inSeatFar, outFar, nearRoadOut)
	}
	for _, g := range town.Grids {
		if g.Level == 2 && planar.MultiPolygonContains(g.Geometry, outFar) {
			outVillage = g.Code
		}
	}
	var wantDistrict string
	for _, d := range town.Departments {
		if slices.Contains(d.GridCodes, outVillage) {
			wantDistrict = d.Code
		}
	}
	type explained struct {
		Matched *struct {
			Name     string   `json:"name"`
			LeadUnit string   `json:"lead_unit"`
			CoUnits  []string `json:"co_units"`
		} `json:"matched"`
		Checks []struct {
			Held      bool     `json:"held"`
			Why       string   `json:"why"`
			DistanceM *float64 `json:"distance_m"`
		} `json:"checks"`
	}
	explain := func(category string, p orb.Point) explained {
		t.Helper()
		res := ta.do("POST", "/api/v1/routing/explain", tok, map[string]any{"category": category, "lon": p[0], "lat": p[1], "crs": "wgs84"}, nil)
		if res.Status != 200 {
			t.Fatalf("explain: %d %s", res.Status, res.Body)
		}
		var ex explained
		res.decode(t, &ex)
		return ex
	}
	// 广告灯饰 (0102): main roads → 环卫所; seat area → 执法中队; villages → 管区.
	ex := explain("0102", inSeatFar)
	if ex.Matched == nil || ex.Matched.LeadUnit != "zfzd" {
		t.Errorf("0102 inside the seat area: %+v", ex)
	} else if first := ex.Checks[0]; first.Held || first.DistanceM == nil || *first.DistanceM <= demo.MainRoadDistanceM || !strings.Contains(first.Why, "超过") {
		t.Errorf("0102 inside the seat area: the road rule should fail with its distance: %+v", first)
	}
	// The reasons are the catalogue's Chinese (the request is zh): road kinds,
	// zones and units by name, no English words (issue 15).
	for _, ck := range ex.Checks {
		if w := regexp.MustCompile(`[A-Za-z]{3,}`).FindString(ck.Why); w != "" || ck.Why == "" {
			t.Errorf("routing reason %q has the English word %q", ck.Why, w)
		}
	}
	ex = explain("0102", nearRoadOut)
	if ex.Matched == nil || ex.Matched.LeadUnit != "hwsuo" || ex.Checks[0].DistanceM == nil || *ex.Checks[0].DistanceM > 20 {
		t.Errorf("0102 near a main road: %+v", ex)
	}
	ex = explain("0102", outFar)
	if ex.Matched == nil || ex.Matched.LeadUnit != wantDistrict {
		t.Errorf("0102 in village %s far from roads: %+v, want %s", outVillage, ex.Matched, wantDistrict)
	}
	// 乱停乱放 (0201): seat area and main roads → 执法中队 + 建委; elsewhere → 管区.
	for _, tc := range []struct {
		name string
		p    orb.Point
		lead string
		co   []string
	}{{"inside the seat", inSeatFar, "zfzd", []string{"jw"}}, {"near a road", nearRoadOut, "zfzd", []string{"jw"}}, {"elsewhere", outFar, wantDistrict, []string{}}} {
		ex := explain("0201", tc.p)
		if ex.Matched == nil || ex.Matched.LeadUnit != tc.lead || !slices.Equal(ex.Matched.CoUnits, tc.co) {
			t.Errorf("0201 %s: %+v, want %s %v", tc.name, ex.Matched, tc.lead, tc.co)
		}
	}
	// Bad input names the field.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"category": "9999", "lon": 117.53, "lat": 36.7}, "category"},
		{map[string]any{"category": "0102", "lon": 36.7, "lat": 117.53}, "lon,lat"},
		{map[string]any{"category": "0102", "lon": 117.53, "lat": 36.7, "crs": "epsg:9999"}, "crs"},
		{map[string]any{"category": "0102", "lat": 36.7}, "lon,lat"},
	} {
		res := ta.do("POST", "/api/v1/routing/explain", tok, tc.body, nil)
		if res.Status != 400 || len(problemOf(t, res).Errors) == 0 || problemOf(t, res).Errors[0].Field != tc.field {
			t.Errorf("explain %v: %d %s, want 400 naming %s", tc.body, res.Status, res.Body, tc.field)
		}
	}
}

// TestCaseAccessScope: a worker lists and reads only its grids' cases; a
// department only what was dispatched to its unit; a center its subtree.
func TestCaseAccessScope(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(t, clk)
	worker, center := ta.login(ownGrid), ta.login("center")
	otherWorker := ta.login(otherGrid)
	mine := ta.report(worker, reportBody("0104", pointIn(ownGrid, 9, 30)), nil)
	theirs := ta.report(otherWorker, reportBody("0104", pointIn(otherGrid, 9, 30)), nil)
	// A worker reports where it is, even outside its grids; it reads its
	// grids' cases and its own reports (hardening: a report is never lost
	// to its reporter), not another grid's.
	elsewhere := ta.report(worker, reportBody("0104", pointIn(caseGrid2, 9, 30)), nil)
	if elsewhere.GridCode != caseGrid2 {
		t.Fatalf("report elsewhere located in %s", elsewhere.GridCode)
	}
	for _, tc := range []struct {
		c    caseView
		want int
	}{{mine, 200}, {theirs, 403}, {elsewhere, 200}} {
		if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", tc.c.ID), worker, nil, nil); res.Status != tc.want {
			t.Errorf("worker reads case in %s: %d, want %d", tc.c.GridCode, res.Status, tc.want)
		}
	}
	var list struct {
		Total int        `json:"total"`
		Cases []caseView `json:"cases"`
	}
	ta.do("GET", "/api/v1/cases?limit=500", worker, nil, nil).decode(t, &list)
	if list.Total == 0 {
		t.Fatal("worker sees no case")
	}
	for _, c := range list.Cases {
		if c.GridCode != ownGrid && c.ID != elsewhere.ID {
			t.Errorf("worker lists case %d of grid %s", c.ID, c.GridCode)
		}
	}
	ta.do("GET", "/api/v1/cases?limit=500", center, nil, nil).decode(t, &list)
	if !slices.ContainsFunc(list.Cases, func(c caseView) bool { return c.ID == theirs.ID }) {
		t.Error("the town center does not list a case of its town")
	}
	// A department sees only what was dispatched to it.
	hw := ta.login("dept-hwsuo")
	ta.do("GET", "/api/v1/cases?limit=500", hw, nil, nil).decode(t, &list)
	for _, c := range list.Cases {
		if c.LeadUnit != "hwsuo" && !slices.Contains(c.CoUnits, "hwsuo") {
			t.Errorf("department lists case %d of unit %q", c.ID, c.LeadUnit)
		}
	}
	if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", mine.ID), hw, nil, nil); res.Status != 403 {
		t.Errorf("department reads an undispatched case: %d", res.Status)
	}
	ta.mustAct(center, &mine, map[string]any{"action": "accept"})
	ta.mustAct(center, &mine, map[string]any{"action": "dispatch", "unit": "hwsuo"})
	if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", mine.ID), hw, nil, nil); res.Status != 200 {
		t.Errorf("department reads its case: %d", res.Status)
	}
	// Filters.
	ta.do("GET", "/api/v1/cases?grid="+caseVillage+"&category=01&source=worker_app&status=reported,dispatched&limit=500", center, nil, nil).decode(t, &list)
	ids := []int64{}
	for _, c := range list.Cases {
		ids = append(ids, c.ID)
		if !slices.Contains(c.GridChain, caseVillage) || !strings.HasPrefix(c.Category, "01") || (c.Status != "reported" && c.Status != "dispatched") {
			t.Errorf("filtered list holds %+v", c)
		}
	}
	if !slices.Contains(ids, mine.ID) || !slices.Contains(ids, elsewhere.ID) || slices.Contains(ids, theirs.ID) {
		t.Errorf("filtered list %v", ids)
	}
	p := pointIn(ownGrid, 9, 30)
	ta.do("GET", fmt.Sprintf("/api/v1/cases?bbox=%f,%f,%f,%f&from=2026-11-23&to=2026-11-23", p[0]-0.0001, p[1]-0.0001, p[0]+0.0001, p[1]+0.0001), center, nil, nil).decode(t, &list)
	if list.Total != 1 || list.Cases[0].ID != mine.ID {
		t.Errorf("bbox + date filter: %d cases", list.Total)
	}
	// Bad filters name the parameter.
	for q, field := range map[string]string{"status=open": "status", "bbox=1,2,3": "bbox", "overdue=maybe": "overdue",
		"from=2026-13-01": "from", "limit=0": "limit", "category=1": "category", "source=fax": "source"} {
		res := ta.do("GET", "/api/v1/cases?"+q, center, nil, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != field {
			t.Errorf("?%s: %d %s, want 400 naming %s", q, res.Status, res.Body, field)
		}
	}
}

// TestCaseBadInput: bad reports are refused with 4xx naming the field,
// and nothing is stored.
func TestCaseBadInput(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(t, clk)
	worker := ta.login(ownGrid)
	p := pointIn(ownGrid, 10, 30)
	var before int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM cases`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	base := func() map[string]any { return reportBody("0104", p) }
	with := func(k string, v any) map[string]any { b := base(); b[k] = v; return b }
	without := func(k string) map[string]any { b := base(); delete(b, k); return b }
	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"unknown category", with("category", "9999"), 400, "category"},
		{"big class", with("category", "01"), 400, "category"},
		{"no category", without("category"), 400, "category"},
		{"swapped", with("lon", p[1]), 400, "lon,lat"},
		{"no lat", without("lat"), 400, "lon,lat"},
		{"outside China", func() map[string]any { b := base(); b["lon"], b["lat"] = 2.35, 48.85; return b }(), 400, "lon,lat"},
		{"bad source", with("source", "fax"), 400, "source"},
		{"bad crs", with("crs", "mars"), 400, "crs"},
		{"bad time", with("reported_at", "yesterday"), 400, "reported_at"},
		{"future", with("reported_at", "2026-12-30T10:00:00+08:00"), 400, "reported_at"},
		{"unknown photo", with("photos", []int64{987654}), 400, "photos"},
		{"wrong type", with("lon", "117.5"), 400, "lon"},
		{"unknown field", with("colour", "red"), 400, "body"},
		{"not JSON", []byte("{"), 400, "body"},
		{"NUL in description", with("description", "井盖\x00破损"), 400, "description"},
	} {
		res := ta.do("POST", "/api/v1/cases", worker, tc.body, nil)
		if res.Status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, res.Status, tc.status, res.Body)
			continue
		}
		if pr := problemOf(t, res); len(pr.Errors) == 0 || pr.Errors[0].Field != tc.field {
			t.Errorf("%s: %s, want the field %s named", tc.name, res.Body, tc.field)
		}
	}
	// A NUL in a filter parameter is named, not a 500.
	if res := ta.do("GET", "/api/v1/cases?grid=a%00b", worker, nil, nil); res.Status != 400 || problemOf(t, res).Errors[0].Field != "grid" {
		t.Errorf("NUL in a filter: %d %s", res.Status, res.Body)
	}
	// A center must describe the problem; a worker's empty text defaults to
	// the category's name (the field app's optional text, TestMeToday).
	if res := ta.do("POST", "/api/v1/cases", ta.login("center"), with("description", "  "), nil); res.Status != 400 || problemOf(t, res).Errors[0].Field != "description" {
		t.Errorf("center's empty description: %d %s", res.Status, res.Body)
	}
	// Someone else's photo cannot be attached.
	other := ta.upload(ta.login("center"), 9)
	if res := ta.do("POST", "/api/v1/cases", worker, with("photos", []int64{other}), nil); res.Status != 400 {
		t.Errorf("someone else's photo: %d", res.Status)
	}
	var after int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM cases`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("%d cases stored from rejected requests", after-before)
	}
	// Roles that do not report.
	if res := ta.do("POST", "/api/v1/cases", ta.login("dept-hwsuo"), base(), nil); res.Status != 403 {
		t.Errorf("department reports: %d", res.Status)
	}
	// Uploads: type sniffed from the bytes, not the header.
	res := ta.do("POST", "/api/v1/uploads", worker, []byte("GIF89a not really"), map[string]string{"Content-Type": "image/jpeg"})
	if res.Status != 400 || problemOf(t, res).Errors[0].Field != "file" {
		t.Errorf("gif upload: %d %s", res.Status, res.Body)
	}
	big := make([]byte, 11<<20)
	copy(big, testPNG(t, 1))
	if res := ta.do("POST", "/api/v1/uploads", worker, big, nil); res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d", res.Status)
	}
}

// TestCaseAdminEdits: admins edit the taxonomy (deadline rules reach new
// dispatches) and the ordered routing rules (explain follows the order);
// bad edits are refused naming the field.
func TestCaseAdminEdits(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)} // Mon
	ta := newCaseApp(t, clk)
	admin, center, worker := ta.login("admin"), ta.login("center"), ta.login(ownGrid)
	cat := map[string]any{"parent": "06", "name": "市政设施损坏", "name_en": "Damaged municipal facilities", "points": 3,
		"deadlines": map[string]int{"accept_days": 1, "handle_days": 3, "verify_days": 1}, "active": true}
	if res := ta.do("PUT", "/api/v1/categories/0601", center, cat, nil); res.Status != 403 {
		t.Errorf("center edits the taxonomy: %d", res.Status)
	}
	if res := ta.do("PUT", "/api/v1/categories/0601", admin, cat, nil); res.Status != 200 {
		t.Fatalf("edit category: %d %s", res.Status, res.Body)
	}
	c := ta.report(worker, reportBody("0601", pointIn(ownGrid, 41, 30)), nil)
	ta.mustAct(center, &c, map[string]any{"action": "accept"})
	ta.mustAct(center, &c, map[string]any{"action": "dispatch", "unit": "jw"})
	if !c.Deadlines.AcceptDue.Equal(cst(2026, 11, 25, 0, 0)) {
		t.Errorf("accept due with accept_days 1: %v, want end of Tue 11-24", c.Deadlines.AcceptDue)
	}
	for _, tc := range []struct {
		path  string
		body  map[string]any
		field string
	}{
		{"/api/v1/categories/0601", map[string]any{"parent": "05", "name": "x", "deadlines": map[string]int{}}, "parent"},
		{"/api/v1/categories/0601", map[string]any{"parent": "06", "name": "x", "deadlines": map[string]int{"handle_days": 99}}, "deadlines.handle_days"},
		{"/api/v1/categories/6", map[string]any{"name": "x"}, "code"},
		{"/api/v1/categories/0601", map[string]any{"parent": "06", "name": "", "deadlines": map[string]int{}}, "name"},
	} {
		res := ta.do("PUT", tc.path, admin, tc.body, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != tc.field {
			t.Errorf("PUT %s %v: %d %s, want 400 naming %s", tc.path, tc.body, res.Status, res.Body, tc.field)
		}
	}

	// Routing rules: a rule first in the list wins; bad rules name the field.
	var rules struct {
		Rules []map[string]any `json:"rules"`
	}
	ta.do("GET", "/api/v1/routing/rules", admin, nil, nil).decode(t, &rules)
	first := map[string]any{"name": "全部治安隐患先交综治办", "category": "0801", "predicate": map[string]any{"kind": ""}, "lead_unit": "zzb", "co_units": []string{"pcs"}}
	put := map[string]any{"rules": append([]map[string]any{first}, rules.Rules...)}
	if res := ta.do("PUT", "/api/v1/routing/rules", admin, put, nil); res.Status != 200 {
		t.Fatalf("put rules: %d %s", res.Status, res.Body)
	}
	var ex struct {
		Matched struct {
			LeadUnit string   `json:"lead_unit"`
			CoUnits  []string `json:"co_units"`
			Position int      `json:"position"`
		} `json:"matched"`
	}
	p := pointIn(ownGrid, 42, 30)
	ta.do("POST", "/api/v1/routing/explain", worker, map[string]any{"category": "0801", "lon": p[0], "lat": p[1]}, nil).decode(t, &ex)
	if ex.Matched.LeadUnit != "zzb" || !slices.Equal(ex.Matched.CoUnits, []string{"pcs"}) || ex.Matched.Position != 1 {
		t.Errorf("explain after the edit: %+v", ex.Matched)
	}
	for _, tc := range []struct {
		rule  map[string]any
		field string
	}{
		{map[string]any{"category": "0801", "predicate": map[string]any{"kind": ""}, "lead_unit": "nobody"}, "rules[0].lead_unit"},
		{map[string]any{"category": "7777", "predicate": map[string]any{"kind": ""}, "lead_unit": "pcs"}, "rules[0].category"},
		{map[string]any{"category": "0801", "predicate": map[string]any{"kind": "near_road", "road_kind": "main_road"}, "lead_unit": "pcs"}, "rules[0].predicate.distance_m"},
		{map[string]any{"category": "0801", "predicate": map[string]any{"kind": "in_zone", "zone": "moon"}, "lead_unit": "pcs"}, "rules[0].predicate.zone"},
		{map[string]any{"category": "0801", "predicate": map[string]any{"kind": "nearby"}, "lead_unit": "pcs"}, "rules[0].predicate.kind"},
	} {
		res := ta.do("PUT", "/api/v1/routing/rules", admin, map[string]any{"rules": []map[string]any{tc.rule}}, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != tc.field {
			t.Errorf("rule %v: %d %s, want 400 naming %s", tc.rule, res.Status, res.Body, tc.field)
		}
	}
	// Nothing of the refused lists was stored.
	var after struct {
		Rules []map[string]any `json:"rules"`
	}
	ta.do("GET", "/api/v1/routing/rules", admin, nil, nil).decode(t, &after)
	if len(after.Rules) != len(rules.Rules)+1 {
		t.Errorf("%d rules after refused edits, want %d", len(after.Rules), len(rules.Rules)+1)
	}
}
