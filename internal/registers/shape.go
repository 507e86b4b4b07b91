package registers

import (
	"fmt"

	"github.com/gridd/gridd/internal/errs"
	"github.com/paulmach/orb"
)

// checkShape refuses a building outline that has nothing to locate: an
// empty Polygon or MultiPolygon (PostGIS would store POLYGON EMPTY and
// place it at POINT(0 0)), an empty ring, a ring of fewer than four
// positions or one that does not close. 422 naming the geometry.
func checkShape(g orb.Geometry) error {
	var polys orb.MultiPolygon
	switch v := g.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{v}
	case orb.MultiPolygon:
		polys = v
	default:
		return nil
	}
	bad := func(field, reason, format string, args ...any) error {
		return (&errs.Error{Kind: errs.Unprocessable, Reason: reason, Msg: "the building outline is empty or malformed"}).
			WithFields(errs.Field{Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
	if len(polys) == 0 {
		return bad("geometry", "empty_geometry", "the MultiPolygon has no polygons; give the outline or a point")
	}
	for i, p := range polys {
		field := "geometry"
		if len(polys) > 1 {
			field = fmt.Sprintf("geometry.coordinates[%d]", i)
		}
		if len(p) == 0 {
			return bad(field, "empty_geometry", "the polygon has no rings; give the outline or a point")
		}
		for j, ring := range p {
			if len(ring) < 4 {
				return bad(fmt.Sprintf("%s ring %d", field, j), "ring_too_short", "a ring needs at least 4 positions (closed), got %d", len(ring))
			}
			if ring[0] != ring[len(ring)-1] {
				return bad(fmt.Sprintf("%s ring %d", field, j), "ring_not_closed", "the ring's first and last positions differ")
			}
		}
	}
	return nil
}
