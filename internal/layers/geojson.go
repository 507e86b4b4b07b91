package layers

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// MaxItems bounds the features of one layer file.
const MaxItems = 100000

// ParseGeoJSON reads a FeatureCollection of zones (Polygon or
// MultiPolygon) or road sections (LineString), each with the properties
// code (unique), name, kind and optionally unit (also unit_code), converts
// it from sys to WGS84 and validates it. validate, when set, checks zone
// polygons. Problems name the feature and field; the error is for a file
// that is not a FeatureCollection at all.
func ParseGeoJSON(layer Layer, data []byte, sys crs.System, validate func(orb.MultiPolygon) (orb.MultiPolygon, []errs.Field)) ([]Item, []errs.Field, error) {
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, nil, errs.Invalidf("body", "invalid_geojson", "want a GeoJSON FeatureCollection: %v", err)
	}
	if len(fc.Features) == 0 {
		return nil, nil, errs.Invalidf("features", "no_features", "the collection holds no features")
	}
	if len(fc.Features) > MaxItems {
		return nil, nil, errs.E(errs.TooLarge, "too_many_features", "at most %d features per layer, got %d", MaxItems, len(fc.Features))
	}
	srcs := make([]source, len(fc.Features))
	for i, f := range fc.Features {
		srcs[i] = source{props: f.Properties, geom: f.Geometry}
	}
	items, probs := parseItems(layer, srcs, sys, validate)
	return items, probs, nil
}

// source is one feature of a layer file before validation: its properties
// and geometry (nil: none), or a problem its reader found in the geometry.
type source struct {
	skip           bool // a record deleted in the DBF
	props          map[string]any
	geom           orb.Geometry
	reason, detail string
}

// parseItems validates the features of a layer file (GeoJSON or
// Shapefile): code (unique), name, kind, unit and the geometry the layer
// takes, converted from sys to WGS84.
func parseItems(layer Layer, srcs []source, sys crs.System, validate func(orb.MultiPolygon) (orb.MultiPolygon, []errs.Field)) ([]Item, []errs.Field) {
	var items []Item
	var probs []errs.Field
	seen := map[string]int{}
	for i, f := range srcs {
		if f.skip {
			continue
		}
		nprobs := len(probs)
		bad := func(name, reason, format string, args ...any) {
			code, _ := f.props["code"].(string)
			probs = append(probs, field(i, code, name, reason, fmt.Sprintf(format, args...)))
		}
		str := func(keys ...string) (string, bool) {
			for _, k := range keys {
				if v, ok := f.props[k]; ok && v != nil {
					s, ok := v.(string)
					return strings.TrimSpace(s), ok
				}
			}
			return "", true
		}
		it := Item{}
		var ok bool
		if it.Code, ok = str("code"); !ok || it.Code == "" || utf8.RuneCountInString(it.Code) > 64 {
			bad("properties.code", "invalid_code", "code must be a non-empty string of at most 64 characters")
			continue
		}
		if j, dup := seen[it.Code]; dup {
			bad("properties.code", "duplicate_code", "code %q is also feature %d's", it.Code, j)
			continue
		}
		seen[it.Code] = i
		if it.Name, ok = str("name"); !ok || it.Name == "" || utf8.RuneCountInString(it.Name) > 200 {
			bad("properties.name", "invalid_name", "name must be a non-empty string of at most 200 characters")
		}
		if it.Kind, ok = str("kind"); !ok || it.Kind == "" || utf8.RuneCountInString(it.Kind) > 40 {
			bad("properties.kind", "invalid_kind", "kind must be a non-empty string of at most 40 characters (e.g. main, seat)")
		}
		if it.Unit, ok = str("unit", "unit_code"); !ok {
			bad("properties.unit", "invalid_unit", "unit must be a department code string")
		}
		if f.reason != "" {
			bad("geometry", f.reason, "%s", f.detail)
			continue
		}
		if f.geom == nil {
			bad("geometry", "geometry_required", "every feature needs a geometry")
			continue
		}
		g := toWGS84(sys, f.geom)
		if !finite(g) {
			bad("geometry", "invalid_coordinates", "coordinates must be finite longitudes in [-180, 180] and latitudes in [-90, 90]")
			continue
		}
		switch layer {
		case Zones:
			var mp orb.MultiPolygon
			switch v := g.(type) {
			case orb.Polygon:
				mp = orb.MultiPolygon{v}
			case orb.MultiPolygon:
				mp = v
			default:
				bad("geometry", "not_polygon", "a zone is a Polygon or MultiPolygon, got %s", g.GeoJSONType())
				continue
			}
			if validate != nil {
				norm, gp := validate(mp)
				for _, p := range gp {
					bad("geometry", p.Reason, "%s", p.Detail)
				}
				if len(gp) > 0 {
					continue
				}
				mp = norm
			}
			it.Geom = mp
		case Roads:
			ls, isLine := g.(orb.LineString)
			if !isLine {
				bad("geometry", "not_linestring", "a road section is one LineString, got %s", g.GeoJSONType())
				continue
			}
			distinct := 0
			for j := range ls {
				if j == 0 || ls[j] != ls[j-1] {
					distinct++
				}
			}
			if distinct < 2 {
				bad("geometry", "degenerate_line", "a road section needs at least two distinct points")
				continue
			}
			it.Geom = ls
		}
		if len(probs) > nprobs {
			continue
		}
		items = append(items, it)
	}
	return items, probs
}

func finite(g orb.Geometry) bool {
	ok := true
	check := func(p orb.Point) {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
			ok = false
		}
	}
	switch v := g.(type) {
	case orb.LineString:
		for _, p := range v {
			check(p)
		}
	case orb.Polygon:
		for _, r := range v {
			for _, p := range r {
				check(p)
			}
		}
	case orb.MultiPolygon:
		for _, pl := range v {
			for _, r := range pl {
				for _, p := range r {
					check(p)
				}
			}
		}
	}
	return ok
}

// toWGS84 converts every coordinate of g from sys to WGS84.
func toWGS84(sys crs.System, g orb.Geometry) orb.Geometry {
	if sys == "" || sys == crs.WGS84 || sys == crs.CGCS2000 {
		return g
	}
	conv := func(p orb.Point) orb.Point {
		x, y := crs.ToWGS84(sys, p[0], p[1])
		return orb.Point{x, y}
	}
	ring := func(r []orb.Point) []orb.Point {
		out := make([]orb.Point, len(r))
		for i, p := range r {
			out[i] = conv(p)
		}
		return out
	}
	switch v := g.(type) {
	case orb.LineString:
		return orb.LineString(ring(v))
	case orb.Polygon:
		out := make(orb.Polygon, len(v))
		for i, r := range v {
			out[i] = orb.Ring(ring(r))
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(v))
		for i, pl := range v {
			out[i] = toWGS84(sys, pl).(orb.Polygon)
		}
		return out
	}
	return g
}

// FeatureCollection renders items as GeoJSON features (Feature).
func FeatureCollection(items []Item) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, it := range items {
		fc.Append(Feature(it))
	}
	return fc
}

// Feature renders an item with code, name, kind, unit (null when none)
// and, once stored, version and valid_from; an import reads the first
// four back and ignores the others.
func Feature(it Item) *geojson.Feature {
	f := geojson.NewFeature(it.Geom)
	f.ID = it.Code
	var unit any
	if it.Unit != "" {
		unit = it.Unit
	}
	f.Properties = geojson.Properties{"code": it.Code, "name": it.Name, "kind": it.Kind, "unit": unit}
	if it.Version > 0 {
		f.Properties["version"] = it.Version
		f.Properties["valid_from"] = it.ValidFrom.UTC().Format(time.RFC3339Nano)
	}
	return f
}
