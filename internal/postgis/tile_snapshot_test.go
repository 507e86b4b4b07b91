package postgis_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
)

// decodeByCode decodes a grids tile into features by code.
func decodeByCode(t *testing.T, b []byte) map[string]*geojson.Feature {
	t.Helper()
	out := map[string]*geojson.Feature{}
	if len(b) == 0 {
		return out
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		for _, f := range l.Features {
			code := f.Properties.MustString("code", "")
			if out[code] != nil {
				t.Fatalf("grid %s twice in a tile", code)
			}
			out[code] = f
		}
	}
	return out
}

// TestGridSnapshotMatchesSQL: the grids tiles rendered in Go from the
// in-memory snapshot carry the same grids, attributes and (up to
// simplification and snapping) the same shapes as the SQL renderer's
// ST_AsMVT tiles, for every reader scope, at every zoom the console uses;
// a write makes the next version's tiles show it.
func TestGridSnapshotMatchesSQL(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	st := postgis.NewTileStore(db)
	snap := &tiles.Snapshot{Layer: "grids", Load: st.GridSnapshot}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	// A grid with two of today's workers (joined in username order, the
	// second sorting first) and one with register counts.
	if _, err := db.Pool.Exec(ctx, `
INSERT INTO users (username, name, role) VALUES ('0-second', '第二网格员', 'worker');
INSERT INTO grid_assignments (user_id, grid_code, grid_role, valid_from)
SELECT u.id, a.grid_code, 'worker', '2025-01-01' FROM users u,
  (SELECT grid_code FROM grid_assignments WHERE grid_role = 'worker' ORDER BY grid_code LIMIT 1) a WHERE u.username = '0-second';
INSERT INTO grid_register_counts (grid_code, households, people, businesses, places)
SELECT grid_code, 11, 31, 2, 3 FROM grid_assignments WHERE grid_role = 'worker' ORDER BY grid_code DESC LIMIT 1
ON CONFLICT (grid_code) DO UPDATE SET households = 11, people = 31, businesses = 2, places = 3`); err != nil {
		t.Fatal(err)
	}
	var bound orb.Bound
	if err := db.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM grid_versions) x`).
		Scan(&bound.Min[0], &bound.Min[1], &bound.Max[0], &bound.Max[1]); err != nil {
		t.Fatal(err)
	}
	var coords []tiles.Coord
	for z := maptile.Zoom(9); z <= 17; z++ {
		a, b := maptile.At(orb.Point{bound.Min[0], bound.Max[1]}, z), maptile.At(orb.Point{bound.Max[0], bound.Min[1]}, z)
		step := max(1, (b.X-a.X+1)*(b.Y-a.Y+1)/40)
		k := uint32(0)
		for x := a.X; x <= b.X; x++ {
			for y := a.Y; y <= b.Y; y++ {
				if k++; k%step == 0 {
					coords = append(coords, tiles.Coord{Z: int(z), X: int(x), Y: int(y)})
				}
			}
		}
	}
	scopes := [][]string{nil, {"370114001001000"}, {"370114001001001"}, {}}
	compared, features := 0, 0
	for _, scope := range scopes {
		for _, c := range coords {
			q := tiles.TileQuery{Layer: "grids", Coord: c, Scope: scope, Day: day, Version: "v1"}
			sqlTile, err := st.Tile(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			goTile, err := snap.Tile(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			want, got := decodeByCode(t, sqlTile), decodeByCode(t, goTile)
			compared++
			for code, w := range want {
				g := got[code]
				wa := featureArea(w)
				if g == nil {
					if wa > 64 {
						t.Errorf("scope %v tile %v: grid %s (area %.0f units²) missing from the Go tile", scope, c, code, wa)
					}
					continue
				}
				features++
				for k, v := range w.Properties {
					if fmt.Sprint(g.Properties[k]) != fmt.Sprint(v) {
						t.Errorf("tile %v grid %s: %s = %v, SQL %v", c, code, k, g.Properties[k], v)
					}
				}
				if len(g.Properties) != len(w.Properties) {
					t.Errorf("tile %v grid %s: attributes %v, SQL %v", c, code, g.Properties, w.Properties)
				}
				if ga := featureArea(g); math.Abs(ga-wa) > math.Max(0.02*wa, 64) {
					t.Errorf("tile %v grid %s: area %.0f units², SQL %.0f", c, code, ga, wa)
				}
			}
			for code, g := range got {
				if want[code] == nil && featureArea(g) > 64 {
					t.Errorf("scope %v tile %v: grid %s (area %.0f) in the Go tile only", scope, c, code, featureArea(g))
				}
			}
		}
	}
	t.Logf("%d tiles compared, %d features", compared, features)
	if features < 500 {
		t.Fatalf("only %d features compared", features)
	}

	// A new version reloads: a renamed grid shows in the next version.
	var c tiles.Coord
	var code string
	for _, c = range coords {
		for k := range decodeByCode(t, must(snap.Tile(ctx, tiles.TileQuery{Layer: "grids", Coord: c, Day: day, Version: "v1"}))) {
			code = k
		}
		if code != "" {
			break
		}
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE grid_versions SET name = '改名网格' WHERE code = $1 AND valid_to IS NULL`, code); err != nil {
		t.Fatal(err)
	}
	same := decodeByCode(t, must(snap.Tile(ctx, tiles.TileQuery{Layer: "grids", Coord: c, Day: day, Version: "v1"})))
	next := decodeByCode(t, must(snap.Tile(ctx, tiles.TileQuery{Layer: "grids", Coord: c, Day: day, Version: "v2"})))
	if same[code].Properties.MustString("name", "") == "改名网格" || next[code].Properties.MustString("name", "") != "改名网格" {
		t.Errorf("version v1 after the write shows %q (want the old name: same version), v2 shows %q",
			same[code].Properties.MustString("name", ""), next[code].Properties.MustString("name", ""))
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// featureArea is the planar area of a decoded tile polygon, in tile units².
func featureArea(f *geojson.Feature) float64 {
	switch g := f.Geometry.(type) {
	case orb.Polygon:
		return planar.Area(g)
	case orb.MultiPolygon:
		return planar.Area(g)
	}
	return 0
}

// TestGridSnapshotRefreshesAttributes: a version that differs from the
// current one only in attributes (the assignments' revision, the day)
// rereads the attributes (GridAttributes) and keeps the geometry — the
// whole layer is not loaded again — and its tiles show the change; a new
// grids revision loads everything.
func TestGridSnapshotRefreshesAttributes(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	st := postgis.NewTileStore(db)
	loads, attrs := 0, 0
	snap := &tiles.Snapshot{Layer: "grids", Shapes: "grids",
		Load: func(ctx context.Context, day time.Time) ([]tiles.SnapshotFeature, error) {
			loads++
			return st.GridSnapshot(ctx, day)
		},
		Attrs: func(ctx context.Context, day time.Time) (map[string]tiles.Attrs, error) {
			attrs++
			return st.GridAttributes(ctx, day)
		}}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	const code = "370114001001001"
	var lon, lat float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grid_versions WHERE code = $1 AND valid_to IS NULL) x`, code).
		Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	tl := maptile.At(orb.Point{lon, lat}, 15)
	c := tiles.Coord{Z: 15, X: int(tl.X), Y: int(tl.Y)}
	worker := func(version string) string {
		f := decodeByCode(t, must(snap.Tile(ctx, tiles.TileQuery{Layer: "grids", Coord: c, Day: day, Version: version})))[code]
		if f == nil {
			t.Fatalf("grid %s not in tile %v", code, c)
		}
		return f.Properties.MustString("worker_username", "")
	}
	if w := worker("grids|grids=1|assignments=1"); w != code {
		t.Fatalf("worker %q, want %s", w, code)
	}
	if _, err := db.Pool.Exec(ctx, `DELETE FROM grid_assignments WHERE grid_code = $1 AND grid_role = 'worker'`, code); err != nil {
		t.Fatal(err)
	}
	if w := worker("grids|grids=1|assignments=2"); w != "" {
		t.Errorf("after the assignment ended: worker %q, want none", w)
	}
	if loads != 1 || attrs != 1 {
		t.Errorf("an assignment change: %d loads, %d attribute reads; want 1 and 1", loads, attrs)
	}
	worker("grids|grids=2|assignments=2")
	if loads != 2 || attrs != 1 {
		t.Errorf("a grids change: %d loads, %d attribute reads; want 2 and 1", loads, attrs)
	}
}
