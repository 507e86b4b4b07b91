package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
)

// countingGrids and countingPeople count the one-row look-ups the patrol
// service makes through them.
type countingGrids struct {
	patrol.GridSource
	byCode atomic.Int64
}

func (c *countingGrids) FindGridByCode(ctx context.Context, code string, asOf *time.Time) (*registry.Grid, error) {
	c.byCode.Add(1)
	return c.GridSource.FindGridByCode(ctx, code, asOf)
}

type countingPeople struct {
	patrol.Assignments
	byID atomic.Int64
}

func (c *countingPeople) FindUserByID(ctx context.Context, id int64) (*people.User, error) {
	c.byID.Add(1)
	return c.Assignments.FindUserByID(ctx, id)
}

// TestCoverageCellSetsReadInBulk: the coverage layer's cell sets (a page of
// the collection, a tile) read their workers and grids with the
// assignments and the grids in view, not one query per worker or per grid
// — over a city, a page would otherwise wait on thousands of round trips.
// The demo month's grids did not change within it, so no grid version is
// looked up by itself either.
func TestCoverageCellSetsReadInBulk(t *testing.T) {
	ta := newPatrolApp(t)
	ctx := context.Background()
	grids := &countingGrids{GridSource: ta.grids}
	ppl := &countingPeople{Assignments: ta.people}
	svc := *ta.patrols
	svc.Grids, svc.People = grids, ppl
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, svc.Loc)
	sets, err := svc.CellSets(ctx, patrol.CellQuery{From: from, To: patrolNow.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	workers := map[string]bool{}
	for _, cs := range sets {
		if cs.Username == "" || cs.Name == "" || cs.Cells == nil || cs.Cover == nil {
			t.Fatalf("incomplete set %+v", cs)
		}
		workers[cs.Username] = true
	}
	role := people.GridWorker
	as, err := ta.people.FindAssignments(ctx, people.AssignmentFilter{Role: &role})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, a := range as {
		want[a.Username] = true
	}
	if len(workers) != len(want) || len(workers) < 10 {
		t.Errorf("sets of %d workers, want the %d assigned", len(workers), len(want))
	}
	if n := ppl.byID.Load(); n != 0 {
		t.Errorf("%d users read one by one", n)
	}
	if n := grids.byCode.Load(); n != 0 {
		t.Errorf("%d grids read one by one", n)
	}
	// One worker's sets: the worker's name comes from its assignments too.
	w := as[0]
	one, err := svc.CellSets(ctx, patrol.CellQuery{Worker: w.UserID, From: from, To: patrolNow.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(one) == 0 || one[0].Username != w.Username || one[0].Name != w.Name {
		t.Errorf("worker %s: sets %+v", w.Username, one)
	}
	if n := ppl.byID.Load(); n != 0 {
		t.Errorf("%d users read one by one for one worker", n)
	}
}
