package gridindex_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/spatial/gridindex"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
)

// jitteredRing returns a closed counter-clockwise ring of n vertices around
// (cx, cy) with radii in [0.7r, r].
func jitteredRing(rng *rand.Rand, cx, cy, r float64, n int) orb.Ring {
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * (float64(i) + 0.4*rng.Float64()) / float64(n)
		rr := r * (0.7 + 0.3*rng.Float64())
		ring = append(ring, orb.Point{cx + rr*math.Cos(a), cy + rr*math.Sin(a)})
	}
	return append(ring, ring[0])
}

// diffDataset is a generated tessellation (levels 2 and 3) plus level-1 grids
// with holes, an island filling a hole, an overlapping grid (bad data), a
// multipolygon, and a level-3 grid duplicating an existing code.
func diffDataset(seed uint64) []gridindex.Grid {
	const cell = 0.01
	grids := gridindextest.Tessellation(seed, 32, 32, 116, 39.5, cell)
	rng := rand.New(rand.NewPCG(seed, 99))
	shell := jitteredRing(rng, 116.16, 39.66, 0.12, 24)
	holes := []orb.Ring{
		jitteredRing(rng, 116.13, 39.64, 0.02, 9),
		jitteredRing(rng, 116.19, 39.69, 0.025, 7),
		jitteredRing(rng, 116.165, 39.605, 0.015, 12),
	}
	withHoles := orb.Polygon{shell}
	for _, h := range holes {
		h = slices.Clone(h)
		slices.Reverse(h)
		withHoles = append(withHoles, h)
	}
	grids = append(grids,
		gridindex.Grid{Code: "H-A", Name: "with holes", Level: 1, Geometry: orb.MultiPolygon{withHoles}},
		gridindex.Grid{Code: "H-B", Name: "island", Level: 1, Geometry: orb.MultiPolygon{{slices.Clone(holes[0])}}},
		gridindex.Grid{Code: "H-0", Name: "overlapping", Level: 1, Geometry: orb.MultiPolygon{{
			{{116.24, 39.55}, {116.36, 39.55}, {116.36, 39.67}, {116.24, 39.67}, {116.24, 39.55}}}}},
		gridindex.Grid{Code: "H-M", Name: "multipolygon", Level: 1, Geometry: orb.MultiPolygon{
			{jitteredRing(rng, 116.03, 39.53, 0.02, 5)},
			{jitteredRing(rng, 116.29, 39.79, 0.02, 6), jitteredRing(rng, 116.29, 39.79, 0.008, 5)},
		}},
	)
	// A level-3 grid reusing an existing code with a shifted geometry.
	for _, g := range grids {
		if g.Level == 3 {
			r := slices.Clone(g.Geometry[0][0])
			for i := range r {
				r[i][0] += cell / 2
				r[i][1] += cell / 3
			}
			grids = append(grids, gridindex.Grid{Code: g.Code, Name: "duplicate code", Level: 3, Geometry: orb.MultiPolygon{{r}}})
			break
		}
	}
	return grids
}

// snapped returns a copy of grids with every coordinate snapped to multiples
// of q (a power of two, so snapped values are exact), which creates many
// degeneracies: collinear and horizontal edges, repeated vertices,
// self-touching rings, vertices on cell borders.
func snapped(grids []gridindex.Grid, x0, y0, q float64) []gridindex.Grid {
	return transform(grids, func(r orb.Ring) orb.Ring {
		for i := range r {
			r[i] = orb.Point{x0 + math.Round((r[i][0]-x0)/q)*q, y0 + math.Round((r[i][1]-y0)/q)*q}
		}
		return r
	})
}

type diffConfig struct {
	name string
	opt  gridindex.Options
}

var diffConfigs = []diffConfig{
	{"default", gridindex.Options{}},
	{"deep", gridindex.Options{TopEdges: 1 << 30, LeafEdges: 8}},
	{"fine", gridindex.Options{TopEdges: 2, LeafEdges: 4}},
}

func runDifferential(t *testing.T, name string, grids []gridindex.Grid, pts []orb.Point, configs []diffConfig) {
	ref := newRefIndex(grids)
	want := make([][]string, len(pts))
	for i, p := range pts {
		want[i] = ref.locate(p)
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			ix, err := gridindex.NewWithOptions(grids, cfg.opt)
			if err != nil {
				t.Fatal(err)
			}
			all := append(slices.Clone(pts), ix.RefPoints()...)
			all = append(all, ix.CellBorderPoints()...)
			var ms []mismatch
			levels := ix.Levels()
			each := make([][]string, len(all))
			ix.LocateEach(all, func(i int, gs []*gridindex.Grid) { each[i] = codes(gs) })
			buf := make([]*gridindex.Grid, 0, 8)
			for i, p := range all {
				var w []string
				if i < len(pts) {
					w = want[i]
				} else {
					w = ref.locate(p)
				}
				res := ix.AppendLocate(buf[:0], p)
				got := codes(res)
				ok := slices.Equal(got, w) && slices.Equal(each[i], got)
				// LocateLevel must agree with Locate.
				for _, l := range levels {
					g, found := ix.LocateLevel(p, l)
					var code string
					for _, gg := range res {
						if gg.Level == l {
							code = gg.Code
						}
					}
					if found != (code != "") || (found && g.Code != code) {
						ok = false
					}
				}
				if !ok {
					ms = append(ms, mismatch{p: p, got: got, want: w})
					if len(ms) >= 50 {
						break
					}
				}
			}
			t.Logf("%s/%s: %d points, %d mismatches (%+v)", name, cfg.name, len(all), len(ms), ix.Stats())
			if len(ms) > 0 {
				for _, m := range ms[:min(5, len(ms))] {
					t.Errorf("Locate(%v) = %v, want %v", m.p, m.got, m.want)
				}
				writeFailure(t, fmt.Sprintf("%s_%s", name, cfg.name), grids, ms)
			}
		})
	}
}

// TestLocate_differential compares the index with the brute-force reference
// on 200,000 random points (50,000 with -race, where the reference is slow)
// plus every vertex and every edge midpoint of a generated tessellation with
// holes, islands, overlaps and multipolygons, and every leaf reference point
// and top cell corner of the index.
func TestLocate_differential(t *testing.T) {
	grids := diffDataset(42)
	n := 200000
	if raceEnabled {
		n = 50000
	}
	pts := samplePoints(grids, n, 42)
	runDifferential(t, "tessellation", grids, pts, diffConfigs)
}

// TestLocate_differentialSnapped does the same on a degenerate dataset
// (coordinates snapped to a coarse binary lattice) with query points on a
// lattice twice as fine: many points are exactly on vertices and edges.
func TestLocate_differentialSnapped(t *testing.T) {
	const q = 1.0 / 512
	grids := snapped(diffDataset(43), 116, 39.5, q)
	rng := rand.New(rand.NewPCG(43, 7))
	pts := samplePoints(grids, 20000, 43)
	n := 80000
	if raceEnabled {
		n = 20000
	}
	for range n {
		pts = append(pts, orb.Point{116 - 0.01 + float64(rng.IntN(180*2))*q/2, 39.5 - 0.01 + float64(rng.IntN(180*2))*q/2})
	}
	configs := diffConfigs
	if raceEnabled {
		configs = configs[:2] // the race detector makes the largest index slow
	}
	runDifferential(t, "snapped", grids, pts, configs)
}

// TestLocate_differentialAligned uses coordinates on a binary lattice inside a
// frame grid covering exactly [0, 4] x [0, 4], with top cells of 1/4 degree:
// cell borders, cell centres (the default reference points) and subdivided
// cells' centres all lie on the lattice, so reference points often lie on the
// lines of edges, vertices lie on cell borders, and query points lie on
// edges, on vertices and on cell borders.
func TestLocate_differentialAligned(t *testing.T) {
	const q = 1.0 / 64
	grids := snapped(gridindextest.Tessellation(44, 24, 24, 0.25, 0.25, 0.125), 0, 0, q)
	grids = append(grids, gridindex.Grid{Code: "F", Name: "frame", Level: 1, Geometry: orb.MultiPolygon{{
		{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}},
		{{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}}, // hole
	}}})
	rng := rand.New(rand.NewPCG(44, 8))
	pts := samplePoints(grids, 10000, 44)
	n := 60000
	if raceEnabled {
		n = 20000
	}
	for range n {
		pts = append(pts, orb.Point{float64(rng.IntN(4*128+1)) / 128, float64(rng.IntN(4*128+1)) / 128})
	}
	configs := []diffConfig{
		{"quarter", gridindex.Options{CellSize: 0.25}},
		{"half-deep", gridindex.Options{CellSize: 0.5, LeafEdges: 6}},
		{"quarter-deep", gridindex.Options{CellSize: 0.25, LeafEdges: 8}},
	}
	if raceEnabled {
		configs = configs[:2]
	}
	runDifferential(t, "aligned", grids, pts, configs)
}
