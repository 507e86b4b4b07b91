package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
)

// TestPatrolRecomputedWhenGridsAssignmentsOrRulesChange: stored days are
// recomputed on the next read after a backdated assignment, a grid edit
// that changes the version valid at the day's end, and a change of rules.
func TestPatrolRecomputedWhenGridsAssignmentsOrRulesChange(t *testing.T) {
	ta := newPatrolApp(t)
	ctx := context.Background()
	tok := ta.login(ownGrid)
	admin := ta.login("admin")
	sh := workday.Shanghai()
	second := "370114001001002"
	a, b := inside(ta, ownGrid), inside(ta, second)
	// 6 March: an hour in the own grid, an hour in the neighbour.
	pts := loop(time.Date(2026, 3, 6, 8, 0, 0, 0, sh), a, 80, time.Hour, 30*time.Second)
	pts = append(pts, loop(time.Date(2026, 3, 6, 9, 30, 0, 0, sh), b, 80, time.Hour, 30*time.Second)...)
	// 10 March (today, by the test clock), in the morning: the own grid.
	pts = append(pts, loop(time.Date(2026, 3, 10, 8, 0, 0, 0, sh), a, 80, time.Hour, 30*time.Second)...)
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", pts), nil); res.Status != 200 {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	d6 := ta.daily(admin, ownGrid, "2026-03-06")
	if len(d6.Grids) != 1 || d6.Grids[0].Code != ownGrid {
		t.Fatalf("6 March before the assignment: grids %+v", d6.Grids)
	}

	// A backdated assignment to the neighbour: 6 March now counts there too.
	u, err := ta.people.FindUserByUsername(ctx, ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.people.CreateAssignment(ctx, &people.Assignment{UserID: u.ID, GridCode: second, GridRole: people.GridWorker,
		ValidFrom: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	d6b := ta.daily(admin, ownGrid, "2026-03-06")
	if len(d6b.Grids) != 2 || d6b.Grids[1].Code != second || d6b.Grids[1].PatrolSeconds < 3000 {
		t.Errorf("6 March after a backdated assignment to %s: grids %+v", second, d6b.Grids)
	}
	if d6b.PatrolSeconds < d6.PatrolSeconds+3000 {
		t.Errorf("patrol time %v s, was %v s: the hour in the newly assigned grid is not counted", d6b.PatrolSeconds, d6.PatrolSeconds)
	}

	// A grid edit at noon today: today's day is recomputed against the new
	// version (valid at the day's end); 6 March keeps the old one.
	d10 := ta.daily(admin, ownGrid, "2026-03-10")
	var geom string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(ST_Buffer($1::geography, 40, 'quad_segs=4')::geometry, 8)`,
		fmt.Sprintf("SRID=4326;POINT(%f %f)", a[0], a[1])).Scan(&geom); err != nil {
		t.Fatal(err)
	}
	g, err := ta.grids.FindGridByCode(ctx, ownGrid, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := ta.do("PATCH", "/api/v1/grids/"+ownGrid+"?accept_gaps=true", admin, map[string]any{"geometry": json.RawMessage(geom)},
		map[string]string{"If-Match": fmt.Sprintf(`"%d"`, g.Version)})
	if res.Status != 200 {
		t.Fatalf("patch grid: %d %s", res.Status, res.Body)
	}
	d10b := ta.daily(admin, ownGrid, "2026-03-10")
	if len(d10b.Grids) == 0 || d10b.Grids[0].PatrolSeconds >= d10.Grids[0].PatrolSeconds/2 {
		t.Errorf("today after shrinking the grid to 40 m around the walk's centre: %+v (was %+v)", d10b.Grids, d10.Grids)
	}
	var versions []int
	rows, err := ta.db.Pool.Query(ctx, `SELECT grid_version FROM patrol_day_grids g JOIN users u ON u.id = g.worker_id
WHERE u.username = $1 AND grid_code = $1 ORDER BY day`, ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		_ = rows.Scan(&v)
		versions = append(versions, v)
	}
	rows.Close()
	if len(versions) != 2 || versions[0] != g.Version || versions[1] != g.Version+1 {
		t.Errorf("stored versions of %s on 6 and 10 March: %v, want [%d %d]", ownGrid, versions, g.Version, g.Version+1)
	}

	// New rules (a service started with a 60 m radius): every stored day
	// is recomputed with them on its next read.
	wide := patrol.DefaultRules()
	wide.RadiusM = 60
	svc2 := &patrol.Service{Store: ta.patrols.Store, Grids: ta.grids, People: ta.people, Rules: wide,
		Now: func() time.Time { return patrolNow }, Loc: sh}
	before := d6b.Grids[0].Coverage
	rep, err := svc2.Daily(ctx, u.ID, time.Date(2026, 3, 6, 0, 0, 0, 0, sh))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Day.Rules != wide.Fingerprint() || rep.Day.Grids[0].Coverage <= before {
		t.Errorf("6 March with a 60 m radius: rules %q (want %q), coverage %v (was %v with 30 m)",
			rep.Day.Rules, wide.Fingerprint(), rep.Day.Grids[0].Coverage, before)
	}
}
