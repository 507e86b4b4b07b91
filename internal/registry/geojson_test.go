package registry

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/internal/errs"
)

// importFixture parses a GeoJSON fixture and validates it, as an import does.
func importFixture(t *testing.T, name string, lim Limits) ([]Feature, []Problem) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, ps, err := ParseGeoJSON(f)
	if err != nil {
		t.Fatalf("ParseGeoJSON(%s): %v", name, err)
	}
	norm, vps := ValidateFeatures(fs, lim)
	return norm, append(ps, vps...)
}

func problemIndex(p Problem) int {
	if p.Index == nil {
		return -1
	}
	return *p.Index
}

func TestParseGeoJSONValidCollection(t *testing.T) {
	fs, ps := importFixture(t, "valid.geojson", Limits{})
	if len(ps) != 0 {
		t.Fatalf("problems: %+v", ps)
	}
	if len(fs) != 2 {
		t.Fatalf("got %d features, want 2", len(fs))
	}
	c := fs[0]
	if c.Index != 0 || c.Code != "110101001001000" || c.Name != "东华门社区" || c.Level != 2 || c.ParentCode != "110101001000000" {
		t.Errorf("feature 0 = %+v", c)
	}
	if len(c.Geometry) != 1 || len(c.Geometry[0]) != 2 {
		t.Fatalf("feature 0 geometry: want 1 polygon with a hole, got %v", c.Geometry)
	}
	if o := c.Geometry[0][0].Orientation(); o != orb.CCW {
		t.Errorf("exterior given clockwise must be normalised counter-clockwise, got %v", o)
	}
	if o := c.Geometry[0][1].Orientation(); o != orb.CW {
		t.Errorf("hole given counter-clockwise must be normalised clockwise, got %v", o)
	}
	g := fs[1]
	if g.Index != 1 || g.Level != 3 || g.Code != "110101001001001" || g.Name != "东华门社区第一网格" {
		t.Errorf("feature 1 = %+v (level given as the string \"3\")", g)
	}
	if n := len(g.Geometry[0][0]); n != 5 {
		t.Errorf("feature 1: the repeated position must be removed: %d positions, want 5", n)
	}
}

func TestParseGeoJSONInvalidFixtures(t *testing.T) {
	none := -1
	tests := []struct {
		name      string
		file      string
		lim       Limits
		reason    string
		index     int // -1: a collection-level problem
		code      string
		field     string
		detailHas string
	}{
		{"unclosed ring", "unclosed_ring.geojson", Limits{}, "ring_not_closed", 1, "110101001001002", "features[1].geometry", "repeat the first position"},
		{"3-point ring", "ring_too_short.geojson", Limits{}, "ring_too_short", 1, "110101001001002", "features[1].geometry", "at least 4"},
		{"bow-tie", "bowtie.geojson", Limits{}, "self_intersection", 1, "110101001001002", "features[1].geometry", "(116.425000, 39.905000)"},
		{"1e999 coordinate", "overflow_coordinate.geojson", Limits{}, "non_finite", 1, "110101001001002", "features[1].geometry", "finite"},
		{"lat/lon swapped", "lat_lon_swapped.geojson", Limits{}, "lat_lon_swapped", 1, "110101001001002", "features[1].geometry", "swap"},
		{"outside China", "outside_china.geojson", Limits{}, "outside_china", 1, "110101001001002", "features[1].geometry", "within China"},
		{"Point geometry", "point.geojson", Limits{}, "not_polygon", 1, "110101001001002", "features[1].geometry", "Point"},
		{"crs EPSG:3857", "crs_3857.geojson", Limits{}, "unsupported_crs", none, "", "crs", "EPSG::3857"},
		{"feature crs EPSG:3857", "crs_feature.geojson", Limits{}, "unsupported_crs", 1, "110101001001002", "features[1].crs", "EPSG:3857"},
		{"too many vertices", "too_many_vertices.geojson", Limits{MaxVertices: 10}, "too_many_vertices", 1, "110101001001002", "features[1].geometry", "at most 10"},
		{"missing name", "missing_name.geojson", Limits{}, "name_required", 1, "110101001001002", "features[1].name", "name"},
		{"invalid code", "invalid_code.geojson", Limits{}, "invalid_code", 1, "11010100100100X", "features[1].code", "15 digits"},
		{"code/parent mismatch", "parent_mismatch.geojson", Limits{}, "code_parent_mismatch", 1, "110101002001002", "features[1].parent_code", "110101001001"},
		{"invalid level", "invalid_level.geojson", Limits{}, "invalid_level", 1, "110101001001002", "features[1].level", "three"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := importFixture(t, tc.file, tc.lim)
			if len(ps) != 1 {
				t.Fatalf("want exactly one problem, got %d: %+v", len(ps), ps)
			}
			p := ps[0]
			if p.Reason != tc.reason || problemIndex(p) != tc.index || p.Code != tc.code || p.Field != tc.field {
				t.Errorf("problem = {Field:%q Index:%d Code:%q Reason:%q}, want {%q %d %q %q}",
					p.Field, problemIndex(p), p.Code, p.Reason, tc.field, tc.index, tc.code, tc.reason)
			}
			if !strings.Contains(p.Detail, tc.detailHas) {
				t.Errorf("detail %q does not mention %q", p.Detail, tc.detailHas)
			}
		})
	}
}

func TestParseGeoJSONMixedReportsEveryBadFeature(t *testing.T) {
	_, ps := importFixture(t, "mixed.geojson", Limits{})
	var got []string
	for _, p := range ps {
		got = append(got, strings.Join([]string{p.Field, p.Reason}, " "))
		if p.Index == nil {
			t.Errorf("problem without index: %+v", p)
		}
	}
	sort.Strings(got)
	want := []string{
		"features[1].geometry ring_not_closed",
		"features[3].name name_required",
		"features[4].geometry not_polygon",
		"features[5].geometry outside_china",
		"features[6].code invalid_code",
		"features[6].geometry self_intersection",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseGeoJSONTopLevelErrors(t *testing.T) {
	malformed, err := os.ReadFile(filepath.Join("testdata", "malformed.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc, msgHas string
	}{
		{"syntax error names line", string(malformed), "line 5"},
		{"empty", "  ", "empty"},
		{"array", `[1, 2]`, "array"},
		{"bare geometry", `{"type": "Polygon", "coordinates": []}`, `"Polygon"`},
		{"no type", `{"features": []}`, `"type"`},
		{"features not an array", `{"type": "FeatureCollection", "features": {}}`, "array"},
		{"trailing data", `{"type": "FeatureCollection", "features": []} {}`, "after the top-level value"},
		{"truncated", `{"type": "FeatureCollection", "features": [`, "end of the document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseGeoJSON(strings.NewReader(tc.doc))
			e, ok := errs.As(err)
			if !ok || e.Kind != errs.Invalid || e.Reason != "invalid_geojson" {
				t.Fatalf("err = %#v, want Invalid invalid_geojson", err)
			}
			if !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("error %q does not mention %q", err.Error(), tc.msgHas)
			}
		})
	}
}

func TestParseGeoJSONSingleFeatureAndProperties(t *testing.T) {
	doc := "\xef\xbb\xbf" + `{"type": "Feature", "properties": {"CODE": "", "NAME": " 网格 ", "LEVEL": 3.0, "PARENT": 110101001001000},
	  "geometry": {"type": "Polygon", "coordinates": [[[116.4, 39.9, 50], [116.41, 39.9, 50], [116.41, 39.91, 50], [116.4, 39.9, 50]]]}}`
	fs, ps, err := ParseGeoJSON(strings.NewReader(doc))
	if err != nil || len(ps) != 0 {
		t.Fatalf("err %v, problems %+v", err, ps)
	}
	if len(fs) != 1 {
		t.Fatalf("got %d features", len(fs))
	}
	f := fs[0]
	if f.Code != "" || f.Name != "网格" || f.Level != 3 || f.ParentCode != "110101001001000" {
		t.Errorf("feature = %+v", f)
	}
	if len(f.Geometry) != 1 || len(f.Geometry[0][0]) != 4 {
		t.Errorf("geometry = %v", f.Geometry)
	}
}

func TestParseGeoJSONFeatureProblems(t *testing.T) {
	tests := []struct {
		name, feature, reason, field string
	}{
		{"not an object", `42`, "invalid_feature", "features[0]"},
		{"wrong type", `{"type": "Polygon"}`, "invalid_feature", "features[0].type"},
		{"properties array", `{"type": "Feature", "properties": [], "geometry": null}`, "invalid_property", "features[0].properties"},
		{"name object", `{"type": "Feature", "properties": {"name": {}}, "geometry": null}`, "invalid_property", "features[0].name"},
		{"code bool", `{"type": "Feature", "properties": {"code": true}, "geometry": null}`, "invalid_code", "features[0].code"},
		{"code float", `{"type": "Feature", "properties": {"code": 1.5}, "geometry": null}`, "invalid_code", "features[0].code"},
		{"level fraction", `{"type": "Feature", "properties": {"level": 2.5}, "geometry": null}`, "invalid_level", "features[0].level"},
		{"string coordinate", `{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[["116.4", 39.9]]]}}`, "invalid_geometry", "features[0].geometry"},
		{"short position", `{"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [[[[116.4]]]]}}`, "invalid_geometry", "features[0].geometry"},
		{"unknown geometry", `{"type": "Feature", "properties": {}, "geometry": {"type": "Circle"}}`, "invalid_geometry", "features[0].geometry"},
		{"geometry collection", `{"type": "Feature", "properties": {}, "geometry": {"type": "GeometryCollection", "geometries": []}}`, "not_polygon", "features[0].geometry"},
		{"link crs", `{"type": "Feature", "crs": {"type": "link", "properties": {"href": "http://x"}}, "properties": {}, "geometry": null}`, "unsupported_crs", "features[0].crs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, ps, err := ParseGeoJSON(strings.NewReader(`{"type": "FeatureCollection", "features": [` + tc.feature + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 0 || len(ps) != 1 {
				t.Fatalf("features %v, problems %+v; want the feature rejected with one problem", fs, ps)
			}
			if ps[0].Reason != tc.reason || ps[0].Field != tc.field || problemIndex(ps[0]) != 0 {
				t.Errorf("problem %+v, want %s at %s", ps[0], tc.reason, tc.field)
			}
		})
	}
}

func TestParseGeoJSONAcceptedCRS(t *testing.T) {
	for _, name := range []string{"urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4490", "http://www.opengis.net/def/crs/EPSG/0/4326"} {
		doc := `{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "` + name + `"}}, "features": []}`
		_, ps, err := ParseGeoJSON(strings.NewReader(doc))
		if err != nil || len(ps) != 0 {
			t.Errorf("crs %s: err %v, problems %+v", name, err, ps)
		}
	}
}

func TestParseGeoJSONNullGeometryIsEmpty(t *testing.T) {
	doc := `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "110101001001001", "name": "a", "level": 3, "parent_code": "110101001001000"}, "geometry": null}]}`
	fs, ps, err := ParseGeoJSON(strings.NewReader(doc))
	if err != nil || len(ps) != 0 {
		t.Fatalf("err %v problems %+v", err, ps)
	}
	_, ps = ValidateFeatures(fs, Limits{})
	if len(ps) != 1 || ps[0].Reason != "empty_geometry" || ps[0].Code != "110101001001001" {
		t.Errorf("problems %+v, want one empty_geometry", ps)
	}
}
