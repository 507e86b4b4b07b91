// Package validity checks that polygon geometry is simple and well formed,
// exactly: rings that do not cross or touch themselves or each other except
// at single points where they do not cross, holes inside their polygon and
// not nested, polygons of a multipolygon apart. It finds the first fault
// and says where; wording it for a user is the caller's business.
package validity

import (
	"cmp"
	"errors"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/spatial/predicate"
)

func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func Within(b, outer orb.Bound) bool {
	return b.Min[0] >= outer.Min[0] && b.Max[0] <= outer.Max[0] && b.Min[1] >= outer.Min[1] && b.Max[1] <= outer.Max[1]
}

// Dedupe returns a copy of r without repeated consecutive positions.
func Dedupe(r orb.Ring) orb.Ring {
	out := make(orb.Ring, 0, len(r))
	for i, p := range r {
		if i > 0 && p == out[len(out)-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Collinear reports whether all positions of r lie on one line (exact).
func Collinear(r orb.Ring) bool {
	a := r[0]
	k := 1
	for k < len(r) && r[k] == a {
		k++
	}
	if k == len(r) {
		return true
	}
	for _, c := range r[k+1:] {
		if predicate.OrientPoints(a, r[k], c) != 0 {
			return false
		}
	}
	return true
}

// SignedArea is the planar shoelace area of a closed ring: positive when
// counter-clockwise. Coordinates are taken relative to the first position.
func SignedArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	o := r[0]
	s := 0.0
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-o[0])*(r[i+1][1]-o[1]) - (r[i+1][0]-o[0])*(r[i][1]-o[1])
	}
	return s / 2
}

// inBox reports whether p lies in the closed bounding box of a and b.

type Meeting int

const (
	None    Meeting = iota
	Touch           // the segments share exactly one point, an endpoint of one of them
	Cross           // proper crossing at a point interior to both
	Overlap         // collinear, sharing more than a point
)

// intersect classifies how segments p1p2 and q1q2 meet and returns an
// (approximate, for crossings) meeting point.
func intersect(p1, p2, q1, q2 orb.Point) (Meeting, orb.Point) {
	o1, o2 := predicate.OrientPoints(p1, p2, q1), predicate.OrientPoints(p1, p2, q2)
	if o1 == 0 && o2 == 0 {
		// Collinear: compare along the dominant axis.
		ax := 0
		if p1[0] == p2[0] {
			ax = 1
		}
		pl, ph := p1, p2
		if pl[ax] > ph[ax] {
			pl, ph = ph, pl
		}
		ql, qh := q1, q2
		if ql[ax] > qh[ax] {
			ql, qh = qh, ql
		}
		lo, hi := pl, ph
		if ql[ax] > lo[ax] {
			lo = ql
		}
		if qh[ax] < hi[ax] {
			hi = qh
		}
		switch {
		case lo[ax] > hi[ax]:
			return None, orb.Point{}
		case lo[ax] == hi[ax]:
			return Touch, lo
		default:
			return Overlap, lo
		}
	}
	o3, o4 := predicate.OrientPoints(q1, q2, p1), predicate.OrientPoints(q1, q2, p2)
	if o1*o2 < 0 && o3*o4 < 0 {
		// Proper crossing; the location is only reported, so float is fine.
		d := (p2[0]-p1[0])*(q2[1]-q1[1]) - (p2[1]-p1[1])*(q2[0]-q1[0])
		t := ((q1[0]-p1[0])*(q2[1]-q1[1]) - (q1[1]-p1[1])*(q2[0]-q1[0])) / d
		return Cross, orb.Point{p1[0] + t*(p2[0]-p1[0]), p1[1] + t*(p2[1]-p1[1])}
	}
	switch {
	case o1 == 0 && predicate.InBox(p1, p2, q1):
		return Touch, q1
	case o2 == 0 && predicate.InBox(p1, p2, q2):
		return Touch, q2
	case o3 == 0 && predicate.InBox(q1, q2, p1):
		return Touch, p1
	case o4 == 0 && predicate.InBox(q1, q2, p2):
		return Touch, p2
	}
	return None, orb.Point{}
}

// segment is one edge of a ring: from vertex i to vertex i+1, with its
// extent along the sweep axis (lo, hi) and across it (clo, chi).
type segment struct {
	poly, ring, i    int32
	lo, hi, clo, chi float64
}

// Crossing describes the first forbidden meeting of two edges.
type Crossing struct {
	A, B Ring      // the rings of the two edges (the same ring when it meets itself)
	At   orb.Point // where (approximate for a crossing)
	Kind Meeting
}

// Ring names one ring of a multipolygon: polygon Poly, ring Ring (0 the
// exterior, 1… the holes).
type Ring struct{ Poly, Ring int }

func (s segment) id() Ring { return Ring{int(s.poly), int(s.ring)} }

// SweepBudget bounds the work of one crossing search (active edges
// scanned, plus pairCost per pair of edges tested), so that a
// pathological geometry — many long edges side by side — cannot take minutes.
// It allows about a second of CPU; ordinary grids use a tiny fraction.
var SweepBudget = 200_000_000 // a variable for tests

const pairCost = 20

// ErrTooComplex is returned by FindCrossing when the budget runs out.
var ErrTooComplex = errors.New("geometry too complex")

// FindCrossing looks for a forbidden meeting of two edges of mp with a
// sweep (edges sorted by their low end along the axis where edges are
// shorter relative to the extent, an active list pruned as the sweep moves,
// a prefilter across the axis). Allowed: consecutive edges of a ring meeting
// at their shared vertex, and edges of different rings touching at a single
// point where the rings do not cross.
func FindCrossing(mp orb.MultiPolygon) (*Crossing, error) {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	segs := make([]segment, 0, n)
	var sumDX, sumDY float64
	for pi, p := range mp {
		for ri, r := range p {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				s := segment{poly: int32(pi), ring: int32(ri), i: int32(i),
					lo: math.Min(a[0], b[0]), hi: math.Max(a[0], b[0]),
					clo: math.Min(a[1], b[1]), chi: math.Max(a[1], b[1])}
				sumDX += s.hi - s.lo
				sumDY += s.chi - s.clo
				segs = append(segs, s)
			}
		}
	}
	// Sweep along y instead of x when edges are relatively longer in x.
	bd := mp.Bound()
	if w, h := bd.Max[0]-bd.Min[0], bd.Max[1]-bd.Min[1]; w > 0 && h > 0 && sumDX/w > sumDY/h {
		for k := range segs {
			s := &segs[k]
			s.lo, s.hi, s.clo, s.chi = s.clo, s.chi, s.lo, s.hi
		}
	}
	slices.SortFunc(segs, func(x, y segment) int {
		if c := cmp.Compare(x.lo, y.lo); c != 0 {
			return c
		}
		if c := cmp.Compare(x.poly, y.poly); c != 0 {
			return c
		}
		if c := cmp.Compare(x.ring, y.ring); c != 0 {
			return c
		}
		return cmp.Compare(x.i, y.i)
	})
	active := make([]int32, 0, 64)
	work := 0
	for k := range segs {
		s := &segs[k]
		keep := active[:0]
		for _, j := range active {
			if segs[j].hi >= s.lo {
				keep = append(keep, j)
			}
		}
		active = keep
		if work += len(active); work > SweepBudget {
			return nil, ErrTooComplex
		}
		for _, j := range active {
			t := &segs[j]
			if t.chi < s.clo || t.clo > s.chi {
				continue
			}
			if work += pairCost; work > SweepBudget {
				return nil, ErrTooComplex
			}
			if c := checkPair(mp, *t, *s); c != nil {
				return c, nil
			}
		}
		active = append(active, int32(k))
	}
	return nil, nil
}

// checkPair returns a crossing if edges s and t meet in a forbidden way.
func checkPair(mp orb.MultiPolygon, s, t segment) *Crossing {
	rs, rt := mp[s.poly][s.ring], mp[t.poly][t.ring]
	si, ti := int(s.i), int(t.i)
	kind, at := intersect(rs[si], rs[si+1], rt[ti], rt[ti+1])
	if kind == None {
		return nil
	}
	if s.poly == t.poly && s.ring == t.ring {
		m := len(rs) - 1 // number of edges
		d := si - ti
		adjacent := d == 1 || d == -1 || (m > 2 && (d == m-1 || d == -(m-1)))
		if adjacent && kind == Touch {
			return nil // consecutive edges share their vertex
		}
		return &Crossing{A: s.id(), B: t.id(), At: at, Kind: kind}
	}
	switch kind {
	case Cross, Overlap:
		return &Crossing{A: s.id(), B: t.id(), At: at, Kind: kind}
	}
	// Touching at a single point: allowed unless the rings cross there.
	a1, a2 := neighbours(rs, si, at)
	b1, b2 := neighbours(rt, ti, at)
	sideOf := func(d orb.Point) int {
		switch {
		case inSector(at, a1, a2, d):
			return 1
		case inSector(at, a2, a1, d):
			return 2
		}
		return 0 // on one of the edges: an overlap, reported elsewhere
	}
	x, y := sideOf(b1), sideOf(b2)
	if x != 0 && y != 0 && x != y {
		return &Crossing{A: s.id(), B: t.id(), At: at, Kind: Cross}
	}
	return nil
}

// neighbours returns the two positions adjacent to p along ring r, where
// p lies on the edge from vertex i to i+1: the edge ends if p is inside the
// edge, otherwise the neighbours of the vertex p.
func neighbours(r orb.Ring, i int, p orb.Point) (orb.Point, orb.Point) {
	m := len(r) - 1 // distinct vertices; r[m] == r[0]
	v := -1
	switch p {
	case r[i]:
		v = i
	case r[i+1]:
		v = (i + 1) % m
	}
	if v < 0 {
		return r[i], r[i+1]
	}
	return r[(v-1+m)%m], r[(v+1)%m]
}

// inSector reports whether direction p→d lies strictly inside the sector
// swept counter-clockwise from direction p→u to direction p→v.
func inSector(p, u, v, d orb.Point) bool {
	switch o := predicate.OrientPoints(p, u, v); {
	case o > 0: // convex sector
		return predicate.OrientPoints(p, u, d) > 0 && predicate.OrientPoints(p, d, v) > 0
	case o < 0: // reflex sector: not in the closed convex sector v→u
		return !(predicate.OrientPoints(p, v, d) >= 0 && predicate.OrientPoints(p, d, u) >= 0)
	default:
		if dot(p, u, v) > 0 {
			return false // u and v point the same way: an empty sector
		}
		return predicate.OrientPoints(p, u, d) > 0 // half-plane left of u
	}
}

func dot(p, u, v orb.Point) float64 {
	return (u[0]-p[0])*(v[0]-p[0]) + (u[1]-p[1])*(v[1]-p[1])
}

// RingIn tells where ring r lies relative to ring s, assuming they do not
// cross: +1 inside, -1 outside, 0 when every vertex and edge midpoint of r is
// on the boundary of s.
func RingIn(r, s orb.Ring) int {
	if !r.Bound().Intersects(s.Bound()) {
		return -1
	}
	for _, p := range r {
		if w := predicate.PointInRing(p, s); w != 0 {
			return w
		}
	}
	for i := 0; i+1 < len(r); i++ {
		mid := orb.Point{(r[i][0] + r[i+1][0]) / 2, (r[i][1] + r[i+1][1]) / 2}
		if w := predicate.PointInRing(mid, s); w != 0 {
			return w
		}
	}
	return 0
}

// Fault is one containment fault: Kind "hole_outside_shell" (hole A is not
// inside its polygon's exterior), "nested_hole" (hole A lies inside hole B)
// or "overlapping_polygons" (polygon A.Poly lies inside polygon B.Poly).
type Fault struct {
	Kind string
	A, B Ring
}

// CheckContainment checks holes against their shell and each other and
// polygons against each other.
func CheckContainment(mp orb.MultiPolygon) []Fault {
	var out []Fault
	for pi, p := range mp {
		for hi := 1; hi < len(p); hi++ {
			if RingIn(p[hi], p[0]) != 1 {
				out = append(out, Fault{"hole_outside_shell", Ring{pi, hi}, Ring{pi, 0}})
			}
		}
		for hi := 1; hi < len(p); hi++ {
			for hj := 1; hj < len(p); hj++ {
				if hi != hj && RingIn(p[hi], p[hj]) != -1 {
					out = append(out, Fault{"nested_hole", Ring{pi, hi}, Ring{pi, hj}})
				}
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	reported := make(map[[2]int]bool)
	for pi, p := range mp {
		for pj, q := range mp {
			if pi == pj || reported[[2]int{pj, pi}] || RingIn(p[0], q[0]) == -1 {
				continue
			}
			inHole := false
			for hk := 1; hk < len(q); hk++ {
				if RingIn(p[0], q[hk]) != -1 {
					inHole = true
					break
				}
			}
			if !inHole {
				reported[[2]int{pi, pj}] = true
				out = append(out, Fault{"overlapping_polygons", Ring{pi, 0}, Ring{pj, 0}})
			}
		}
	}
	return out
}
