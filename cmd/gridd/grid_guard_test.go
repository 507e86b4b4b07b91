package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// guardVillage is the demo village whose grids the guard tests edit; its
// first two grids share a boundary.
const guardVillage = "370114001002000"

// sqlGeoJSON returns the GeoJSON of the geometry query computes.
func (ta *testApp) sqlGeoJSON(query string, args ...any) json.RawMessage {
	ta.t.Helper()
	var s string
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT ST_AsGeoJSON(g, 9) FROM (`+query+`) q(g)`, args...).Scan(&s); err != nil {
		ta.t.Fatal(err)
	}
	return json.RawMessage(s)
}

func (ta *testApp) sqlFloat(query string, args ...any) float64 {
	ta.t.Helper()
	var f float64
	if err := ta.db.Pool.QueryRow(context.Background(), query, args...).Scan(&f); err != nil {
		ta.t.Fatal(err)
	}
	return f
}

// neighbours returns two grids of the village sharing a boundary line.
func (ta *testApp) neighbours(parent string) (string, string) {
	ta.t.Helper()
	var a, b string
	err := ta.db.Pool.QueryRow(context.Background(), `
SELECT x.code, y.code FROM grid_versions x JOIN grid_versions y ON x.parent_code = y.parent_code AND x.code < y.code
WHERE x.parent_code = $1 AND x.valid_to IS NULL AND y.valid_to IS NULL
  AND ST_Length(ST_Intersection(x.geom, y.geom)::geography) > 200
ORDER BY x.code, y.code LIMIT 1`, parent).Scan(&a, &b)
	if err != nil {
		ta.t.Fatal(err)
	}
	return a, b
}

func (ta *testApp) version(code string) int {
	ta.t.Helper()
	g, err := ta.grids.FindGridByCode(context.Background(), code, nil)
	if err != nil {
		ta.t.Fatal(err)
	}
	return g.Version
}

func (ta *testApp) auditClean(tok, parent string) {
	ta.t.Helper()
	var rep struct {
		Clean bool `json:"clean"`
	}
	res := ta.do("GET", "/api/v1/audits/topology?parent="+parent, tok, nil, nil)
	if res.Status != 200 {
		ta.t.Fatalf("audit: %d %s", res.Status, res.Body)
	}
	res.decode(ta.t, &rep)
	if !rep.Clean {
		ta.t.Fatalf("audit of %s is not clean: %s", parent, res.Body)
	}
}

var areaRe = regexp.MustCompile(`([0-9]+(?:\.[0-9]+)?) m²`)

// refusal checks a problem's status and reason and returns the area (m²)
// its detail names.
func refusal(t *testing.T, res response, status int, reason string) (problemJSON, float64) {
	t.Helper()
	var p problemJSON
	res.decode(t, &p)
	if res.Status != status || p.Reason != reason {
		t.Fatalf("got %d %s, want %d %s: %s", res.Status, p.Reason, status, reason, res.Body)
	}
	m := areaRe.FindStringSubmatch(p.Detail)
	if m == nil {
		t.Fatalf("detail names no area: %q", p.Detail)
	}
	a, _ := strconv.ParseFloat(m[1], 64)
	return p, a
}

func nearArea(got, want, rel float64) bool { return math.Abs(got-want) <= rel*want+1 }

// TestGridGuardRefusesPatch: a PATCH that would overlap a sibling (409,
// naming the neighbour and the area), reach outside the parent or open a
// gap (422 with the area) is refused and stores nothing; a gap passes when
// the request accepts it.
func TestGridGuardRefusesPatch(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("center")
	a, b := ta.neighbours(guardVillage)
	patch := func(code, query string, extra string) response {
		return ta.do("PATCH", "/api/v1/grids/"+code+extra, tok, map[string]any{"geometry": ta.sqlGeoJSON(query)},
			map[string]string{"If-Match": strconv.Quote(strconv.Itoa(ta.version(code)))})
	}
	va, vb := ta.version(a), ta.version(b)

	// Overlap: a takes a 30 m strip of b along their shared boundary.
	piece := `ST_Intersection(` + cur(b) + `, ST_Buffer(ST_Intersection(` + cur(a) + `, ` + cur(b) + `)::geography, 30)::geometry)`
	wantOverlap := ta.sqlFloat(`SELECT ST_Area(` + piece + `::geography)`)
	p, area := refusal(t, patch(a, `SELECT ST_Multi(ST_Union(`+cur(a)+`, `+piece+`))`, ""), 409, "topology_overlap")
	if !strings.Contains(p.Detail, b) || !nearArea(area, wantOverlap, 0.01) {
		t.Errorf("overlap refusal %q: want neighbour %s and %.1f m²", p.Detail, b, wantOverlap)
	}
	if len(p.Errors) == 0 || p.Errors[0].Reason != "topology_overlap" {
		t.Errorf("overlap refusal lists %+v", p.Errors)
	}

	// Outside: a grows 40 m beyond the village boundary where it touches it.
	var edge string
	if err := ta.db.Pool.QueryRow(context.Background(), `
SELECT code FROM grid_versions WHERE parent_code = $1 AND valid_to IS NULL
  AND ST_Area(ST_Difference(ST_Buffer(geom::geography, 40)::geometry, `+cur(guardVillage)+`)::geography) > 1000
ORDER BY code LIMIT 1`, guardVillage).Scan(&edge); err != nil {
		t.Fatal(err)
	}
	ve := ta.version(edge)
	out := `ST_Difference(ST_Buffer(` + cur(edge) + `::geography, 40)::geometry, ` + cur(guardVillage) + `)`
	wantOut := ta.sqlFloat(`SELECT ST_Area(` + out + `::geography)`)
	p, area = refusal(t, patch(edge, `SELECT ST_Multi(ST_Union(`+cur(edge)+`, `+out+`))`, ""), 422, "topology_outside_parent")
	if !strings.Contains(p.Detail, edge) || !nearArea(area, wantOut, 0.01) {
		t.Errorf("outside refusal %q: want %s and %.1f m²", p.Detail, edge, wantOut)
	}

	// Gap: a shrinks to a 20 m disc.
	disc := `SELECT ST_Multi(ST_Buffer(ST_PointOnSurface(` + cur(a) + `)::geography, 20)::geometry)`
	wantGap := ta.sqlFloat(`SELECT ST_Area(` + cur(a) + `::geography) - ST_Area((` + disc + `)::geography)`)
	p, area = refusal(t, patch(a, disc, ""), 422, "topology_gap")
	if !strings.Contains(p.Detail, guardVillage) || !nearArea(area, wantGap, 0.01) {
		t.Errorf("gap refusal %q: want %s and %.1f m²", p.Detail, guardVillage, wantGap)
	}

	// Nothing was stored by the refusals.
	if ta.version(a) != va || ta.version(b) != vb || ta.version(edge) != ve {
		t.Fatalf("a refused write stored a version: %d %d %d", ta.version(a), ta.version(b), ta.version(edge))
	}
	ta.auditClean(tok, guardVillage)

	// A write that keeps the topology passes: the same geometry, renamed.
	res := ta.do("PATCH", "/api/v1/grids/"+a, tok, map[string]any{"name": "守护测试", "geometry": ta.sqlGeoJSON(`SELECT ` + cur(a))},
		map[string]string{"If-Match": strconv.Quote(strconv.Itoa(va))})
	if res.Status != 200 {
		t.Fatalf("topology-keeping patch: %d %s", res.Status, res.Body)
	}
	// The gap passes when accepted.
	if res := patch(a, disc, "?accept_gaps=true"); res.Status != 200 {
		t.Fatalf("accepted gap: %d %s", res.Status, res.Body)
	}
}

// TestGridGuardImport: re-importing the demo's own export passes the guard;
// an import moving a grid onto its neighbour is refused as a whole.
func TestGridGuardImport(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	exp := ta.do("GET", "/api/v1/grids/export?format=geojson", tok, nil, nil)
	if exp.Status != 200 {
		t.Fatalf("export: %d", exp.Status)
	}
	if res := ta.do("POST", "/api/v1/grids/import", tok, exp.Body, nil); res.Status != 200 && res.Status != 201 {
		t.Fatalf("re-import of the export: %d %s", res.Status, res.Body)
	}
	a, b := ta.neighbours(guardVillage)
	fc := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":%q,"name":"越界","level":3,"parent_code":%q},"geometry":%s}]}`,
		a, guardVillage, ta.sqlGeoJSON(`SELECT ST_Multi(ST_Union(x.geom, y.geom)) FROM grid_versions x, grid_versions y
WHERE x.code = $1 AND y.code = $2 AND x.valid_to IS NULL AND y.valid_to IS NULL`, a, b))
	v := ta.version(a)
	dry := ta.do("POST", "/api/v1/grids/import?dry_run=true", tok, []byte(fc), nil)
	var rep struct {
		Topology struct {
			Overlaps []struct {
				Codes  []string `json:"codes"`
				AreaM2 float64  `json:"area_m2"`
			} `json:"overlaps"`
		} `json:"topology"`
	}
	dry.decode(t, &rep)
	if dry.Status != 200 || len(rep.Topology.Overlaps) != 1 || rep.Topology.Overlaps[0].Codes[1] != b {
		t.Fatalf("dry run: %d %s", dry.Status, dry.Body)
	}
	refusal(t, ta.do("POST", "/api/v1/grids/import", tok, []byte(fc), nil), 409, "topology_overlap")
	if ta.version(a) != v {
		t.Fatal("the refused import stored a version")
	}
}
