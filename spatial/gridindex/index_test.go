package gridindex_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/spatial/gridindex"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
)

type locateCase struct {
	name string
	p    orb.Point
	want map[int]string // level -> code
}

// Expected answers follow the rule: per level, min(Code) over the grids whose
// closed geometry covers the point.
var hierarchyCases = []locateCase{
	{"interior of P1-A", orb.Point{101, 31}, map[int]string{1: "P1", 2: "P1-A"}},
	{"interior of P1-D near the hole", orb.Point{104.5, 36}, map[int]string{1: "P1", 2: "P1-D"}},
	{"interior of P0", orb.Point{110, 34}, map[int]string{1: "P0", 2: "P0-A"}},
	{"outside west of everything", orb.Point{99, 31}, nil},
	{"far outside the extent", orb.Point{-170, -80}, nil},
	{"inside the extent but in no grid", orb.Point{115, 31}, nil},
	{"extent corner in no grid", orb.Point{143, 38}, nil},
	{"on the outer edge of P1", orb.Point{100, 32}, map[int]string{1: "P1", 2: "P1-A"}},
	{"on the outer vertex of P1", orb.Point{100, 30}, map[int]string{1: "P1", 2: "P1-A"}},
	{"on the top edge of P1-C", orb.Point{102, 38}, map[int]string{1: "P1", 2: "P1-C"}},
	{"shared vertex of 4 level-2 grids", orb.Point{104, 34}, map[int]string{1: "P1", 2: "P1-A"}},
	{"shared edge P1-A|P1-B", orb.Point{104, 31}, map[int]string{1: "P1", 2: "P1-A"}},
	{"shared edge P1-C|P1-D", orb.Point{104, 37.5}, map[int]string{1: "P1", 2: "P1-C"}},
	{"shared horizontal edge P1-B|P1-D", orb.Point{106, 34}, map[int]string{1: "P1", 2: "P1-B"}},
	{"shared edge between level-1 grids P0|P1", orb.Point{108, 31}, map[int]string{1: "P0", 2: "P0-A"}},
	{"shared vertex P0|P1|P1-D|P0-A", orb.Point{108, 38}, map[int]string{1: "P0", 2: "P0-A"}},
	{"shared vertex P1-B|P1-D|P0-A on P0|P1 edge", orb.Point{108, 34}, map[int]string{1: "P0", 2: "P0-A"}},
	{"in the hole: the island", orb.Point{106, 36}, map[int]string{1: "P2", 2: "P2-A"}},
	{"in the hole near its corner", orb.Point{105.001, 35.001}, map[int]string{1: "P2", 2: "P2-A"}},
	{"on the hole boundary edge", orb.Point{105, 36}, map[int]string{1: "P1", 2: "P1-D"}},
	{"on the hole boundary horizontal edge", orb.Point{106, 37}, map[int]string{1: "P1", 2: "P1-D"}},
	{"on a hole vertex", orb.Point{107, 37}, map[int]string{1: "P1", 2: "P1-D"}},
	{"just outside the hole", orb.Point{104.999, 36}, map[int]string{1: "P1", 2: "P1-D"}},
	{"lexicographic: 10 before 9 on shared edge", orb.Point{121, 30.5}, map[int]string{3: "10"}},
	{"lexicographic: shared vertex of 9 and 10", orb.Point{121, 31}, map[int]string{3: "10"}},
	{"inside 9", orb.Point{120.5, 30.5}, map[int]string{3: "9"}},
	{"inside 10", orb.Point{121.5, 30.5}, map[int]string{3: "10"}},
	{"overlap Z1 and Z2 (bad data)", orb.Point{121.5, 33.5}, map[int]string{3: "Z1"}},
	{"only Z2", orb.Point{120.5, 32.5}, map[int]string{3: "Z2"}},
	{"only Z1", orb.Point{122.5, 34.5}, map[int]string{3: "Z1"}},
	{"Z2 edge inside Z1", orb.Point{122, 33.5}, map[int]string{3: "Z1"}},
	{"on the diagonal T1|T2", orb.Point{131, 31}, map[int]string{3: "T1"}},
	{"just above the diagonal", orb.Point{131, 31.000000001}, map[int]string{3: "T2"}},
	{"just below the diagonal", orb.Point{131, 30.999999999}, map[int]string{3: "T1"}},
	{"multipolygon first part", orb.Point{140.5, 30.5}, map[int]string{3: "M"}},
	{"multipolygon second part", orb.Point{142.5, 30.5}, map[int]string{3: "M"}},
	{"between multipolygon parts", orb.Point{141.5, 30.5}, nil},
	{"multipolygon vertex at the extent's max x", orb.Point{143, 31}, map[int]string{3: "M"}},
	{"NaN", orb.Point{math.NaN(), 31}, nil},
}

func wantCodes(levels []int, want map[int]string) []string {
	var out []string
	for _, l := range levels {
		if c, ok := want[l]; ok {
			out = append(out, c)
		}
	}
	return out
}

func TestLocate_hierarchy(t *testing.T) {
	grids := loadGrids(t, "testdata/hierarchy.geojson")
	for _, opt := range []struct {
		name string
		opt  gridindex.Options
	}{
		{"default", gridindex.Options{}},
		{"deep", gridindex.Options{TopEdges: 1 << 30, LeafEdges: 2}},
		{"fine", gridindex.Options{TopEdges: 1, LeafEdges: 1}},
		{"aligned", gridindex.Options{CellSize: 0.5, LeafEdges: 4}},
	} {
		ix, err := gridindex.NewWithOptions(grids, opt.opt)
		if err != nil {
			t.Fatal(err)
		}
		levels := []int{1, 2, 3}
		for _, tc := range hierarchyCases {
			t.Run(opt.name+"/"+tc.name, func(t *testing.T) {
				want := wantCodes(levels, tc.want)
				if got := codes(ix.Locate(tc.p)); !slices.Equal(got, want) {
					t.Errorf("Locate(%v) = %v, want %v", tc.p, got, want)
				}
				if got := codes(ix.AppendLocate(nil, tc.p)); !slices.Equal(got, want) {
					t.Errorf("AppendLocate(%v) = %v, want %v", tc.p, got, want)
				}
				for _, l := range []int{0, 1, 2, 3, 4} {
					g, ok := ix.LocateLevel(tc.p, l)
					wc, wok := tc.want[l]
					if ok != wok || (ok && g.Code != wc) {
						t.Errorf("LocateLevel(%v, %d) = %v, %v; want %q, %v", tc.p, l, g, ok, wc, wok)
					}
				}
				if ref := newRefIndex(grids).locate(tc.p); !slices.Equal(ref, want) {
					t.Errorf("reference implementation disagrees with the table: %v, want %v", ref, want)
				}
			})
		}
	}
}

func TestNew_errors(t *testing.T) {
	sq := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}
	tests := []struct {
		name  string
		grids []gridindex.Grid
		want  string
	}{
		{"nil geometry", []gridindex.Grid{{Code: "a"}}, "empty geometry"},
		{"empty rings", []gridindex.Grid{{Code: "a", Geometry: orb.MultiPolygon{{{}, {}}}}}, "empty geometry"},
		{"NaN", []gridindex.Grid{{Code: "a", Geometry: orb.MultiPolygon{{{{0, 0}, {math.NaN(), 1}, {1, 1}}}}}}, "non-finite"},
		{"Inf", []gridindex.Grid{{Code: "ok", Geometry: orb.MultiPolygon{{sq}}}, {Code: "a", Geometry: orb.MultiPolygon{{{{0, 0}, {1, math.Inf(-1)}, {1, 1}}}}}}, "non-finite"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gridindex.New(tc.grids)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New() error = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestNew_empty(t *testing.T) {
	ix, err := gridindex.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 0 || len(ix.Locate(orb.Point{0, 0})) != 0 {
		t.Errorf("empty index answers something")
	}
	if _, ok := ix.LocateLevel(orb.Point{0, 0}, 0); ok {
		t.Errorf("empty index LocateLevel answers something")
	}
	if d := ix.BoundaryDistance(orb.Point{0, 0}, 10); d != 10 {
		t.Errorf("BoundaryDistance = %v, want 10", d)
	}
}

func TestIndex_gridsAndLen(t *testing.T) {
	grids := loadGrids(t, "testdata/hierarchy.geojson")
	ix, err := gridindex.New(grids)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != len(grids) {
		t.Errorf("Len() = %d, want %d", ix.Len(), len(grids))
	}
	got := ix.Grids()
	for i := range grids {
		g, w := got[i], grids[i]
		if g.Code != w.Code || g.Name != w.Name || g.Level != w.Level || !g.Geometry.Equal(w.Geometry) {
			t.Fatalf("Grids()[%d] = %+v, want %+v", i, g, w)
		}
	}
	if m := ix.MemoryBytes(); m <= 0 {
		t.Errorf("MemoryBytes() = %d", m)
	}
	if !slices.Equal(ix.Levels(), []int{1, 2, 3}) {
		t.Errorf("Levels() = %v", ix.Levels())
	}
}

func TestLocate_noAllocs(t *testing.T) {
	grids := loadGrids(t, "testdata/hierarchy.geojson")
	ix, err := gridindex.New(grids)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]*gridindex.Grid, 0, 4)
	p := orb.Point{105, 36}
	if n := testing.AllocsPerRun(100, func() { buf = ix.AppendLocate(buf[:0], p) }); n != 0 {
		t.Errorf("AppendLocate allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { ix.LocateLevel(p, 2) }); n != 0 {
		t.Errorf("LocateLevel allocates %v times", n)
	}
	pts := []orb.Point{p, {101, 31}, {0, 0}}
	found := 0
	if n := testing.AllocsPerRun(100, func() {
		ix.LocateEach(pts, func(_ int, gs []*gridindex.Grid) { found += len(gs) })
	}); n > 1 {
		t.Errorf("LocateEach allocates %v times, want at most 1 per call", n)
	}
	if n := testing.AllocsPerRun(100, func() { ix.Locate(p) }); n != 1 {
		t.Errorf("Locate allocates %v times, want 1", n)
	}
}

// transform returns a deep copy of grids with every ring transformed.
func transform(grids []gridindex.Grid, f func(orb.Ring) orb.Ring) []gridindex.Grid {
	out := make([]gridindex.Grid, len(grids))
	for i, g := range grids {
		out[i] = g
		out[i].Geometry = make(orb.MultiPolygon, len(g.Geometry))
		for j, p := range g.Geometry {
			out[i].Geometry[j] = make(orb.Polygon, len(p))
			for k, r := range p {
				out[i].Geometry[j][k] = f(slices.Clone(r))
			}
		}
	}
	return out
}

func openRing(r orb.Ring) orb.Ring {
	if len(r) > 1 && r[0] == r[len(r)-1] {
		return r[:len(r)-1]
	}
	return r
}

func reverseRing(r orb.Ring) orb.Ring {
	r = openRing(r)
	slices.Reverse(r)
	return append(r, r[0])
}

func rotateRing(k int) func(orb.Ring) orb.Ring {
	return func(r orb.Ring) orb.Ring {
		r = openRing(r)
		if len(r) == 0 {
			return r
		}
		s := k % len(r)
		r = append(slices.Clone(r[s:]), r[:s]...)
		return append(r, r[0])
	}
}

// TestLocate_invariants checks that answers do not depend on ring
// orientation, on the starting vertex or on the closing vertex.
func TestLocate_invariants(t *testing.T) {
	fixture := loadGrids(t, "testdata/hierarchy.geojson")
	tess := gridindextest.Tessellation(7, 12, 12, 116, 39.5, 0.01)
	for _, ds := range []struct {
		name  string
		grids []gridindex.Grid
	}{{"fixture", fixture}, {"tessellation", tess}} {
		base, err := gridindex.New(ds.grids)
		if err != nil {
			t.Fatal(err)
		}
		pts := samplePoints(ds.grids, 5000, 3)
		for _, tc := range hierarchyCases {
			pts = append(pts, tc.p)
		}
		variants := []struct {
			name string
			f    func(orb.Ring) orb.Ring
		}{
			{"reversed", reverseRing},
			{"rotated-1", rotateRing(1)},
			{"rotated-5", rotateRing(5)},
			{"reversed-rotated", func(r orb.Ring) orb.Ring { return rotateRing(3)(reverseRing(r)) }},
			{"unclosed", openRing},
		}
		for _, v := range variants {
			t.Run(ds.name+"/"+v.name, func(t *testing.T) {
				ix, err := gridindex.New(transform(ds.grids, v.f))
				if err != nil {
					t.Fatal(err)
				}
				bad := 0
				for _, p := range pts {
					if got, want := codes(ix.Locate(p)), codes(base.Locate(p)); !slices.Equal(got, want) {
						if bad++; bad <= 10 {
							t.Errorf("Locate(%v) = %v, original %v", p, got, want)
						}
					}
				}
			})
		}
	}
}

// samplePoints returns n random points over the grids' extent (slightly
// enlarged) plus every vertex and every edge midpoint.
func samplePoints(grids []gridindex.Grid, n int, seed uint64) []orb.Point {
	var ext orb.Bound
	for i := range grids {
		if i == 0 {
			ext = grids[i].Geometry.Bound()
		} else {
			ext = ext.Union(grids[i].Geometry.Bound())
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	w, h := ext.Max[0]-ext.Min[0], ext.Max[1]-ext.Min[1]
	pts := make([]orb.Point, 0, n)
	for range n {
		pts = append(pts, orb.Point{ext.Min[0] - 0.02*w + rng.Float64()*1.04*w, ext.Min[1] - 0.02*h + rng.Float64()*1.04*h})
	}
	for i := range grids {
		for _, p := range grids[i].Geometry {
			for _, r := range p {
				for k := range r {
					a, b := r[k], r[(k+1)%len(r)]
					pts = append(pts, a, orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2})
				}
			}
		}
	}
	return pts
}

func TestBoundaryDistance(t *testing.T) {
	fixture := loadGrids(t, "testdata/hierarchy.geojson")
	tess := gridindextest.Tessellation(11, 20, 20, 116, 39.5, 0.01)
	for _, ds := range []struct {
		name  string
		grids []gridindex.Grid
		max   float64
	}{{"fixture", fixture, 300000}, {"tessellation", tess, 700}} {
		t.Run(ds.name, func(t *testing.T) {
			ix, err := gridindex.NewWithOptions(ds.grids, gridindex.Options{})
			if err != nil {
				t.Fatal(err)
			}
			pts := samplePoints(ds.grids, 1500, 5)
			if len(pts) > 4000 {
				pts = pts[:4000]
			}
			for _, p := range pts {
				got := ix.BoundaryDistance(p, ds.max)
				want := refDistance(ds.grids, p, ds.max)
				if math.Abs(got-want) > 1e-6*(1+want) {
					t.Errorf("BoundaryDistance(%v, %v) = %v, want %v", p, ds.max, got, want)
				}
			}
		})
	}
	t.Run("cases", func(t *testing.T) {
		ix, err := gridindex.New(fixture)
		if err != nil {
			t.Fatal(err)
		}
		// 1 degree of latitude at 36N is about 110.95 km.
		for _, tc := range []struct {
			name     string
			p        orb.Point
			max      float64
			min, top float64
		}{
			{"on a vertex", orb.Point{104, 34}, 1000, 0, 0},
			{"on an edge", orb.Point{105, 36}, 1000, 0, 0},
			{"nothing within max", orb.Point{106, 36.5}, 1000, 1000, 1000},
			{"half a degree of latitude from the hole edge", orb.Point{106, 36.5}, 1e6, 55400, 55500},
			{"non-positive max", orb.Point{106, 36.5}, 0, 0, 0},
			{"far outside", orb.Point{0, 0}, 1000, 1000, 1000},
		} {
			if d := ix.BoundaryDistance(tc.p, tc.max); d < tc.min || d > tc.top {
				t.Errorf("%s: BoundaryDistance(%v, %v) = %v, want in [%v, %v]", tc.name, tc.p, tc.max, d, tc.min, tc.top)
			}
		}
	})
}

func TestTessellation(t *testing.T) {
	grids := gridindextest.Tessellation(3, 9, 6, 116, 39.5, 0.01)
	var l2, l3 int
	area := map[int]float64{}
	for _, g := range grids {
		if len(g.Geometry) != 1 || len(g.Geometry[0]) != 1 {
			t.Fatalf("%s: want one polygon with one ring", g.Code)
		}
		r := g.Geometry[0][0]
		if !r.Closed() || r.Orientation() != orb.CCW {
			t.Errorf("%s: ring not closed or not counter-clockwise", g.Code)
		}
		area[g.Level] += ringArea(r)
		switch g.Level {
		case 2:
			l2++
		case 3:
			l3++
			if len(r) != 33 {
				t.Errorf("%s: %d vertices, want 33 (closed)", g.Code, len(r))
			}
			if !strings.HasPrefix(g.Code, "B") || len(g.Code) != 12 {
				t.Errorf("bad level-3 code %q", g.Code)
			}
		}
		if selfIntersects(r) {
			t.Errorf("%s: ring self-intersects", g.Code)
		}
	}
	if l3 != 54 || l2 != 3*2 {
		t.Errorf("got %d level-3 and %d level-2 grids, want 54 and 6", l3, l2)
	}
	if math.Abs(area[2]-area[3]) > 1e-12 {
		t.Errorf("level areas differ: %v vs %v", area[2], area[3])
	}
	// Deterministic.
	again := gridindextest.Tessellation(3, 9, 6, 116, 39.5, 0.01)
	for i := range grids {
		if grids[i].Code != again[i].Code || !grids[i].Geometry.Equal(again[i].Geometry) {
			t.Fatalf("not deterministic at %d", i)
		}
	}
}

func ringArea(r orb.Ring) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

func selfIntersects(r orb.Ring) bool {
	n := len(r) - 1
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if j == i+1 || (i == 0 && j == n-1) {
				continue
			}
			a, b, c, d := r[i], r[i+1], r[j], r[j+1]
			if refOrient(a, b, c)*refOrient(a, b, d) <= 0 && refOrient(c, d, a)*refOrient(c, d, b) <= 0 {
				return true
			}
		}
	}
	return false
}
