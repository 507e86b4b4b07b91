package gridindex_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/spatial/gridindex"
)

// ---- Minimal GeoJSON reading and writing (orb/geojson would need extra
// module dependencies). ----

type geoFeature struct {
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
	Geometry   geoGeometry    `json:"geometry"`
}

type geoGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

type geoCollection struct {
	Type     string       `json:"type"`
	Features []geoFeature `json:"features"`
}

func loadGrids(t testing.TB, path string) []gridindex.Grid {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fc geoCollection
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	var grids []gridindex.Grid
	for _, f := range fc.Features {
		g := gridindex.Grid{
			Code:  f.Properties["code"].(string),
			Name:  f.Properties["name"].(string),
			Level: int(f.Properties["level"].(float64)),
		}
		switch f.Geometry.Type {
		case "Polygon":
			var c [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				t.Fatal(err)
			}
			g.Geometry = orb.MultiPolygon{toPolygon(c)}
		case "MultiPolygon":
			var c [][][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				t.Fatal(err)
			}
			for _, p := range c {
				g.Geometry = append(g.Geometry, toPolygon(p))
			}
		default:
			t.Fatalf("unsupported geometry %q", f.Geometry.Type)
		}
		grids = append(grids, g)
	}
	return grids
}

func toPolygon(c [][][2]float64) orb.Polygon {
	var p orb.Polygon
	for _, r := range c {
		ring := make(orb.Ring, len(r))
		for i, v := range r {
			ring[i] = orb.Point(v)
		}
		p = append(p, ring)
	}
	return p
}

func geomJSON(mp orb.MultiPolygon) geoGeometry {
	var c [][][][2]float64
	for _, p := range mp {
		var pc [][][2]float64
		for _, r := range p {
			rc := make([][2]float64, len(r))
			for i, v := range r {
				rc[i] = v
			}
			pc = append(pc, rc)
		}
		c = append(c, pc)
	}
	raw, _ := json.Marshal(c)
	return geoGeometry{Type: "MultiPolygon", Coordinates: raw}
}

type mismatch struct {
	p         orb.Point
	got, want []string
}

// writeFailure writes failure_<name>.geojson with the mismatching points and
// the grids involved (those whose bounding box contains a point).
func writeFailure(t *testing.T, name string, grids []gridindex.Grid, ms []mismatch) {
	t.Helper()
	fc := geoCollection{Type: "FeatureCollection"}
	involved := map[int]bool{}
	for _, m := range ms {
		raw, _ := json.Marshal([2]float64(m.p))
		fc.Features = append(fc.Features, geoFeature{Type: "Feature",
			Properties: map[string]any{"got": m.got, "want": m.want, "x": fmt.Sprintf("%v", m.p[0]), "y": fmt.Sprintf("%v", m.p[1])},
			Geometry:   geoGeometry{Type: "Point", Coordinates: raw}})
		for i := range grids {
			if grids[i].Geometry.Bound().Pad(1e-12).Contains(m.p) {
				involved[i] = true
			}
		}
	}
	idx := make([]int, 0, len(involved))
	for i := range involved {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		g := grids[i]
		fc.Features = append(fc.Features, geoFeature{Type: "Feature",
			Properties: map[string]any{"code": g.Code, "name": g.Name, "level": g.Level},
			Geometry:   geomJSON(g.Geometry)})
	}
	data, _ := json.MarshalIndent(fc, "", " ")
	file := "failure_" + name + ".geojson"
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Errorf("writing %s: %v", file, err)
		return
	}
	t.Errorf("%d mismatches; details written to %s", len(ms), file)
}

// ---- Brute-force reference implementation. ----

// refOrient returns the exact sign of (b-a) x (c-a): a float evaluation with
// a generous error bound, falling back to big.Rat.
func refOrient(a, b, c orb.Point) int {
	if c == a || c == b || a == b {
		return 0
	}
	l := (b[0] - a[0]) * (c[1] - a[1])
	r := (b[1] - a[1]) * (c[0] - a[0])
	d := l - r
	if math.Abs(d) > 1e-12*(math.Abs(l)+math.Abs(r)) {
		if d > 0 {
			return 1
		}
		return -1
	}
	rat := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	sub := func(x, y float64) *big.Rat { return new(big.Rat).Sub(rat(x), rat(y)) }
	lr := new(big.Rat).Mul(sub(b[0], a[0]), sub(c[1], a[1]))
	rr := new(big.Rat).Mul(sub(b[1], a[1]), sub(c[0], a[0]))
	return lr.Cmp(rr)
}

// refOnSegment: exact test of p on the closed segment [a, b].
func refOnSegment(a, b, p orb.Point) bool {
	if p == a || p == b {
		return true
	}
	if p[0] < min(a[0], b[0]) || p[0] > max(a[0], b[0]) || p[1] < min(a[1], b[1]) || p[1] > max(a[1], b[1]) {
		return false
	}
	return refOrient(a, b, p) == 0
}

// refCovers: p on any edge, or inside (even-odd over the rings of one
// polygon) any polygon of the grid.
func refCovers(g *gridindex.Grid, p orb.Point) bool {
	for _, poly := range g.Geometry {
		inside := false
		for _, ring := range poly {
			n := len(ring)
			for i := 0; i < n; i++ {
				a, b := ring[i], ring[(i+1)%n]
				if refOnSegment(a, b, p) {
					return true
				}
				if (a[1] > p[1]) != (b[1] > p[1]) {
					lo, hi := a, b
					if lo[1] > hi[1] {
						lo, hi = hi, lo
					}
					if refOrient(lo, hi, p) > 0 { // crossing to the right of p
						inside = !inside
					}
				}
			}
		}
		if inside {
			return true
		}
	}
	return false
}

// refIndex answers Locate by brute force, with bounding boxes bucketed in a
// coarse grid only to keep the tests fast.
type refIndex struct {
	grids   []gridindex.Grid
	bounds  []orb.Bound
	levels  []int
	ext     orb.Bound
	n       int
	buckets [][]int
}

func newRefIndex(grids []gridindex.Grid) *refIndex {
	r := &refIndex{grids: grids, n: 64}
	lv := map[int]bool{}
	for i := range grids {
		b := grids[i].Geometry.Bound()
		r.bounds = append(r.bounds, b)
		if i == 0 {
			r.ext = b
		} else {
			r.ext = r.ext.Union(b)
		}
		lv[grids[i].Level] = true
	}
	for l := range lv {
		r.levels = append(r.levels, l)
	}
	slices.Sort(r.levels)
	r.buckets = make([][]int, r.n*r.n)
	for i, b := range r.bounds {
		c0, r0 := r.bucket(b.Min)
		c1, r1 := r.bucket(b.Max)
		for y := r0; y <= r1; y++ {
			for x := c0; x <= c1; x++ {
				r.buckets[y*r.n+x] = append(r.buckets[y*r.n+x], i)
			}
		}
	}
	return r
}

func (r *refIndex) bucket(p orb.Point) (int, int) {
	f := func(v, lo, hi float64) int {
		i := int(math.Floor((v - lo) / (hi - lo) * float64(r.n)))
		return max(0, min(r.n-1, i))
	}
	return f(p[0], r.ext.Min[0], r.ext.Max[0]), f(p[1], r.ext.Min[1], r.ext.Max[1])
}

// locate returns the winning code per level, ascending by level.
func (r *refIndex) locate(p orb.Point) []string {
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || !r.ext.Contains(p) {
		return nil
	}
	c, rr := r.bucket(p)
	best := map[int]int{}
	for _, i := range r.buckets[rr*r.n+c] {
		if !r.bounds[i].Contains(p) || !refCovers(&r.grids[i], p) {
			continue
		}
		g := &r.grids[i]
		if j, ok := best[g.Level]; !ok || g.Code < r.grids[j].Code || (g.Code == r.grids[j].Code && i < j) {
			best[g.Level] = i
		}
	}
	var out []string
	for _, l := range r.levels {
		if i, ok := best[l]; ok {
			out = append(out, r.grids[i].Code)
		}
	}
	return out
}

func codes(gs []*gridindex.Grid) []string {
	if len(gs) == 0 {
		return nil
	}
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Code
	}
	return out
}

// refDistance: brute-force BoundaryDistance with the same metric.
func refDistance(grids []gridindex.Grid, p orb.Point, maxMeters float64) float64 {
	phi := p[1] * math.Pi / 180
	mLat := 111132.92 - 559.82*math.Cos(2*phi) + 1.175*math.Cos(4*phi) - 0.0023*math.Cos(6*phi)
	mLon := 111412.84*math.Cos(phi) - 93.5*math.Cos(3*phi) + 0.118*math.Cos(5*phi)
	best := maxMeters
	dLat, dLon := maxMeters/mLat*1.01, maxMeters/mLon*1.01
	for i := range grids {
		b := grids[i].Geometry.Bound()
		if p[0] < b.Min[0]-dLon || p[0] > b.Max[0]+dLon || p[1] < b.Min[1]-dLat || p[1] > b.Max[1]+dLat {
			continue
		}
		for _, poly := range grids[i].Geometry {
			for _, ring := range poly {
				for k := range ring {
					a, b := ring[k], ring[(k+1)%len(ring)]
					if refOnSegment(a, b, p) {
						return 0
					}
					ax, ay := (a[0]-p[0])*mLon, (a[1]-p[1])*mLat
					bx, by := (b[0]-p[0])*mLon, (b[1]-p[1])*mLat
					ex, ey := bx-ax, by-ay
					t := 0.0
					if l2 := ex*ex + ey*ey; l2 > 0 {
						t = math.Min(math.Max(-(ax*ex+ay*ey)/l2, 0), 1)
					}
					best = math.Min(best, math.Hypot(ax+t*ex, ay+t*ey))
				}
			}
		}
	}
	return best
}
