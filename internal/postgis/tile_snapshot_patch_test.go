package postgis_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestGridSnapshotPatches: with the grid_changes patcher, a change of an
// assignment, a register count, a grid's geometry, a new grid and a
// retired grid each reread only the grids they touch (no full load, no
// attribute read of every grid), and every tile of the patched copy equals
// the same tile of a copy loaded whole; a grid moved to another parent
// loads the layer whole.
func TestGridSnapshotPatches(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	st := postgis.NewTileStore(db)
	loads := 0
	snap := &tiles.Snapshot{Layer: "grids", Shapes: "grids", Patch: st.GridPatcher(),
		Load: func(ctx context.Context, day time.Time) ([]tiles.SnapshotFeature, error) {
			loads++
			return st.GridSnapshot(ctx, day)
		}}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	const code = "370114001001001"
	var lon, lat float64
	var leaf, other string
	if err := db.Pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grid_versions WHERE code = $1 AND valid_to IS NULL) x`, code).
		Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT max(code) FILTER (WHERE parent_code = (SELECT parent_code FROM grid_versions WHERE code = $1 AND valid_to IS NULL)),
	max(parent_code) FILTER (WHERE parent_code <> (SELECT parent_code FROM grid_versions WHERE code = $1 AND valid_to IS NULL) AND level = 3)
FROM grid_versions WHERE valid_to IS NULL AND level = 3`, code).Scan(&leaf, &other); err != nil {
		t.Fatal(err)
	}
	var llon, llat float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grid_versions WHERE code = $1 AND valid_to IS NULL) x`, leaf).
		Scan(&llon, &llat); err != nil {
		t.Fatal(err)
	}
	var coords []tiles.Coord
	for z := 12; z <= 16; z += 2 {
		for _, p := range []orb.Point{{lon, lat}, {llon, llat}} {
			tl := maptile.At(p, maptile.Zoom(z))
			coords = append(coords, tiles.Coord{Z: z, X: int(tl.X), Y: int(tl.Y)})
		}
	}
	seen := map[string]bool{}
	rev := 1
	step := func(what string, wantLoads int, sql string, args ...any) {
		t.Helper()
		if sql != "" {
			if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		rev++
		version := "grids|v=" + string(rune('a'+rev))
		fresh := &tiles.Snapshot{Layer: "grids", Load: st.GridSnapshot}
		for _, c := range coords {
			q := tiles.TileQuery{Layer: "grids", Coord: c, Day: day, Version: version}
			got, want := decodeByCode(t, must(snap.Tile(ctx, q))), decodeByCode(t, must(fresh.Tile(ctx, q)))
			if len(got) != len(want) {
				t.Errorf("%s: tile %v has %d grids, a fresh load %d", what, c, len(got), len(want))
			}
			for k, w := range want {
				seen[k] = true
				g := got[k]
				if g == nil || !reflect.DeepEqual(g.Properties, w.Properties) || !orb.Equal(g.Geometry, w.Geometry) {
					t.Errorf("%s: tile %v grid %s differs from a fresh load:\n got %v\nwant %v", what, c, k, g, w)
				}
			}
		}
		if loads != wantLoads {
			t.Errorf("%s: %d full loads, want %d", what, loads, wantLoads)
		}
	}
	step("first load", 1, "")
	step("nothing changed", 1, "")
	step("assignment ended", 1, `DELETE FROM grid_assignments WHERE grid_code = $1 AND grid_role = 'worker'`, code)
	step("register count", 1, `INSERT INTO grid_register_counts (grid_code, households, people) VALUES ($1, 7, 21)
ON CONFLICT (grid_code) DO UPDATE SET households = grid_register_counts.households + 7`, code)
	step("geometry", 1, `UPDATE grid_versions SET geom = ST_Multi(ST_Translate(geom, 0.0002, 0)) WHERE code = $1 AND valid_to IS NULL`, code)
	step("new grid", 1, `INSERT INTO grid_versions (code, name, level, parent_code, geom, area_m2, version, valid_from)
SELECT '370114009009009', '新网格', level, parent_code, ST_Multi(ST_Translate(geom, 0, 0.00001)), area_m2, 1, now() FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, leaf)
	step("retired grid", 1, `UPDATE grid_versions SET valid_to = now() WHERE code = $1 AND valid_to IS NULL`, leaf)
	step("moved to another parent", 2, `UPDATE grid_versions SET parent_code = $2 WHERE code = $1 AND valid_to IS NULL`, code, other)
	for _, c := range []string{code, leaf, "370114009009009"} {
		if !seen[c] {
			t.Errorf("grid %s was in none of the compared tiles", c)
		}
	}
}
