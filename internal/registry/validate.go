package registry

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/spatial/validity"
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
				if !validity.Finite(pt[0]) || !validity.Finite(pt[1]) {
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
			d := validity.Dedupe(r)
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
	if !validity.Within(b, ChinaExtent) {
		swapped := orb.Bound{Min: orb.Point{b.Min[1], b.Min[0]}, Max: orb.Point{b.Max[1], b.Max[0]}}
		if validity.Within(swapped, ChinaExtent) {
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
			if validity.Collinear(r) {
				problems = append(problems, bad("degenerate_ring", "%s encloses no area (all its positions lie on one line); expected a polygon ring", geomRingName(pi, ri))...)
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}

	// 7. Crossings.
	switch c, err := validity.FindCrossing(out); {
	case err != nil:
		return nil, bad("too_complex", "the geometry (%d positions) is too intricate to check for self-intersections within the limits; simplify it", total)
	case c != nil:
		return nil, bad("self_intersection", "%s", crossingDetail(c))
	}

	// Orientation: a simple ring's signed area is non-zero.
	for pi, p := range out {
		for ri, r := range p {
			a := validity.SignedArea(r)
			if a == 0 {
				return nil, bad("degenerate_ring", "%s encloses no measurable area; expected a polygon ring", geomRingName(pi, ri))
			}
			if (ri == 0) != (a > 0) { // exterior must be CCW (a > 0), holes CW
				r.Reverse()
			}
		}
	}

	// 8. Containment of holes and polygons.
	if ps := containmentProblems(out); len(ps) > 0 {
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

func geomRingName(pi, ri int) string {
	if ri == 0 {
		return fmt.Sprintf("polygon %d exterior ring", pi)
	}
	return fmt.Sprintf("polygon %d hole %d", pi, ri)
}

// crossingDetail words a crossing for the import report.
func crossingDetail(c *validity.Crossing) string {
	what := "crosses"
	if c.Kind == validity.Overlap {
		what = "overlaps (shares an edge with)"
	} else if c.Kind == validity.Touch {
		what = "touches"
	}
	ap, ar, bp, br := c.A.Poly, c.A.Ring, c.B.Poly, c.B.Ring
	var who string
	if ap == bp && ar == br {
		who = geomRingName(ap, ar) + " " + what + " itself"
	} else {
		who = geomRingName(ap, ar) + " " + what + " " + geomRingName(bp, br)
	}
	return fmt.Sprintf("%s near (%.6f, %.6f) [lon, lat]; rings must be simple and must not cross each other", who, c.At[0], c.At[1])
}

// containmentProblems words the containment faults of mp as (reason,
// detail) pairs.
func containmentProblems(mp orb.MultiPolygon) [][2]string {
	var out [][2]string
	for _, f := range validity.CheckContainment(mp) {
		switch f.Kind {
		case "hole_outside_shell":
			out = append(out, [2]string{f.Kind, fmt.Sprintf(
				"%s is not inside the exterior ring of polygon %d; a hole must lie within its polygon (put separate areas in a MultiPolygon)",
				geomRingName(f.A.Poly, f.A.Ring), f.A.Poly)})
		case "nested_hole":
			out = append(out, [2]string{f.Kind, fmt.Sprintf(
				"%s lies inside %s; holes must not nest (an island in a hole is a separate polygon)",
				geomRingName(f.A.Poly, f.A.Ring), geomRingName(f.B.Poly, f.B.Ring))})
		default:
			out = append(out, [2]string{f.Kind, fmt.Sprintf(
				"polygon %d lies inside polygon %d; the polygons of a MultiPolygon must not overlap", f.A.Poly, f.B.Poly)})
		}
	}
	return out
}
