package live

import (
	"testing"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/people"
)

// tree: town T ⊃ villages V1, V2 ⊃ grids G1 (in V1), G2 (in V2).
type tree map[string]string // child → parent

func (t tree) IsWithin(code, root string) bool {
	for c := t[code]; c != ""; c = t[c] {
		if c == root {
			return true
		}
	}
	return false
}

func TestVisible(t *testing.T) {
	h := tree{"V1": "T", "V2": "T", "G1": "V1", "G2": "V2"}
	pr := func(id int64, role people.Role, scope, dept string, grids ...string) *auth.Principal {
		return &auth.Principal{User: &people.User{ID: id, Role: role, ScopeCode: scope, DepartmentCode: dept}, Grids: grids}
	}
	admin := pr(1, people.RoleAdmin, "", "")
	centerV1 := pr(2, people.RoleCenter, "V1", "")
	viewerV2 := pr(3, people.RoleViewer, "V2", "")
	deptA := pr(4, people.RoleDepartment, "", "A")
	workerG1 := pr(5, people.RoleWorker, "", "", "G1")
	workerG2 := pr(6, people.RoleWorker, "", "", "G2")

	caseG1 := events.Event{Kind: events.CaseChanged, Object: "case", GridCode: "G1", UnitCodes: []string{"B", "A"}}
	returnedToW2 := events.Event{Kind: events.CaseReturned, Object: "case", GridCode: "G1", UserIDs: []int64{6}}
	escalatedFromV2 := events.Event{Kind: events.CaseEscalated, Object: "case", GridCode: "G2", Data: map[string]any{"escalated_from": "V2"}}
	gridG2 := events.Event{Kind: events.GridEdited, Object: "grid", GridCode: "G2"}
	dayG1 := events.Event{Kind: events.PatrolDayUpdate, Object: "patrol_day", GridCode: "G1", UserIDs: []int64{5}}
	for _, c := range []struct {
		name string
		p    *auth.Principal
		e    events.Event
		want bool
	}{
		{"admin sees all", admin, dayG1, true},
		{"center of the subtree", centerV1, caseG1, true},
		{"center outside", centerV1, gridG2, false},
		{"viewer of the subtree", viewerV2, escalatedFromV2, true},
		{"viewer outside", viewerV2, caseG1, false},
		{"co-unit", deptA, caseG1, true},
		{"unit not named", deptA, escalatedFromV2, false},
		{"department reads grids", deptA, gridG2, true},
		{"department no patrol days", deptA, dayG1, false},
		{"worker of the grid", workerG1, caseG1, true},
		{"worker of another grid", workerG2, caseG1, false},
		{"reporter addressed outside its grids", workerG2, returnedToW2, true},
		{"worker's own patrol day", workerG1, dayG1, true},
		{"another worker's patrol day", workerG2, dayG1, false},
		{"center sees patrol days in its subtree", centerV1, dayG1, true},
		{"unknown object: admin only", centerV1, events.Event{Object: "other", GridCode: "G1"}, false},
	} {
		if got := Visible(c.p, h, c.e); got != c.want {
			t.Errorf("%s: Visible = %v, want %v", c.name, got, c.want)
		}
	}
}
