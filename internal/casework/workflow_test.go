package casework

import (
	"slices"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
)

// tree is a two-village hierarchy: T ⊃ V1 ⊃ G1, T ⊃ V2 ⊃ G2.
type tree map[string]string

func (t tree) IsWithin(code, root string) bool {
	for c := t[code]; c != ""; c = t[c] {
		if c == root {
			return true
		}
	}
	return false
}

var h = tree{"V1": "T", "V2": "T", "G1": "V1", "G2": "V2"}

func principals() map[string]*auth.Principal {
	return map[string]*auth.Principal{
		"admin":    {User: &people.User{ID: 1, Name: "管理员", Role: people.RoleAdmin}},
		"center":   {User: &people.User{ID: 2, Name: "镇中心", Role: people.RoleCenter, ScopeCode: "T"}},
		"v2center": {User: &people.User{ID: 3, Name: "村中心", Role: people.RoleCenter, ScopeCode: "V2"}},
		"jw":       {User: &people.User{ID: 4, Name: "建委", Role: people.RoleDepartment, DepartmentCode: "jw"}},
		"nw":       {User: &people.User{ID: 5, Name: "农委", Role: people.RoleDepartment, DepartmentCode: "nw"}},
		"worker1":  {User: &people.User{ID: 6, Name: "网格员一", Role: people.RoleWorker}, Grids: []string{"G1"}},
		"worker2":  {User: &people.User{ID: 7, Name: "网格员二", Role: people.RoleWorker}, Grids: []string{"G2"}},
		"viewer":   {User: &people.User{ID: 8, Name: "查看", Role: people.RoleViewer, ScopeCode: "T"}},
	}
}

func cal(t *testing.T) *workday.Calendar {
	t.Helper()
	c, err := workday.New(workday.China2025, workday.China2026)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cst(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, workday.Shanghai())
}

func newCase(status Status) *Case {
	return &Case{ID: 10, Number: "2026-09-000010", Version: 1, Category: "0601", GridCode: "G1", GridChain: []string{"T", "V1", "G1"},
		Location: orb.Point{117.5, 36.7}, Status: status, LeadUnit: "jw", CoUnits: []string{"nw"}}
}

// TestAllowedByStatusAndRole is the state machine's table: for each status
// and each role, exactly these actions are allowed.
func TestAllowedByStatusAndRole(t *testing.T) {
	ps := principals()
	want := map[Status]map[string][]string{
		StatusReported:              {"center": {"accept", "reject", "escalate", "merge", "flag_emergency"}},
		StatusAccepted:              {"center": {"escalate", "dispatch", "merge", "flag_emergency"}},
		StatusDispatched:            {"center": {"flag_emergency"}, "jw": {"unit_accept", "return"}},
		StatusHandling:              {"center": {"flag_emergency"}, "jw": {"request_extension", "request_postponement", "handle"}},
		StatusExtensionRequested:    {"center": {"grant_extension", "refuse_extension", "flag_emergency"}},
		StatusPostponementRequested: {"center": {"grant_postponement", "refuse_postponement", "flag_emergency"}},
		StatusPostponed:             {"center": {"resume", "flag_emergency"}},
		StatusHandled:               {"center": {"send_verification", "flag_emergency"}},
		StatusVerifying:             {"center": {"verify_pass", "verify_fail", "flag_emergency"}, "worker1": {"verify_pass", "verify_fail"}},
		StatusClosed:                {"center": {"rate"}, "worker1": {"rate"}},
		StatusRejected:              {},
		StatusMerged:                {},
	}
	for st, byRole := range want {
		for name, p := range ps {
			c := newCase(st)
			exp := byRole[name]
			if name == "admin" {
				exp = byRole["center"]
			}
			if exp == nil {
				exp = []string{}
			}
			if got := Allowed(p, h, c); !slices.Equal(got, exp) {
				t.Errorf("%s as %s: allowed %v, want %v", st, name, got, exp)
			}
		}
	}
	// An escalated case waits for a center above the escalating one.
	c := newCase(StatusEscalated)
	c.EscalatedFrom, c.EscalationLevel, c.GridChain, c.GridCode = "V2", 1, []string{"T", "V2", "G2"}, "G2"
	if got := Allowed(ps["v2center"], h, c); len(got) != 0 {
		t.Errorf("the escalating center may still act: %v", got)
	}
	if got := Allowed(ps["center"], h, c); !slices.Equal(got, []string{"accept", "reject", "merge", "flag_emergency"}) {
		t.Errorf("the higher center: %v", got)
	}
}

func TestApplyRefusesWithAllowed(t *testing.T) {
	ps := principals()
	c := newCase(StatusReported)
	_, err := Apply(ps["center"], h, c, Transition{Action: ActHandle}, Clock{Now: cst(2026, 9, 29, 9, 0), Calendar: cal(t), Rule: DefaultDeadlines})
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.Conflict || !slices.Equal(e.Allowed, []string{"accept", "reject", "escalate", "merge", "flag_emergency"}) {
		t.Fatalf("got %v", err)
	}
	if c.Status != StatusReported || c.Version != 1 {
		t.Error("a refused action changed the case")
	}
	_, err = Apply(ps["center"], h, c, Transition{Action: "teleport"}, Clock{Now: cst(2026, 9, 29, 9, 0), Calendar: cal(t)})
	if e, ok := errs.As(err); !ok || e.Kind != errs.Invalid || e.Fields[0].Field != "action" {
		t.Errorf("unknown action: %v", err)
	}
	// A worker of another grid may not verify.
	v := newCase(StatusVerifying)
	if _, err := Apply(ps["worker2"], h, v, Transition{Action: ActVerifyPass}, Clock{Now: cst(2026, 9, 29, 9, 0), Calendar: cal(t)}); errs.KindOf(err) != errs.Conflict {
		t.Errorf("worker2 verifies G1: %v", err)
	}
}

// TestDeadlinesAcrossNationalDay2026 walks a case through the loop around
// National Day 2026 (10-01..10-07 off; Sun 09-20 and Sat 10-10 worked).
func TestDeadlinesAcrossNationalDay2026(t *testing.T) {
	ps := principals()
	calendar := cal(t)
	c := newCase(StatusAccepted)
	c.LeadUnit, c.CoUnits = "", nil
	step := func(who string, tr Transition, at time.Time) {
		t.Helper()
		if _, err := Apply(ps[who], h, c, tr, Clock{Now: at, Calendar: calendar, Rule: DefaultDeadlines}); err != nil {
			t.Fatalf("%s: %v", tr.Action, err)
		}
	}
	step("center", Transition{Action: ActDispatch, Unit: "jw"}, cst(2026, 9, 29, 16, 0))
	if want := cst(2026, 10, 9, 0, 0); !c.AcceptDue.Equal(want) || !c.DueAt.Equal(want) {
		t.Errorf("accept due %v, want %v (Wed 09-30, Thu 10-08)", c.AcceptDue, want)
	}
	step("jw", Transition{Action: ActUnitAccept}, cst(2026, 9, 30, 10, 0))
	if want := cst(2026, 10, 14, 0, 0); !c.HandleDue.Equal(want) {
		t.Errorf("handle due %v, want %v (10-08, 10-09, Sat 10-10, 10-12, 10-13)", c.HandleDue, want)
	}
	if c.Overdue(cst(2026, 10, 13, 23, 59)) || !c.Overdue(cst(2026, 10, 14, 0, 0)) {
		t.Error("overdue flag at the wrong instant")
	}
	// Postponed from Thu 10-08 17:00 to Tue 10-13 09:00: Fri 10-09, Sat 10-10
	// (a working day) and Mon 10-12 are covered entirely and do not count.
	step("jw", Transition{Action: ActRequestPostpone, Comment: "等待汛期结束"}, cst(2026, 10, 8, 16, 0))
	step("center", Transition{Action: ActGrantPostponement}, cst(2026, 10, 8, 17, 0))
	if c.HandleDue != nil || c.DueAt != nil || c.Overdue(cst(2026, 12, 1, 0, 0)) {
		t.Error("a postponed case has a running clock")
	}
	step("center", Transition{Action: ActResume}, cst(2026, 10, 13, 9, 0))
	// Counted: 10-08 (1), 10-13 (2), 10-14 (3), 10-15 (4), 10-16 (5).
	if want := cst(2026, 10, 17, 0, 0); !c.HandleDue.Equal(want) {
		t.Errorf("handle due after the pause %v, want %v", c.HandleDue, want)
	}
	step("jw", Transition{Action: ActRequestExtension, Days: 2, Comment: "材料未到"}, cst(2026, 10, 14, 9, 0))
	step("center", Transition{Action: ActGrantExtension}, cst(2026, 10, 14, 10, 0))
	if want := cst(2026, 10, 21, 0, 0); !c.HandleDue.Equal(want) {
		t.Errorf("extended handle due %v, want %v (+ Mon 10-19, Tue 10-20)", c.HandleDue, want)
	}
	step("jw", Transition{Action: ActHandle, Photos: []int64{1}}, cst(2026, 10, 20, 18, 0))
	if c.HandledOnTime == nil || !*c.HandledOnTime {
		t.Error("handled before the deadline, not on time")
	}
	step("center", Transition{Action: ActSendVerification}, cst(2026, 10, 20, 18, 30))
	if want := cst(2026, 10, 22, 0, 0); !c.VerifyDue.Equal(want) {
		t.Errorf("verify due %v, want %v", c.VerifyDue, want)
	}
	step("worker1", Transition{Action: ActVerifyPass}, cst(2026, 10, 21, 9, 0))
	if c.Status != StatusClosed || c.DueAt != nil {
		t.Errorf("closed: %s %v", c.Status, c.DueAt)
	}
}

func TestRouteExplains(t *testing.T) {
	rules := []*Rule{
		{ID: 1, Position: 1, Category: "0102", Predicate: Predicate{Kind: PredNearRoad, RoadKind: "main_road", DistanceM: 50}, LeadUnit: "hwsuo"},
		{ID: 2, Position: 2, Category: "0102", Predicate: Predicate{Kind: PredInZone, Zone: "seat"}, LeadUnit: "zfzd"},
		{ID: 3, Position: 3, Category: "01", Predicate: Predicate{Kind: PredInGrid, Grids: []string{"V1"}}, LeadUnit: "gq1"},
		{ID: 4, Position: 4, Category: "08", LeadUnit: "pcs"},
	}
	far := map[string]RoadDistance{"main_road": {Code: "road-01", Name: "S242省道", DistanceM: 812.34}}
	near := map[string]RoadDistance{"main_road": {Code: "road-01", Name: "S242省道", DistanceM: 12.5}}
	for _, tc := range []struct {
		name     string
		category string
		f        Facts
		want     int64
		checks   int
	}{
		{"near a road", "0102", Facts{Roads: near, Chain: []string{"T", "V1", "G1"}}, 1, 1},
		{"in the seat, far from roads", "0102", Facts{Roads: far, Zones: []string{"seat"}, Chain: []string{"T", "V1", "G1"}}, 2, 2},
		{"village, by big class", "0102", Facts{Roads: far, Chain: []string{"T", "V1", "G1"}}, 3, 3},
		{"no rule holds", "0102", Facts{Roads: far, Chain: []string{"T", "V2", "G2"}}, 0, 3},
		{"other category", "0801", Facts{}, 4, 1},
	} {
		ex := Route(rules, tc.category, tc.f)
		got := int64(0)
		if ex.Matched != nil {
			got = ex.Matched.ID
		}
		if got != tc.want || len(ex.Checks) != tc.checks {
			t.Errorf("%s: matched %d with %d checks, want %d with %d: %+v", tc.name, got, len(ex.Checks), tc.want, tc.checks, ex.Checks)
		}
	}
	ex := Route(rules, "0102", Facts{Roads: far, Zones: []string{"seat"}})
	if d := ex.Checks[0].DistanceM; d == nil || *d != 812.3 || ex.Checks[0].Held {
		t.Errorf("the distance measured: %+v", ex.Checks[0])
	}
}

func TestReportValidate(t *testing.T) {
	now := cst(2026, 11, 23, 9, 0)
	future := now.Add(time.Hour)
	ok := Report{Category: "0104", Description: "垃圾", Lon: 117.5, Lat: 36.7, Source: "wechat"}
	if err := ok.Validate(now); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		r     Report
		field string
	}{
		"swapped":   {Report{Category: "0104", Description: "x", Lon: 36.7, Lat: 117.5, Source: "wechat"}, "lon,lat"},
		"source":    {Report{Category: "0104", Description: "x", Lon: 117.5, Lat: 36.7, Source: "fax"}, "source"},
		"future":    {Report{Category: "0104", Description: "x", Lon: 117.5, Lat: 36.7, Source: "wechat", ReportedAt: &future}, "reported_at"},
		"on site":   {Report{Category: "0104", Description: "x", Lon: 117.5, Lat: 36.7, Source: "wechat", ResolvedOnSite: true}, "photos"},
		"dup photo": {Report{Category: "0104", Description: "x", Lon: 117.5, Lat: 36.7, Source: "wechat", Photos: []int64{3, 3}}, "photos"},
	} {
		e, isErr := errs.As(tc.r.Validate(now))
		if !isErr || e.Fields[0].Field != tc.field {
			t.Errorf("%s: %v, want field %s", name, e, tc.field)
		}
	}
}
