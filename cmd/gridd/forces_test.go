package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/people"
	"github.com/paulmach/orb"
)

// forceUser creates a login of one of the other grid forces.
func forceUser(t *testing.T, ta *testApp, u *people.User) string {
	t.Helper()
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	u.PasswordHash = hash
	if err := ta.people.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return ta.login(u.Username)
}

// TestVolunteerReportsAndRates: a volunteer's report enters the same case
// loop with source volunteer (whatever it sends), the volunteer reads its
// own reports and nothing else, and rates the handling once the case is
// closed — once; an informant may not rate.
func TestVolunteerReportsAndRates(t *testing.T) {
	ta := newTestApp(t, true)
	vol := forceUser(t, ta, &people.User{Username: "vol1", Name: "志愿者甲", Role: people.RoleVolunteer})
	inf := forceUser(t, ta, &people.User{Username: "inf1", Name: "信息员乙", Role: people.RoleInformant})
	center, worker, hw := ta.login("center"), ta.login(ownGrid), ta.login("dept-hwsuo")

	body := reportBody("0104", pointIn(ownGrid, 7, 30))
	body["source"] = "hotline_12345"
	c := ta.report(vol, body, nil)
	res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), vol, nil, nil)
	if res.Status != 200 {
		t.Fatalf("the volunteer reads its report: %d %s", res.Status, res.Body)
	}
	var full struct {
		Source   string `json:"source"`
		GridCode string `json:"grid_code"`
		WorkerID int64  `json:"worker_id"`
	}
	res.decode(t, &full)
	if full.Source != "volunteer" || full.GridCode != ownGrid || full.WorkerID == 0 {
		t.Errorf("the volunteer's case: %+v (want source volunteer, located and assigned like any report)", full)
	}
	ic := ta.report(inf, reportBody("0104", pointIn(ownGrid, 8, 30)), nil)
	if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", ic.ID), vol, nil, nil); res.Status != 403 {
		t.Errorf("the volunteer reads the informant's case: %d", res.Status)
	}
	var list struct {
		Cases []struct {
			ID     int64  `json:"id"`
			Source string `json:"source"`
		} `json:"cases"`
	}
	ta.do("GET", "/api/v1/cases?limit=50", vol, nil, nil).decode(t, &list)
	if len(list.Cases) != 1 || list.Cases[0].ID != c.ID {
		t.Errorf("the volunteer's list: %+v, want only its report %d", list.Cases, c.ID)
	}
	ta.do("GET", "/api/v1/cases?source=informant", center, nil, nil).decode(t, &list)
	if len(list.Cases) != 1 || list.Cases[0].ID != ic.ID {
		t.Errorf("the center's list of informant reports: %+v", list.Cases)
	}

	// The loop runs as for any report.
	if res := ta.act(vol, &c, map[string]any{"action": "rate", "rating": 5}); res.Status != 409 {
		t.Errorf("rating an open case: %d %s", res.Status, res.Body)
	}
	ta.mustAct(center, &c, map[string]any{"action": "accept"})
	ta.mustAct(center, &c, map[string]any{"action": "dispatch", "unit": "hwsuo"})
	ta.mustAct(hw, &c, map[string]any{"action": "unit_accept"})
	fix := ta.upload(hw, 9)
	ta.mustAct(hw, &c, map[string]any{"action": "handle", "comment": "已清运", "photos": []int64{fix}})
	ta.mustAct(center, &c, map[string]any{"action": "send_verification"})
	if res := ta.act(vol, &c, map[string]any{"action": "verify_pass"}); res.Status != 409 {
		t.Errorf("a volunteer verifies: %d %s", res.Status, res.Body)
	}
	ta.mustAct(worker, &c, map[string]any{"action": "verify_pass", "comment": "核查通过"})
	if c.Status != "closed" {
		t.Fatalf("status %s, want closed", c.Status)
	}
	var seen caseView
	ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), vol, nil, nil).decode(t, &seen)
	if fmt.Sprint(seen.Allowed) != "[rate]" {
		t.Errorf("the volunteer may %v on its closed case, want [rate]", seen.Allowed)
	}
	ta.mustAct(vol, &c, map[string]any{"action": "rate", "rating": 4, "comment": "处理及时"})
	if c.Rating != 4 {
		t.Errorf("rating %d, want 4", c.Rating)
	}
	if res := ta.act(vol, &c, map[string]any{"action": "rate", "rating": 5}); res.Status != 409 {
		t.Errorf("rating twice: %d", res.Status)
	}
	if res := ta.act(inf, &ic, map[string]any{"action": "rate", "rating": 5}); res.Status != 403 {
		t.Errorf("an informant rates: %d %s", res.Status, res.Body)
	}
}

// TestPoliceRota: the center puts officers on shifts of its community;
// the rota is checked against the norm (flags, not refusals); the
// community's own police read it, another community's police do not; only
// police go on the rota.
func TestPoliceRota(t *testing.T) {
	ta := newTestApp(t, true)
	center := ta.login("center")
	community := viewerScope
	var names []string
	for i := 0; i < 4; i++ {
		names = append(names, fmt.Sprintf("police%d", i))
		forceUser(t, ta, &people.User{Username: names[i], Name: fmt.Sprintf("民警%d", i), Role: people.RolePolice, ScopeCode: community})
	}
	own := ta.login("police0")
	stranger := forceUser(t, ta, &people.User{Username: "police9", Name: "外所民警", Role: people.RolePolice, ScopeCode: "370114001001000"})
	for i, n := range names[:3] {
		res := ta.do("POST", "/api/v1/police-rota/shifts", center, map[string]any{"community": community, "date": "2026-12-07", "shift": 1, "username": n}, nil)
		if res.Status != 201 {
			t.Fatalf("shift %d: %d %s", i, res.Status, res.Body)
		}
	}
	res := ta.do("POST", "/api/v1/police-rota/shifts", center, map[string]any{"community": community, "date": "2026-12-07", "shift": 2, "username": names[3]}, nil)
	var sh struct{ ID int64 }
	res.decode(t, &sh)
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"community": community, "date": "2026-12-07", "shift": 4, "username": "police0"}, "shift"},
		{map[string]any{"community": community, "date": "2026-12-07", "shift": 1, "username": ownGrid}, "username"},
		{map[string]any{"community": "999", "date": "2026-12-07", "shift": 1, "username": "police0"}, "community"},
		{map[string]any{"community": community, "date": "7.12.2026", "shift": 1, "username": "police0"}, "date"},
	} {
		if res := ta.do("POST", "/api/v1/police-rota/shifts", center, bad.body, nil); res.Status != 400 || !bytes.Contains(res.Body, []byte(`"`+bad.field+`"`)) {
			t.Errorf("bad %s: %d %s", bad.field, res.Status, res.Body)
		}
	}
	if res := ta.do("POST", "/api/v1/police-rota/shifts", center, map[string]any{"community": community, "date": "2026-12-07", "shift": 1, "username": "police0"}, nil); res.Status != 409 {
		t.Errorf("the same officer twice on a shift: %d", res.Status)
	}
	var rota struct {
		Officers int
		Shifts   []struct{ Date, Username string }
		Flags    []struct {
			Reason string
			Date   string
			Shift  int
			Count  int
		}
	}
	res = ta.do("GET", "/api/v1/police-rota?community="+community+"&from=2026-12-07&to=2026-12-07", own, nil, nil)
	if res.Status != 200 {
		t.Fatalf("own police reads the rota: %d %s", res.Status, res.Body)
	}
	res.decode(t, &rota)
	flags := fmt.Sprint(rota.Flags)
	if rota.Officers != 4 || len(rota.Shifts) != 4 || flags != "[{officers_below_norm  0 4} {shift_understaffed 2026-12-07 2 1} {shift_understaffed 2026-12-07 3 0}]" {
		t.Errorf("rota: %d officers, %d shifts, flags %s", rota.Officers, len(rota.Shifts), flags)
	}
	if res := ta.do("GET", "/api/v1/police-rota?community="+community+"&from=2026-12-07&to=2026-12-07", stranger, nil, nil); res.Status != 403 {
		t.Errorf("another community's police: %d", res.Status)
	}
	if res := ta.do("DELETE", fmt.Sprintf("/api/v1/police-rota/shifts/%d", sh.ID), own, nil, nil); res.Status != 403 {
		t.Errorf("police edit the rota: %d", res.Status)
	}
	if res := ta.do("DELETE", fmt.Sprintf("/api/v1/police-rota/shifts/%d", sh.ID), center, nil, nil); res.Status != 204 {
		t.Errorf("the center removes a shift: %d %s", res.Status, res.Body)
	}
}

// TestLiaisonAndPoliceReportsEnterTheLoop: the demo's department liaison
// (liaison-1) and community police officer (police-1) each report through
// POST /api/v1/cases; the case keeps their role as its source whatever
// they send, is located, assigned and given the same routing suggestion
// as a grid worker's report of the same place and category; the center
// finds each by source=; each reporter reads only its own reports; the
// case goes through dispatch to closing like any other. A police report
// says whether it was made on the officer's rostered shift (the report
// event's on_shift and shift): on shift 3 of its day at 21:00, and not
// the next morning, when the officer is not on the rota.
func TestLiaisonAndPoliceReportsEnterTheLoop(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 21, 0)} // a Monday evening: shift 3 (16:00–24:00)
	ta := newCaseApp(t, clk)
	center, worker, hw := ta.login("center"), ta.login(ownGrid), ta.login("dept-hwsuo")
	if res := ta.do("POST", "/api/v1/police-rota/shifts", center, map[string]any{"community": demo.PoliceCommunity, "date": "2026-11-23",
		"shift": 3, "username": "police-1"}, nil); res.Status != 201 {
		t.Fatalf("rota: %d %s", res.Status, res.Body)
	}
	p := pointIn(ownGrid, 11, 30)
	ref := ta.report(worker, reportBody("0104", p), nil)
	if ref.Suggestion == nil {
		t.Fatalf("the worker's report has no routing suggestion")
	}
	type reporter struct{ user, token string }
	forces := []reporter{{"liaison-1", ta.login("liaison-1")}, {"police-1", ta.login("police-1")}}
	reported := map[string]caseView{}
	for i, f := range forces {
		body := reportBody("0104", orb.Point{p[0] + float64(i+1)*0.00003, p[1]})
		body["source"] = "worker_app"
		c := ta.report(f.token, body, nil)
		var full struct {
			Source   string `json:"source"`
			GridCode string `json:"grid_code"`
			WorkerID int64  `json:"worker_id"`
		}
		ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), center, nil, nil).decode(t, &full)
		role := strings.TrimSuffix(f.user, "-1")
		if full.Source != role || full.GridCode != ownGrid || full.WorkerID != ref.WorkerID {
			t.Errorf("%s's case: %+v, want source %s in %s assigned to worker %d", f.user, full, role, ownGrid, ref.WorkerID)
		}
		if c.Suggestion == nil || c.Suggestion.LeadUnit != ref.Suggestion.LeadUnit || !slices.Equal(c.Suggestion.CoUnits, ref.Suggestion.CoUnits) {
			t.Errorf("%s's routing suggestion %+v, want the worker's %+v", f.user, c.Suggestion, ref.Suggestion)
		}
		reported[f.user] = c
	}
	onShift := func(c caseView) string {
		t.Helper()
		var full caseView
		ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), center, nil, nil).decode(t, &full)
		if len(full.Timeline) == 0 || full.Timeline[0].Action != "report" {
			t.Fatalf("case %d has no report event: %+v", c.ID, full.Timeline)
		}
		d := full.Timeline[0].Data
		return fmt.Sprint(d["on_shift"], " ", d["shift"])
	}
	if got := onShift(reported["police-1"]); got != "true 3" {
		t.Errorf("police-1's report at 21:00 on its shift 3: on_shift, shift = %s, want true 3", got)
	}
	if got := onShift(reported["liaison-1"]); got != "<nil> <nil>" {
		t.Errorf("the liaison's report carries on_shift, shift = %s", got)
	}
	var list struct {
		Cases []struct {
			ID     int64  `json:"id"`
			Source string `json:"source"`
		} `json:"cases"`
	}
	for _, f := range forces {
		own, other := reported[f.user], reported["liaison-1"]
		if f.user == "liaison-1" {
			other = reported["police-1"]
		}
		ta.do("GET", "/api/v1/cases?source="+strings.TrimSuffix(f.user, "-1"), center, nil, nil).decode(t, &list)
		if len(list.Cases) != 1 || list.Cases[0].ID != own.ID {
			t.Errorf("the center's list of %s reports: %+v, want only %d", f.user, list.Cases, own.ID)
		}
		ta.do("GET", "/api/v1/cases?limit=50", f.token, nil, nil).decode(t, &list)
		if len(list.Cases) != 1 || list.Cases[0].ID != own.ID {
			t.Errorf("%s's own list: %+v, want only %d", f.user, list.Cases, own.ID)
		}
		if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", own.ID), f.token, nil, nil); res.Status != 200 {
			t.Errorf("%s reads its report: %d", f.user, res.Status)
		}
		for _, id := range []int64{other.ID, ref.ID} {
			if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), f.token, nil, nil); res.Status != 403 {
				t.Errorf("%s reads case %d it did not report: %d", f.user, id, res.Status)
			}
		}
	}

	// Each goes through dispatch to closing like any report.
	for i, f := range forces {
		c := reported[f.user]
		ta.mustAct(center, &c, map[string]any{"action": "accept"})
		ta.mustAct(center, &c, map[string]any{"action": "dispatch", "unit": "hwsuo"})
		if res := ta.act(f.token, &c, map[string]any{"action": "unit_accept"}); res.Status != 403 && res.Status != 409 {
			t.Errorf("%s accepts for the unit: %d", f.user, res.Status)
		}
		ta.mustAct(hw, &c, map[string]any{"action": "unit_accept"})
		ta.mustAct(hw, &c, map[string]any{"action": "handle", "comment": "已处置", "photos": []int64{ta.upload(hw, uint8(20+i))}})
		ta.mustAct(center, &c, map[string]any{"action": "send_verification"})
		ta.mustAct(worker, &c, map[string]any{"action": "verify_pass", "comment": "核查通过"})
		if c.Status != "closed" || c.LeadUnit != "hwsuo" {
			t.Errorf("%s's case after the loop: status %s, unit %s", f.user, c.Status, c.LeadUnit)
		}
	}

	// The next morning (shift 2) police-1 is on no shift.
	clk.Add(12 * time.Hour)
	off := ta.report(forces[1].token, reportBody("0104", orb.Point{p[0], p[1] + 0.00005}), nil)
	if got := onShift(off); got != "false <nil>" {
		t.Errorf("police-1's report off the rota: on_shift, shift = %s, want false <nil>", got)
	}
}
