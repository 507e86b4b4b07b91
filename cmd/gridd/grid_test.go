package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/crs"
)

type fcJSON struct {
	Type     string `json:"type"`
	Features []struct {
		ID         any            `json:"id"`
		Properties map[string]any `json:"properties"`
		Geometry   struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
	NumberReturned int    `json:"numberReturned"`
	Next           string `json:"next"`
}

type problemJSON struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Reason string `json:"reason"`
	Errors []struct {
		Field  string `json:"field"`
		Index  *int   `json:"index"`
		Code   string `json:"code"`
		Reason string `json:"reason"`
		Detail string `json:"detail"`
	} `json:"errors"`
	RequestID string `json:"request_id"`
}

func (ta *testApp) addUser(username string, role people.Role, scope string) {
	ta.t.Helper()
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		ta.t.Fatal(err)
	}
	if err := ta.people.CreateUser(context.Background(), &people.User{Username: username, Name: username, Role: role, ScopeCode: scope, PasswordHash: hash}); err != nil {
		ta.t.Fatal(err)
	}
}

func (ta *testApp) gridCount() int {
	ta.t.Helper()
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM grid_versions`).Scan(&n); err != nil {
		ta.t.Fatal(err)
	}
	return n
}

// TestDemoGridsForCenter is the Foundation's "done when": center logs in and
// lists the 26 demo basic grids, in pages.
func TestDemoGridsForCenter(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("center")
	var fc fcJSON
	res := ta.do("GET", "/api/v1/grids?level=3", tok, nil, nil)
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/geo+json") {
		t.Fatalf("status %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	res.decode(t, &fc)
	if len(fc.Features) != 26 {
		t.Fatalf("%d level-3 grids, want 26", len(fc.Features))
	}
	for _, f := range fc.Features {
		if f.Properties["level"].(float64) != 3 || f.Geometry.Type != "MultiPolygon" || f.Properties["area_m2"].(float64) <= 0 {
			t.Errorf("bad feature %v", f.Properties)
		}
	}
	// Paging: 10 + 10 + 6 with next links, no duplicates.
	seen := map[string]bool{}
	path := "/api/v1/grids?level=3&limit=10"
	pages := 0
	for path != "" && pages < 5 {
		var page fcJSON
		ta.do("GET", path, tok, nil, nil).decode(t, &page)
		for _, f := range page.Features {
			code := f.Properties["code"].(string)
			if seen[code] {
				t.Errorf("grid %s on two pages", code)
			}
			seen[code] = true
		}
		path = page.Next
		pages++
	}
	if len(seen) != 26 || pages != 3 {
		t.Errorf("paging saw %d grids in %d pages, want 26 in 3", len(seen), pages)
	}
	// One grid: area, parent chain, people.
	var f struct {
		Properties struct {
			Code    string  `json:"code"`
			AreaM2  float64 `json:"area_m2"`
			Parents []struct {
				Code  string `json:"code"`
				Level int    `json:"level"`
			} `json:"parents"`
			People []struct {
				Username string `json:"username"`
				GridRole string `json:"grid_role"`
			} `json:"people"`
		} `json:"properties"`
	}
	ta.do("GET", "/api/v1/grids/370114001003002", tok, nil, nil).decode(t, &f)
	if len(f.Properties.Parents) != 2 || f.Properties.Parents[0].Code != "370114001000000" || f.Properties.Parents[1].Code != "370114001003000" {
		t.Errorf("parent chain %+v", f.Properties.Parents)
	}
	roles := map[string]string{}
	for _, p := range f.Properties.People {
		roles[p.GridRole] = p.Username
	}
	if roles["worker"] != "370114001003002" || roles["head"] == "" || roles["volunteer"] == "" {
		t.Errorf("people on duty %v", roles)
	}
}

const rootAndVillage = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"370114001000000","name":"测试镇","level":1},
 "geometry":{"type":"Polygon","coordinates":[[[117.50,36.70],[117.54,36.70],[117.54,36.74],[117.50,36.74],[117.50,36.70]]]}},
{"type":"Feature","properties":{"code":"370114001001000","name":"测试村","level":2,"parent_code":"370114001000000"},
 "geometry":{"type":"Polygon","coordinates":[[[117.50,36.70],[117.54,36.70],[117.54,36.74],[117.50,36.74],[117.50,36.70]]]}}]}`

func square(x0, y0, d float64) string {
	return fmt.Sprintf(`[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]`, x0, y0, x0+d, y0, x0+d, y0+d, x0, y0+d, x0, y0)
}

func feature(props, geom string) string {
	return `{"type":"Feature","properties":{` + props + `},"geometry":` + geom + `}`
}

func collection(fs ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`)
}

func emptyApp(t *testing.T) (*testApp, string) {
	ta := newTestApp(t, false)
	ta.addUser("admin", people.RoleAdmin, "")
	tok := ta.login("admin")
	if res := ta.do("POST", "/api/v1/grids/import", tok, []byte(rootAndVillage), nil); res.Status != 201 {
		t.Fatalf("base import: %d %s", res.Status, res.Body)
	}
	return ta, tok
}

// TestImportNumbersAndConverts imports basic grids without codes in GCJ-02:
// gridd numbers them west→east, north→south and stores WGS84.
func TestImportNumbersAndConverts(t *testing.T) {
	ta, tok := emptyApp(t)
	p := `"name":"%s","level":3,"parent_code":"370114001001000"`
	// Two rows of two squares; given in scrambled order.
	body := collection(
		feature(fmt.Sprintf(p, "SE"), `{"type":"Polygon","coordinates":`+square(117.52, 36.70, 0.02)+`}`),
		feature(fmt.Sprintf(p, "NW"), `{"type":"Polygon","coordinates":`+square(117.50, 36.72, 0.02)+`}`),
		feature(fmt.Sprintf(p, "SW"), `{"type":"Polygon","coordinates":`+square(117.50, 36.70, 0.02)+`}`),
		feature(fmt.Sprintf(p, "NE"), `{"type":"Polygon","coordinates":`+square(117.52, 36.72, 0.02)+`}`),
	)
	// Parents large enough for the converted squares (the topology guard
	// refuses grids outside their parent).
	if res := ta.do("POST", "/api/v1/grids/import", tok, []byte(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(rootAndVillage,
		"117.50", "117.49"), "117.54", "117.55"), "36.70", "36.69"), "36.74", "36.75")), nil); res.Status != 201 {
		t.Fatalf("parents in GCJ-02: %d %s", res.Status, res.Body)
	}
	res := ta.do("POST", "/api/v1/grids/import?crs=gcj02", tok, body, nil)
	if res.Status != 201 {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	var rep registry.ImportReport
	res.decode(t, &rep)
	if rep.Accepted != 4 || rep.Counts.Created != 4 {
		t.Fatalf("report %+v", rep)
	}
	want := map[string]string{"NW": "370114001001001", "NE": "370114001001002", "SW": "370114001001003", "SE": "370114001001004"}
	for name, code := range want {
		g, err := ta.grids.FindGridByCode(context.Background(), code, nil)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		if g.Name != name {
			t.Errorf("code %s went to %s, want %s", code, g.Name, name)
		}
		// GCJ-02 → WGS84 moves points by a few hundred metres south-west here.
		v := g.Geometry[0][0][0]
		if v[0] >= 117.50 && v[1] >= 36.70 && math.Abs(v[0]-117.50) < 1e-9 {
			t.Errorf("%s: first vertex %v looks unconverted", code, v)
		}
	}
	// A re-import of the same file changes nothing... except it now numbers
	// new codes; so import the stored grids' export instead.
	exp := ta.do("GET", "/api/v1/grids/export?format=geojson", tok, nil, nil)
	res = ta.do("POST", "/api/v1/grids/import", tok, exp.Body, nil)
	res.decode(t, &rep)
	if res.Status != 200 || rep.Counts.Unchanged != 6 || rep.Counts.Created+rep.Counts.Versioned != 0 {
		t.Errorf("re-import of the export: %d %+v", res.Status, rep)
	}
}

// TestImportRejectsEachInvalidClass posts one bad feature per class: each
// gets its own reason, and nothing is stored.
func TestImportRejectsEachInvalidClass(t *testing.T) {
	ta, tok := emptyApp(t)
	before := ta.gridCount()
	p := `"code":"370114001001009","name":"坏网格","level":3,"parent_code":"370114001001000"`
	cases := []struct {
		name, body, reason string
	}{
		{"unclosed ring", feature(p, `{"type":"Polygon","coordinates":[[[117.50,36.70],[117.51,36.70],[117.51,36.71],[117.50,36.71]]]}`), "ring_not_closed"},
		{"three positions", feature(p, `{"type":"Polygon","coordinates":[[[117.50,36.70],[117.51,36.70],[117.50,36.70]]]}`), "ring_too_short"},
		{"bow-tie", feature(p, `{"type":"Polygon","coordinates":[[[117.50,36.70],[117.51,36.71],[117.51,36.70],[117.50,36.71],[117.50,36.70]]]}`), "self_intersection"},
		{"lat/lon swapped", feature(p, `{"type":"Polygon","coordinates":`+square(36.70, 117.50, 0.01)+`}`), "lat_lon_swapped"},
		{"outside China", feature(p, `{"type":"Polygon","coordinates":`+square(2.35, 48.85, 0.01)+`}`), "outside_china"},
		{"point", feature(p, `{"type":"Point","coordinates":[117.5,36.7]}`), "not_polygon"},
		{"no name", feature(`"code":"370114001001009","level":3,"parent_code":"370114001001000"`, `{"type":"Polygon","coordinates":`+square(117.50, 36.70, 0.01)+`}`), "name_required"},
		{"bad code", feature(`"code":"37011400100100X","name":"坏","level":3,"parent_code":"370114001001000"`, `{"type":"Polygon","coordinates":`+square(117.50, 36.70, 0.01)+`}`), "invalid_code"},
		{"code not under parent", feature(`"code":"370114001002009","name":"坏","level":3,"parent_code":"370114001001000"`, `{"type":"Polygon","coordinates":`+square(117.50, 36.70, 0.01)+`}`), "code_parent_mismatch"},
		{"unknown parent", feature(`"code":"370114001009001","name":"坏","level":3,"parent_code":"370114001009000"`, `{"type":"Polygon","coordinates":`+square(117.50, 36.70, 0.01)+`}`), "parent_not_found"},
		{"web mercator crs", `{"type":"Feature","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"properties":{` + p + `},"geometry":{"type":"Polygon","coordinates":` + square(117.50, 36.70, 0.01) + `}}`, "unsupported_crs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			good := feature(`"name":"好网格","level":3,"parent_code":"370114001001000"`, `{"type":"Polygon","coordinates":`+square(117.52, 36.72, 0.01)+`}`)
			res := ta.do("POST", "/api/v1/grids/import", tok, collection(good, tc.body), nil)
			if res.Status != 422 && res.Status != 400 {
				t.Fatalf("status %d, want 4xx: %s", res.Status, res.Body)
			}
			var pj problemJSON
			res.decode(t, &pj)
			found := false
			for _, e := range pj.Errors {
				if e.Reason == tc.reason && e.Index != nil && *e.Index == 1 {
					found = true
				}
				if e.Index != nil && *e.Index == 0 {
					t.Errorf("the valid feature 0 was reported: %+v", e)
				}
			}
			if !found {
				t.Errorf("no problem with reason %s at index 1: %s", tc.reason, res.Body)
			}
			if n := ta.gridCount(); n != before {
				t.Errorf("%d grid versions after a rejected import, want %d", n, before)
			}
		})
	}
	// partial=true keeps the valid feature; dry_run=true writes nothing.
	good := feature(`"name":"好网格","level":3,"parent_code":"370114001001000"`, `{"type":"Polygon","coordinates":`+square(117.52, 36.72, 0.01)+`}`)
	bad := feature(p, `{"type":"Point","coordinates":[117.5,36.7]}`)
	res := ta.do("POST", "/api/v1/grids/import?partial=true&dry_run=true", tok, collection(good, bad), nil)
	var rep registry.ImportReport
	res.decode(t, &rep)
	if res.Status != 200 || rep.Accepted != 1 || rep.Rejected != 1 || ta.gridCount() != before {
		t.Errorf("dry run: %d %+v, %d versions", res.Status, rep, ta.gridCount())
	}
	res = ta.do("POST", "/api/v1/grids/import?partial=true", tok, collection(good, bad), nil)
	res.decode(t, &rep)
	if res.Status != 201 || rep.Counts.Created != 1 || ta.gridCount() != before+1 {
		t.Errorf("partial: %d %+v", res.Status, rep)
	}
	// Not JSON at all.
	if res := ta.do("POST", "/api/v1/grids/import", tok, []byte(`{"type":"FeatureCollection","features":[`), nil); res.Status != 400 {
		t.Errorf("truncated JSON: %d %s", res.Status, res.Body)
	}
}

// TestShapefileRoundTrip exports the demo town as a zipped Shapefile and
// imports it into an empty registry.
func TestShapefileRoundTrip(t *testing.T) {
	demo := newTestApp(t, true)
	zip := demo.do("GET", "/api/v1/grids/export?format=shapefile", demo.login("admin"), nil, nil)
	if zip.Status != 200 || zip.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", zip.Status, zip.Header.Get("Content-Type"))
	}
	ta := newTestApp(t, false)
	ta.addUser("admin", people.RoleAdmin, "")
	tok := ta.login("admin")
	var rep registry.ImportReport
	res := ta.do("POST", "/api/v1/grids/import?dry_run=true", tok, zip.Body, nil)
	res.decode(t, &rep)
	if res.Status != 200 || rep.Accepted != 40 || ta.gridCount() != 0 {
		t.Fatalf("dry run: %d %+v", res.Status, rep)
	}
	res = ta.do("POST", "/api/v1/grids/import", tok, zip.Body, nil)
	res.decode(t, &rep)
	if res.Status != 201 || rep.Counts.Created != 40 {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	ctx := context.Background()
	for _, code := range []string{"370114001000000", "370114001007000", "370114001013002"} {
		a, err := demo.grids.FindGridByCode(ctx, code, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ta.grids.FindGridByCode(ctx, code, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != b.Name || a.Level != b.Level || a.ParentCode != b.ParentCode || math.Abs(a.AreaM2-b.AreaM2) > 1e-6*a.AreaM2 {
			t.Errorf("%s: %s/%d/%s/%.1f became %s/%d/%s/%.1f", code, a.Name, a.Level, a.ParentCode, a.AreaM2, b.Name, b.Level, b.ParentCode, b.AreaM2)
		}
	}
}

// TestGridVersionHistory edits a grid twice and reads it as of each time.
func TestGridVersionHistory(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	const code = "370114001005001"
	g0 := ta.do("GET", "/api/v1/grids/"+code, tok, nil, nil)
	etag := g0.Header.Get("ETag")
	if etag != `"1"` {
		t.Fatalf("ETag %q, want \"1\"", etag)
	}
	res := ta.do("PATCH", "/api/v1/grids/"+code, tok, map[string]string{"name": "新名字"}, map[string]string{"If-Match": etag})
	if res.Status != 200 || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("patch: %d %s", res.Status, res.Body)
	}
	var cur, old struct {
		Properties map[string]any `json:"properties"`
	}
	ta.do("GET", "/api/v1/grids/"+code, tok, nil, nil).decode(t, &cur)
	ta.do("GET", "/api/v1/grids/"+code+"?at=2025-06-01", tok, nil, nil).decode(t, &old)
	if cur.Properties["name"] != "新名字" || cur.Properties["version"].(float64) != 2 {
		t.Errorf("current %v", cur.Properties)
	}
	if old.Properties["name"] == "新名字" || old.Properties["version"].(float64) != 1 || old.Properties["valid_to"] == nil {
		t.Errorf("as of 2025-06-01: %v", old.Properties)
	}
	// Stale If-Match: conflict; missing If-Match: 400; bad geometry: 400 and nothing changes.
	if res := ta.do("PATCH", "/api/v1/grids/"+code, tok, map[string]string{"name": "x"}, map[string]string{"If-Match": `"1"`}); res.Status != 409 {
		t.Errorf("stale If-Match: %d", res.Status)
	}
	if res := ta.do("PATCH", "/api/v1/grids/"+code, tok, map[string]string{"name": "x"}, nil); res.Status != 400 {
		t.Errorf("no If-Match: %d", res.Status)
	}
	bow := json.RawMessage(`{"type":"Polygon","coordinates":[[[117.50,36.70],[117.51,36.71],[117.51,36.70],[117.50,36.71],[117.50,36.70]]]}`)
	res = ta.do("PATCH", "/api/v1/grids/"+code, tok, map[string]any{"geometry": bow}, map[string]string{"If-Match": `"2"`})
	var pj problemJSON
	res.decode(t, &pj)
	if res.Status != 400 || len(pj.Errors) == 0 || pj.Errors[0].Reason != "self_intersection" {
		t.Errorf("bow-tie patch: %d %s", res.Status, res.Body)
	}
	if res := ta.do("PATCH", "/api/v1/grids/"+code, tok, map[string]any{"colour": "red"}, map[string]string{"If-Match": `"2"`}); res.Status != 400 {
		t.Errorf("unknown field: %d", res.Status)
	}
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM grid_versions WHERE code = $1`, code).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d versions (%v), want 2", n, err)
	}
}

// TestConcurrentGridEdits: of concurrent edits with the same If-Match, one
// wins and the rest get 409.
func TestConcurrentGridEdits(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	const code = "370114001006002"
	const n = 12
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i] = ta.do("PATCH", "/api/v1/grids/"+code, tok, map[string]string{"name": fmt.Sprintf("并发%d", i)}, map[string]string{"If-Match": `"1"`}).Status
		}(i)
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[200] != 1 || count[409] != n-1 {
		t.Errorf("statuses %v, want one 200 and %d 409", count, n-1)
	}
}

// TestLoginLogoutExpiryThrottle drives the token life cycle on an injected clock.
func TestLoginLogoutExpiryThrottle(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ta := newTestAppWith(t, true, func(c *Config) { c.Now = clock; c.TokenTTL = time.Hour })
	tok := ta.login("center")
	if res := ta.do("GET", "/api/v1/auth/me", tok, nil, nil); res.Status != 200 {
		t.Fatalf("me: %d", res.Status)
	}
	if res := ta.do("POST", "/api/v1/auth/logout", tok, nil, nil); res.Status != 204 {
		t.Fatalf("logout: %d", res.Status)
	}
	if res := ta.do("GET", "/api/v1/auth/me", tok, nil, nil); res.Status != 401 {
		t.Errorf("after logout: %d", res.Status)
	}
	tok = ta.login("center")
	advance(59 * time.Minute)
	if res := ta.do("GET", "/api/v1/auth/me", tok, nil, nil); res.Status != 200 {
		t.Errorf("before expiry: %d", res.Status)
	}
	advance(2 * time.Minute)
	res := ta.do("GET", "/api/v1/auth/me", tok, nil, nil)
	var pj problemJSON
	res.decode(t, &pj)
	if res.Status != 401 || pj.Reason != "token_expired" {
		t.Errorf("after expiry: %d %s", res.Status, res.Body)
	}
	// Three wrong passwords from one address, then even the right one from
	// there waits a growing delay (accounts_test.go has the rest).
	for i := 0; i < 3; i++ {
		if res := ta.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "center", "password": "wrong"}, nil); res.Status != 401 {
			t.Fatalf("wrong password %d: %d", i, res.Status)
		}
	}
	res = ta.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "center", "password": dbtest.DemoPassword}, nil)
	if res.Status != 429 || res.Header.Get("Retry-After") != "1" {
		t.Errorf("throttled login: %d %s (Retry-After %q)", res.Status, res.Body, res.Header.Get("Retry-After"))
	}
	advance(16 * time.Minute)
	ta.login("center")
	// Tokens are stored hashed.
	var raw int
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE encode(token_hash, 'escape') = $1`, tok).Scan(&raw); err != nil || raw != 0 {
		t.Errorf("a token is stored in clear (%d, %v)", raw, err)
	}
	// English problem titles on request.
	res = ta.do("GET", "/api/v1/auth/me?lang=en", "", nil, nil)
	res.decode(t, &pj)
	if pj.Title != "Unauthorized" {
		t.Errorf("English title %q", pj.Title)
	}
}

// TestLocate answers grid chains for demo points.
func TestLocate(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("center")
	g, err := ta.grids.FindGridByCode(context.Background(), "370114001004001", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A point well inside: the centroid of the first triangle fan step is
	// not guaranteed inside, so use PostGIS's point on surface.
	var lon, lat float64
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grid_versions WHERE code = $1 AND valid_to IS NULL) s`, g.Code).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Covered bool `json:"covered"`
		Chain   []struct {
			Code  string `json:"code"`
			Level int    `json:"level"`
		} `json:"chain"`
		BoundaryDistanceM float64 `json:"boundary_distance_m"`
	}
	ta.do("GET", fmt.Sprintf("/api/v1/locate?lon=%.7f&lat=%.7f", lon, lat), tok, nil, nil).decode(t, &r)
	if !r.Covered || len(r.Chain) != 3 || r.Chain[2].Code != g.Code || r.Chain[0].Code != "370114001000000" || r.BoundaryDistanceM <= 0 {
		t.Errorf("locate inside: %+v", r)
	}
	// Before the demo grids existed nothing covers the point.
	ta.do("GET", fmt.Sprintf("/api/v1/locate?lon=%.7f&lat=%.7f&at=2024-06-01", lon, lat), tok, nil, nil).decode(t, &r)
	if r.Covered || len(r.Chain) != 0 {
		t.Errorf("locate in 2024: %+v", r)
	}
	// The same place in GCJ-02 lands in the same grid.
	var gx, gy float64
	{
		var out struct {
			Results []struct {
				Chain []struct{ Code string } `json:"chain"`
			} `json:"results"`
		}
		gx, gy = gcj(lon, lat)
		res := ta.do("POST", "/api/v1/locate", tok, map[string]any{"crs": "gcj02", "points": [][]float64{{gx, gy}, {100, 30}}}, nil)
		res.decode(t, &out)
		if len(out.Results) != 2 || len(out.Results[0].Chain) != 3 || out.Results[0].Chain[2].Code != g.Code || len(out.Results[1].Chain) != 0 {
			t.Errorf("POST locate: %s", res.Body)
		}
	}
	// Bad input names the point.
	for _, body := range []any{
		map[string]any{"points": [][]float64{{117.5, 36.7}, {36.7, 117.5}}},
		map[string]any{"points": [][]float64{{117.5}}},
		map[string]any{"points": [][]float64{}},
		map[string]any{"crs": "utm", "points": [][]float64{{117.5, 36.7}}},
	} {
		res := ta.do("POST", "/api/v1/locate", tok, body, nil)
		if res.Status != 400 {
			t.Errorf("%v: %d %s", body, res.Status, res.Body)
		}
	}
	if res := ta.do("GET", "/api/v1/locate?lon=abc&lat=1", tok, nil, nil); res.Status != 400 {
		t.Errorf("lon=abc: %d", res.Status)
	}
}

// TestDemoTopologyClean: the demo town has no gaps, overlaps or slivers.
func TestDemoTopologyClean(t *testing.T) {
	ta := newTestApp(t, true)
	var rep struct {
		Clean          bool           `json:"clean"`
		ParentsChecked int            `json:"parents_checked"`
		Counts         map[string]int `json:"counts"`
		Slivers        fcJSON         `json:"slivers"`
	}
	res := ta.do("GET", "/api/v1/audits/topology", ta.login("center"), nil, nil)
	res.decode(t, &rep)
	if !rep.Clean || rep.ParentsChecked != 14 || len(rep.Slivers.Features) != 0 {
		t.Errorf("demo audit: %s", truncate(res.Body))
	}
}

func newTestAppWith(t *testing.T, withDemo bool, tweak func(*Config)) *testApp {
	return newTestAppConfig(t, withDemo, tweak)
}

func gcj(lon, lat float64) (float64, float64) { return crs.WGS84ToGCJ02(lon, lat) }
