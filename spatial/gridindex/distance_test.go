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
