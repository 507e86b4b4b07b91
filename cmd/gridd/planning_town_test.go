package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/layers"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/planning"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/paulmach/orb"
)

// syntheticTown loads into an empty registry a town and one village, the
// square [117.50, 117.54] × [36.70, 36.74], cut by a lattice of n−1 roads
// each way into n×n blocks, each road a chain of n sections, and the
// households of each block (perBlock(i, j)) at seeded random places inside
// it. It returns the village code.
func syntheticTown(tb testing.TB, ta *testApp, n int, perBlock func(i, j int) int) string {
	tb.Helper()
	ctx := context.Background()
	tok := ta.login("admin")
	if res := ta.do("POST", "/api/v1/grids/import", tok, []byte(rootAndVillage), nil); res.Status != 201 {
		tb.Fatalf("import: %d %s", res.Status, res.Body)
	}
	x0, y0, side := 117.50, 36.70, 0.04
	d := side / float64(n)
	var roads []layers.Item
	for k := 1; k < n; k++ {
		for s := 0; s < n; s++ {
			roads = append(roads,
				layers.Item{Code: fmt.Sprintf("v%02d-%02d", k, s), Name: fmt.Sprintf("纵%d路", k), Kind: "street",
					Geom: orb.LineString{{x0 + float64(k)*d, y0 + float64(s)*d}, {x0 + float64(k)*d, y0 + float64(s+1)*d}}},
				layers.Item{Code: fmt.Sprintf("h%02d-%02d", k, s), Name: fmt.Sprintf("横%d路", k), Kind: "street",
					Geom: orb.LineString{{x0 + float64(s)*d, y0 + float64(k)*d}, {x0 + float64(s+1)*d, y0 + float64(k)*d}}})
		}
	}
	if _, err := postgis.NewLayerStore(ta.db).ReplaceLayer(ctx, layers.Roads, roads, time.Now()); err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(17, uint64(n)))
	var xs, ys []float64
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			for range perBlock(i, j) {
				xs = append(xs, x0+(float64(i)+0.05+0.9*r.Float64())*d)
				ys = append(ys, y0+(float64(j)+0.05+0.9*r.Float64())*d)
			}
		}
	}
	if _, err := ta.db.Pool.Exec(ctx, `
INSERT INTO register_records (kind, name, point, created_at, updated_at)
SELECT 'household', '户' || i, ST_SetSRID(ST_MakePoint(x, y), 4326), now(), now()
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, i)`, xs, ys); err != nil {
		tb.Fatal(err)
	}
	return "370114001001000"
}

// TestDivisionProposalSyntheticTown: 6×6 blocks of 100 households between
// a road lattice; the best division is 12 grids of three whole blocks, all
// internal boundary on roads. The proposal finds one: every grid holds
// 300, follows roads for ≥ 90% of its internal boundary (here all of it),
// audits clean and covers the village to 0.01%.
func TestDivisionProposalSyntheticTown(t *testing.T) {
	ta := newTestApp(t, false)
	ta.addUser("admin", people.RoleAdmin, "")
	village := syntheticTown(t, ta, 6, func(int, int) int { return 100 })
	p := ta.propose(ta.login("admin"), village, map[string]any{"target": 300, "min": 250, "max": 350})
	checkProposal(t, p, 300, 300, 0.9)
	if len(p.Features) != 12 {
		t.Errorf("%d grids, want 12", len(p.Features))
	}
	for _, f := range p.Features {
		if f.Properties["parts"].(float64) != 1 || f.Properties["split_block"].(bool) || f.Properties["road_share"].(float64) < 0.9 {
			t.Errorf("grid %s: %v", f.ID, f.Properties)
		}
	}
}

// TestDivisionProposalZonesAndSplits: boundaries following a zone (no road
// kind chosen): the zone over the west half cuts the village into two
// blocks of 1,800 households, which must be split; every grid is still
// within the bounds, the grids never cross the zone's boundary, and the
// audit is clean.
func TestDivisionProposalZonesAndSplits(t *testing.T) {
	ta := newTestApp(t, false)
	ta.addUser("admin", people.RoleAdmin, "")
	village := syntheticTown(t, ta, 6, func(int, int) int { return 100 })
	zone := layers.Item{Code: "west", Name: "西区", Kind: "district",
		Geom: orb.MultiPolygon{{{{117.49, 36.69}, {117.52, 36.69}, {117.52, 36.75}, {117.49, 36.75}, {117.49, 36.69}}}}}
	if _, err := postgis.NewLayerStore(ta.db).ReplaceLayer(context.Background(), layers.Zones, []layers.Item{zone}, time.Now()); err != nil {
		t.Fatal(err)
	}
	p := ta.propose(ta.login("admin"), village, map[string]any{"target": 300, "min": 250, "max": 350, "road_kinds": []string{"none"}, "zones": true})
	checkProposal(t, p, 250, 350, 0)
	for _, f := range p.Features {
		if f.Properties["split_block"] != true {
			t.Errorf("grid %s is not a piece of a split block: %v", f.ID, f.Properties)
		}
	}
	var crossing int
	if err := ta.db.Pool.QueryRow(context.Background(), `
SELECT count(*) FROM division_proposals d, jsonb_array_elements(d.body->'grids') g
WHERE d.id = $1 AND ST_Relate(ST_GeomFromGeoJSON(jsonb_build_object('type', 'MultiPolygon', 'coordinates', g->'geometry')),
  ST_MakeEnvelope(117.49, 36.69, 117.52, 36.75, 4326), '2********')
  AND NOT ST_CoveredBy(ST_Buffer(ST_GeomFromGeoJSON(jsonb_build_object('type', 'MultiPolygon', 'coordinates', g->'geometry')), -0.000001),
  ST_MakeEnvelope(117.49, 36.69, 117.52, 36.75, 4326))`, p.ID).Scan(&crossing); err != nil {
		t.Fatal(err)
	}
	if crossing > 0 {
		t.Errorf("%d grids cross the zone boundary", crossing)
	}
}

// TestDivisionProposalKeepsExisting: with one grid already drawn over the
// west third of the synthetic village (two block columns), a proposal that
// keeps it divides only the rest: its grids are numbered after it, cover
// the rest without touching it, and applying it leaves the kept grid as it
// was and the village fully covered.
func TestDivisionProposalKeepsExisting(t *testing.T) {
	ta := newTestApp(t, false)
	ta.addUser("admin", people.RoleAdmin, "")
	village := syntheticTown(t, ta, 6, func(int, int) int { return 100 })
	tok := ta.login("admin")
	west := collection(feature(`"code":"370114001001001","name":"西片","level":3,"parent_code":"370114001001000"`,
		`{"type":"Polygon","coordinates":[[[117.50,36.70],[117.5133333333333333,36.70],[117.5133333333333333,36.74],[117.50,36.74],[117.50,36.70]]]}`))
	if res := ta.do("POST", "/api/v1/grids/import", tok, west, nil); res.Status != 201 {
		t.Fatalf("import the kept grid: %d %s", res.Status, res.Body)
	}
	p := ta.propose(tok, village, map[string]any{"target": 300, "min": 250, "max": 350, "keep_existing": true})
	checkProposal(t, p, 300, 300, 0.9)
	if len(p.Features) != 8 || p.Features[0].ID != "370114001001002" || len(p.Ends) != 0 {
		t.Fatalf("%d grids from %s, ends %v; want 8 from 370114001001002, none ended", len(p.Features), p.Features[0].ID, p.Ends)
	}
	res := ta.do("POST", fmt.Sprintf("/api/v1/grids/%s/division-proposals/%d/apply", village, p.ID), tok, nil,
		map[string]string{"If-Match": fmt.Sprintf(`"%d"`, p.ParentVersion)})
	if res.Status != 200 {
		t.Fatalf("apply: %d %s", res.Status, res.Body)
	}
	if v := ta.version("370114001001001"); v != 1 {
		t.Errorf("the kept grid is at version %d", v)
	}
	ta.auditClean(tok, village)
}

// BenchmarkDivisionProposal: a proposal (cut, count, group, union,
// measure, audit, store) for a synthetic community of 20,000 households
// and 1,984 road sections (32×32 blocks, 0–38 households each), and for
// the whole demo town (7,150 households) under its root.
func BenchmarkDivisionProposal(b *testing.B) {
	run := func(b *testing.B, ta *testApp, parent string) {
		svc := ta.planning
		b.ReportAllocs()
		b.ResetTimer()
		var p *planning.Proposal
		for i := 0; i < b.N; i++ {
			var err error
			p, err = svc.Propose(context.Background(), planning.Request{Parent: parent, Target: 300}, "bench", nil)
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(len(p.Grids)), "grids")
		b.ReportMetric(p.RoadShare, "road-share")
		if !p.Audit.Clean {
			b.Errorf("audit %+v", p.Audit)
		}
	}
	b.Run("synthetic-20000", func(b *testing.B) {
		ta := newTestAppConfig(b, false, nil)
		ta.addUser("admin", people.RoleAdmin, "")
		r := rand.New(rand.NewPCG(5, 5))
		counts := make([]int, 32*32)
		total := 0
		for i := range counts {
			counts[i] = r.IntN(39)
			total += counts[i]
		}
		counts[0] += 20000 - total
		if counts[0] < 0 {
			b.Fatalf("total %d", total)
		}
		t0 := time.Now()
		village := syntheticTown(b, ta, 32, func(i, j int) int { return counts[j*32+i] })
		b.Logf("fixture in %v", time.Since(t0))
		run(b, ta, village)
	})
	b.Run("demo-town", func(b *testing.B) {
		ta := newTestAppConfig(b, true, nil)
		if err := seedDemoRegisters(context.Background(), ta.app, demo.Generate(dbtest.DemoSeed), dbtest.DemoSeed); err != nil {
			b.Fatal(err)
		}
		run(b, ta, "370114001000000")
	})
}
