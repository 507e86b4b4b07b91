package locate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/spatial/gridindex"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
)

// The differential tests put the same grids in PostGIS and in the index and
// require the same answer for every point: at each level, the smallest code
// among the grids whose closed geometry covers the point (ST_Covers), which
// is gridindex's documented boundary rule.

func demoGrids() []gridindex.Grid {
	town := demo.Generate(dbtest.DemoSeed)
	out := make([]gridindex.Grid, len(town.Grids))
	for i, g := range town.Grids {
		out[i] = gridindex.Grid{Code: g.Code, Name: g.Name, Level: g.Level, Geometry: g.Geometry}
	}
	return out
}

// loadBenchGrids copies grids into a plain table bench_grids with a GiST index.
func loadBenchGrids(tb testing.TB, db *postgis.DB, grids []gridindex.Grid) {
	tb.Helper()
	ctx := context.Background()
	_, err := db.Pool.Exec(ctx, `
CREATE TABLE bench_grids (code text NOT NULL, level int NOT NULL, geom geometry(MultiPolygon, 4326) NOT NULL)`)
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE bench_stage (code text, level int, wkb bytea)`); err != nil {
		tb.Fatal(err)
	}
	i := 0
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"bench_stage"}, []string{"code", "level", "wkb"}, pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(grids) {
			return nil, nil
		}
		g := grids[i]
		i++
		b, err := wkb.Marshal(g.Geometry)
		return []any{g.Code, g.Level, b}, err
	}))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `
INSERT INTO bench_grids SELECT code, level, ST_Multi(ST_GeomFromWKB(wkb, 4326)) FROM bench_stage;
CREATE INDEX ON bench_grids USING gist (geom);
ANALYZE bench_grids`); err != nil {
		tb.Fatal(err)
	}
}

// postgisLocate answers points in one batched query: per point and level,
// min(code) over covering grids.
func postgisLocate(ctx context.Context, db *postgis.DB, pts []orb.Point) ([]map[int]string, error) {
	xs := make([]float64, len(pts))
	ys := make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = p[0], p[1]
	}
	rows, err := db.Pool.Query(ctx, `
SELECT p.i, g.level, min(g.code COLLATE "C")
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(x, y, i)
JOIN bench_grids g ON ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
GROUP BY p.i, g.level`, xs, ys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]map[int]string, len(pts))
	for rows.Next() {
		var i int64
		var level int
		var code string
		if err := rows.Scan(&i, &level, &code); err != nil {
			return nil, err
		}
		if out[i-1] == nil {
			out[i-1] = map[int]string{}
		}
		out[i-1][level] = code
	}
	return out, rows.Err()
}

func testPoints(grids []gridindex.Grid, random int, seed uint64) []orb.Point {
	var b orb.Bound
	for i, g := range grids {
		if i == 0 {
			b = g.Geometry.Bound()
		} else {
			b = b.Union(g.Geometry.Bound())
		}
	}
	b = b.Pad(0.01)
	rng := rand.New(rand.NewPCG(seed, 7))
	pts := make([]orb.Point, 0, random)
	for i := 0; i < random; i++ {
		pts = append(pts, orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])})
	}
	return pts
}

// verticesAndMidpoints returns every vertex and every edge midpoint.
func verticesAndMidpoints(grids []gridindex.Grid) []orb.Point {
	var pts []orb.Point
	for _, g := range grids {
		for _, poly := range g.Geometry {
			for _, r := range poly {
				for i := 0; i+1 < len(r); i++ {
					pts = append(pts, r[i], orb.Point{(r[i][0] + r[i+1][0]) / 2, (r[i][1] + r[i+1][1]) / 2})
				}
			}
		}
	}
	return pts
}

func compare(t *testing.T, name string, ix *gridindex.Index, grids []gridindex.Grid, pts []orb.Point, want []map[int]string) {
	t.Helper()
	levels := ix.Levels()
	byCode := map[string]gridindex.Grid{}
	for _, g := range grids {
		byCode[g.Code] = g
	}
	mismatches := 0
	fc := geojson.NewFeatureCollection()
	for i, p := range pts {
		for _, level := range levels {
			g, ok := ix.LocateLevel(p, level)
			got := ""
			if ok {
				got = g.Code
			}
			if got != want[i][level] {
				mismatches++
				if mismatches <= 10 {
					t.Errorf("%s: point %d %.9f,%.9f level %d: index %q, PostGIS %q", name, i, p[0], p[1], level, got, want[i][level])
					f := geojson.NewFeature(p)
					f.Properties = geojson.Properties{"index": got, "postgis": want[i][level], "level": level}
					fc.Append(f)
					for _, c := range []string{got, want[i][level]} {
						if gg, ok := byCode[c]; ok {
							gf := geojson.NewFeature(gg.Geometry)
							gf.Properties = geojson.Properties{"code": c}
							fc.Append(gf)
						}
					}
				}
			}
		}
	}
	if mismatches > 0 {
		b, _ := json.Marshal(fc)
		path := filepath.Join(os.TempDir(), "failure_"+name+".geojson")
		_ = os.WriteFile(path, b, 0o644)
		t.Errorf("%s: %d mismatches of %d points; map in %s", name, mismatches, len(pts), path)
	}
}

func pointCount() int {
	if os.Getenv("GRIDD_BENCH_FULL") != "" {
		return 1_000_000
	}
	return 20_000
}

// TestIndexAgreesWithPostGIS: demo town, random points plus every vertex and
// edge midpoint; and a generated tessellation with random points. The full
// run (1,000,000 random points) is `make bench` (GRIDD_BENCH_FULL=1).
func TestIndexAgreesWithPostGIS(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		grids []gridindex.Grid
		edges bool
	}{
		{"demo", demoGrids(), true},
		{"tessellation", gridindextest.Tessellation(3, 30, 30, 116.0, 39.5, 0.01), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := dbtest.New(t)
			loadBenchGrids(t, db, tc.grids)
			ix, err := gridindex.New(tc.grids)
			if err != nil {
				t.Fatal(err)
			}
			pts := testPoints(tc.grids, pointCount(), 11)
			if tc.edges {
				pts = append(pts, verticesAndMidpoints(tc.grids)...)
			}
			const batch = 20000
			for lo := 0; lo < len(pts); lo += batch {
				hi := min(lo+batch, len(pts))
				want, err := postgisLocate(ctx, db, pts[lo:hi])
				if err != nil {
					t.Fatal(err)
				}
				compare(t, fmt.Sprintf("%s_%d", tc.name, lo), ix, tc.grids, pts[lo:hi], want)
			}
			covered := 0
			for _, p := range pts {
				if len(ix.Locate(p)) > 0 {
					covered++
				}
			}
			if covered == 0 || covered == len(pts) {
				t.Errorf("%d of %d points covered: the sample does not exercise both sides", covered, len(pts))
			}
			t.Logf("%s: %d points, %d covered, 0 mismatches expected", tc.name, len(pts), covered)
		})
	}
}
