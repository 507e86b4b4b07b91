package casework

import (
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/errs"
)

func TestResponsibleCenter(t *testing.T) {
	c := newCase(StatusReported)
	cases := []struct {
		name          string
		centers       []string
		escalatedFrom string
		scope, above  string
	}{
		{"town only", []string{"T"}, "", "T", ""},
		{"village under town", []string{"T", "V1"}, "", "V1", "T"},
		{"another village's center is not above", []string{"T", "V2"}, "", "T", ""},
		{"escalated from the village", []string{"T", "V1"}, "V1", "T", ""},
		{"no center over the grid", []string{"V2"}, "", "", ""},
	}
	for _, tc := range cases {
		c.EscalatedFrom = tc.escalatedFrom
		scope, above := Responsible(c, tc.centers)
		if scope != tc.scope || above != tc.above {
			t.Errorf("%s: Responsible = %q, %q; want %q, %q", tc.name, scope, above, tc.scope, tc.above)
		}
	}
}

func TestClockSettingsValidate(t *testing.T) {
	known := func(code string) bool { return code == "01" || code == "0104" }
	ok := ClockSettings{Review: Limit{Hours: 4}, ReviewRules: []ReviewRule{{Category: "01", Limit: Limit{Days: 2}},
		{Source: "hotline_12345", Limit: Limit{Hours: 2}}}, YellowShare: 0.3}
	if err := ok.Validate(known); err != nil {
		t.Fatalf("valid settings: %v", err)
	}
	bad := ClockSettings{Review: Limit{}, ReviewRules: []ReviewRule{{Limit: Limit{Days: 1}}, {Category: "0999", Source: "fax", Limit: Limit{Days: 61}}},
		YellowShare: 1, YellowHours: -1}
	err := bad.Validate(known)
	e, isErr := errs.As(err)
	if !isErr || e.Kind != errs.Invalid {
		t.Fatalf("bad settings: %v", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	want := "review review_rules[0] review_rules[1].category review_rules[1].source review_rules[1] yellow_share yellow_hours"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	if l := ok.ReviewLimit("0104", "worker_app"); l != (Limit{Days: 2}) {
		t.Errorf("big class rule: %+v", l)
	}
	if l := ok.ReviewLimit("0801", "hotline_12345"); l != (Limit{Hours: 2}) {
		t.Errorf("source rule: %+v", l)
	}
	if l := ok.ReviewLimit("0801", "wechat"); l != (Limit{Hours: 4}) {
		t.Errorf("default: %+v", l)
	}
}

// TestStageClocksInApply: each transition sets the stage, its start and
// its deadline, the yellow instant and the reminder, across the 2026
// National Day holiday (10-01…10-07 off, Sat 10-10 a working day).
func TestStageClocksInApply(t *testing.T) {
	ps := principals()
	clk := func(now time.Time) Clock {
		return Clock{Now: now, Calendar: cal(t), Rule: DefaultDeadlines, Settings: DefaultClockSettings}
	}
	c := newCase(StatusReported)
	c.LeadUnit, c.CoUnits = "", nil
	c.setClock(cst(2026, 9, 30, 10, 0), "", false, clk(cst(2026, 9, 30, 10, 0)))
	if c.Stage != StageReview || !c.DueAt.Equal(cst(2026, 10, 9, 0, 0)) || !c.RemindAt.Equal(cst(2026, 10, 8, 0, 0)) || !c.WarnAt.Equal(cst(2026, 10, 8, 14, 30)) {
		t.Fatalf("review: stage %s due %v remind %v warn %v", c.Stage, c.DueAt, c.RemindAt, c.WarnAt)
	}
	if got := c.DeadlineState(cst(2026, 10, 8, 14, 29)); got != Green {
		t.Errorf("before the warning: %s", got)
	}
	if got := c.DeadlineState(cst(2026, 10, 8, 14, 30)); got != Yellow {
		t.Errorf("at the warning: %s", got)
	}
	if got := c.DeadlineState(cst(2026, 10, 9, 0, 0)); got != Red {
		t.Errorf("at the deadline: %s", got)
	}
	step := func(who string, tr Transition, now time.Time, stage Stage, due time.Time) {
		t.Helper()
		if _, err := Apply(ps[who], h, c, tr, clk(now)); err != nil {
			t.Fatalf("%s: %v", tr.Action, err)
		}
		if c.Stage != stage || (due.IsZero() != (c.DueAt == nil)) || (c.DueAt != nil && !c.DueAt.Equal(due)) {
			t.Errorf("after %s: stage %s due %v, want %s %v", tr.Action, c.Stage, c.DueAt, stage, due)
		}
	}
	step("center", Transition{Action: ActAccept}, cst(2026, 10, 8, 9, 0), StageReview, cst(2026, 10, 9, 0, 0))
	step("center", Transition{Action: ActDispatch, Unit: "jw"}, cst(2026, 10, 8, 10, 0), StageAccept, cst(2026, 10, 11, 0, 0))
	step("jw", Transition{Action: ActReturn, Comment: "非本单位"}, cst(2026, 10, 9, 9, 0), StageReview, cst(2026, 10, 11, 0, 0))
	step("center", Transition{Action: ActDispatch, Unit: "jw"}, cst(2026, 10, 9, 10, 0), StageAccept, cst(2026, 10, 13, 0, 0))
	step("jw", Transition{Action: ActUnitAccept}, cst(2026, 10, 9, 11, 0), StageHandle, cst(2026, 10, 16, 0, 0))
	step("jw", Transition{Action: ActRequestPostpone, Comment: "等待"}, cst(2026, 10, 9, 12, 0), StageHandle, cst(2026, 10, 16, 0, 0))
	step("center", Transition{Action: ActGrantPostponement}, cst(2026, 10, 9, 13, 0), StageHandle, time.Time{})
	if c.DeadlineState(cst(2026, 10, 20, 0, 0)) != "" || c.WarnAt != nil || c.RemindAt != nil {
		t.Errorf("postponed: light %q warn %v remind %v", c.DeadlineState(cst(2026, 10, 20, 0, 0)), c.WarnAt, c.RemindAt)
	}
	// Resumed Tue 10-13 09:00: 10-10 and 10-12 were covered by the pause.
	step("center", Transition{Action: ActResume}, cst(2026, 10, 13, 9, 0), StageHandle, cst(2026, 10, 20, 0, 0))
	step("jw", Transition{Action: ActHandle, Photos: []int64{1}}, cst(2026, 10, 13, 10, 0), StageVerify, cst(2026, 10, 15, 0, 0))
	step("center", Transition{Action: ActSendVerification}, cst(2026, 10, 14, 9, 0), StageVerify, cst(2026, 10, 16, 0, 0))
	step("worker1", Transition{Action: ActVerifyPass}, cst(2026, 10, 14, 10, 0), "", time.Time{})
	if c.StageSince != nil || c.DeadlineState(cst(2026, 10, 20, 0, 0)) != "" {
		t.Errorf("closed: since %v", c.StageSince)
	}
}

// TestAutoEscalate: in the review the case goes up with a new clock; in a
// unit's stage it stays.
func TestAutoEscalate(t *testing.T) {
	now := cst(2026, 11, 5, 9, 0)
	k := Clock{Now: now, Calendar: cal(t), Rule: DefaultDeadlines, Settings: DefaultClockSettings}
	c := newCase(StatusReported)
	c.setClock(cst(2026, 11, 2, 9, 0), "", false, k)
	ev := AutoEscalate(c, "V1", "T", "", now, k)
	if c.Status != StatusEscalated || c.EscalatedFrom != "V1" || c.EscalationLevel != 1 || !c.StageSince.Equal(now) || !c.DueAt.Equal(cst(2026, 11, 7, 0, 0)) {
		t.Errorf("review escalation: %s from %s level %d since %v due %v", c.Status, c.EscalatedFrom, c.EscalationLevel, c.StageSince, c.DueAt)
	}
	if ev.Action != ActAutoEscalate || ev.ActorID != 0 || ev.Data["to_scope"] != "T" || ev.ToStatus != StatusEscalated {
		t.Errorf("event %+v", ev)
	}
	d := newCase(StatusDispatched)
	d.DispatchedAt = &now
	due := cst(2026, 11, 4, 0, 0)
	d.AcceptDue = &due
	d.setClock(cst(2026, 11, 2, 9, 0), "", false, k)
	AutoEscalate(d, "T", "X", "", now, k)
	if d.Status != StatusDispatched || d.EscalationLevel != 0 || d.Stage != StageAccept || !d.DueAt.Equal(due) {
		t.Errorf("unit stage escalation moved the case: %s level %d stage %s due %v", d.Status, d.EscalationLevel, d.Stage, d.DueAt)
	}
}
