package registry

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/internal/errs"
)

// DefaultMaxVertices is the per-feature vertex cap used when
// Limits.MaxVertices is not set.
const DefaultMaxVertices = 100000

// Limits bounds the work one import may cause.
type Limits struct {
	// MaxVertices is the maximum number of positions of one feature's
	// geometry; 0 (or less) means DefaultMaxVertices.
	MaxVertices int
}

func (l Limits) maxVertices() int {
	if l.MaxVertices <= 0 {
		return DefaultMaxVertices
	}
	return l.MaxVertices
}

// ChinaExtent is the box every imported coordinate must lie in
// (longitude 73..136 E, latitude 3..54 N).
var ChinaExtent = orb.Bound{Min: orb.Point{73, 3}, Max: orb.Point{136, 54}}

// ValidateGeometry checks one grid geometry and returns its normalised copy,
// or nil and the problems found (Field "geometry"; the caller prefixes the
// feature). The checks run in stages and stop after the first stage that
// finds something, so that one root cause is not reported many times:
//
//  1. "empty_geometry": no polygon with a ring;
//  2. "too_many_vertices": more positions than lim allows;
//  3. "non_finite": a NaN or ±Inf coordinate;
//  4. "ring_too_short" (fewer than 4 positions, also after removing repeated
//     consecutive positions) and "ring_not_closed" (first != last), per ring;
//  5. "lat_lon_swapped" / "outside_china": the bounding box must lie within
//     ChinaExtent; if it would with longitude and latitude swapped, the
//     positions were written [lat, lon];
//  6. "degenerate_ring": a ring whose positions all lie on one line;
//  7. "self_intersection": a ring crosses or touches itself, two rings
//     cross or share an edge (touching at single points is allowed), with the
//     approximate location of the first crossing found;
//  8. "hole_outside_shell", "nested_hole", "overlapping_polygons".
//
// A geometry so intricate that the crossing search exceeds its work budget
// (long edges side by side by the ten thousand) gets "too_complex".
//
// The copy has repeated consecutive positions removed, exterior rings
// counter-clockwise and holes clockwise (RFC 7946 §3.1.6). The input is not
// modified. Intersection tests use exact orientation predicates.
func ValidateGeometry(g orb.MultiPolygon, lim Limits) (orb.MultiPolygon, []Problem) {
	const field = "geometry"
	bad := func(reason, format string, args ...any) []Problem {
		return []Problem{newProblem(field, -1, "", reason, fmt.Sprintf(format, args...))}
	}

	// 1. Emptiness and 2. the vertex cap.
	total, rings := 0, 0
	for _, p := range g {
		rings += len(p)
		for _, r := range p {
			total += len(r)
		}
	}
	if rings == 0 {
		return nil, bad("empty_geometry", "the geometry has no polygon; expected a Polygon or MultiPolygon with at least one ring")
	}
	if limit := lim.maxVertices(); total > limit {
		return nil, bad("too_many_vertices", "the geometry has %d positions; at most %d are allowed per feature, simplify it", total, limit)
	}

	// 3. Finite coordinates.
	for pi, p := range g {
		for ri, r := range p {
			for k, pt := range r {
				if !geomFinite(pt[0]) || !geomFinite(pt[1]) {
					return nil, bad("non_finite", "%s position %d is [%v, %v]; expected finite numbers (no NaN or infinity) in degrees [longitude, latitude]",
						geomRingName(pi, ri), k, pt[0], pt[1])
				}
			}
		}
	}

	// 4. Ring structure; builds the de-duplicated copy.
	var problems []Problem
	out := make(orb.MultiPolygon, 0, len(g))
	for pi, p := range g {
		if len(p) == 0 {
			continue // an empty member of a MultiPolygon carries nothing
		}
		np := make(orb.Polygon, 0, len(p))
		for ri, r := range p {
			name := geomRingName(pi, ri)
			switch {
			case len(r) < 4:
				problems = append(problems, bad("ring_too_short",
					"%s has %d positions; a ring needs at least 4 (three corners and the first position repeated at the end)", name, len(r))...)
				continue
			case r[0] != r[len(r)-1]:
				problems = append(problems, bad("ring_not_closed",
					"%s is not closed: its first position [%v, %v] differs from its last [%v, %v]; repeat the first position at the end",
					name, r[0][0], r[0][1], r[len(r)-1][0], r[len(r)-1][1])...)
				continue
			}
			d := geomDedupe(r)
			if len(d) < 4 {
				problems = append(problems, bad("ring_too_short",
					"%s has only %d distinct corners after removing repeated positions; a ring needs at least 3", name, len(d)-1)...)
				continue
			}
			np = append(np, d)
		}
		out = append(out, np)
	}
	if len(problems) > 0 {
		return nil, problems
	}

	// 5. Extent.
	b := out.Bound()
	if !geomWithin(b, ChinaExtent) {
		swapped := orb.Bound{Min: orb.Point{b.Min[1], b.Min[0]}, Max: orb.Point{b.Max[1], b.Max[0]}}
		if geomWithin(swapped, ChinaExtent) {
			return nil, bad("lat_lon_swapped",
				"the positions look like [latitude, longitude] (first value %.6f..%.6f, second %.6f..%.6f); GeoJSON positions are [longitude, latitude], swap the two values",
				b.Min[0], b.Max[0], b.Min[1], b.Max[1])
		}
		return nil, bad("outside_china",
			"the geometry spans longitude %.6f..%.6f, latitude %.6f..%.6f; expected WGS84/CGCS2000 degrees within China (longitude 73..136, latitude 3..54)",
			b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	}

	// 6. Rings without area.
	for pi, p := range out {
		for ri, r := range p {
			if geomCollinear(r) {
				problems = append(problems, bad("degenerate_ring", "%s encloses no area (all its positions lie on one line); expected a polygon ring", geomRingName(pi, ri))...)
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}

	// 7. Crossings.
	switch c, err := geomFindCrossing(out); {
	case err != nil:
		return nil, bad("too_complex", "the geometry (%d positions) is too intricate to check for self-intersections within the limits; simplify it", total)
	case c != nil:
		return nil, bad("self_intersection", "%s", c.detail())
	}

	// Orientation: a simple ring's signed area is non-zero.
	for pi, p := range out {
		for ri, r := range p {
			a := geomSignedArea(r)
			if a == 0 {
				return nil, bad("degenerate_ring", "%s encloses no measurable area; expected a polygon ring", geomRingName(pi, ri))
			}
			if (ri == 0) != (a > 0) { // exterior must be CCW (a > 0), holes CW
				r.Reverse()
			}
		}
	}

	// 8. Containment of holes and polygons.
	if ps := geomCheckContainment(out); len(ps) > 0 {
		for _, d := range ps {
			problems = append(problems, newProblem(field, -1, "", d[0], d[1]))
		}
		return nil, problems
	}
	return out, nil
}

// ValidateFeatures validates every feature and returns the normalised
// features (geometry from ValidateGeometry, code, name and parent code trimmed)
// and all problems, each with Index, Code and Field "features[i].<field>"
// (i is Feature.Index). Checks: the geometry; "name_required"; "invalid_level"
// (level ≥ 1); the code format via ValidateCode (an empty code is allowed:
// NumberCodes assigns it); "duplicate_code" within the import;
// "code_parent_mismatch" via ValidateParentCode, where the parent's level is
// taken from the import when the parent is part of it and is otherwise
// assumed to be level-1; and a malformed parent code ("invalid_code" on
// parent_code). Features that have problems are returned unnormalised.
func ValidateFeatures(fs []Feature, lim Limits) ([]Feature, []Problem) {
	out := make([]Feature, len(fs))
	var problems []Problem
	levelByCode := make(map[string]int, len(fs))
	firstByCode := make(map[string]int, len(fs)) // code → position in fs
	for i := range fs {
		c := strings.TrimSpace(fs[i].Code)
		if c == "" {
			continue
		}
		if _, dup := firstByCode[c]; !dup {
			firstByCode[c] = i
			levelByCode[c] = fs[i].Level
		}
	}
	for i, f := range fs {
		f.Code = strings.TrimSpace(f.Code)
		f.Name = strings.TrimSpace(f.Name)
		f.ParentCode = strings.TrimSpace(f.ParentCode)
		prefix := fmt.Sprintf("features[%d].", f.Index)
		add := func(field, reason, detail string) {
			problems = append(problems, newProblem(prefix+field, f.Index, f.Code, reason, detail))
		}
		addErr := func(field string, err error) {
			reason, detail := "invalid", err.Error()
			if e, ok := errs.As(err); ok {
				reason = e.Reason
				if len(e.Fields) > 0 {
					detail = e.Fields[0].Detail
				}
			}
			add(field, reason, detail)
		}

		geom, gp := ValidateGeometry(f.Geometry, lim)
		for _, p := range gp {
			p.Field = prefix + p.Field
			i := f.Index
			p.Index, p.Code = &i, f.Code
			problems = append(problems, p)
		}
		if f.Name == "" {
			add("name", "name_required", "every grid needs a non-empty name")
		}
		levelOK := f.Level >= 1
		if !levelOK {
			add("level", "invalid_level", fmt.Sprintf("level must be an integer of 1 or more (1 street, 2 community, 3 basic grid), got %d", f.Level))
		}
		codeOK := false
		if f.Code != "" && levelOK {
			if err := ValidateCode(f.Code, f.Level); err != nil {
				addErr("code", err)
			} else {
				codeOK = true
			}
		}
		if first, ok := firstByCode[f.Code]; ok && first != i {
			add("code", "duplicate_code", fmt.Sprintf("code %s is already used by features[%d]; codes must be unique within an import", f.Code, fs[first].Index))
		}
		if f.ParentCode != "" && levelOK {
			parentLevel, inImport := levelByCode[f.ParentCode]
			if !inImport {
				parentLevel = f.Level - 1
				if parentLevel >= 1 {
					if err := ValidateCode(f.ParentCode, parentLevel); err != nil {
						addErr("parent_code", err)
						parentLevel = -1
					}
				}
			}
			if codeOK && parentLevel >= 0 {
				if err := ValidateParentCode(f.Code, f.Level, f.ParentCode, parentLevel); err != nil {
					addErr("parent_code", err)
				}
			}
		}
		if len(gp) == 0 {
			f.Geometry = geom
		}
		out[i] = f
	}
	return out, problems
}

func geomFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func geomRingName(pi, ri int) string {
	if ri == 0 {
		return fmt.Sprintf("polygon %d exterior ring", pi)
	}
	return fmt.Sprintf("polygon %d hole %d", pi, ri)
}

func geomWithin(b, outer orb.Bound) bool {
	return b.Min[0] >= outer.Min[0] && b.Max[0] <= outer.Max[0] && b.Min[1] >= outer.Min[1] && b.Max[1] <= outer.Max[1]
}

// geomDedupe returns a copy of r without repeated consecutive positions.
func geomDedupe(r orb.Ring) orb.Ring {
	out := make(orb.Ring, 0, len(r))
	for i, p := range r {
		if i > 0 && p == out[len(out)-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// geomCollinear reports whether all positions of r lie on one line (exact).
func geomCollinear(r orb.Ring) bool {
	a := r[0]
	k := 1
	for k < len(r) && r[k] == a {
		k++
	}
	if k == len(r) {
		return true
	}
	for _, c := range r[k+1:] {
		if geomOrient(a, r[k], c) != 0 {
			return false
		}
	}
	return true
}

// geomSignedArea is the planar shoelace area of a closed ring: positive when
// counter-clockwise. Coordinates are taken relative to the first position.
func geomSignedArea(r orb.Ring) float64 {
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

// geomOrient returns the sign of the orientation of c relative to the line
// a→b: +1 left (counter-clockwise), -1 right, 0 collinear. It is exact: a
// floating-point filter (Shewchuk's bound) with an exact rational fallback.
func geomOrient(a, b, c orb.Point) int {
	detL := (a[0] - c[0]) * (b[1] - c[1])
	detR := (a[1] - c[1]) * (b[0] - c[0])
	det := detL - detR
	var sum float64
	switch {
	case detL > 0:
		if detR <= 0 {
			return geomSign(det)
		}
		sum = detL + detR
	case detL < 0:
		if detR >= 0 {
			return geomSign(det)
		}
		sum = -detL - detR
	default:
		return geomSign(det)
	}
	const errBound = 3.3306690738754716e-16 // (3 + 16ε)ε
	if math.Abs(det) >= errBound*sum {
		return geomSign(det)
	}
	return geomOrientExact(a, b, c)
}

func geomOrientExact(a, b, c orb.Point) int {
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	ax, ay, bx, by, cx, cy := r(a[0]), r(a[1]), r(b[0]), r(b[1]), r(c[0]), r(c[1])
	l := new(big.Rat).Mul(new(big.Rat).Sub(ax, cx), new(big.Rat).Sub(by, cy))
	rr := new(big.Rat).Mul(new(big.Rat).Sub(ay, cy), new(big.Rat).Sub(bx, cx))
	return l.Cmp(rr)
}

func geomSign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// geomInBox reports whether p lies in the closed bounding box of a and b.
func geomInBox(a, b, p orb.Point) bool {
	return p[0] >= math.Min(a[0], b[0]) && p[0] <= math.Max(a[0], b[0]) &&
		p[1] >= math.Min(a[1], b[1]) && p[1] <= math.Max(a[1], b[1])
}

type geomHit int

const (
	geomHitNone    geomHit = iota
	geomHitPoint           // the segments share exactly one point, an endpoint of one of them
	geomHitCross           // proper crossing at a point interior to both
	geomHitOverlap         // collinear, sharing more than a point
)

// geomIntersect classifies how segments p1p2 and q1q2 meet and returns an
// (approximate, for crossings) meeting point.
func geomIntersect(p1, p2, q1, q2 orb.Point) (geomHit, orb.Point) {
	o1, o2 := geomOrient(p1, p2, q1), geomOrient(p1, p2, q2)
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
			return geomHitNone, orb.Point{}
		case lo[ax] == hi[ax]:
			return geomHitPoint, lo
		default:
			return geomHitOverlap, lo
		}
	}
	o3, o4 := geomOrient(q1, q2, p1), geomOrient(q1, q2, p2)
	if o1*o2 < 0 && o3*o4 < 0 {
		// Proper crossing; the location is only reported, so float is fine.
		d := (p2[0]-p1[0])*(q2[1]-q1[1]) - (p2[1]-p1[1])*(q2[0]-q1[0])
		t := ((q1[0]-p1[0])*(q2[1]-q1[1]) - (q1[1]-p1[1])*(q2[0]-q1[0])) / d
		return geomHitCross, orb.Point{p1[0] + t*(p2[0]-p1[0]), p1[1] + t*(p2[1]-p1[1])}
	}
	switch {
	case o1 == 0 && geomInBox(p1, p2, q1):
		return geomHitPoint, q1
	case o2 == 0 && geomInBox(p1, p2, q2):
		return geomHitPoint, q2
	case o3 == 0 && geomInBox(q1, q2, p1):
		return geomHitPoint, p1
	case o4 == 0 && geomInBox(q1, q2, p2):
		return geomHitPoint, p2
	}
	return geomHitNone, orb.Point{}
}

// geomSeg is one edge of a ring: from vertex i to vertex i+1, with its
// extent along the sweep axis (lo, hi) and across it (clo, chi).
type geomSeg struct {
	poly, ring, i    int32
	lo, hi, clo, chi float64
}

// geomCrossing describes the first bad meeting of two edges.
type geomCrossing struct {
	a, b geomSeg
	at   orb.Point
	kind geomHit
}

func (c *geomCrossing) detail() string {
	what := "crosses"
	if c.kind == geomHitOverlap {
		what = "overlaps (shares an edge with)"
	} else if c.kind == geomHitPoint {
		what = "touches"
	}
	ap, ar, bp, br := int(c.a.poly), int(c.a.ring), int(c.b.poly), int(c.b.ring)
	var who string
	if ap == bp && ar == br {
		who = geomRingName(ap, ar) + " " + what + " itself"
	} else {
		who = geomRingName(ap, ar) + " " + what + " " + geomRingName(bp, br)
	}
	return fmt.Sprintf("%s near (%.6f, %.6f) [lon, lat]; rings must be simple and must not cross each other", who, c.at[0], c.at[1])
}

// geomSweepBudget bounds the work of one crossing search (active edges
// scanned, plus geomPairCost per pair of edges tested), so that a
// pathological geometry — many long edges side by side — cannot take minutes.
// It allows about a second of CPU; ordinary grids use a tiny fraction.
var geomSweepBudget = 200_000_000 // a variable for tests

const geomPairCost = 20

// errGeomTooComplex is returned by geomFindCrossing when the budget runs out.
var errGeomTooComplex = errors.New("geometry too complex")

// geomFindCrossing looks for a forbidden meeting of two edges of mp with a
// sweep (edges sorted by their low end along the axis where edges are
// shorter relative to the extent, an active list pruned as the sweep moves,
// a prefilter across the axis). Allowed: consecutive edges of a ring meeting
// at their shared vertex, and edges of different rings touching at a single
// point where the rings do not cross.
func geomFindCrossing(mp orb.MultiPolygon) (*geomCrossing, error) {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	segs := make([]geomSeg, 0, n)
	var sumDX, sumDY float64
	for pi, p := range mp {
		for ri, r := range p {
			for i := 0; i+1 < len(r); i++ {
				a, b := r[i], r[i+1]
				s := geomSeg{poly: int32(pi), ring: int32(ri), i: int32(i),
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
	slices.SortFunc(segs, func(x, y geomSeg) int {
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
		if work += len(active); work > geomSweepBudget {
			return nil, errGeomTooComplex
		}
		for _, j := range active {
			t := &segs[j]
			if t.chi < s.clo || t.clo > s.chi {
				continue
			}
			if work += geomPairCost; work > geomSweepBudget {
				return nil, errGeomTooComplex
			}
			if c := geomCheckPair(mp, *t, *s); c != nil {
				return c, nil
			}
		}
		active = append(active, int32(k))
	}
	return nil, nil
}

// geomCheckPair returns a crossing if edges s and t meet in a forbidden way.
func geomCheckPair(mp orb.MultiPolygon, s, t geomSeg) *geomCrossing {
	rs, rt := mp[s.poly][s.ring], mp[t.poly][t.ring]
	si, ti := int(s.i), int(t.i)
	kind, at := geomIntersect(rs[si], rs[si+1], rt[ti], rt[ti+1])
	if kind == geomHitNone {
		return nil
	}
	if s.poly == t.poly && s.ring == t.ring {
		m := len(rs) - 1 // number of edges
		d := si - ti
		adjacent := d == 1 || d == -1 || (m > 2 && (d == m-1 || d == -(m-1)))
		if adjacent && kind == geomHitPoint {
			return nil // consecutive edges share their vertex
		}
		return &geomCrossing{a: s, b: t, at: at, kind: kind}
	}
	switch kind {
	case geomHitCross, geomHitOverlap:
		return &geomCrossing{a: s, b: t, at: at, kind: kind}
	}
	// Touching at a single point: allowed unless the rings cross there.
	a1, a2 := geomNeighbours(rs, si, at)
	b1, b2 := geomNeighbours(rt, ti, at)
	sideOf := func(d orb.Point) int {
		switch {
		case geomInSector(at, a1, a2, d):
			return 1
		case geomInSector(at, a2, a1, d):
			return 2
		}
		return 0 // on one of the edges: an overlap, reported elsewhere
	}
	x, y := sideOf(b1), sideOf(b2)
	if x != 0 && y != 0 && x != y {
		return &geomCrossing{a: s, b: t, at: at, kind: geomHitCross}
	}
	return nil
}

// geomNeighbours returns the two positions adjacent to p along ring r, where
// p lies on the edge from vertex i to i+1: the edge ends if p is inside the
// edge, otherwise the neighbours of the vertex p.
func geomNeighbours(r orb.Ring, i int, p orb.Point) (orb.Point, orb.Point) {
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

// geomInSector reports whether direction p→d lies strictly inside the sector
// swept counter-clockwise from direction p→u to direction p→v.
func geomInSector(p, u, v, d orb.Point) bool {
	switch o := geomOrient(p, u, v); {
	case o > 0: // convex sector
		return geomOrient(p, u, d) > 0 && geomOrient(p, d, v) > 0
	case o < 0: // reflex sector: not in the closed convex sector v→u
		return !(geomOrient(p, v, d) >= 0 && geomOrient(p, d, u) >= 0)
	default:
		if geomDot(p, u, v) > 0 {
			return false // u and v point the same way: an empty sector
		}
		return geomOrient(p, u, d) > 0 // half-plane left of u
	}
}

func geomDot(p, u, v orb.Point) float64 {
	return (u[0]-p[0])*(v[0]-p[0]) + (u[1]-p[1])*(v[1]-p[1])
}

// geomPointInRing returns +1 if pt is inside ring r, -1 outside, 0 on its
// boundary (exact winding-number test).
func geomPointInRing(pt orb.Point, r orb.Ring) int {
	wn := 0
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		o := geomOrient(a, b, pt)
		if o == 0 && geomInBox(a, b, pt) {
			return 0
		}
		if a[1] <= pt[1] {
			if b[1] > pt[1] && o > 0 {
				wn++
			}
		} else if b[1] <= pt[1] && o < 0 {
			wn--
		}
	}
	if wn != 0 {
		return 1
	}
	return -1
}

// geomRingIn tells where ring r lies relative to ring s, assuming they do not
// cross: +1 inside, -1 outside, 0 when every vertex and edge midpoint of r is
// on the boundary of s.
func geomRingIn(r, s orb.Ring) int {
	if !r.Bound().Intersects(s.Bound()) {
		return -1
	}
	for _, p := range r {
		if w := geomPointInRing(p, s); w != 0 {
			return w
		}
	}
	for i := 0; i+1 < len(r); i++ {
		mid := orb.Point{(r[i][0] + r[i+1][0]) / 2, (r[i][1] + r[i+1][1]) / 2}
		if w := geomPointInRing(mid, s); w != 0 {
			return w
		}
	}
	return 0
}

// geomCheckContainment checks holes against their shell and each other and
// polygons against each other; it returns (reason, detail) pairs.
func geomCheckContainment(mp orb.MultiPolygon) [][2]string {
	var out [][2]string
	for pi, p := range mp {
		for hi := 1; hi < len(p); hi++ {
			if geomRingIn(p[hi], p[0]) != 1 {
				out = append(out, [2]string{"hole_outside_shell", fmt.Sprintf(
					"%s is not inside the exterior ring of polygon %d; a hole must lie within its polygon (put separate areas in a MultiPolygon)",
					geomRingName(pi, hi), pi)})
			}
		}
		for hi := 1; hi < len(p); hi++ {
			for hj := 1; hj < len(p); hj++ {
				if hi != hj && geomRingIn(p[hi], p[hj]) != -1 {
					out = append(out, [2]string{"nested_hole", fmt.Sprintf(
						"%s lies inside %s; holes must not nest (an island in a hole is a separate polygon)",
						geomRingName(pi, hi), geomRingName(pi, hj))})
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
			if pi == pj || reported[[2]int{pj, pi}] || geomRingIn(p[0], q[0]) == -1 {
				continue
			}
			inHole := false
			for hk := 1; hk < len(q); hk++ {
				if geomRingIn(p[0], q[hk]) != -1 {
					inHole = true
					break
				}
			}
			if !inHole {
				reported[[2]int{pi, pj}] = true
				out = append(out, [2]string{"overlapping_polygons", fmt.Sprintf(
					"polygon %d lies inside polygon %d; the polygons of a MultiPolygon must not overlap", pi, pj)})
			}
		}
	}
	return out
}
