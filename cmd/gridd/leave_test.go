package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/assessment"
)

// TestApprovedLeaveNotDeducted: the worker asks for leave on a day it
// patrolled under the minimum; while pending, and when rejected, the day
// still costs its points; once the center approves, the month's
// assessment moves the day from the counted short days to the excused
// ones with the leave's id, and the attendance block gains the day's
// deduction back.
func TestApprovedLeaveNotDeducted(t *testing.T) {
	clk := &testClock{t: cst(2026, 3, 5, 9, 0)}
	ta := newCaseApp(t, clk)
	center := ta.login("center")
	runAll := func() assessView {
		t.Helper()
		if res := ta.do("POST", "/api/v1/assessments/run?month="+assessMonth, center, nil, nil); res.Status != 201 && res.Status != 200 {
			t.Fatalf("run: %d %s", res.Status, res.Body)
		}
		return ta.assessments(center, "month="+assessMonth, 200)
	}
	// A demo worker with at least two short days in the month.
	var username string
	for _, r := range runAll().Workers {
		if n := len(itemOf(r, assessment.BlockAttendance, "short_days").Evidence); n >= 2 && (username == "" || r.Worker.Username < username) {
			username = r.Worker.Username
		}
	}
	if username == "" {
		t.Fatalf("no demo worker has two short days in %s", assessMonth)
	}
	worker := ta.login(username)
	run := func() *assessment.Result { t.Helper(); return resultOf(t, runAll(), username) }
	before := run()
	short := itemOf(before, assessment.BlockAttendance, "short_days")
	day, other := short.Evidence[0].Date, short.Evidence[1].Date

	ask := func(from string) (id int64, etag string) {
		t.Helper()
		res := ta.do("POST", "/api/v1/leave", worker, map[string]any{"kind": "leave", "from": from, "to": from, "reason": "病假"}, nil)
		if res.Status != 201 {
			t.Fatalf("ask leave: %d %s", res.Status, res.Body)
		}
		var l struct{ ID int64 }
		res.decode(t, &l)
		return l.ID, res.Header.Get("ETag")
	}
	id, etag := ask(day)
	// A retry under the same Idempotency-Key takes effect once.
	key := map[string]string{"Idempotency-Key": "leave-retry"}
	body := map[string]any{"kind": "rest", "from": "2026-02-27", "to": "2026-02-27"}
	first := ta.do("POST", "/api/v1/leave", worker, body, key)
	again := ta.do("POST", "/api/v1/leave", worker, body, key)
	var l1, l2 struct{ ID int64 }
	first.decode(t, &l1)
	again.decode(t, &l2)
	if first.Status != 201 || again.Status != 200 || l1.ID != l2.ID || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("leave retry: %d then %d, ids %d and %d", first.Status, again.Status, l1.ID, l2.ID)
	}
	if res := ta.do("POST", "/api/v1/leave", worker, map[string]any{"kind": "rest", "from": "2026-02-26", "to": "2026-02-26"}, key); res.Status != 422 {
		t.Errorf("the same key with another body: %d", res.Status)
	}
	rid, retag := ask(other)
	if res := ta.do("POST", "/api/v1/leave", worker, map[string]any{"kind": "holiday", "from": day, "to": "2026-01-01"}, nil); res.Status != 400 ||
		!bytes.Contains(res.Body, []byte(`"kind"`)) || !bytes.Contains(res.Body, []byte(`"to"`)) {
		t.Errorf("bad leave: %d %s", res.Status, res.Body)
	}
	if it := itemOf(run(), assessment.BlockAttendance, "short_days"); it.Count != short.Count {
		t.Errorf("pending leave changed the count: %d, want %d", it.Count, short.Count)
	}
	if res := ta.do("POST", fmt.Sprintf("/api/v1/leave/%d/decision", id), worker, map[string]any{"approve": true}, map[string]string{"If-Match": etag}); res.Status != 403 {
		t.Errorf("the worker approves its own leave: %d", res.Status)
	}
	if res := ta.do("POST", fmt.Sprintf("/api/v1/leave/%d/decision", id), center, map[string]any{"approve": true}, map[string]string{"If-Match": `"9"`}); res.Status != 409 {
		t.Errorf("a stale version: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", fmt.Sprintf("/api/v1/leave/%d/decision", id), center, map[string]any{"approve": true}, map[string]string{"If-Match": etag}); res.Status != 200 {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", fmt.Sprintf("/api/v1/leave/%d/decision", rid), center, map[string]any{"approve": false}, map[string]string{"If-Match": retag}); res.Status != 200 {
		t.Fatalf("reject: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", fmt.Sprintf("/api/v1/leave/%d/decision", id), center, map[string]any{"approve": false}, map[string]string{"If-Match": `"2"`}); res.Status != 409 {
		t.Errorf("deciding twice: %d", res.Status)
	}

	after := run()
	it := itemOf(after, assessment.BlockAttendance, "short_days")
	ex := itemOf(after, assessment.BlockAttendance, "excused_days")
	if it.Count != short.Count-1 || it.Points != short.Points+0.5 {
		t.Errorf("short days after approved leave: %d (%v points), want %d (%v)", it.Count, it.Points, short.Count-1, short.Points+0.5)
	}
	for _, e := range it.Evidence {
		if e.Date == day {
			t.Errorf("the leave day %s is still counted", day)
		}
	}
	var found bool
	for _, e := range ex.Evidence {
		// The note in the reader's language (zh by default), English otherwise.
		if e.Date == day && (strings.Contains(e.Note, fmt.Sprintf("已批准请假 #%d", id)) || strings.Contains(e.Note, fmt.Sprintf("approved leave #%d", id))) {
			found = true
		}
		if e.Date == other {
			t.Errorf("the rejected leave day %s is excused", other)
		}
	}
	if !found {
		t.Errorf("the leave day %s is not explained among the excused days: %+v", day, ex.Evidence)
	}
	var list struct {
		Leave []struct {
			ID     int64
			Status string
		}
	}
	ta.do("GET", "/api/v1/leave?status=approved", center, nil, nil).decode(t, &list)
	if len(list.Leave) != 1 || list.Leave[0].ID != id { // the rest day above is still pending
		t.Errorf("approved leave in the center's list: %+v", list.Leave)
	}
	ta.do("GET", "/api/v1/leave", ta.login(otherGrid), nil, nil).decode(t, &list)
	if len(list.Leave) != 0 {
		t.Errorf("another worker sees %d requests", len(list.Leave))
	}
}
