package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

// TestPatrolCoverageAlongRoads: a grid set to measure its road network
// reports the share of its roads within R of the track, within 3
// percentage points of PostGIS (ST_Buffer of the track on geography ∩ the
// roads inside the grid, lengths on geography); the change recomputes the
// stored day; bad options are refused.
func TestPatrolCoverageAlongRoads(t *testing.T) {
	ta := newPatrolApp(t)
	ctx := context.Background()
	tok := ta.login(ownGrid)
	admin := ta.login("admin")
	a := inside(ta, ownGrid)
	kx := 111320 * math.Cos(a[1]*math.Pi/180)
	const ky = 110950.0
	at := func(x, y float64) orb.Point { return orb.Point{a[0] + x/kx, a[1] + y/ky} }
	// An east–west lane through the grid (running far outside it) and a
	// short north–south alley.
	layers := postgis.NewLayerStore(ta.db)
	if err := layers.CreateRoad(ctx, "T-LANE", "测试东西巷", "lane", orb.LineString{at(-3000, 0), at(3000, 0)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := layers.CreateRoad(ctx, "T-ALLEY", "测试南北巷", "lane", orb.LineString{at(0, 0), at(0, 150)}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Two hours walking the lane 250 m east and back, on 4 March.
	sh := workday.Shanghai()
	var pts []pt
	start := time.Date(2026, 3, 4, 9, 0, 0, 0, sh)
	for k := 0; k < 8; k++ {
		from, to := at(0, 0), at(250, 0)
		if k%2 == 1 {
			from, to = to, from
		}
		pts = append(pts, line(start.Add(time.Duration(k)*15*time.Minute), from, to, 0.3, 20*time.Second)...)
	}
	if res := ta.do("POST", "/api/v1/patrols/points", tok, pointsBody(ownGrid, "wgs84", pts), nil); res.Status != 200 {
		t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	byArea := ta.daily(admin, ownGrid, "2026-03-04")

	// Bad options are refused and change nothing.
	for body, want := range map[string]string{
		`{"measure": "volume"}`:                         "measure",
		`{"measure": "roads", "road_kinds": ["canal"]}`: "no_roads_in_grid",
		`{"measure": "roads", "road_kinds": [""]}`:      "road_kinds",
	} {
		res := ta.do("PUT", "/api/v1/patrols/grid-options/"+ownGrid, admin, []byte(body), nil)
		if res.Status/100 != 4 || !strings.Contains(string(res.Body), want) {
			t.Errorf("%s: %d %s, want a 4xx naming %s", body, res.Status, res.Body, want)
		}
	}
	if res := ta.do("PUT", "/api/v1/patrols/grid-options/"+ownGrid, tok, map[string]any{"measure": "roads"}, nil); res.Status != 403 {
		t.Errorf("a worker sets its grid's measure: %d", res.Status)
	}
	res := ta.do("PUT", "/api/v1/patrols/grid-options/"+ownGrid, admin, map[string]any{"measure": "roads", "road_kinds": []string{"lane"}}, nil)
	if res.Status != 200 {
		t.Fatalf("set roads: %d %s", res.Status, res.Body)
	}
	byRoads := ta.daily(admin, ownGrid, "2026-03-04")
	if len(byRoads.Grids) != 1 {
		t.Fatalf("grids %+v", byRoads.Grids)
	}
	got := byRoads.Grids[0].Coverage

	// The reference: the lanes inside the grid, the part within 30 m of
	// the track, lengths on the spheroid.
	var track orb.LineString
	for _, p := range pts {
		track = append(track, orb.Point{p.Lon, p.Lat})
	}
	var ref float64
	if err := ta.db.Pool.QueryRow(ctx, `
WITH g AS (SELECT geom FROM grid_versions WHERE code = $1 AND valid_to IS NULL),
r AS (SELECT ST_Union(ST_Intersection(roads.geom, g.geom)) AS geom FROM roads, g WHERE roads.kind = 'lane'),
b AS (SELECT ST_Buffer(ST_GeomFromText($2, 4326)::geography, 30, 'quad_segs=16')::geometry AS geom)
SELECT ST_Length(ST_Intersection(r.geom, b.geom)::geography) / ST_Length(r.geom::geography) FROM r, b`,
		ownGrid, wkt.MarshalString(track)).Scan(&ref); err != nil {
		t.Fatal(err)
	}
	t.Logf("coverage by area %.4f, along the lanes %.4f, PostGIS reference %.4f", byArea.Grids[0].Coverage, got, ref)
	if math.Abs(got-ref) > 0.03 {
		t.Errorf("coverage along the lanes %.4f, PostGIS %.4f: more than 3 points apart", got, ref)
	}
	if got <= 2*byArea.Grids[0].Coverage {
		t.Errorf("walking the lane covers %.4f of the lanes but %.4f of the area: the measure did not change", got, byArea.Grids[0].Coverage)
	}
	if !strings.Contains(string(ta.do("GET", "/api/v1/patrols/daily?worker="+ownGrid+"&date=2026-03-04", admin, nil, nil).Body), `"measure":"roads"`) {
		t.Error("the daily report does not say it measured roads")
	}
	var list struct {
		GridOptions []struct {
			GridCode  string   `json:"grid_code"`
			Measure   string   `json:"measure"`
			RoadKinds []string `json:"road_kinds"`
		} `json:"grid_options"`
	}
	ta.do("GET", "/api/v1/patrols/grid-options", admin, nil, nil).decode(t, &list)
	if len(list.GridOptions) != 1 || list.GridOptions[0].GridCode != ownGrid || list.GridOptions[0].Measure != "roads" ||
		fmt.Sprint(list.GridOptions[0].RoadKinds) != "[lane]" {
		t.Errorf("grid options %+v", list.GridOptions)
	}
	// Back to area: the day is recomputed by area again.
	if res := ta.do("PUT", "/api/v1/patrols/grid-options/"+ownGrid, admin, map[string]any{"measure": "area"}, nil); res.Status != 200 {
		t.Fatalf("set area: %d %s", res.Status, res.Body)
	}
	if again := ta.daily(admin, ownGrid, "2026-03-04"); again.Grids[0].Coverage != byArea.Grids[0].Coverage {
		t.Errorf("back to area: %.4f, was %.4f", again.Grids[0].Coverage, byArea.Grids[0].Coverage)
	}
}
