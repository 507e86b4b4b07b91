package gridindex_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/spatial/gridindex"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
)

// TestBoundaryDistance_matchesPrevious: the search gives the previous
// search's distance, bit for bit, for random points inside and outside the
// grids, on vertices and edge midpoints, near vertices (a few cm off), and
// points well inside the top cells' borders, with the caps in use (1 km for
// POST /locate) and smaller and larger ones, on deep subdivisions too.
func TestBoundaryDistance_matchesPrevious(t *testing.T) {
	tess := gridindextest.Tessellation(5, 40, 40, 116, 36, 0.005)
	fixture := loadGrids(t, "testdata/hierarchy.geojson")
	for _, ds := range []struct {
		name  string
		grids []gridindex.Grid
		opt   gridindex.Options
		caps  []float64
	}{
		{"tessellation", tess, gridindex.Options{}, []float64{1000, 50, 5000}},
		{"tessellation-deep", tess, gridindex.Options{TopEdges: 4, LeafEdges: 3}, []float64{1000, 200}},
		{"fixture", fixture, gridindex.Options{}, []float64{1000, 300000}},
	} {
		t.Run(ds.name, func(t *testing.T) {
			ix, err := gridindex.NewWithOptions(ds.grids, ds.opt)
			if err != nil {
				t.Fatal(err)
			}
			pts := samplePoints(ds.grids, 4000, 17)
			rng := rand.New(rand.NewPCG(17, 2))
			for _, g := range ds.grids[:min(len(ds.grids), 300)] {
				for _, v := range g.Geometry[0][0] {
					a := rng.Float64() * 2 * math.Pi
					r := rng.Float64() * 5e-7 // up to ~5 cm
					pts = append(pts, orb.Point{v[0] + r*math.Cos(a), v[1] + r*math.Sin(a)})
				}
			}
			pts = append(pts, ix.CellBorderPoints()...)
			diff := 0
			for _, max := range ds.caps {
				for _, p := range pts {
					got, want := ix.BoundaryDistance(p, max), ix.BoundaryDistanceRef(p, max)
					if math.Float64bits(got) != math.Float64bits(want) {
						if diff++; diff <= 10 {
							t.Errorf("BoundaryDistance(%v, %v) = %v, previously %v", p, max, got, want)
						}
					}
				}
			}
			if diff > 0 {
				t.Errorf("%d of %d distances differ", diff, len(pts)*len(ds.caps))
			}
		})
	}
}

// TestLocateEachDistance: the batch gives Locate's grids and
// BoundaryDistance's distance for every point, in order.
func TestLocateEachDistance(t *testing.T) {
	grids := gridindextest.Tessellation(5, 30, 30, 116, 36, 0.005)
	ix, err := gridindex.New(grids)
	if err != nil {
		t.Fatal(err)
	}
	all := samplePoints(grids, 3000, 9)
	all = append(all, orb.Point{math.NaN(), 36}, orb.Point{0, 0}, orb.Point{116.05, math.Inf(1)}, orb.Point{-200, 1e300})
	// In space order (large batches) and in the order given.
	for _, pts := range [][]orb.Point{all, all[len(all)-100:]} {
		next := 0
		ix.LocateEachDistance(pts, 1000, func(i int, got []*gridindex.Grid, dist float64) {
			if i != next {
				t.Fatalf("point %d after %d", i, next-1)
			}
			next++
			want := ix.Locate(pts[i])
			if len(got) != len(want) {
				t.Fatalf("point %d %v: %d grids, want %d", i, pts[i], len(got), len(want))
			}
			for k := range got {
				if got[k] != want[k] {
					t.Errorf("point %d %v: grid %s, want %s", i, pts[i], got[k].Code, want[k].Code)
				}
			}
			if d := ix.BoundaryDistance(pts[i], 1000); math.Float64bits(d) != math.Float64bits(dist) {
				t.Errorf("point %d %v: distance %v, want %v", i, pts[i], dist, d)
			}
		})
		if next != len(pts) {
			t.Errorf("%d answers for %d points", next, len(pts))
		}
	}
}

// TestLocateEachDistance_empty: an empty index answers no grid and the cap.
func TestLocateEachDistance_empty(t *testing.T) {
	ix, err := gridindex.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	pts := make([]orb.Point, 300)
	pts[1] = orb.Point{116, 36}
	n := 0
	ix.LocateEachDistance(pts, 1000, func(i int, grids []*gridindex.Grid, dist float64) {
		n++
		if len(grids) != 0 || dist != 1000 {
			t.Errorf("point %d: %d grids, distance %v", i, len(grids), dist)
		}
	})
	if n != len(pts) {
		t.Errorf("%d answers for %d points", n, len(pts))
	}
}
