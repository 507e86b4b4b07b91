package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// TestBadInputRefused (issue 16): each of these reached storage or a 500
// on main.
//   - NaN/±Inf in a numeric query parameter (sliver_m2=NaN → 500 plain text);
//   - a JSON body sent as text/plain or with no Content-Type (stored, 201);
//   - an empty polygon for a building (stored as POLYGON EMPTY at POINT(0 0));
//   - a grid PATCH shifted onto its neighbour or moved under another parent.
func TestBadInputRefused(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	admin := ta.login("admin")
	problem := func(res response, status int, field string) {
		t.Helper()
		if res.Status != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("got %d %s %s, want %d problem+json", res.Status, res.Header.Get("Content-Type"), res.Body, status)
			return
		}
		if field != "" && !res.hasField(field) {
			t.Errorf("the problem does not name %s: %s", field, res.Body)
		}
	}

	// NaN and infinities in numeric parameters: 400 naming the parameter.
	for _, v := range []string{"NaN", "nan", "Inf", "-Inf", "+Infinity"} {
		problem(ta.do("GET", "/api/v1/audits/topology?sliver_m2="+v, admin, nil, nil), 400, "sliver_m2")
		problem(ta.do("GET", "/api/v1/audits/registers?tolerance="+v, admin, nil, nil), 400, "tolerance")
		problem(ta.do("GET", "/api/v1/locate?lon="+v+"&lat=36.7", admin, nil, nil), 400, "lon,lat")
	}

	// A JSON body that does not say it is JSON: 415, nothing stored.
	count := func() int {
		var n int
		if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM register_records`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	lon, lat := regPointIn(t, ta, otherGrid, 0)
	body := []byte(`{"address":"五号院","lon":` + strconv.FormatFloat(lon, 'f', -1, 64) + `,"lat":` + strconv.FormatFloat(lat, 'f', -1, 64) + `}`)
	for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded", "garbage/"} {
		res := ta.do("POST", "/api/v1/registers/household", admin, body, map[string]string{"Content-Type": ct})
		problem(res, 415, "Content-Type")
	}
	if res := ta.do("POST", "/api/v1/registers/household", admin, body, map[string]string{"Content-Type": "application/json; charset=utf-8"}); res.Status != 201 {
		t.Fatalf("application/json; charset=utf-8: %d %s", res.Status, res.Body)
	}
	if n := count(); n != before+1 {
		t.Errorf("%d records stored, want 1 (the application/json one)", n-before)
	}

	// Empty geometries for a building: 422 naming the geometry, nothing stored.
	before = count()
	for _, g := range []string{
		`{"type":"Polygon","coordinates":[]}`,
		`{"type":"MultiPolygon","coordinates":[]}`,
		`{"type":"MultiPolygon","coordinates":[[]]}`,
		`{"type":"Polygon","coordinates":[[]]}`,
		`{"type":"Polygon","coordinates":[[[117.5,36.7],[117.6,36.7],[117.5,36.7]]]}`,
	} {
		res := ta.do("POST", "/api/v1/registers/building", admin, []byte(`{"name":"空楼","geometry":`+g+`}`), nil)
		if res.Status != 422 || !strings.Contains(string(res.Body), `"field":"geometry`) {
			t.Errorf("building %s: %d %s, want 422 naming geometry", g, res.Status, res.Body)
		}
	}
	if n := count(); n != before {
		t.Errorf("empty buildings stored %d records", n-before)
	}

	// A grid moved 0.01° onto its neighbour: 409 naming the neighbour and the area.
	tok := ta.login("center")
	a, b := ta.neighbours(guardVillage)
	va := ta.version(a)
	res := ta.do("PATCH", "/api/v1/grids/"+a, tok, map[string]any{"geometry": ta.sqlGeoJSON(`SELECT ST_Translate(` + cur(a) + `, 0.01, 0)`)},
		map[string]string{"If-Match": strconv.Quote(strconv.Itoa(va))})
	if res.Status != 409 && res.Status != 422 {
		t.Errorf("grid shifted 0.01°: %d %s, want 409/422", res.Status, res.Body)
	} else if p := problemOf(t, res); !strings.Contains(p.Detail, "m²") || (res.Status == 409 && !strings.Contains(p.Detail, b) && !strings.Contains(p.Detail, "370114001002")) {
		t.Errorf("shift refusal names no neighbour or area: %s", res.Body)
	}
	// Moved under another village: a grid's code encodes its parent, so
	// the move is refused (400 naming parent_code) before any topology.
	res = ta.do("PATCH", "/api/v1/grids/"+a, tok, map[string]any{"parent_code": "370114001001000"},
		map[string]string{"If-Match": strconv.Quote(strconv.Itoa(va))})
	problem(res, 400, "parent_code")
	if ta.version(a) != va {
		t.Errorf("a refused grid edit stored version %d", ta.version(a))
	}
}
