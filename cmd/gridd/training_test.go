package main

import (
	"bytes"
	"fmt"
	"testing"
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
