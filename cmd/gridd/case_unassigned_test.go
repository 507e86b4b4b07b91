package main

import (
	"fmt"
	"testing"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/people"
	"github.com/paulmach/orb"
)

// TestReportsOutsideTheReportersGrids (issue 16): on main a report outside
// every grid was stored and then readable by admin only, and a worker's
// report in a neighbouring grid was unreadable by its own reporter. Now
// both are kept, their reporter reads and lists them, and the one outside
// every grid is in the centers' unassigned queue
// (GET /api/v1/cases?unassigned=true) — not in a viewer's or another
// worker's view.
func TestReportsOutsideTheReportersGrids(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(t, clk)
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.people.CreateUser(t.Context(), &people.User{Username: "viewer", Name: "查看员", Role: people.RoleViewer, ScopeCode: viewerScope, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	worker, center, viewer, neighbour := ta.login(ownGrid), ta.login("center"), ta.login("viewer"), ta.login(otherGrid)
	outsidePt := orb.Point{116.2, 35.1} // far from the demo town
	post := func(p orb.Point) int64 {
		t.Helper()
		res := ta.do("POST", "/api/v1/cases", worker, reportBody("0104", p), nil)
		if res.Status != 201 {
			t.Fatalf("report at %v: %d %s", p, res.Status, res.Body)
		}
		var c caseView
		res.decode(t, &c)
		return c.ID
	}
	outside := post(outsidePt)
	inNeighbour := post(pointIn(otherGrid, 3, 30))

	list := func(tok, query string) map[int64]bool {
		t.Helper()
		res := ta.do("GET", "/api/v1/cases?limit=500"+query, tok, nil, nil)
		if res.Status != 200 {
			t.Fatalf("list %s: %d %s", query, res.Status, res.Body)
		}
		var out struct{ Cases []caseView }
		res.decode(t, &out)
		ids := map[int64]bool{}
		for _, c := range out.Cases {
			ids[c.ID] = true
		}
		return ids
	}
	get := func(tok string, id int64) int {
		return ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), tok, nil, nil).Status
	}

	// The reporter reads and lists both.
	for _, id := range []int64{outside, inNeighbour} {
		if s := get(worker, id); s != 200 {
			t.Errorf("reporter reads its case %d: %d", id, s)
		}
	}
	if mine := list(worker, ""); !mine[outside] || !mine[inNeighbour] {
		t.Errorf("reporter's list lacks its own reports: %v", mine)
	}
	// The center finds the one outside every grid in its unassigned queue.
	if q := list(center, "&unassigned=true"); !q[outside] || q[inNeighbour] {
		t.Errorf("center's unassigned queue: %v (want %d, not %d)", q, outside, inNeighbour)
	}
	if s := get(center, outside); s != 200 {
		t.Errorf("center reads the unassigned case: %d", s)
	}
	// The neighbouring grid's worker sees the report in its grid, not the other.
	if s := get(neighbour, inNeighbour); s != 200 {
		t.Errorf("neighbour worker reads the report in its grid: %d", s)
	}
	if s := get(neighbour, outside); s != 403 {
		t.Errorf("another worker reads a report outside every grid: %d", s)
	}
	if s := get(viewer, outside); s != 403 {
		t.Errorf("a scoped viewer reads a report outside every grid: %d", s)
	}
	if l := list(neighbour, ""); l[outside] {
		t.Errorf("another worker lists a report outside every grid")
	}
	// unassigned takes only true/false.
	if res := ta.do("GET", "/api/v1/cases?unassigned=maybe", center, nil, nil); res.Status != 400 {
		t.Errorf("unassigned=maybe: %d", res.Status)
	}
}
