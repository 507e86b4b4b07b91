package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/people"

	"github.com/gridd/gridd/internal/workday"
)

// TestRetrainAfterFailedExam: a worker who fails a session's exam and one
// who misses it must retrain; the one who passes need not; a later session
// passed clears the failed one; bad input is a 400 naming the field.
func TestRetrainAfterFailedExam(t *testing.T) {
	ta := newTestApp(t, true)
	center := ta.login("center")
	a, b, c := ownGrid, "370114001001002", otherGrid
	score := func(v float64) *float64 { return &v }
	post := func(date string, att []map[string]any) {
		t.Helper()
		res := ta.do("POST", "/api/v1/training/sessions", center, map[string]any{"title": "网格员业务培训", "date": date, "hours": 1.5,
			"pass_mark": 60, "scope": "370114001000000", "attendees": att}, nil)
		if res.Status != 201 {
			t.Fatalf("session %s: %d %s", date, res.Status, res.Body)
		}
	}
	post("2026-10-10", []map[string]any{
		{"username": a, "attended": true, "score": score(85)},
		{"username": b, "attended": true, "score": score(52)},
		{"username": c, "attended": false}})
	retrain := func() map[string]string {
		var out struct {
			Retrain []struct{ Username, Reason, Date string }
		}
		ta.do("GET", "/api/v1/training/retrain", center, nil, nil).decode(t, &out)
		m := map[string]string{}
		for _, r := range out.Retrain {
			m[r.Username] = r.Reason + " " + r.Date
		}
		return m
	}
	want := map[string]string{b: "failed 2026-10-10", c: "missed 2026-10-10"}
	if got := retrain(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("retrain after the first session: %v, want %v", got, want)
	}
	// b retrains and passes; c misses again.
	post("2026-11-05", []map[string]any{{"username": b, "attended": true, "score": score(75)}, {"username": c, "attended": false}})
	want = map[string]string{c: "missed 2026-11-05"}
	if got := retrain(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("retrain after the second session: %v, want %v", got, want)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"title": "x", "date": "2026-11-05", "hours": 0, "pass_mark": 60, "scope": "370114001000000", "attendees": []map[string]any{{"username": a, "attended": true}}}, "hours"},
		{map[string]any{"title": "x", "date": "2026-11-05", "hours": 1, "pass_mark": 60, "scope": "370114001000000", "attendees": []map[string]any{{"username": "nobody", "attended": true}}}, "attendees[0].username"},
		{map[string]any{"title": "x", "date": "2026-11-05", "hours": 1, "pass_mark": 60, "scope": "370114001000000", "attendees": []map[string]any{{"username": a, "attended": false, "score": 50}}}, "attendees[0].score"},
	} {
		if res := ta.do("POST", "/api/v1/training/sessions", center, bad.body, nil); res.Status != 400 || !bytes.Contains(res.Body, []byte(`"`+bad.field+`"`)) {
			t.Errorf("bad %s: %d %s", bad.field, res.Status, res.Body)
		}
	}
	if res := ta.do("POST", "/api/v1/training/sessions", ta.login(ownGrid), map[string]any{}, nil); res.Status != 403 {
		t.Errorf("a worker records a session: %d", res.Status)
	}

	// A weekly grid meeting by the grid's worker; its pack has last week's figures.
	res := ta.do("POST", "/api/v1/meetings", ta.login(ownGrid), map[string]any{"kind": "grid", "date": "2026-12-07", "grid": ownGrid,
		"title": "网格周例会", "minutes": "通报上周案件，部署本周巡查。", "attendees": []string{ownGrid, "center"}}, nil)
	if res.Status != 201 {
		t.Fatalf("meeting: %d %s", res.Status, res.Body)
	}
	var m struct{ ID int64 }
	res.decode(t, &m)
	var pk struct {
		Week    string
		ByUnit  struct{ Total struct{ Reported int } } `json:"by_unit"`
		Retrain []any
		Meeting struct{ Attendees []struct{ Username string } }
	}
	res = ta.do("GET", fmt.Sprintf("/api/v1/meetings/%d/pack", m.ID), center, nil, nil)
	if res.Status != 200 {
		t.Fatalf("pack: %d %s", res.Status, res.Body)
	}
	res.decode(t, &pk)
	if pk.Week != "2026-W49" || len(pk.Meeting.Attendees) != 2 || len(pk.Retrain) != 1 {
		t.Errorf("pack: week %s, %d attendees, %d to retrain", pk.Week, len(pk.Meeting.Attendees), len(pk.Retrain))
	}
	if res := ta.do("POST", "/api/v1/meetings", ta.login(ownGrid), map[string]any{"kind": "dispatch", "date": "2026-12-07", "grid": ownGrid,
		"attendees": []string{ownGrid}}, nil); res.Status != 403 {
		t.Errorf("a worker records the dispatch meeting: %d", res.Status)
	}
	if res := ta.do("GET", fmt.Sprintf("/api/v1/meetings/%d", m.ID), ta.login("370114001001002"), nil, nil); res.Status != 403 {
		t.Errorf("another grid's worker reads the meeting: %d", res.Status)
	}
}

// TestDutyRetriesTakeEffectOnce: a training session, a meeting and a daily
// log entry (its submission and an amendment) sent twice under one
// Idempotency-Key are stored once; the retry answers 200 with the first
// object and Idempotent-Replayed; the key with another body is 422.
func TestDutyRetriesTakeEffectOnce(t *testing.T) {
	ta := newTestApp(t, true)
	center, worker := ta.login("center"), ta.login(ownGrid)
	session := map[string]any{"title": "季度培训", "date": "2026-11-10", "hours": 1, "pass_mark": 60, "scope": "370114001000000",
		"attendees": []map[string]any{{"username": ownGrid, "attended": true, "score": 80}}}
	meeting := map[string]any{"kind": "grid", "date": "2026-12-04", "grid": ownGrid, "title": "网格周例会", "attendees": []string{ownGrid}}
	for _, c := range []struct {
		name, path, token string
		body              map[string]any
		list              string
	}{
		{"session", "/api/v1/training/sessions", center, session, "/api/v1/training/sessions"},
		{"meeting", "/api/v1/meetings", worker, meeting, "/api/v1/meetings"},
	} {
		key := map[string]string{"Idempotency-Key": "retry-" + c.name}
		first := ta.do("POST", c.path, c.token, c.body, key)
		again := ta.do("POST", c.path, c.token, c.body, key)
		var a, b struct{ ID int64 }
		first.decode(t, &a)
		again.decode(t, &b)
		if first.Status != 201 || again.Status != 200 || again.Header.Get("Idempotent-Replayed") != "true" || a.ID == 0 || a.ID != b.ID {
			t.Errorf("%s: %d then %d (%s), ids %d %d", c.name, first.Status, again.Status, again.Header.Get("Idempotent-Replayed"), a.ID, b.ID)
		}
		other := map[string]any{}
		for k, v := range c.body {
			other[k] = v
		}
		other["title"] = "另一次"
		if res := ta.do("POST", c.path, c.token, other, key); res.Status != 422 || !bytes.Contains(res.Body, []byte("idempotency_key_reused")) {
			t.Errorf("%s: the key with another body: %d %s", c.name, res.Status, res.Body)
		}
		var list map[string][]json.RawMessage
		ta.do("GET", c.list, center, nil, nil).decode(t, &list)
		n := 0
		for _, v := range list {
			n += len(v)
		}
		if n != 1 {
			t.Errorf("%s: %d stored, want 1", c.name, n)
		}
		if res := ta.do("POST", c.path, c.token, c.body, nil); res.Status != 201 {
			t.Errorf("%s without a key: %d", c.name, res.Status)
		}
	}

	// The daily log: submitted, the answer lost, sent again; then amended twice the same way.
	log := map[string]any{"notes": "上午巡查"}
	k1 := map[string]string{"Idempotency-Key": "log-1"}
	if res := ta.do("POST", "/api/v1/worklog", worker, log, k1); res.Status != 201 {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", "/api/v1/worklog", worker, log, k1); res.Status != 200 || res.Header.Get("ETag") != `"1"` {
		t.Errorf("submit again under its key: %d %s", res.Status, res.Header.Get("ETag"))
	}
	if res := ta.do("POST", "/api/v1/worklog", worker, log, map[string]string{"Idempotency-Key": "log-other"}); res.Status != 409 {
		t.Errorf("a second submission under another key: %d", res.Status)
	}
	k2 := map[string]string{"Idempotency-Key": "log-2", "If-Match": `"1"`}
	amend := map[string]any{"notes": "上午巡查，下午走访"}
	for i, want := range []int{200, 200} {
		res := ta.do("PUT", "/api/v1/worklog", worker, amend, k2)
		if res.Status != want || res.Header.Get("ETag") != `"2"` || (i == 1) != (res.Header.Get("Idempotent-Replayed") == "true") {
			t.Errorf("amend #%d: %d %s replayed %q", i+1, res.Status, res.Header.Get("ETag"), res.Header.Get("Idempotent-Replayed"))
		}
	}
	if res := ta.do("PUT", "/api/v1/worklog", worker, map[string]any{"notes": "别的"}, k2); res.Status != 422 {
		t.Errorf("the amendment's key with other notes: %d", res.Status)
	}
	if res := ta.do("PUT", "/api/v1/worklog", worker, amend, map[string]string{"If-Match": `"1"`}); res.Status != 409 {
		t.Errorf("a stale amendment without a key: %d", res.Status)
	}
	var d struct {
		Entry struct {
			Notes   string
			Version int
		}
	}
	ta.do("GET", "/api/v1/worklog", worker, nil, nil).decode(t, &d)
	if d.Entry.Notes != "上午巡查，下午走访" || d.Entry.Version != 2 {
		t.Errorf("the entry after the retries: %+v", d.Entry)
	}
}

// TestMyTraining: a worker's own record holds its sessions newest first
// with its attendance and score only, the hours attended this quarter and
// year (last year's session not counted), no retrain notice once its
// latest session passed, and the meetings it attended or held for its
// grids — not another grid's.
func TestMyTraining(t *testing.T) {
	ta := newTestApp(t, true)
	center, worker := ta.login("center"), ta.login(ownGrid)
	today := todayCivil()
	lastYear := fmt.Sprintf("%d-12-31", time.Now().In(workday.Shanghai()).Year()-1)
	for _, s := range []map[string]any{
		{"title": "去年培训", "date": lastYear, "hours": 2, "pass_mark": 60, "scope": "370114001000000",
			"attendees": []map[string]any{{"username": ownGrid, "attended": true, "score": 30}, {"username": otherGrid, "attended": true, "score": 90}}},
		{"title": "今天培训", "date": today, "hours": 1.5, "pass_mark": 60, "scope": "370114001000000",
			"attendees": []map[string]any{{"username": ownGrid, "attended": true, "score": 75}}},
		{"title": "别人的培训", "date": today, "hours": 3, "pass_mark": 60, "scope": "370114001000000",
			"attendees": []map[string]any{{"username": otherGrid, "attended": false}}},
	} {
		if res := ta.do("POST", "/api/v1/training/sessions", center, s, nil); res.Status != 201 {
			t.Fatalf("session: %d %s", res.Status, res.Body)
		}
	}
	for _, m := range []map[string]any{
		{"kind": "grid", "date": today, "grid": ownGrid, "title": "本网格例会", "attendees": []string{"center"}},
		{"kind": "grid", "date": today, "grid": otherGrid, "title": "别的网格例会", "attendees": []string{"center"}},
	} {
		if res := ta.do("POST", "/api/v1/meetings", center, m, nil); res.Status != 201 {
			t.Fatalf("meeting: %d %s", res.Status, res.Body)
		}
	}
	var mine struct {
		Sessions []struct {
			Title    string
			Attended bool
			Score    *float64
			Passed   bool
		}
		HoursQuarter  float64 `json:"hours_quarter"`
		HoursYear     float64 `json:"hours_year"`
		SessionsMonth int     `json:"sessions_month"`
		Retrain       *struct{ Title string }
		Meetings      []struct {
			Title    string
			Attended bool
		}
	}
	ta.do("GET", "/api/v1/me/training", worker, nil, nil).decode(t, &mine)
	if len(mine.Sessions) != 2 || mine.Sessions[0].Title != "今天培训" || !mine.Sessions[0].Passed || mine.Sessions[1].Passed ||
		mine.Sessions[1].Score == nil || *mine.Sessions[1].Score != 30 {
		t.Errorf("sessions %+v", mine.Sessions)
	}
	if mine.HoursQuarter != 1.5 || mine.HoursYear != 1.5 || mine.SessionsMonth != 1 || mine.Retrain != nil {
		t.Errorf("hours %v/%v, %d this month, retrain %+v", mine.HoursQuarter, mine.HoursYear, mine.SessionsMonth, mine.Retrain)
	}
	if fmt.Sprint(mine.Meetings) != "[{本网格例会 false}]" {
		t.Errorf("meetings %+v", mine.Meetings)
	}
	// The other grid's worker missed its latest session: it must retrain.
	ta.do("GET", "/api/v1/me/training", ta.login(otherGrid), nil, nil).decode(t, &mine)
	if mine.Retrain == nil || mine.Retrain.Title != "别人的培训" || mine.HoursYear != 0 {
		t.Errorf("the other worker: retrain %+v, hours %v", mine.Retrain, mine.HoursYear)
	}
}

// TestTrainingAndMeetingGaps: P5's two sessions a month and P1's weekly
// party-group and grid meetings are flagged per month — a worker with one
// session attended (one in the month before does not count) is short, one
// with two is not; a grid's ended ISO weeks (Thursday in the month) lack
// the kinds not held, a meeting of the next month's week does not count;
// the center reads its subtree, a viewer its village, a worker itself.
func TestTrainingAndMeetingGaps(t *testing.T) {
	clk := &testClock{t: cst(2026, 12, 3, 10, 0)} // a Thursday
	ta := newCaseApp(t, clk)
	center, worker := ta.login("center"), ta.login(ownGrid)
	b := "370114001001002" // ownGrid's neighbour in the same village
	session := func(date string, att ...map[string]any) {
		t.Helper()
		res := ta.do("POST", "/api/v1/training/sessions", center, map[string]any{"title": "网格员业务培训", "date": date, "hours": 1,
			"pass_mark": 60, "scope": "370114001000000", "attendees": att}, nil)
		if res.Status != 201 {
			t.Fatalf("session %s: %d %s", date, res.Status, res.Body)
		}
	}
	came := func(u string) map[string]any { return map[string]any{"username": u, "attended": true, "score": 80} }
	session("2026-10-30", came(b))
	session("2026-11-05", came(ownGrid), came(b))
	session("2026-11-20", came(ownGrid), map[string]any{"username": b, "attended": false})
	meeting := func(kind, date string) {
		t.Helper()
		res := ta.do("POST", "/api/v1/meetings", worker, map[string]any{"kind": kind, "date": date, "grid": ownGrid, "attendees": []string{ownGrid}}, nil)
		if res.Status != 201 {
			t.Fatalf("meeting %s %s: %d %s", kind, date, res.Status, res.Body)
		}
	}
	// Weeks of November 2026: W45 (11-02) … W48 (11-23); W49 (11-30) is December's.
	for _, d := range []string{"2026-11-02", "2026-11-13", "2026-11-18", "2026-11-29"} {
		meeting("grid", d)
	}
	for _, d := range []string{"2026-11-08", "2026-11-10", "2026-11-27", "2026-11-30"} {
		meeting("party_group", d)
	}
	type gaps struct {
		Month        string
		Complete     bool
		WorkersShort []struct {
			Username       string
			Grids          []string
			Sessions, Want int
		} `json:"workers_short"`
		Weeks []struct {
			Grid, Week, From, To string
			Missing              []string
		} `json:"weeks_without_meeting"`
	}
	get := func(token, month string) gaps {
		t.Helper()
		res := ta.do("GET", "/api/v1/training/gaps?month="+month, token, nil, nil)
		if res.Status != 200 {
			t.Fatalf("gaps %s: %d %s", month, res.Status, res.Body)
		}
		var g gaps
		res.decode(t, &g)
		return g
	}
	short := func(g gaps) map[string]int {
		m := map[string]int{}
		for _, w := range g.WorkersShort {
			m[w.Username] = w.Sessions
		}
		return m
	}
	weeks := func(g gaps, grid string) []string {
		var out []string
		for _, w := range g.Weeks {
			if w.Grid == grid {
				out = append(out, w.Week+" "+w.From+" "+fmt.Sprint(w.Missing))
			}
		}
		return out
	}

	g := get(center, "2026-11")
	if !g.Complete || g.Month != "2026-11" {
		t.Errorf("month %s complete %v, want 2026-11 complete", g.Month, g.Complete)
	}
	sh := short(g)
	if n, ok := sh[b]; !ok || n != 1 {
		t.Errorf("%s: short %v with %d sessions, want short with 1", b, ok, n)
	}
	if _, ok := sh[ownGrid]; ok {
		t.Errorf("%s attended two sessions but is short", ownGrid)
	}
	if n, ok := sh[otherGrid]; !ok || n != 0 {
		t.Errorf("%s: short %v with %d, want short with 0", otherGrid, ok, n)
	}
	if got, want := fmt.Sprint(weeks(g, ownGrid)), "[2026-W47 2026-11-16 [party_group]]"; got != want {
		t.Errorf("%s weeks without a meeting: %s, want %s", ownGrid, got, want)
	}
	if got := weeks(g, b); len(got) != 4 || got[0] != "2026-W45 2026-11-02 [party_group grid]" {
		t.Errorf("%s weeks without a meeting: %v, want W45…W48 with both kinds", b, got)
	}

	// A worker reads only itself and its own grids.
	mine := get(worker, "2026-11")
	if len(mine.WorkersShort) != 0 || fmt.Sprint(weeks(mine, ownGrid)) != "[2026-W47 2026-11-16 [party_group]]" || len(mine.Weeks) != 1 {
		t.Errorf("the worker's own gaps: %+v", mine)
	}
	if theirs := get(ta.login(b), "2026-11"); fmt.Sprint(short(theirs)) != fmt.Sprint(map[string]int{b: 1}) || len(theirs.Weeks) != 4 {
		t.Errorf("%s's own gaps: %+v", b, theirs)
	}
	// A viewer of the other village sees its workers only.
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.people.CreateUser(context.Background(), &people.User{Username: "viewer2", Name: "查看员", Role: people.RoleViewer, ScopeCode: viewerScope, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	vg := get(ta.login("viewer2"), "2026-11")
	for _, w := range vg.WorkersShort {
		for _, c := range w.Grids {
			if !strings.HasPrefix(c, "370114001002") {
				t.Errorf("the viewer sees %s of grid %s outside its village", w.Username, c)
			}
		}
	}
	if _, ok := short(vg)[otherGrid]; !ok || len(weeks(vg, ownGrid)) != 0 {
		t.Errorf("the viewer's gaps: %v short, %d weeks of %s", short(vg), len(weeks(vg, ownGrid)), ownGrid)
	}

	// This month: counts so far, no week ended yet (W49 ends on Sunday 12-06).
	if now := get(center, ""); now.Month != "2026-12" || now.Complete || len(now.Weeks) != 0 {
		t.Errorf("this month: %s complete %v, %d weeks", now.Month, now.Complete, len(now.Weeks))
	}
	for _, bad := range []struct{ month, reason string }{{"2026-13", "invalid_month"}, {"2027-01", "month_in_future"}} {
		res := ta.do("GET", "/api/v1/training/gaps?month="+bad.month, center, nil, nil)
		if res.Status != 400 || !bytes.Contains(res.Body, []byte(`"month"`)) || !bytes.Contains(res.Body, []byte(bad.reason)) {
			t.Errorf("month %s: %d %s", bad.month, res.Status, res.Body)
		}
	}
	if res := ta.do("GET", "/api/v1/training/gaps", ta.login("dept-hwsuo"), nil, nil); res.Status != 403 {
		t.Errorf("a department reads the gaps: %d", res.Status)
	}
}
