package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/inbox"
	"github.com/gridd/gridd/internal/people"
	"github.com/paulmach/orb/maptile"
)

// TestStageDeadlinesAcrossNationalDay follows each stage's clock across the
// 2026 National Day holiday as the calendar table holds it (10-01…10-07
// off; Sun 09-20 and Sat 10-10 make-up working days) with an injected
// clock: the center's review (1 working day by default), the unit's
// acceptance (2), handling (the category's 5) with an extension and a
// postponement that stops the clock, and verification (1) — in the case
// JSON, the list filter, the OGC items and Open311.
func TestStageDeadlinesAcrossNationalDay(t *testing.T) {
	clk := &testClock{}
	clk.Set(cst(2026, 9, 29, 9, 0))
	ta := newCaseApp(t, clk)
	worker, center, jw := ta.login(ownGrid), ta.login("center"), ta.login("dept-jw")

	// Review: reported Wed 09-30 10:00; 10-01..07 off, so the one working
	// day is Thu 10-08 and the deadline 10-09 00:00. It turns yellow in the
	// last quarter of its 38 working hours (9.5 h before), on 10-08 14:30.
	clk.Set(cst(2026, 9, 30, 10, 0))
	a := ta.report(worker, reportBody("0104", pointIn(ownGrid, 11, 30)), nil)
	wantClock(t, "review", ta.clockOf(center, a.ID), "review", cst(2026, 10, 9, 0, 0), "green")
	clk.Set(cst(2026, 10, 8, 14, 29))
	wantClock(t, "review before the warning", ta.clockOf(center, a.ID), "review", cst(2026, 10, 9, 0, 0), "green")
	clk.Set(cst(2026, 10, 8, 14, 30))
	wantClock(t, "review in its last quarter", ta.clockOf(center, a.ID), "review", cst(2026, 10, 9, 0, 0), "yellow")
	clk.Set(cst(2026, 10, 9, 0, 0))
	wantClock(t, "review overdue", ta.clockOf(center, a.ID), "review", cst(2026, 10, 9, 0, 0), "red")
	var list struct {
		Total int `json:"total"`
		Cases []struct {
			ID int64 `json:"id"`
		} `json:"cases"`
	}
	ta.do("GET", "/api/v1/cases?deadline_state=red&limit=500", center, nil, nil).decode(t, &list)
	if !containsID(list.Cases, a.ID) {
		t.Errorf("deadline_state=red does not list the unreviewed case %d", a.ID)
	}
	ta.do("GET", "/api/v1/cases?deadline_state=green&limit=500", center, nil, nil).decode(t, &list)
	if containsID(list.Cases, a.ID) {
		t.Errorf("deadline_state=green lists the overdue case %d", a.ID)
	}
	if res := ta.do("GET", "/api/v1/cases?deadline_state=blue", center, nil, nil); res.Status != 400 || !strings.Contains(string(res.Body), "deadline_state") {
		t.Errorf("deadline_state=blue: %d %s", res.Status, res.Body)
	}
	// The OGC items and Open311 show the same clock.
	var items struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	ta.do("GET", fmt.Sprintf("/ogc/collections/cases/items/%d", a.ID), center, nil, nil)
	res := ta.do("GET", "/ogc/collections/cases/items?limit=1000", center, nil, nil)
	res.decode(t, &items)
	found := false
	for _, f := range items.Features {
		if f.Properties["number"] == a.Number {
			found = true
			if f.Properties["stage"] != "review" || f.Properties["stage_due"] != "2026-10-09T00:00:00+08:00" || f.Properties["deadline_state"] != "red" {
				t.Errorf("OGC item of %s: stage %v, stage_due %v, deadline_state %v", a.Number, f.Properties["stage"], f.Properties["stage_due"], f.Properties["deadline_state"])
			}
		}
	}
	if !found {
		t.Errorf("OGC items lack case %s (%d bytes)", a.Number, len(res.Body))
	}
	var sr []struct {
		Expected *time.Time `json:"expected_datetime"`
	}
	ta.do("GET", "/open311/v2/requests/"+a.Number+".json", center, nil, nil).decode(t, &sr)
	if len(sr) != 1 || sr[0].Expected == nil || !sr[0].Expected.Equal(cst(2026, 10, 9, 0, 0)) {
		t.Errorf("Open311 expected_datetime %+v, want 2026-10-09T00:00+08:00", sr)
	}

	// Acceptance: dispatched Tue 09-29 10:00; 2 working days are 09-30 and
	// 10-08: due 10-09 00:00.
	clk.Set(cst(2026, 9, 29, 9, 0))
	b := ta.report(worker, reportBody("0104", pointIn(ownGrid, 12, 30)), nil)
	clk.Set(cst(2026, 9, 29, 10, 0))
	ta.mustAct(center, &b, map[string]any{"action": "accept"})
	wantClock(t, "accepted, not yet dispatched", ta.clockOf(center, b.ID), "review", cst(2026, 9, 30, 0, 0).AddDate(0, 0, 1), "green")
	ta.mustAct(center, &b, map[string]any{"action": "dispatch", "unit": "jw"})
	wantClock(t, "acceptance", ta.clockOf(center, b.ID), "accept", cst(2026, 10, 9, 0, 0), "green")

	// Handling: accepted Wed 09-30 09:00; 5 working days 10-08, 10-09,
	// Sat 10-10 (make-up), 10-12, 10-13: due 10-14 00:00.
	clk.Set(cst(2026, 9, 30, 9, 0))
	ta.mustAct(jw, &b, map[string]any{"action": "unit_accept"})
	wantClock(t, "handling", ta.clockOf(jw, b.ID), "handle", cst(2026, 10, 14, 0, 0), "green")
	// Extension by 2 working days: 10-14, 10-15: due 10-16 00:00.
	clk.Set(cst(2026, 9, 30, 9, 30))
	ta.mustAct(jw, &b, map[string]any{"action": "request_extension", "days": 2, "comment": "需协调"})
	ta.mustAct(center, &b, map[string]any{"action": "grant_extension"})
	wantClock(t, "extended handling", ta.clockOf(jw, b.ID), "handle", cst(2026, 10, 16, 0, 0), "green")
	// Postponement: the clock stops (no stage_due, no light) ...
	clk.Set(cst(2026, 9, 30, 10, 0))
	ta.mustAct(jw, &b, map[string]any{"action": "request_postponement", "comment": "等待材料"})
	ta.mustAct(center, &b, map[string]any{"action": "grant_postponement"})
	wantClock(t, "postponed", ta.clockOf(jw, b.ID), "handle", time.Time{}, "")
	// ... and resumes on Fri 10-09 09:00: the pause covered the working day
	// 10-08 entirely, so 7 days now end on 10-16 (10-09, 10-10, 10-12..16).
	clk.Set(cst(2026, 10, 9, 9, 0))
	ta.mustAct(center, &b, map[string]any{"action": "resume"})
	wantClock(t, "resumed handling", ta.clockOf(jw, b.ID), "handle", cst(2026, 10, 17, 0, 0), "green")

	// Verification: feedback on Wed 09-30 14:00; 1 working day (10-08): due
	// 10-09 00:00, before and after the center sends it to the worker.
	clk.Set(cst(2026, 9, 29, 9, 0))
	c := ta.report(worker, reportBody("0104", pointIn(ownGrid, 13, 30)), nil)
	ta.mustAct(center, &c, map[string]any{"action": "accept"})
	ta.mustAct(center, &c, map[string]any{"action": "dispatch", "unit": "jw"})
	ta.mustAct(jw, &c, map[string]any{"action": "unit_accept"})
	clk.Set(cst(2026, 9, 30, 14, 0))
	ta.mustAct(jw, &c, map[string]any{"action": "handle", "comment": "已清运", "photos": []int64{ta.upload(jw, 9)}})
	wantClock(t, "handled, to be sent to verification", ta.clockOf(center, c.ID), "verify", cst(2026, 10, 9, 0, 0), "green")
	clk.Set(cst(2026, 9, 30, 15, 0))
	ta.mustAct(center, &c, map[string]any{"action": "send_verification"})
	wantClock(t, "verifying", ta.clockOf(worker, c.ID), "verify", cst(2026, 10, 9, 0, 0), "green")
	ta.mustAct(worker, &c, map[string]any{"action": "verify_pass"})
	if v := ta.clockOf(center, c.ID); v.Stage != "" || v.StageDue != nil || v.DeadlineState != nil {
		t.Errorf("closed case keeps a clock: %+v", v)
	}
}

func containsID(cs []struct {
	ID int64 `json:"id"`
}, id int64) bool {
	for _, c := range cs {
		if c.ID == id {
			return true
		}
	}
	return false
}

// TestReviewDeadlineSettings changes the review limit for a source (in
// working hours) through PUT /api/v1/deadlines and sees it on a new case.
func TestReviewDeadlineSettings(t *testing.T) {
	clk := &testClock{}
	clk.Set(cst(2026, 9, 30, 20, 0))
	ta := newCaseApp(t, clk)
	admin, worker := ta.login("admin"), ta.login(ownGrid)
	body := map[string]any{"review": map[string]int{"days": 1}, "yellow_share": 0.5, "yellow_hours": 0,
		"review_rules": []map[string]any{{"category": "01", "source": "worker_app", "hours": 8}}}
	if res := ta.do("PUT", "/api/v1/deadlines", admin, body, nil); res.Status != 200 {
		t.Fatalf("PUT deadlines: %d %s", res.Status, res.Body)
	}
	bad := map[string]any{"review": map[string]int{"days": 1, "hours": 2}, "review_rules": []map[string]any{{"category": "9999", "hours": 1}}, "yellow_share": 1.5}
	res := ta.do("PUT", "/api/v1/deadlines", admin, bad, nil)
	if res.Status != 400 {
		t.Fatalf("bad deadlines: %d %s", res.Status, res.Body)
	}
	for _, f := range []string{`"review"`, `"review_rules[0].category"`, `"yellow_share"`} {
		if !strings.Contains(string(res.Body), f) {
			t.Errorf("bad deadlines: no error for field %s: %s", f, res.Body)
		}
	}
	if res := ta.do("PUT", "/api/v1/deadlines", ta.login("center"), body, nil); res.Status != 403 {
		t.Errorf("center PUT deadlines: %d", res.Status)
	}
	// 8 working hours from Wed 09-30 20:00: 4 h on 09-30, the holiday, 4 h
	// on 10-08. Yellow after half of them.
	a := ta.report(worker, reportBody("0104", pointIn(ownGrid, 14, 30)), nil)
	wantClock(t, "8 working hours", ta.clockOf(admin, a.ID), "review", cst(2026, 10, 8, 4, 0), "green")
	clk.Set(cst(2026, 10, 8, 0, 0))
	wantClock(t, "half of them left", ta.clockOf(admin, a.ID), "review", cst(2026, 10, 8, 4, 0), "yellow")
	// Another category keeps the default day.
	clk.Set(cst(2026, 9, 30, 20, 0))
	b := ta.report(worker, reportBody("0801", pointIn(ownGrid, 15, 30)), nil)
	wantClock(t, "default", ta.clockOf(admin, b.ID), "review", cst(2026, 10, 9, 0, 0), "green")
}

// TestUnreviewedCaseEscalatedOnce leaves a case unreviewed by its village's
// center until it is red, then runs the clock job on two instances of gridd
// on one database (each with its River client, the periodic job due every
// 150 ms and unique per second, plus sweeps called directly and concurrently): the case is
// escalated to the town center exactly once — one timeline entry, one
// case.overdue and one case.escalated event.
func TestUnreviewedCaseEscalatedOnce(t *testing.T) {
	clk := &testClock{}
	clk.Set(cst(2026, 11, 2, 9, 0)) // Monday
	ta := newCaseApp(t, clk)
	villageCenter := addVillageCenter(t, ta)
	worker, town := ta.login(ownGrid), ta.login("center")
	a := ta.report(worker, reportBody("0104", pointIn(ownGrid, 21, 30)), nil)
	wantClock(t, "reported", ta.clockOf(villageCenter, a.ID), "review", cst(2026, 11, 4, 0, 0), "green")
	if in := ta.inboxOf(villageCenter); !in.has("to_review", a.ID) {
		t.Errorf("the village center's inbox lacks case %d to review", a.ID)
	}
	clk.Set(cst(2026, 11, 5, 9, 0))
	wantClock(t, "left unreviewed", ta.clockOf(villageCenter, a.ID), "review", cst(2026, 11, 4, 0, 0), "red")
	if in := ta.inboxOf(villageCenter); !in.has("to_review", a.ID) || in.Counts.Overdue < 1 {
		t.Errorf("village center: case %d not overdue in its inbox: %+v", a.ID, in.Counts)
	}

	tb := twinApp(t, ta, clk)
	startClockJobs(t, ta, "gridd-a")
	startClockJobs(t, tb, "gridd-b")
	eventually(t, "the escalation", func() bool { return ta.clockOf(town, a.ID).Status == "escalated" })
	// More sweeps, concurrently on both instances, at the same instant and later.
	var wg sync.WaitGroup
	for i := range 6 {
		app := ta.app
		if i%2 == 1 {
			app = tb.app
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := app.clock.Sweep(context.Background(), clk.Now()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	time.Sleep(2500 * time.Millisecond) // more periodic runs on both clients

	v := ta.clockOf(town, a.ID)
	auto := 0
	for _, e := range v.Timeline {
		if e.Action == "auto_escalate" {
			auto++
			if e.ActorID != 0 || e.Data["to_scope"] != "370114001000000" || e.Data["escalated_from"] != village || e.Data["stage"] != "review" {
				t.Errorf("timeline entry: actor %d, data %v", e.ActorID, e.Data)
			}
		}
	}
	if auto != 1 || v.EscalatedFrom != village {
		t.Errorf("%d auto_escalate entries, escalated_from %q; want 1 from %s", auto, v.EscalatedFrom, village)
	}
	id := fmt.Sprint(a.ID)
	for kind, want := range map[string]int{"case.overdue": 1, "case.escalated": 1} {
		if n := countRows(t, ta, `SELECT count(*) FROM events WHERE kind = $1 AND object_id = $2`, kind, id); n != want {
			t.Errorf("%d %s events, want %d", n, kind, want)
		}
	}
	var data map[string]any
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT data FROM events WHERE kind = 'case.escalated' AND object_id = $1`, id).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if data["number"] != a.Number || data["stage"] != "review" || data["stage_due"] != "2026-11-04T00:00:00+08:00" || data["id"] != float64(a.ID) {
		t.Errorf("case.escalated data %v", data)
	}
	// The town center now reviews it on a new clock (1 working day from
	// the escalation) and finds it escalated to it; the village center no
	// longer has it to review.
	wantClock(t, "escalated", v, "review", cst(2026, 11, 7, 0, 0), "green")
	in := ta.inboxOf(town)
	if !in.has("to_review", a.ID) || in.Counts.Escalated < 1 || in.notes("escalated", a.ID) != 1 {
		t.Errorf("town center inbox: to_review %v, counts %+v, %d escalation notices", in.has("to_review", a.ID), in.Counts, in.notes("escalated", a.ID))
	}
	vin := ta.inboxOf(villageCenter)
	if vin.has("", a.ID) || vin.notes("overdue", a.ID) != 1 {
		t.Errorf("village center: still has the case %v, %d overdue notices (want 1)", vin.has("", a.ID), vin.notes("overdue", a.ID))
	}
}

// TestRemindersDigestAndCatchUp: a reminder one working day before the
// unit's acceptance deadline is sent once; the unit's daily digest once a
// working day from 08:00; and after a stretch in which no instance ran the
// clock job, the first run (on start) makes up what fell due: the overdue
// notice, the escalation of the unit's stage to the center above and to
// the routing table's upper unit, and the digest of the day.
func TestRemindersDigestAndCatchUp(t *testing.T) {
	clk := &testClock{}
	clk.Set(cst(2026, 11, 2, 9, 0)) // Monday
	ta := newCaseApp(t, clk)
	villageCenter := addVillageCenter(t, ta)
	worker, jw, town, zzb := ta.login(ownGrid), ta.login("dept-jw"), ta.login("center"), ta.login("dept-zzb")
	// The routing table names zzb as jw's upper unit for garbage collection.
	rules, err := ta.cases.Rules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	body := []map[string]any{}
	for _, r := range rules {
		body = append(body, map[string]any{"name": r.Name, "category": r.Category, "predicate": r.Predicate, "lead_unit": r.LeadUnit, "co_units": r.CoUnits})
	}
	body = append(body, map[string]any{"name": "垃圾清运（建委，上级组织部）", "category": "0104", "predicate": map[string]any{"kind": ""}, "lead_unit": "jw", "co_units": []string{}, "upper_unit": "zzb"})
	admin := ta.login("admin")
	if res := ta.do("PUT", "/api/v1/routing/rules", admin, map[string]any{"rules": body}, nil); res.Status != 200 {
		t.Fatalf("routing rules: %d %s", res.Status, res.Body)
	}
	bad := append(body[:len(body):len(body)], map[string]any{"name": "x", "category": "0104", "predicate": map[string]any{"kind": ""}, "lead_unit": "jw", "co_units": []string{}, "upper_unit": "jw"})
	if res := ta.do("PUT", "/api/v1/routing/rules", admin, map[string]any{"rules": bad}, nil); res.Status != 400 || !strings.Contains(string(res.Body), "upper_unit") {
		t.Errorf("upper unit = lead unit: %d %s", res.Status, res.Body)
	}
	a := ta.report(worker, reportBody("0104", pointIn(ownGrid, 31, 30)), nil)
	clk.Set(cst(2026, 11, 2, 9, 10))
	ta.mustAct(villageCenter, &a, map[string]any{"action": "accept"})
	ta.mustAct(villageCenter, &a, map[string]any{"action": "dispatch", "unit": "jw"})
	wantClock(t, "dispatched", ta.clockOf(jw, a.ID), "accept", cst(2026, 11, 5, 0, 0), "green")
	if in := ta.inboxOf(jw); !in.has("to_accept", a.ID) {
		t.Errorf("jw's inbox lacks case %d to accept", a.ID)
	}
	if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", a.ID), zzb, nil, nil); res.Status != 403 {
		t.Errorf("upper unit reads the case before any escalation: %d", res.Status)
	}
	ctx := context.Background()
	sweep := func() {
		t.Helper()
		if _, err := ta.clock.Sweep(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	id := fmt.Sprint(a.ID)
	events := func(kind string) int {
		return countRows(t, ta, `SELECT count(*) FROM events WHERE kind = $1 AND object_id = $2`, kind, id)
	}
	clk.Set(cst(2026, 11, 3, 12, 0))
	sweep()
	if n := events("case.due_soon"); n != 0 {
		t.Fatalf("reminder two working days early: %d", n)
	}
	// From Wed 11-04 00:00 one working day is left.
	clk.Set(cst(2026, 11, 4, 8, 30))
	sweep()
	sweep()
	clk.Add(time.Hour)
	sweep()
	if n := events("case.due_soon"); n != 1 {
		t.Errorf("%d case.due_soon events, want 1", n)
	}
	in := ta.inboxOf(jw)
	if in.notes("due_soon", a.ID) != 1 {
		t.Errorf("jw has %d reminders of case %d, want 1", in.notes("due_soon", a.ID), a.ID)
	}
	digests := 0
	for _, n := range in.Notifications {
		if n.Kind == "digest" {
			digests++
			if !strings.Contains(n.Text, "即将到期1件") {
				t.Errorf("digest text %q", n.Text)
			}
		}
	}
	if digests != 1 {
		t.Errorf("%d digests for jw on 11-04, want 1", digests)
	}
	var en inboxView
	ta.do("GET", "/api/v1/inbox?lang=en", jw, nil, nil).decode(t, &en)
	if en.notes("due_soon", a.ID) != 1 || !strings.Contains(en.Notifications[0].Text+en.Notifications[1].Text, "Case "+a.Number) {
		t.Errorf("English notifications: %+v", en.Notifications)
	}

	// Nothing runs from 11-04 09:30 until Fri 11-06 10:00; then an
	// instance starts and its first run catches up.
	clk.Set(cst(2026, 11, 6, 10, 0))
	if n := events("case.overdue"); n != 0 {
		t.Fatalf("overdue before any run: %d", n)
	}
	startClockJobs(t, ta, "gridd-late")
	eventually(t, "the overdue notice", func() bool { return events("case.overdue") == 1 })
	eventually(t, "the escalation", func() bool { return events("case.escalated") == 1 })
	time.Sleep(500 * time.Millisecond)
	v := ta.clockOf(town, a.ID)
	if v.Status != "dispatched" || v.Stage != "accept" {
		t.Errorf("a unit's stage escalation moved the case: %s/%s", v.Status, v.Stage)
	}
	auto := 0
	for _, e := range v.Timeline {
		if e.Action == "auto_escalate" {
			auto++
		}
	}
	if auto != 1 {
		t.Errorf("%d auto_escalate timeline entries, want 1", auto)
	}
	// The upper unit may read the case now and finds it escalated to it.
	if res := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", a.ID), zzb, nil, nil); res.Status != 200 {
		t.Errorf("upper unit reads the escalated case: %d", res.Status)
	}
	if zin := ta.inboxOf(zzb); !zin.has("escalated", a.ID) || zin.notes("escalated", a.ID) != 1 || zin.Counts.Escalated < 1 {
		t.Errorf("upper unit's inbox: has %v, %d notices, counts %+v", zin.has("escalated", a.ID), zin.notes("escalated", a.ID), zin.Counts)
	}
	tin := ta.inboxOf(town)
	if !tin.has("", a.ID) || tin.notes("escalated", a.ID) != 1 {
		t.Errorf("town center: case %d escalated to it %v, %d notices", a.ID, tin.has("", a.ID), tin.notes("escalated", a.ID))
	}
	jin := ta.inboxOf(jw)
	if jin.notes("overdue", a.ID) != 1 || !jin.has("to_accept", a.ID) || jin.Counts.Overdue < 1 {
		t.Errorf("jw after the outage: %d overdue notices, counts %+v", jin.notes("overdue", a.ID), jin.Counts)
	}
	if n := countRows(t, ta, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
WHERE u.username = 'dept-jw' AND n.kind = 'digest' AND n.dedup_key LIKE 'digest:2026-11-06:%'`); n != 1 {
		t.Errorf("%d digests for jw on 11-06, want 1", n)
	}
}

// TestInboxByRole follows one case through the loop and checks each
// desk's counts and items: the center reviews, the unit accepts and
// handles, the grid worker verifies; a worker of another grid and another
// unit see nothing of it; a viewer has no desk. Notifications are marked
// read by their owner only.
func TestInboxByRole(t *testing.T) {
	clk := &testClock{}
	clk.Set(cst(2026, 11, 2, 9, 0))
	ta := newCaseApp(t, clk)
	center, jw, hw := ta.login("center"), ta.login("dept-jw"), ta.login("dept-hwsuo")
	worker, other := ta.login(ownGrid), ta.login(otherGrid)
	base := map[string]inboxView{}
	tokens := map[string]string{"center": center, "jw": jw, "hw": hw, "worker": worker, "other": other}
	for who, tok := range tokens {
		base[who] = ta.inboxOf(tok)
	}
	var a caseView
	// check compares each desk with its base counts plus delta.
	check := func(step string, want map[string]inbox.Counts, has map[string]string) {
		t.Helper()
		for who, tok := range tokens {
			in, b, d := ta.inboxOf(tok), base[who].Counts, want[who]
			exp := inbox.Counts{ToReview: b.ToReview + d.ToReview, ToAccept: b.ToAccept + d.ToAccept, ToHandle: b.ToHandle + d.ToHandle,
				ToVerify: b.ToVerify + d.ToVerify, Overdue: b.Overdue, Escalated: b.Escalated, Unread: b.Unread}
			if in.Counts != exp {
				t.Errorf("%s: %s's counts %+v, want %+v", step, who, in.Counts, exp)
			}
			if kind, ok := has[who]; ok != in.has(kind, a.ID) || (!ok && in.has("", a.ID)) {
				t.Errorf("%s: %s has case %d as %q: %v, want %v", step, who, a.ID, kind, in.has(kind, a.ID), ok)
			}
		}
	}
	a = ta.report(worker, reportBody("0104", pointIn(ownGrid, 41, 30)), nil)
	check("reported", map[string]inbox.Counts{"center": {ToReview: 1}}, map[string]string{"center": "to_review"})
	ta.mustAct(center, &a, map[string]any{"action": "accept"})
	ta.mustAct(center, &a, map[string]any{"action": "dispatch", "unit": "jw", "comment": "@dept-jw 请今日处理，@dept-hwsuo 知悉。"})
	check("dispatched", map[string]inbox.Counts{"jw": {ToAccept: 1}}, map[string]string{"jw": "to_accept"})
	ta.mustAct(jw, &a, map[string]any{"action": "unit_accept"})
	check("accepted by the unit", map[string]inbox.Counts{"jw": {ToHandle: 1}}, map[string]string{"jw": "to_handle"})
	ta.mustAct(jw, &a, map[string]any{"action": "handle", "comment": "已清运", "photos": []int64{ta.upload(jw, 11)}})
	check("handled", map[string]inbox.Counts{"center": {ToReview: 1}}, map[string]string{"center": "to_review"})
	ta.mustAct(center, &a, map[string]any{"action": "send_verification"})
	check("sent to verification", map[string]inbox.Counts{"center": {ToVerify: 1}, "worker": {ToVerify: 1}},
		map[string]string{"center": "to_verify", "worker": "to_verify"})
	ta.mustAct(worker, &a, map[string]any{"action": "verify_pass"})
	check("closed", nil, nil)

	// Mentions: the clock job tells the mentioned unit that may read the
	// case, once however often it runs; not a unit that may not.
	for range 2 {
		if _, err := ta.clock.Sweep(context.Background(), clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	jin, hin := ta.inboxOf(jw), ta.inboxOf(hw)
	if jin.notes("mention", a.ID) != 1 || hin.notes("mention", a.ID) != 0 {
		t.Errorf("mentions of case %d: jw %d (want 1), hwsuo %d (want 0)", a.ID, jin.notes("mention", a.ID), hin.notes("mention", a.ID))
	}
	for _, n := range jin.Notifications {
		if n.Kind == "mention" && n.CaseID == a.ID && !strings.Contains(n.Text, "在案件"+a.Number+"中提到了你") {
			t.Errorf("mention text %q", n.Text)
		}
	}

	// A viewer's desk is empty.
	if err := ta.people.CreateUser(context.Background(), &people.User{Username: "viewer", Name: "查看员", Role: people.RoleViewer,
		ScopeCode: viewerScope, PasswordHash: mustHash(t)}); err != nil {
		t.Fatal(err)
	}
	if in := ta.inboxOf(ta.login("viewer")); in.Counts != (inbox.Counts{}) || len(in.Items) != 0 {
		t.Errorf("viewer's inbox: %+v, %d items", in.Counts, len(in.Items))
	}

	// Read marking: only the owner, once.
	id := newNotification(ta, "worker")
	if in := ta.inboxOf(worker); in.Counts.Unread != base["worker"].Counts.Unread+1 {
		t.Errorf("unread %d, want %d", in.Counts.Unread, base["worker"].Counts.Unread+1)
	}
	path := fmt.Sprintf("/api/v1/inbox/%d/read", id)
	if res := ta.do("POST", path, other, nil, nil); res.Status != 404 {
		t.Errorf("another worker marks it read: %d", res.Status)
	}
	for range 2 {
		if res := ta.do("POST", path, worker, nil, nil); res.Status != 204 {
			t.Errorf("owner marks it read: %d %s", res.Status, res.Body)
		}
	}
	in := ta.inboxOf(worker)
	if in.Counts.Unread != base["worker"].Counts.Unread {
		t.Errorf("unread after reading %d, want %d", in.Counts.Unread, base["worker"].Counts.Unread)
	}
	for _, n := range in.Notifications {
		if n.ID == id && (!n.Read || n.Text != "今日待办：新派遣1件，已超时2件，即将到期3件") {
			t.Errorf("notification after reading: %+v", n)
		}
	}
	if res := ta.do("POST", "/api/v1/inbox/abc/read", worker, nil, nil); res.Status != 400 {
		t.Errorf("bad id: %d", res.Status)
	}
}

func mustHash(t testing.TB) string {
	t.Helper()
	h, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCaseTileLights: the cases tiles carry stage, stage_due and
// deadline_state; when a case turns red with no write to it, the clock
// job's run bumps the layer so a cached tile is not served stale.
func TestCaseTileLights(t *testing.T) {
	clk := &testClock{}
	clk.Set(cst(2026, 11, 23, 9, 0)) // Monday
	ta := newCaseApp(t, clk)
	worker, center := ta.login(ownGrid), ta.login("center")
	p := pointIn(ownGrid, 51, 30)
	c := ta.report(worker, reportBody("0104", p), nil)
	tile := maptile.At(p, 16)
	props := func() map[string]string {
		t.Helper()
		res := ta.do("GET", tilePath("cases", tile), center, nil, nil)
		if res.Status != 200 {
			t.Fatalf("cases tile: %d %s", res.Status, res.Body)
		}
		for _, f := range feats(decodeTile(t, res.Body)["cases"]) {
			if f.Properties.MustString("number", "") == c.Number {
				return map[string]string{"stage": f.Properties.MustString("stage", "?"), "stage_due": f.Properties.MustString("stage_due", "?"),
					"deadline_state": f.Properties.MustString("deadline_state", "?")}
			}
		}
		t.Fatalf("case %s not in its tile", c.Number)
		return nil
	}
	want := map[string]string{"stage": "review", "stage_due": "2026-11-25T00:00:00+08:00", "deadline_state": "green"}
	if got := props(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tile attributes %v, want %v", got, want)
	}
	if _, err := ta.clock.Sweep(context.Background(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	// Yellow from 11-24 14:15 (the last quarter of 39 working hours): the
	// tile read (and cached) the same morning must not be served after it;
	// only the job's light check bumps the layer here (the reminder at
	// 11-24 00:00 writes no case).
	clk.Set(cst(2026, 11, 24, 9, 0))
	if _, err := ta.clock.Sweep(context.Background(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	if got := props(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tile attributes on the morning of the last day %v, want %v", got, want)
	}
	clk.Set(cst(2026, 11, 24, 15, 0))
	if _, err := ta.clock.Sweep(context.Background(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	want["deadline_state"] = "yellow"
	if got := props(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tile attributes in the last quarter %v, want %v (stale tile?)", got, want)
	}
	clk.Set(cst(2026, 11, 25, 9, 0))
	if _, err := ta.clock.Sweep(context.Background(), clk.Now()); err != nil {
		t.Fatal(err)
	}
	want["deadline_state"] = "red"
	if got := props(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tile attributes after the deadline %v, want %v (stale tile?)", got, want)
	}
}

// TestClockBackfill: open cases written before stage clocks (stage NULL)
// get theirs from the first run of the clock job.
func TestClockBackfill(t *testing.T) {
	clk := &testClock{}
	clk.Set(cst(2026, 11, 2, 9, 0))
	ta := newCaseApp(t, clk)
	worker, center := ta.login(ownGrid), ta.login("center")
	a := ta.report(worker, reportBody("0104", pointIn(ownGrid, 71, 30)), nil)
	ctx := context.Background()
	if _, err := ta.db.Pool.Exec(ctx, `UPDATE cases SET stage = NULL, stage_since = NULL, review_due = NULL, due_at = NULL, warn_at = NULL, remind_at = NULL WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	if v := ta.clockOf(center, a.ID); v.StageDue != nil || v.DeadlineState != nil {
		t.Fatalf("cleared clock still shows: %+v", v)
	}
	res, err := ta.clock.Sweep(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Backfilled != 1 {
		t.Errorf("backfilled %d cases, want 1", res.Backfilled)
	}
	wantClock(t, "backfilled", ta.clockOf(center, a.ID), "review", cst(2026, 11, 4, 0, 0), "green")
}
