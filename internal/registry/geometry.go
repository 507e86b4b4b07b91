package registry

import (
	"encoding/json"

	"github.com/gridd/gridd/internal/errs"
	"github.com/paulmach/orb"
)

// ParseGeometryJSON decodes one GeoJSON Polygon or MultiPolygon geometry
// exactly as written (for PATCH); ValidateGeometry checks it afterwards.
func ParseGeometryJSON(raw json.RawMessage) (orb.MultiPolygon, error) {
	mp, reason, detail := gjParseGeometry(raw)
	if reason != "" {
		return nil, errs.Invalidf("geometry", reason, "%s", detail)
	}
	return mp, nil
}
