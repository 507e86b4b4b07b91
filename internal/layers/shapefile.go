package layers

import (
	"bytes"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// ParseShapefile reads a zipped Shapefile of zones (Polygon) or road
// sections (PolyLine of one part) with the grid import's reader
// (registry.ReadShapefileZip: .prj, .cpg/GBK, size guards) and validates
// it like a GeoJSON file. DBF columns, without regard to case: CODE, NAME,
// KIND and UNIT (also UNIT_CODE). Records deleted in the DBF are skipped;
// problems name the record number.
func ParseShapefile(layer Layer, data []byte, sys crs.System, validate func(orb.MultiPolygon) (orb.MultiPolygon, []errs.Field)) ([]Item, []errs.Field, error) {
	t, err := registry.ReadShapefileZip(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, err
	}
	if len(t.Shapes) == 0 {
		return nil, nil, errs.Invalidf("features", "no_features", "the Shapefile holds no records")
	}
	if len(t.Shapes) > MaxItems {
		return nil, nil, errs.E(errs.TooLarge, "too_many_features", "at most %d features per layer, got %d", MaxItems, len(t.Shapes))
	}
	code, name, kind, unit := t.Column("code"), t.Column("name"), t.Column("kind"), t.Column("unit", "unit_code")
	srcs := make([]source, len(t.Shapes))
	for i, sh := range t.Shapes {
		if t.Deleted(i) {
			srcs[i] = source{skip: true}
			continue
		}
		src := source{props: map[string]any{"code": t.Text(i, code), "name": t.Text(i, name), "kind": t.Text(i, kind), "unit": t.Text(i, unit)},
			reason: sh.Reason, detail: sh.Detail}
		switch {
		case sh.Reason != "" || len(sh.Parts) == 0:
		case sh.Type == registry.ShapePolygon:
			src.geom = sh.MultiPolygon()
		case len(sh.Parts) == 1:
			src.geom = orb.LineString(sh.Parts[0])
		default:
			mls := make(orb.MultiLineString, len(sh.Parts))
			for j, p := range sh.Parts {
				mls[j] = p
			}
			src.geom = mls
		}
		srcs[i] = src
	}
	items, probs := parseItems(layer, srcs, sys, validate)
	return items, probs, nil
}

// isZip says whether data starts like a ZIP archive (a zipped Shapefile).
func isZip(data []byte) bool { return bytes.HasPrefix(data, []byte("PK\x03\x04")) }
