package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/httpapi"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/province"
	"github.com/paulmach/orb"
)

const (
	ownGrid     = "370114001001001" // the worker login's grid
	otherGrid   = "370114001002001" // a grid of another village
	viewerScope = "370114001002000" // the viewer login's village
)

var roles = []string{"anonymous", "admin", "center", "department", "worker", "viewer", "volunteer", "informant", "police", "liaison"}

// forces are the other grid forces' roles (issue 18): by default they get
// what a role with no grid gets; rows that differ say so.
var forceRoles = []string{"volunteer", "informant", "police", "liaison"}

// routeCase builds a request for one role and says which status it expects.
type routeCase struct {
	build  func(ta *testApp, role string) (path string, body any, hdr map[string]string)
	expect map[string]int // role → status
}

func all(status int, except map[string]int) map[string]int {
	m := map[string]int{}
	for _, r := range roles {
		m[r] = status
	}
	m["anonymous"] = http.StatusUnauthorized
	for k, v := range except {
		m[k] = v
	}
	return m
}

// public expects status for every role and for an anonymous caller.
func public(status int) map[string]int {
	m := map[string]int{}
	for _, r := range roles {
		m[r] = status
	}
	return m
}

// forcesToo returns m with every grid-force role expecting status.
func forcesToo(status int, m map[string]int) map[string]int {
	for _, r := range forceRoles {
		m[r] = status
	}
	return m
}

func only(status int, allowed ...string) map[string]int {
	m := all(http.StatusForbidden, nil)
	for _, r := range allowed {
		m[r] = status
	}
	return m
}

func fixed(path string) func(*testApp, string) (string, any, map[string]string) {
	return func(*testApp, string) (string, any, map[string]string) { return path, nil, nil }
}

const dryImport = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"测试网格","level":3,"parent_code":"370114001002000"},
"geometry":{"type":"Polygon","coordinates":[[[117.50,36.70],[117.501,36.70],[117.501,36.701],[117.50,36.701],[117.50,36.70]]]}}]}`

func routeCases() map[string]routeCase {
	unique := 0
	next := func() int { unique++; return unique }
	return map[string]routeCase{
		"GET /healthz": {fixed("/healthz"), public(200)},
		"GET /readyz":  {fixed("/readyz"), public(200)},
		"GET /metrics": {fixed("/metrics"), public(200)},

		// The web console is public: the page holds no data.
		"GET /":            {fixed("/"), public(200)},
		"GET /config.json": {fixed("/config.json"), public(200)},
		"GET /assets/*":    {fixed("/assets/favicon.svg"), public(200)},
		// The field app (public shell: its data comes from the API); /m redirects to /m/.
		"GET /m":   {fixed("/m"), public(200)},
		"GET /m/*": {fixed("/m/manifest.webmanifest"), public(200)},

		// A good login, open to anyone: ten failed ones from this one test
		// address would throttle every later login of the walk (the
		// throttle has its own test, TestLoginThrottleBySource).
		"POST /api/v1/auth/login": {func(_ *testApp, role string) (string, any, map[string]string) {
			return "/api/v1/auth/login", map[string]string{"username": "center", "password": dbtest.DemoPassword}, nil
		}, public(200)},
		"POST /api/v1/auth/logout": {fixed("/api/v1/auth/logout"), all(http.StatusNoContent, nil)},
		"GET /api/v1/auth/me":      {fixed("/api/v1/auth/me"), all(200, nil)},
		// Any user may enrol a TOTP second factor (sorted: enrol, then a
		// confirmation with a malformed code).
		"POST /api/v1/auth/totp": {fixed("/api/v1/auth/totp"), all(200, nil)},
		"POST /api/v1/auth/totp/confirm": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/auth/totp/confirm", map[string]string{"code": "abc"}, nil
		}, all(http.StatusBadRequest, nil)},
		// Turning one's factor off needs a current code (a malformed one: 400).
		"POST /api/v1/auth/totp/disable": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/auth/totp/disable", map[string]string{"code": "abc"}, nil
		}, all(http.StatusBadRequest, nil)},
		"POST /api/v1/users/{username}/second-factor/reset": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/users/p0001/second-factor/reset", nil, nil
		}, only(http.StatusNoContent, "admin")},
		"GET /api/v1/grids": {fixed("/api/v1/grids?level=3"), all(200, nil)},
		"POST /api/v1/grids/import": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/grids/import?dry_run=true", []byte(dryImport), nil
		}, only(200, "admin", "center")},
		"GET /api/v1/grids/export":          {fixed("/api/v1/grids/export?format=geojson"), all(200, nil)},
		"GET /api/v1/grids/{code}":          {fixed("/api/v1/grids/" + otherGrid), all(200, forcesToo(403, map[string]int{"worker": 403}))},
		"GET /api/v1/grids/{code}/children": {fixed("/api/v1/grids/" + viewerScope + "/children"), all(200, forcesToo(403, map[string]int{"worker": 403}))},
		"PATCH /api/v1/grids/{code}": {func(ta *testApp, role string) (string, any, map[string]string) {
			g, err := ta.grids.FindGridByCode(context.Background(), otherGrid, nil)
			if err != nil {
				ta.t.Fatal(err)
			}
			return "/api/v1/grids/" + otherGrid, map[string]string{"name": "改名网格 " + role}, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, g.Version)}
		}, only(200, "admin", "center")},
		"POST /api/v1/grids/{code}/division-proposals": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/grids/" + viewerScope + "/division-proposals", map[string]any{"target": 300}, nil
		}, only(201, "admin", "center")},
		"GET /api/v1/grids/{code}/division-proposals/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/grids/%s/division-proposals/%d", viewerScope, planningProposal(ta)), nil, nil
		}, only(200, "admin", "center")},
		"POST /api/v1/grids/{code}/division-proposals/{id}/apply": {func(ta *testApp, _ string) (string, any, map[string]string) {
			id := planningProposal(ta)
			return fmt.Sprintf("/api/v1/grids/%s/division-proposals/%d/apply", viewerScope, id), nil, map[string]string{"If-Match": `"1"`}
		}, only(200, "admin", "center")},
		"POST /api/v1/grids/edits": {func(ta *testApp, role string) (string, any, map[string]string) {
			g, err := ta.grids.FindGridByCode(context.Background(), otherGrid, nil)
			if err != nil {
				ta.t.Fatal(err)
			}
			return "/api/v1/grids/edits", map[string]any{"dry_run": true, "edits": []map[string]any{{"code": otherGrid, "version": g.Version, "name": "预览 " + role}}}, nil
		}, only(200, "admin", "center")},
		"POST /api/v1/grids/{code}/carve": {func(ta *testApp, role string) (string, any, map[string]string) {
			disc := ta.sqlGeoJSON(`SELECT ST_Multi(ST_Intersection(ST_Buffer(ST_PointOnSurface(` + cur(otherGrid) + `)::geography, 100)::geometry, ST_Buffer(` + cur(otherGrid) + `::geography, -5)::geometry))`)
			return "/api/v1/grids/" + otherGrid + "/carve", map[string]any{"dry_run": true, "version": ta.version(otherGrid), "name": "预览 " + role, "geometry": disc}, nil
		}, only(200, "admin", "center")},
		"GET /api/v1/grids/history":          {fixed("/api/v1/grids/history?from=2025-06-01&to=2026-06-01&parent=" + viewerScope), all(200, nil)},
		"GET /api/v1/layers/{layer}/history": {fixed("/api/v1/layers/zones/history?from=2025-06-01&to=2026-06-01"), all(200, nil)},
		"POST /api/v1/layers/{layer}/import": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/layers/zones/import?dry_run=true", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"seat","name":"驻地","kind":"seat_area"},"geometry":{"type":"Polygon","coordinates":[[[117.50,36.70],[117.501,36.70],[117.501,36.701],[117.50,36.701],[117.50,36.70]]]}}]}`), nil
		}, only(200, "admin", "center")},
		"GET /api/v1/layers/{layer}/export": {fixed("/api/v1/layers/roads/export"), all(200, nil)},
		"GET /api/v1/users":                 {fixed("/api/v1/users"), only(200, "admin", "center")},
		"POST /api/v1/users": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/users", map[string]string{"username": fmt.Sprintf("newuser%d", next()), "name": "新用户", "role": "viewer"}, nil
		}, only(201, "admin")},
		"GET /api/v1/departments": {fixed("/api/v1/departments"), all(200, nil)},
		"POST /api/v1/departments": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/departments", map[string]string{"code": fmt.Sprintf("dept%d", next()), "name": "新部门"}, nil
		}, only(201, "admin")},
		"GET /api/v1/grids/{code}/assignments": {fixed("/api/v1/grids/" + otherGrid + "/assignments"), all(200, forcesToo(403, map[string]int{"worker": 403}))},
		"POST /api/v1/grids/{code}/assignments": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/grids/" + otherGrid + "/assignments", map[string]string{"username": "p0001", "grid_role": "volunteer", "valid_from": "2026-11-01"}, nil
		}, only(201, "admin", "center")},
		"POST /api/v1/assignments/{id}/end": {func(ta *testApp, role string) (string, any, map[string]string) {
			u, err := ta.people.FindUserByUsername(context.Background(), "p0001")
			if err != nil {
				ta.t.Fatal(err)
			}
			a := &people.Assignment{UserID: u.ID, GridCode: otherGrid, GridRole: people.GridVolunteer, ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			if err := ta.people.CreateAssignment(context.Background(), a); err != nil {
				ta.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/assignments/%d/end", a.ID), map[string]string{"on": "2026-11-20"}, nil
		}, only(204, "admin", "center")},
		"GET /api/v1/locate": {fixed("/api/v1/locate?lon=117.53&lat=36.70"), all(200, nil)},
		"POST /api/v1/locate": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/locate", map[string]any{"points": [][]float64{{117.53, 36.70}}}, nil
		}, all(200, nil)},
		"GET /api/v1/audits/topology": {fixed("/api/v1/audits/topology"), only(200, "admin", "center", "viewer")},

		// Monthly assessment (issue 7): records by the center; results read
		// by every role, each seeing only its part (a department: only its
		// unit's figures).
		"POST /api/v1/assessment/calls": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/assessment/calls", map[string]any{"worker": ownGrid, "at": time.Now().Add(-time.Hour).Format(time.RFC3339), "answered": false}, nil
		}, only(201, "admin", "center")},
		"POST /api/v1/assessment/surveys": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/assessment/surveys", map[string]any{"worker": ownGrid, "date": time.Now().Add(-24 * time.Hour).Format("2006-01-02"), "households": 20, "satisfied": 15}, nil
		}, only(201, "admin", "center")},
		"POST /api/v1/assessment/findings": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/assessment/findings", map[string]any{"worker": ownGrid, "kind": "unfamiliar", "date": time.Now().Add(-24 * time.Hour).Format("2006-01-02")}, nil
		}, only(201, "admin", "center")},
		"GET /api/v1/assessments":             {fixed("/api/v1/assessments?month=2026-10"), all(200, nil)},
		"GET /api/v1/assessments/export.xlsx": {fixed("/api/v1/assessments/export.xlsx?month=2026-10"), all(200, nil)},
		"POST /api/v1/assessments/run": {fixed("/api/v1/assessments/run?month=2026-09"),
			all(403, map[string]int{"admin": 201, "center": 200})},

		// Base registers and key persons.
		"GET /api/v1/registers/{kind}": {fixed("/api/v1/registers/households"), all(200, nil)},
		"POST /api/v1/registers/{kind}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			lon, lat := regPointIn(ta.t, ta, otherGrid, 0)
			return "/api/v1/registers/households", map[string]any{"address": "矩阵新户", "lon": lon, "lat": lat}, nil
		}, only(201, "admin", "center")},
		"POST /api/v1/registers/{kind}/import": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return "/api/v1/registers/households/import?dry_run=true", regHouseholdCSV(ta, ownGrid), nil
		}, only(200, "admin", "center", "worker")},
		"GET /api/v1/registers/{kind}/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/registers/households/%d", regHousehold(ta, otherGrid)), nil, nil
		}, all(200, forcesToo(403, map[string]int{"worker": 403}))},
		"PATCH /api/v1/registers/{kind}/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/registers/households/%d", regHousehold(ta, otherGrid)), map[string]any{"size": 4}, nil
		}, only(200, "admin", "center")},
		"DELETE /api/v1/registers/{kind}/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/registers/households/%d", regHousehold(ta, otherGrid)), nil, nil
		}, only(204, "admin", "center")},
		"GET /api/v1/audits/registers": {fixed("/api/v1/audits/registers"), only(200, "admin", "center", "viewer")},
		"GET /api/v1/keypersons":       {fixed("/api/v1/keypersons"), only(200, "admin", "center", "worker")},
		"POST /api/v1/keypersons": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return "/api/v1/keypersons", regKeyPersonBody(ta, otherGrid), nil
		}, only(201, "admin", "center")},
		"GET /api/v1/keypersons/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/keypersons/%d", regKeyPerson(ta, otherGrid)), nil, nil
		}, only(200, "admin", "center")},
		"GET /api/v1/keypersons/{id}/unmasked": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/keypersons/%d/unmasked?reason=route-matrix", regKeyPerson(ta, otherGrid)), nil, nil
		}, only(403)},
		"GET /api/v1/keypersons/{id}/visits": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/keypersons/%d/visits", regKeyPerson(ta, otherGrid)), nil, nil
		}, only(200, "admin", "center")},
		"POST /api/v1/keypersons/{id}/visits": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/keypersons/%d/visits", regKeyPerson(ta, otherGrid)), map[string]string{"visited_on": "2026-11-20"}, nil
		}, only(201, "admin", "center")},
		"GET /api/v1/permission-requests": {fixed("/api/v1/permission-requests?status=pending"), only(200, "admin")},
		"POST /api/v1/permission-requests/{id}/approve": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return "/api/v1/permission-requests/999999/approve", nil, nil
		}, only(http.StatusNotFound, "admin")},
		"POST /api/v1/permission-requests/{id}/reject": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return "/api/v1/permission-requests/999999/reject", nil, nil
		}, only(http.StatusNotFound, "admin")},
		"PUT /api/v1/users/{username}/permissions": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/users/p0001/permissions", map[string]any{"permissions": []string{}}, nil
		}, only(200, "admin")},
		"PATCH /api/v1/keypersons/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/keypersons/%d", regKeyPerson(ta, otherGrid)), map[string]string{"risk_level": "high"}, nil
		}, only(200, "admin", "center")},
		"GET /api/v1/audit-log": {fixed("/api/v1/audit-log?limit=5"), only(200, "admin")},

		// Patrols (issue 6).
		"POST /api/v1/patrols/points": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/patrols/points", patrolBody(ownGrid, next()), nil
		}, only(200, "admin", "center", "worker")},
		"POST /api/v1/patrols/gpx": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/patrols/gpx?worker=" + ownGrid, patrolGPX(next()), nil
		}, only(200, "admin", "center", "worker")},
		"GET /api/v1/patrols/daily":          {fixed("/api/v1/patrols/daily?worker=" + ownGrid + "&date=2026-03-02"), only(200, "admin", "center", "worker")},
		"GET /api/v1/audits/patrol-coverage": {fixed("/api/v1/audits/patrol-coverage?month=2026-03&parent=" + viewerScope + "&cells=false"), only(200, "admin", "center", "viewer")},
		"GET /api/v1/checkpoints":            {fixed("/api/v1/checkpoints"), all(200, map[string]int{"department": 403})},
		// The field app (/m/): a grid worker's day and month; other roles 403.
		"GET /api/v1/me/today":             {fixed("/api/v1/me/today"), only(200, "worker")},
		"GET /api/v1/me/month":             {fixed("/api/v1/me/month"), only(200, "worker")},
		"GET /api/v1/patrols/grid-options": {fixed("/api/v1/patrols/grid-options"), only(200, "admin", "center", "viewer")},
		"PUT /api/v1/patrols/grid-options/{code}": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/patrols/grid-options/" + otherGrid, map[string]any{"measure": "area"}, nil
		}, only(200, "admin", "center")},
		"POST /api/v1/checkpoints": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return "/api/v1/checkpoints", checkpointBody(ta, otherGrid), nil
		}, only(201, "admin", "center")},
		"GET /api/v1/checkpoints/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/checkpoints/%d", newCheckpoint(ta, otherGrid)), nil, nil
		}, all(200, forcesToo(403, map[string]int{"worker": 403, "department": 403}))},
		"PUT /api/v1/checkpoints/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/checkpoints/%d", newCheckpoint(ta, otherGrid)), checkpointBody(ta, otherGrid), nil
		}, only(200, "admin", "center")},
		"DELETE /api/v1/checkpoints/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/checkpoints/%d", newCheckpoint(ta, otherGrid)), nil, nil
		}, only(204, "admin", "center")},

		// Maps (issue 4): /tiles and /ogc take a bearer token or ?key=.
		"GET /tiles/{layer}.json":                   {fixed("/tiles/grids.json"), all(200, nil)},
		"GET /tiles/{layer}/{z}/{x}/{y}.mvt":        {fixed("/tiles/audit/12/3385/1598.mvt"), only(200, "admin", "center", "viewer")},
		"GET /ogc":                                  {fixed("/ogc"), all(200, nil)},
		"GET /ogc/api":                              {fixed("/ogc/api"), all(200, nil)},
		"GET /ogc/conformance":                      {fixed("/ogc/conformance"), all(200, nil)},
		"GET /ogc/collections":                      {fixed("/ogc/collections"), all(200, nil)},
		"GET /ogc/collections/{collectionId}":       {fixed("/ogc/collections/grids-level-3"), all(200, nil)},
		"GET /ogc/collections/{collectionId}/items": {fixed("/ogc/collections/grids-level-3/items"), all(200, nil)},
		"GET /ogc/collections/{collectionId}/items/{featureId}": {fixed("/ogc/collections/grids-level-3/items/" + otherGrid),
			all(200, forcesToo(404, map[string]int{"worker": 404}))},
		"GET /api/v1/layers/{layer}.geojson": {fixed("/api/v1/layers/grids.geojson?level=3"), all(200, nil)},
		"POST /api/v1/auth/api-keys": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/auth/api-keys", map[string]string{"name": "QGIS"}, nil
		}, all(201, nil)},
		"GET /api/v1/auth/api-keys": {fixed("/api/v1/auth/api-keys"), all(200, nil)},
		"DELETE /api/v1/auth/api-keys/{id}": {func(ta *testApp, role string) (string, any, map[string]string) {
			ctx := context.Background()
			owner := role // the other grid forces log in by their role's name
			if o, ok := map[string]string{"anonymous": "admin", "department": "dept-hwsuo", "worker": ownGrid}[role]; ok {
				owner = o
			}
			u, err := ta.people.FindUserByUsername(ctx, owner)
			if err != nil {
				ta.t.Fatal(err)
			}
			p, err := ta.auth.PrincipalFor(ctx, u)
			if err != nil {
				ta.t.Fatal(err)
			}
			k, err := ta.keys.CreateAPIKey(ctx, p, "to revoke", 0)
			if err != nil {
				ta.t.Fatal(err)
			}
			return fmt.Sprintf("/api/v1/auth/api-keys/%d", k.ID), nil, nil
		}, all(204, nil)},

		// Stage clocks and inboxes (issue 14): everyone has an inbox (a
		// viewer's is empty); a notification is marked read by its owner.
		"GET /api/v1/inbox": {fixed("/api/v1/inbox"), all(200, nil)},
		"POST /api/v1/inbox/{id}/read": {func(ta *testApp, role string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/inbox/%d/read", newNotification(ta, role)), nil, nil
		}, all(204, nil)},
		"GET /api/v1/deadlines": {fixed("/api/v1/deadlines"), all(200, nil)},
		"PUT /api/v1/deadlines": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/deadlines", map[string]any{"review": map[string]int{"days": 1}, "review_rules": []any{}, "yellow_share": 0.25, "yellow_hours": 8}, nil
		}, only(200, "admin")},
	}
}

// TestRouteRoleMatrix walks every registered route with every role and
// fails for a route that has no expectation.
func TestRouteRoleMatrix(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.people.CreateUser(ctx, &people.User{Username: "viewer", Name: "查看员", Role: people.RoleViewer, ScopeCode: viewerScope, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*people.User{
		{Username: "volunteer", Name: "志愿者", Role: people.RoleVolunteer},
		{Username: "informant", Name: "信息员", Role: people.RoleInformant},
		{Username: "police", Name: "社区民警", Role: people.RolePolice, ScopeCode: viewerScope},
		{Username: "liaison", Name: "联络员", Role: people.RoleLiaison, DepartmentCode: "hwsuo"},
	} {
		u.PasswordHash = hash
		if err := ta.people.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	logins := map[string]string{"admin": "admin", "center": "center", "department": "dept-hwsuo", "worker": ownGrid, "viewer": "viewer",
		"volunteer": "volunteer", "informant": "informant", "police": "police", "liaison": "liaison"}

	cases := routeCases()
	for k, v := range caseRouteCases() { // issue 5: cases, routing, calendar, uploads, Open311
		cases[k] = v
	}
	for k, v := range liveRouteCases() { // issue 14: events, webhooks
		cases[k] = v
	}
	for k, v := range deskRouteCases() { // issue 15: case list summary and export
		cases[k] = v
	}
	for k, v := range analyticsRouteCases() { // issue 19: hot spots, rates, reports
		cases[k] = v
	}
	for k, v := range dutyRouteCases() { // issue 18: responsibility, visits, daily log
		cases[k] = v
	}
	for k, v := range forceRouteCases() { // issue 18: inspections, grid forces, training, leave
		cases[k] = v
	}
	var routes []string
	err = chi.Walk(ta.server(Config{}).Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(strings.ReplaceAll(route, "/*/", "/"), "/")
		if route == "" {
			route = "/"
		}
		routes = append(routes, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt] = true
		rc, ok := cases[rt]
		if !ok {
			t.Errorf("route %s has no access expectation in routeCases", rt)
			continue
		}
		method := strings.SplitN(rt, " ", 2)[0]
		for _, role := range roles {
			token := ""
			if role != "anonymous" {
				token = ta.login(logins[role])
			}
			path, body, hdr := rc.build(ta, role)
			res := ta.do(method, path, token, body, hdr)
			if want := rc.expect[role]; res.Status != want {
				t.Errorf("%s as %s: status %d, want %d: %s", rt, role, res.Status, want, truncate(res.Body))
			}
			if res.Status >= 400 && !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
				t.Errorf("%s as %s: error without problem+json (%s)", rt, role, res.Header.Get("Content-Type"))
			}
			// API answers carry personal data or tokens: never stored by a
			// browser or proxy (photos may be kept privately; layer downloads are
			// revalidated by ETag like the tiles: private, no-cache).
			if cc := res.Header.Get("Cache-Control"); strings.Contains(rt, " /api/v1/") && res.Status < 300 && cc != "no-store" && !strings.HasPrefix(rt, "GET /api/v1/uploads/") && !strings.HasPrefix(rt, "GET /api/v1/layers/") {
				t.Errorf("%s as %s: Cache-Control %q, want no-store", rt, role, cc)
			}
		}
	}
	for rt := range cases {
		if !seen[rt] {
			t.Errorf("routeCases has %s, which is not a registered route", rt)
		}
	}
	_ = auth.DefaultHasher
}

// TestWorkerSeesOnlyOwnGrids checks the object-level scope of a worker.
func TestWorkerSeesOnlyOwnGrids(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login(ownGrid)
	if res := ta.do("GET", "/api/v1/grids/"+ownGrid, tok, nil, nil); res.Status != 200 {
		t.Fatalf("own grid: %d %s", res.Status, res.Body)
	}
	for _, code := range []string{otherGrid, "370114001001002", "370114001001000", "370114001000000"} {
		if res := ta.do("GET", "/api/v1/grids/"+code, tok, nil, nil); res.Status != 403 {
			t.Errorf("grid %s: status %d, want 403", code, res.Status)
		}
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	ta.do("GET", "/api/v1/grids", tok, nil, nil).decode(t, &fc)
	if len(fc.Features) != 1 || fc.Features[0].Properties["code"] != ownGrid {
		t.Errorf("worker's grid list: %d features, want only %s", len(fc.Features), ownGrid)
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestMeFeatures: GET /api/v1/auth/me names the optional parts this
// server serves, and each named part's route is registered — the console
// learns them from here instead of probing routes with failing requests.
func TestMeFeatures(t *testing.T) {
	ta := newTestApp(t, true)
	var me struct {
		Features []string `json:"features"`
	}
	ta.do("GET", "/api/v1/auth/me", ta.login("center"), nil, nil).decode(t, &me)
	routeOf := map[string]string{"cases": "GET /api/v1/cases", "stats": "GET /api/v1/stats/cases",
		"patrol_audit": "GET /api/v1/audits/patrol-coverage", "register_audit": "GET /api/v1/audits/registers",
		"assessments": "GET /api/v1/assessments", "duties": "GET /api/v1/visits/due"}
	routes := map[string]bool{}
	if err := chi.Walk(ta.server(Config{}).Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes[method+" "+strings.TrimSuffix(route, "/")] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(me.Features) != len(routeOf) {
		t.Errorf("features %v, want all of %v on the fully wired server", me.Features, routeOf)
	}
	for _, f := range me.Features {
		if rt, ok := routeOf[f]; !ok || !routes[rt] {
			t.Errorf("feature %q: route %q registered %v", f, rt, routes[rt])
		}
	}

	// A province instance (the same wiring with a province service) names
	// only "province" and no tile layer: it serves neither the city's
	// routes nor /tiles, and the console shows its province view.
	deps := ta.server(Config{}).Deps
	deps.Province = &province.Service{}
	prov := httpapi.New(deps)
	routes = map[string]bool{}
	if err := chi.Walk(prov.Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes[method+" "+strings.TrimSuffix(route, "/")] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+ta.login("admin"))
	rec := httptest.NewRecorder()
	prov.Handler().ServeHTTP(rec, req)
	var pme struct {
		Features []string `json:"features"`
		Layers   []string `json:"layers"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &pme); rec.Code != 200 || err != nil {
		t.Fatalf("me on a province instance: %d %s (%v)", rec.Code, rec.Body, err)
	}
	if !slices.Equal(pme.Features, []string{"province"}) || len(pme.Layers) != 0 || !routes["GET /api/v1/province/stats"] || routes["GET /api/v1/cases"] {
		t.Errorf("province instance: features %v, layers %v; province route %v, city route %v", pme.Features, pme.Layers,
			routes["GET /api/v1/province/stats"], routes["GET /api/v1/cases"])
	}
}

// dutyRouteCases: issue 18's responsibility, visits and daily log. The
// public lookup is open to everyone, deliberately (TestPublicResponsibleLookup
// holds what it may say).
func dutyRouteCases() map[string]routeCase {
	var household int64
	var home orb.Point
	house := func(ta *testApp) (int64, orb.Point) {
		if household == 0 {
			home = pointIn(ownGrid, 51, 40)
			household = ta.addHousehold(ta.login("admin"), "权限测试户", home)
		}
		return household, home
	}
	p := pointIn(ownGrid, 52, 40)
	return map[string]routeCase{
		"GET /api/v1/public/responsible": {fixed(fmt.Sprintf("/api/v1/public/responsible?lon=%f&lat=%f", p[0], p[1])), public(200)},
		"POST /api/v1/responsibilities": {func(ta *testApp, role string) (string, any, map[string]string) {
			id := ta.addHousehold(ta.login("admin"), "分配测试户 "+role, pointIn(ownGrid, 53, 40))
			return "/api/v1/responsibilities", map[string]any{"target": map[string]any{"kind": "household", "id": id}, "username": ownGrid}, nil
		}, only(201, "admin", "center")},
		"GET /api/v1/responsibilities": {fixed("/api/v1/responsibilities?grid=" + ownGrid), forcesToo(403, all(200, map[string]int{"department": 403, "viewer": 403}))},
		"PUT /api/v1/public-contacts/{username}": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/public-contacts/" + ownGrid, map[string]string{"contact": "12345"}, nil
		}, only(200, "admin", "center")},
		"GET /api/v1/visits/due":       {fixed("/api/v1/visits/due"), forcesToo(403, all(200, map[string]int{"department": 403}))},
		"GET /api/v1/visits/schedules": {fixed("/api/v1/visits/schedules"), forcesToo(403, all(200, map[string]int{"department": 403}))},
		"PUT /api/v1/visits/schedules": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/visits/schedules", map[string]any{"schedules": []map[string]any{
				{"target_kind": "household", "every": 1, "unit": "month"}, {"target_kind": "business", "every": 1, "unit": "month"},
				{"target_kind": "place", "every": 1, "unit": "month"}, {"target_kind": "key_person", "every": 1, "unit": "month"}}}, nil
		}, only(200, "admin")},
		"POST /api/v1/visits": {func(ta *testApp, _ string) (string, any, map[string]string) {
			id, at := house(ta)
			return "/api/v1/visits", visitBody(id, at, ""), nil
		}, only(201, "admin", "center", "worker")},
		"GET /api/v1/worklog": {fixed("/api/v1/worklog?worker=" + ownGrid), forcesToo(403, all(200, map[string]int{"department": 403, "viewer": 403}))},
		"POST /api/v1/worklog": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/worklog", map[string]string{"notes": "日志"}, nil
		}, only(201, "worker")},
		"PUT /api/v1/worklog": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/worklog", map[string]string{"notes": "修改"}, map[string]string{"If-Match": `"1"`}
		}, only(200, "worker")},
	}
}
