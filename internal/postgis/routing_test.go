package postgis_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/paulmach/orb"
)

// TestRoutingLayersAgreeWithPostGIS: the in-memory routing layers give the
// same zones and the same nearest road of each kind as PostGIS
// (ST_Intersects; ST_Distance on geography, i.e. the spheroid), the
// distance within 0.02% + 1 cm, for random points in and around the demo
// town.
func TestRoutingLayersAgreeWithPostGIS(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	st := postgis.NewCaseStore(db)
	layers, err := st.RoutingLayers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	layers.Prepare()
	if len(layers.Zones) == 0 || len(layers.Roads) == 0 || layers.Version == "" {
		t.Fatalf("demo layers: %d zones, %d roads, version %q", len(layers.Zones), len(layers.Roads), layers.Version)
	}
	var b orb.Bound
	if err := db.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM grid_versions) x`).
		Scan(&b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1]); err != nil {
		t.Fatal(err)
	}
	b = b.Pad(0.05) // ~5 km around the town
	rng := rand.New(rand.NewPCG(11, 12))
	maxRel, atD := 0.0, 0.0
	for i := range 1500 {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		got := layers.Facts(p)
		var zones []string
		if err := db.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM zones WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`,
			p[0], p[1]).Scan(&zones); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(zones, got.Zones) {
			t.Errorf("point %d %v: zones %v, PostGIS %v", i, p, got.Zones, zones)
		}
		rows, err := db.Pool.Query(ctx, `
SELECT DISTINCT ON (kind) kind, code, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography) AS d
FROM roads ORDER BY kind, d, code`, p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var kind, code string
			var d float64
			if err := rows.Scan(&kind, &code, &d); err != nil {
				t.Fatal(err)
			}
			n++
			g, ok := got.Roads[kind]
			if !ok {
				t.Errorf("point %v: no %s road", p, kind)
				continue
			}
			if math.Abs(g.DistanceM-d) > 0.0002*d+0.01 {
				t.Errorf("point %v: nearest %s %s at %.3f m, PostGIS %s at %.3f m", p, kind, g.Code, g.DistanceM, code, d)
			}
			if d > 0 && math.Abs(g.DistanceM-d)/d > maxRel {
				maxRel, atD = math.Abs(g.DistanceM-d)/d, d
			}
		}
		rows.Close()
		if n != len(got.Roads) {
			t.Errorf("point %v: %d road kinds, PostGIS %d", p, len(got.Roads), n)
		}
	}
	t.Logf("largest relative distance difference: %.2e (at %.1f m)", maxRel, atD)
}
