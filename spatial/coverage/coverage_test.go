package coverage

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// blob returns an irregular polygon of about radius m around (lon, lat).
func blob(lon, lat, radius float64, seed uint64) orb.MultiPolygon {
	rng := rand.New(rand.NewPCG(seed, 1))
	const n = 17
	r := orb.Ring{}
	for i := range n {
		th := 2 * math.Pi * float64(i) / n
		rr := radius * (0.75 + 0.5*rng.Float64())
		r = append(r, orb.Point{lon + rr*math.Cos(th)/(111320*math.Cos(lat*math.Pi/180)), lat + rr*math.Sin(th)/110950})
	}
	r = append(r, r[0])
	return orb.MultiPolygon{{r}}
}

func TestWeightsAddUpToArea(t *testing.T) {
	for _, tc := range []struct {
		name string
		mp   orb.MultiPolygon
	}{
		{"blob", blob(117.53, 36.70, 600, 1)},
		{"small", blob(117.53, 36.70, 40, 2)},
		{"with hole", func() orb.MultiPolygon {
			mp := blob(117.53, 36.70, 600, 3)
			h := blob(117.53, 36.70, 150, 4)[0][0]
			h.Reverse()
			mp[0] = append(mp[0], h)
			return mp
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Discretise(tc.mp, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := math.Abs(geo.Area(tc.mp))
			if rel := math.Abs(g.AreaM2-want) / want; rel > 0.005 {
				t.Errorf("sum of weights %.1f m², geodesic area %.1f m² (rel %.4f)", g.AreaM2, want, rel)
			}
			for i, w := range g.Weights {
				if w <= 0 || w > 330 {
					t.Fatalf("cell %d weight %g outside (0, 330] m²", i, w)
				}
			}
		})
	}
}

func TestDiscretiseRejects(t *testing.T) {
	if _, err := Discretise(nil, Options{}); err == nil {
		t.Error("empty polygon accepted")
	}
	if _, err := Discretise(orb.MultiPolygon{{{{math.NaN(), 1}, {2, 2}, {2, 3}, {math.NaN(), 1}}}}, Options{}); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := Discretise(blob(117, 36, 100, 1), Options{Resolution: 16}); err == nil {
		t.Error("resolution 16 accepted")
	}
}

func TestCoverBasics(t *testing.T) {
	mp := blob(117.53, 36.70, 500, 5)
	g, err := Discretise(mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := g.NewCover()
	if c.Fraction() != 0 || c.Count() != 0 {
		t.Fatal("new cover not empty")
	}
	// A point covers the cells whose centres are within 30 m: about
	// π·30² / (200–307 m²) ≈ 9–14 cells.
	ctr := mp.Bound().Center()
	c.AddPath([]orb.Point{ctr})
	if n := c.Count(); n < 7 || n > 16 {
		t.Errorf("one fix covers %d cells, want 9–14", n)
	}
	for _, i := range c.Uncovered() {
		if geo.Distance(g.Center(i), ctr) <= 29.9 {
			t.Errorf("cell %d centre at %.1f m left uncovered", i, geo.Distance(g.Center(i), ctr))
		}
	}
	for i := range g.Len() {
		if c.Has(i) && geo.Distance(g.Center(i), ctr) > 30.1 {
			t.Errorf("cell %d centre at %.1f m covered", i, geo.Distance(g.Center(i), ctr))
		}
	}
	// Round trip through bytes.
	d := g.CoverFromBytes(c.Bytes())
	if d.Count() != c.Count() || d.CoveredAreaM2() != c.CoveredAreaM2() {
		t.Error("bytes round trip changed the cover")
	}
	// A segment: every cell centre within 30 m of it is covered, no other.
	a := orb.Point{ctr[0] - 0.004, ctr[1] - 0.001}
	b := orb.Point{ctr[0] + 0.004, ctr[1] + 0.002}
	s := g.NewCover()
	s.AddSegment(a, b)
	for i := range g.Len() {
		d := pointSegDistance(g.Center(i), a, b)
		if (d <= 29.9 && !s.Has(i)) || (d > 30.1 && s.Has(i)) {
			t.Errorf("cell %d at %.2f m: covered=%v", i, d, s.Has(i))
		}
	}
	s.Or(c)
	if s.Count() < c.Count() {
		t.Error("Or lost cells")
	}
	// A dense lawnmower track covers everything.
	full := g.NewCover()
	bd := mp.Bound()
	for y := bd.Min[1]; y <= bd.Max[1]; y += 0.0004 {
		full.AddSegment(orb.Point{bd.Min[0] - 0.001, y}, orb.Point{bd.Max[0] + 0.001, y})
	}
	if f := full.Fraction(); f != 1 {
		t.Errorf("lawnmower every 44 m covers %.4f, want 1", f)
	}
}

func pointSegDistance(p, a, b orb.Point) float64 {
	// Dense sampling is enough for a test oracle at this scale.
	best := math.Inf(1)
	const n = 4000
	for k := 0; k <= n; k++ {
		t := float64(k) / n
		best = min(best, geo.Distance(p, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}))
	}
	return best
}

func TestLengthInside(t *testing.T) {
	sq := orb.MultiPolygon{{{{117.50, 36.70}, {117.51, 36.70}, {117.51, 36.71}, {117.50, 36.71}, {117.50, 36.70}}}}
	g, err := Discretise(sq, Options{Resolution: 10})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		a, b    orb.Point
		insideF float64 // expected inside / total
	}{
		{"inside", orb.Point{117.502, 36.702}, orb.Point{117.508, 36.708}, 1},
		{"outside", orb.Point{117.52, 36.702}, orb.Point{117.53, 36.708}, 0},
		{"half out east", orb.Point{117.505, 36.705}, orb.Point{117.515, 36.705}, 0.5},
		{"across", orb.Point{117.495, 36.705}, orb.Point{117.515, 36.705}, 0.5},
	}
	for _, tc := range cases {
		total, in := g.LengthInside(tc.a, tc.b)
		if math.Abs(total-geo.Distance(tc.a, tc.b)) > 0.002*total {
			t.Errorf("%s: length %.2f, geodesic %.2f", tc.name, total, geo.Distance(tc.a, tc.b))
		}
		if math.Abs(in/total-tc.insideF) > 0.001 {
			t.Errorf("%s: inside fraction %.4f, want %.4f", tc.name, in/total, tc.insideF)
		}
	}
	if !g.Contains(orb.Point{117.505, 36.705}) || g.Contains(orb.Point{117.515, 36.705}) {
		t.Error("Contains")
	}
}

// TestLengthInsideShortcut: the deep-bucket shortcut for short segments
// gives what the crossings give, for random segments of up to 6 buckets
// in and around a blob (the longer ones take the crossings anyway).
func TestLengthInsideShortcut(t *testing.T) {
	g, err := Discretise(blob(117.53, 36.70, 600, 3), Options{Resolution: 12, RadiusM: 30})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	inv := func(p pt) orb.Point { return orb.Point{g.proj.lon0 + p.x/g.proj.kx, g.proj.lat0 + p.y/g.proj.ky} }
	short, deep := 0, 0
	for range 200000 {
		a := pt{g.bbox[0] - 100 + rng.Float64()*(g.bbox[2]-g.bbox[0]+200), g.bbox[1] - 100 + rng.Float64()*(g.bbox[3]-g.bbox[1]+200)}
		l, th := rng.Float64()*6*g.bsize, rng.Float64()*2*math.Pi
		pa, pb := inv(a), inv(pt{a.x + l*math.Cos(th), a.y + l*math.Sin(th)})
		total, in := g.LengthInside(pa, pb)
		// The crossings, from the same projected segment.
		qa, qb := g.proj.fwd(pa[0], pa[1]), g.proj.fwd(pb[0], pb[1])
		want := g.lengthInside(qa, qb.x-qa.x, qb.y-qa.y, total)
		if math.Abs(in-want) > 1e-9*max(total, 1) {
			t.Fatalf("segment %v–%v (%.1f m): inside %.6f, crossings give %.6f", pa, pb, total, in, want)
		}
		if total <= 2*g.bsize {
			short++
			if in == 0 || in == total {
				deep++
			}
		}
	}
	if short < 50000 || deep < short/2 {
		t.Errorf("%d short segments, %d wholly on one side: the test does not exercise the shortcut", short, deep)
	}
}

// TestLatticeFarCells: sparing far candidates the boundary scan (addCell's
// last) gives exactly the cells and weights of scanning every candidate.
func TestLatticeFarCells(t *testing.T) {
	for seed := range uint64(12) {
		mp := blob(117.53+float64(seed)*0.02, 36.70, 100+150*float64(seed), seed+20)
		if seed%3 == 0 { // a hole
			hole := blob(117.53+float64(seed)*0.02, 36.70, 40+40*float64(seed), seed+40)[0][0]
			hole.Reverse()
			mp[0] = append(mp[0], hole)
		}
		g, err := Discretise(mp, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if g.ij == nil {
			t.Fatalf("blob %d: lattice path not taken", seed)
		}
		all := &Grid{Resolution: g.Resolution, RadiusM: g.RadiusM, proj: g.proj, bbox: g.bbox, rings: g.rings, scanEveryCell: true}
		if !all.discretiseLattice() {
			t.Fatalf("blob %d: lattice path not taken when scanning every cell", seed)
		}
		if !slices.Equal(g.Weights, all.Weights) || !slices.Equal(g.cx, all.cx) || !slices.Equal(g.cy, all.cy) || !slices.Equal(g.ij, all.ij) {
			t.Errorf("blob %d: %d cells (%.1f m²), scanning every cell %d (%.1f m²)", seed, g.Len(), g.AreaM2, all.Len(), all.AreaM2)
		}
	}
}

// TestLatticeMatchesH3 checks the fast path against H3 cell by cell: the
// same cells, centres within latticeTolerance, weights within 1%.
func TestLatticeMatchesH3(t *testing.T) {
	for _, tc := range []struct {
		name string
		mp   orb.MultiPolygon
		res  int
	}{
		{"jinan res 12", blob(117.53, 36.70, 800, 7), 12},
		{"jinan res 11", blob(117.53, 36.70, 800, 8), 11},
		{"harbin res 12", blob(126.6, 45.75, 700, 9), 12},
		{"sanya res 12", blob(109.5, 18.25, 700, 10), 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast, err := Discretise(tc.mp, Options{Resolution: tc.res})
			if err != nil {
				t.Fatal(err)
			}
			if fast.ij == nil {
				t.Fatal("lattice path not taken")
			}
			exact, _ := Discretise(tc.mp, Options{Resolution: tc.res})
			exact.discretiseExact(tc.mp)
			ew := map[uint64]float64{}
			for i := range exact.Len() {
				ew[uint64(exact.Cell(i))] = exact.Weights[i]
			}
			missing := 0
			for i := range fast.Len() {
				cell := fast.Cell(i)
				w, ok := ew[uint64(cell)]
				if !ok {
					if fast.Weights[i] > 1 {
						t.Errorf("cell %v (weight %.2f) not in the exact set", cell, fast.Weights[i])
					}
					missing++
					continue
				}
				delete(ew, uint64(cell))
				if math.Abs(w-fast.Weights[i]) > 0.01*max(w, 10) {
					t.Errorf("cell %v weight %.2f, exact %.2f", cell, fast.Weights[i], w)
				}
				ll := cell.LatLng()
				c := fast.proj.fwd(ll.Lng, ll.Lat)
				if d := math.Hypot(c.x-fast.cx[i], c.y-fast.cy[i]); d > latticeTolerance {
					t.Errorf("cell %v centre off by %.3f m", cell, d)
				}
				nc := fast.NearCenter(i)
				if d := math.Hypot((nc[0]-ll.Lng)*fast.proj.kx, (nc[1]-ll.Lat)*fast.proj.ky); d > latticeTolerance {
					t.Errorf("cell %v NearCenter off by %.3f m", cell, d)
				}
			}
			for c, w := range ew {
				if w > 1 {
					t.Errorf("exact cell %x (weight %.2f) missing from the lattice set", c, w)
				}
			}
			if rel := math.Abs(fast.AreaM2-exact.AreaM2) / exact.AreaM2; rel > 1e-4 {
				t.Errorf("area %.1f vs exact %.1f", fast.AreaM2, exact.AreaM2)
			}
		})
	}
}
