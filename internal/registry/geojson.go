package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/internal/errs"
)

// ParseGeoJSON reads a GeoJSON FeatureCollection (or a single Feature) of
// grids. Feature properties: "code" (string, may be empty), "name", "level"
// (a number or a numeric string) and "parent_code"; upper-case keys as written
// by tools that convert Shapefiles ("CODE", "PARENT") are accepted too.
//
// Geometry coordinates are decoded by hand, not by orb's decoder, so that
// nothing is closed, dropped or rounded behind the caller's back: unclosed
// rings, out-of-range numbers (1e999 becomes +Inf and is reported by
// ValidateGeometry as "non_finite") and so on reach validation as written.
//
// It returns the features that parsed and one problem per feature that did
// not (that feature is then left out of the result; problems name it by its
// index in the file), never stopping at the first. Parse problems:
// "invalid_feature", "invalid_code", "invalid_property", "invalid_level",
// "invalid_geometry", "not_polygon" and "unsupported_crs" (a "crs" member
// other than CRS84, EPSG:4326 or EPSG:4490; at the top level it is reported
// with Field "crs" and no index). A document that is not GeoJSON at all
// returns an *errs.Error of kind Invalid, reason "invalid_geojson", naming
// the line, column and byte offset of a syntax error.
func ParseGeoJSON(r io.Reader) ([]Feature, []Problem, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, nil, &errs.Error{Kind: errs.TooLarge, Reason: "body_too_large", Msg: fmt.Sprintf("the GeoJSON document exceeds %d bytes", mb.Limit), Err: err}
		}
		return nil, nil, &errs.Error{Kind: errs.Invalid, Reason: "read_failed", Msg: "cannot read the GeoJSON document", Err: err}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM, as written by some Windows tools
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, errs.E(errs.Invalid, "invalid_geojson", "the GeoJSON document is empty; expected a FeatureCollection")
	}
	if !utf8.Valid(data) {
		return nil, nil, errs.E(errs.Invalid, "invalid_geojson", "the GeoJSON document is not valid UTF-8 (RFC 7946 requires UTF-8); re-save it as UTF-8")
	}

	var top map[string]json.RawMessage
	if err := gjDecodeStrict(data, &top); err != nil {
		return nil, nil, gjSyntaxError(data, err)
	}
	if top == nil {
		return nil, nil, errs.E(errs.Invalid, "invalid_geojson", "the GeoJSON document is null; expected a FeatureCollection object")
	}
	var typ string
	if raw, ok := top["type"]; !ok || json.Unmarshal(raw, &typ) != nil {
		return nil, nil, errs.E(errs.Invalid, "invalid_geojson", `the GeoJSON object has no "type" string; expected "FeatureCollection" or "Feature"`)
	}

	var problems []Problem
	var raws []json.RawMessage
	switch typ {
	case "FeatureCollection":
		if p, ok := gjCheckCRS(top["crs"], "crs", -1); !ok {
			problems = append(problems, p)
		}
		rawFeatures, ok := top["features"]
		if !ok || string(bytes.TrimSpace(rawFeatures)) == "null" {
			return nil, nil, errs.E(errs.Invalid, "invalid_geojson", `the FeatureCollection has no "features" array`)
		}
		if err := json.Unmarshal(rawFeatures, &raws); err != nil {
			return nil, nil, errs.E(errs.Invalid, "invalid_geojson", `"features" must be an array of Feature objects`)
		}
	case "Feature":
		raws = []json.RawMessage{data} // its "crs" is checked as the feature's
	default:
		return nil, nil, errs.E(errs.Invalid, "invalid_geojson",
			`the GeoJSON object is of type %q; expected "FeatureCollection" or "Feature" (wrap a bare geometry in a Feature with properties)`, typ)
	}

	features := make([]Feature, 0, len(raws))
	for i, raw := range raws {
		f, p := gjParseFeature(raw, i)
		if len(p) > 0 {
			problems = append(problems, p...)
			continue
		}
		features = append(features, f)
	}
	return features, problems, nil
}

// gjDecodeStrict decodes exactly one JSON value from data into v.
func gjDecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return &json.SyntaxError{Offset: dec.InputOffset()}
	}
	return nil
}

// gjSyntaxError turns a decoding error of the whole document into an
// "invalid_geojson" error naming line, column and byte offset.
func gjSyntaxError(data []byte, err error) error {
	var (
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
		off int64 = -1
		msg       = err.Error()
	)
	switch {
	case errors.As(err, &se):
		off = se.Offset
		if se.Error() == "" {
			msg = "unexpected data after the top-level value"
		}
	case errors.As(err, &te):
		off = te.Offset
		msg = fmt.Sprintf("the document is a JSON %s; expected a GeoJSON object", te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(data))
		msg = "unexpected end of the document"
	}
	if off < 0 {
		return &errs.Error{Kind: errs.Invalid, Reason: "invalid_geojson", Msg: "invalid GeoJSON", Err: err}
	}
	line, col := gjLineCol(data, off)
	return &errs.Error{Kind: errs.Invalid, Reason: "invalid_geojson",
		Msg: fmt.Sprintf("invalid GeoJSON at line %d, column %d (byte offset %d): %s", line, col, off, msg)}
}

// gjLineCol converts a byte offset into a 1-based line and column (in bytes).
func gjLineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// gjCheckCRS checks a (legacy, GeoJSON 2008) "crs" member: absent or null is
// fine, a named CRS must be CRS84, EPSG:4326 or EPSG:4490 (CGCS2000).
func gjCheckCRS(raw json.RawMessage, field string, index int) (Problem, bool) {
	if len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return Problem{}, true
	}
	const expect = "remove the \"crs\" member or reproject to longitude/latitude degrees: WGS84 (CRS84, EPSG:4326) or CGCS2000 (EPSG:4490)"
	var c struct {
		Type       string `json:"type"`
		Properties struct {
			Name string `json:"name"`
			Href string `json:"href"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return newProblem(field, index, "", "unsupported_crs", "the \"crs\" member is malformed; "+expect), false
	}
	name := c.Properties.Name
	if !strings.EqualFold(c.Type, "name") || name == "" {
		what := c.Properties.Href
		if what == "" {
			what = c.Type
		}
		return newProblem(field, index, "", "unsupported_crs", fmt.Sprintf("the \"crs\" member (%s) is not a named CRS; %s", what, expect)), false
	}
	if !gjCRSSupported(name) {
		return newProblem(field, index, "", "unsupported_crs", fmt.Sprintf("the coordinate reference system %q is not supported; %s", name, expect)), false
	}
	return Problem{}, true
}

// gjCRSSupported recognises the spellings of CRS84, EPSG:4326 and EPSG:4490.
func gjCRSSupported(name string) bool {
	n := strings.ToUpper(strings.TrimSpace(name))
	switch {
	case n == "CRS84", n == "OGC:CRS84", strings.HasPrefix(n, "URN:OGC:DEF:CRS:OGC:") && strings.HasSuffix(n, ":CRS84"),
		strings.HasSuffix(n, "/OGC/1.3/CRS84"), strings.HasSuffix(n, "/OGC/0/CRS84"):
		return true
	}
	for _, code := range []string{"4326", "4490"} {
		switch {
		case n == "EPSG:"+code,
			strings.HasPrefix(n, "URN:OGC:DEF:CRS:EPSG:") && strings.HasSuffix(n, ":"+code),
			strings.HasSuffix(n, "/EPSG/0/"+code):
			return true
		}
	}
	return false
}

// gjParseFeature parses the i-th feature of the collection.
func gjParseFeature(raw json.RawMessage, i int) (Feature, []Problem) {
	f := Feature{Index: i}
	prefix := fmt.Sprintf("features[%d]", i)
	bad := func(field, code, reason, format string, args ...any) (Feature, []Problem) {
		return Feature{}, []Problem{newProblem(prefix+field, i, code, reason, fmt.Sprintf(format, args...))}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return bad("", "", "invalid_feature", "expected a GeoJSON Feature object")
	}
	var typ string
	if err := json.Unmarshal(obj["type"], &typ); err != nil || typ != "Feature" {
		return bad(".type", "", "invalid_feature", `expected an object with "type": "Feature"`)
	}

	// Properties first, so that later problems can name the code.
	var props map[string]any
	if rp, ok := obj["properties"]; ok {
		dec := json.NewDecoder(bytes.NewReader(rp))
		dec.UseNumber()
		if err := dec.Decode(&props); err != nil {
			return bad(".properties", "", "invalid_property", "properties must be an object (or null)")
		}
	}
	get := func(keys ...string) (any, string) {
		for _, k := range keys {
			if v, ok := props[k]; ok {
				return v, k
			}
		}
		for _, k := range keys {
			for pk, v := range props {
				if strings.EqualFold(pk, k) {
					return v, k
				}
			}
		}
		return nil, keys[0]
	}

	var problems []Problem
	v, _ := get("code")
	code, ok := gjPropString(v)
	if !ok || (v != nil && !gjIsString(v) && !codeAllDigits(code)) {
		problems = append(problems, newProblem(prefix+".code", i, "", "invalid_code",
			fmt.Sprintf("code must be a string of %s (or empty to have it numbered), got %s", codeSchemeDesc, gjDescribe(v))))
	}
	f.Code = strings.TrimSpace(code)
	add := func(field, reason, detail string) {
		problems = append(problems, newProblem(prefix+field, i, f.Code, reason, detail))
	}

	v, _ = get("name")
	if name, ok := gjPropString(v); ok {
		f.Name = strings.TrimSpace(name)
	} else {
		add(".name", "invalid_property", fmt.Sprintf("name must be a string, got %s", gjDescribe(v)))
	}
	v, _ = get("parent_code", "parent", "parent_cod", "parentcode")
	if pc, ok := gjPropString(v); ok {
		f.ParentCode = strings.TrimSpace(pc)
	} else {
		add(".parent_code", "invalid_property", fmt.Sprintf("parent_code must be a string code, got %s", gjDescribe(v)))
	}
	v, _ = get("level")
	if lv, ok := gjPropLevel(v); ok {
		f.Level = lv
	} else {
		add(".level", "invalid_level", fmt.Sprintf("level must be a whole number of 1 or more (1 street, 2 community, 3 basic grid), got %s", gjDescribe(v)))
	}

	if p, ok := gjCheckCRS(obj["crs"], prefix+".crs", i); !ok {
		p.Code = f.Code
		problems = append(problems, p)
	}

	if rg, ok := obj["geometry"]; ok && string(bytes.TrimSpace(rg)) != "null" {
		g, reason, detail := gjParseGeometry(rg)
		if reason != "" {
			add(".geometry", reason, detail)
		} else {
			f.Geometry = g
		}
	}
	if len(problems) > 0 {
		return Feature{}, problems
	}
	return f, nil
}

func gjIsString(v any) bool {
	_, ok := v.(string)
	return ok
}

// gjPropString reads a string property: a string, a number (its literal
// text) or null/absent ("").
func gjPropString(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// gjPropLevel reads the level: a whole number or a numeric string; absent or
// null gives 0 (which validation rejects).
func gjPropLevel(v any) (int, bool) {
	var s string
	switch x := v.(type) {
	case nil:
		return 0, true
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
		if s == "" {
			return 0, true
		}
	default:
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	fl, err := strconv.ParseFloat(s, 64)
	if err != nil || fl != math.Trunc(fl) || math.Abs(fl) > 1e6 {
		return 0, false
	}
	return int(fl), true
}

// gjDescribe names a decoded JSON value for a problem detail.
func gjDescribe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// gjParseGeometry decodes a Polygon or MultiPolygon geometry into an
// orb.MultiPolygon exactly as written. On failure it returns a reason and an
// English detail.
func gjParseGeometry(raw json.RawMessage) (orb.MultiPolygon, string, string) {
	var g map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil || g == nil {
		return nil, "invalid_geometry", "geometry must be a GeoJSON geometry object (or null)"
	}
	typ, _ := g["type"].(string)
	switch typ {
	case "Polygon":
		p, path, ok := gjPolygon(g["coordinates"])
		if !ok {
			return nil, "invalid_geometry", gjCoordDetail("Polygon", path)
		}
		if len(p) == 0 {
			return orb.MultiPolygon{}, "", ""
		}
		return orb.MultiPolygon{p}, "", ""
	case "MultiPolygon":
		arr, ok := g["coordinates"].([]any)
		if !ok {
			return nil, "invalid_geometry", gjCoordDetail("MultiPolygon", "")
		}
		mp := make(orb.MultiPolygon, 0, len(arr))
		for k, pv := range arr {
			p, path, ok := gjPolygon(pv)
			if !ok {
				return nil, "invalid_geometry", gjCoordDetail("MultiPolygon", fmt.Sprintf("[%d]%s", k, path))
			}
			mp = append(mp, p)
		}
		return mp, "", ""
	case "Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection":
		return nil, "not_polygon", fmt.Sprintf("the geometry is a %s; a grid must be a Polygon or MultiPolygon", typ)
	case "":
		return nil, "invalid_geometry", `the geometry has no "type"; expected "Polygon" or "MultiPolygon"`
	}
	return nil, "invalid_geometry", fmt.Sprintf("unknown geometry type %q; expected \"Polygon\" or \"MultiPolygon\"", typ)
}

func gjCoordDetail(typ, path string) string {
	return fmt.Sprintf("%s coordinates%s are malformed; expected %s", typ, path, map[string]string{
		"Polygon":      "an array of rings, each an array of [longitude, latitude] positions",
		"MultiPolygon": "an array of polygons, each an array of rings of [longitude, latitude] positions",
	}[typ])
}

// gjPolygon converts polygon coordinates; on failure it returns the JSON
// path (relative) of the offending element.
func gjPolygon(v any) (orb.Polygon, string, bool) {
	rings, ok := v.([]any)
	if !ok {
		return nil, "", false
	}
	p := make(orb.Polygon, 0, len(rings))
	for j, rv := range rings {
		pos, ok := rv.([]any)
		if !ok {
			return nil, fmt.Sprintf("[%d]", j), false
		}
		r := make(orb.Ring, 0, len(pos))
		for k, pv := range pos {
			pt, ok := gjPosition(pv)
			if !ok {
				return nil, fmt.Sprintf("[%d][%d]", j, k), false
			}
			r = append(r, pt)
		}
		p = append(p, r)
	}
	return p, "", true
}

// gjPosition converts [lon, lat(, z...)]. Numbers too large for float64
// become ±Inf (reported by validation as "non_finite").
func gjPosition(v any) (orb.Point, bool) {
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return orb.Point{}, false
	}
	var pt orb.Point
	for i := 0; i < 2; i++ {
		n, ok := arr[i].(json.Number)
		if !ok {
			return orb.Point{}, false
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			var ne *strconv.NumError
			if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
				return orb.Point{}, false
			}
			// Out of range: f is ±Inf (overflow) or ±0 (underflow).
		}
		pt[i] = f
	}
	for _, extra := range arr[2:] {
		if _, ok := extra.(json.Number); !ok {
			return orb.Point{}, false
		}
	}
	return pt, true
}
