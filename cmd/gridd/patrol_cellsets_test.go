package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/tiles"
)

// countingGrids and countingPeople count the one-row look-ups the patrol
// service makes through them.
type countingGrids struct {
	patrol.GridSource
	byCode, reads atomic.Int64
}

func (c *countingGrids) FindGrids(ctx context.Context, f registry.GridFilter) ([]*registry.Grid, error) {
	c.reads.Add(1)
	return c.GridSource.FindGrids(ctx, f)
}

func (c *countingGrids) FindGridByCode(ctx context.Context, code string, asOf *time.Time) (*registry.Grid, error) {
	c.byCode.Add(1)
	return c.GridSource.FindGridByCode(ctx, code, asOf)
}

// countingStore notes for how many workers the covers of days are read.
type countingStore struct {
	patrol.Store
	coverWorkers atomic.Int64
}

func (c *countingStore) FindGridDays(ctx context.Context, workerIDs []int64, from, to time.Time, withCover bool) ([]patrol.WorkerGridDay, error) {
	if withCover {
		c.coverWorkers.Add(int64(len(workerIDs)))
	}
	return c.Store.FindGridDays(ctx, workerIDs, from, to, withCover)
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
// The demo's grids did not change that day, so no grid version is looked
// up by itself either. A page of the collection reads the covers of
// its own sets' workers only.
func TestCoverageCellSetsReadInBulk(t *testing.T) {
	ta := newPatrolApp(t)
	ctx := context.Background()
	grids := &countingGrids{GridSource: ta.grids}
	ppl := &countingPeople{Assignments: ta.people}
	// The demo's last day of patrols, on a clock the day after.
	var last time.Time
	if err := ta.db.Pool.QueryRow(ctx, `SELECT max(t) FROM patrol_points`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	loc := ta.patrols.Loc
	from := patrol.DayOf(last, loc)
	to := from.AddDate(0, 0, 1)
	now := to.Add(9 * time.Hour)
	date := from.Format("2006-01-02")
	store := &countingStore{Store: ta.patrols.Store}
	// The grids in view are read 7 at a time (5,000 in service): every
	// one is seen all the same.
	svc := &patrol.Service{Store: store, Grids: grids, People: ppl, Rules: ta.patrols.Rules, Now: func() time.Time { return now },
		Loc: loc, Tree: ta.patrols.Tree, GridsPerRead: 7}
	// The day is computed first (the settle job's work, which reads each
	// worker's grids once), then read.
	if _, err := svc.CellSets(ctx, patrol.CellQuery{From: from, To: to}); err != nil {
		t.Fatal(err)
	}
	grids.byCode.Store(0)
	ppl.byID.Store(0)
	grids.reads.Store(0)
	sets, err := svc.CellSets(ctx, patrol.CellQuery{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	var nGrids int
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM grid_versions WHERE valid_to IS NULL`).Scan(&nGrids); err != nil {
		t.Fatal(err)
	}
	if n, want := grids.reads.Load(), int64(nGrids/7+1); n != want {
		t.Errorf("grids read in %d parts, want %d (%d grids, 7 at a time)", n, want, nGrids)
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
	// A page of the coverage collection reads the covers of its own sets'
	// workers only, and its cells are those of the sets, covered or not as
	// their covers say.
	bySet := map[string]*patrol.CellSet{}
	total, busiest, busiestAt := 0, 0, 0
	for i := range sets { // in the collection's order
		cs := &sets[i]
		bySet[cs.Username+":"+cs.GridCode] = cs
		if n := cs.Cover.Count(); n > busiest {
			busiest, busiestAt = n, total
		}
		total += cs.Cells.Len()
	}
	cellIndex := map[*patrol.CellSet]map[string]int{}
	covered := 0
	for _, off := range []int{0, busiestAt, total - 50} {
		before := store.coverWorkers.Load()
		pg := &tiles.SourcePage{Limit: 500, Offset: off}
		fs, err := svc.CoverageFeatures(ctx, tiles.SourceQuery{Params: tiles.Params{"date": date}, Page: pg})
		if err != nil {
			t.Fatal(err)
		}
		if want := min(500, total-off); len(fs) != want || pg.Total != total {
			t.Fatalf("page at %d: %d features of %d, want %d of %d", off, len(fs), pg.Total, want, total)
		}
		onPage := map[string]bool{}
		for _, f := range fs {
			onPage[f.Properties.MustString("worker", "")] = true
		}
		if n := store.coverWorkers.Load() - before; n > int64(len(onPage)) {
			t.Errorf("page at %d read the covers of %d workers, more than its own %d", off, n, len(onPage))
		}
		for _, f := range fs {
			cs := bySet[f.Properties.MustString("worker", "")+":"+f.Properties.MustString("grid_code", "")]
			if cs == nil {
				t.Fatalf("feature %v of no set", f.ID)
			}
			if cellIndex[cs] == nil {
				cellIndex[cs] = map[string]int{}
				for k := range cs.Cells.Len() {
					cellIndex[cs][cs.Cells.Cell(k).String()] = k
				}
			}
			i, ok := cellIndex[cs][f.Properties.MustString("cell", "")]
			if !ok || f.Properties.MustBool("covered", false) != cs.Cover.Has(i) {
				t.Errorf("feature %v: covered %v, its set's cover says otherwise", f.ID, f.Properties["covered"])
			}
			if cs.Cover.Has(i) {
				covered++
			}
		}
	}
	if covered == 0 {
		t.Error("no covered cell on the pages checked")
	}

	// One worker's sets: the worker's name comes from its assignments too.
	w := as[0]
	one, err := svc.CellSets(ctx, patrol.CellQuery{Worker: w.UserID, From: from, To: to})
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
