package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
)

// TestRoutingByRoadSection: the demo's roads exported, two sections given
// to units and imported back (replacing the layer); a responsible_unit rule
// then routes a report on each section to that section's unit, and one far
// from every section falls through to the next rule. A bad file and a file
// dropping a road kind a rule uses are refused with nothing stored. The CLI
// imports the same file.
func TestRoutingByRoadSection(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	ctx := context.Background()
	res := ta.do("GET", "/api/v1/layers/roads/export", tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("export: %d %s", res.Status, res.Body)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string         `json:"type"`
			ID         any            `json:"id"`
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string       `json:"type"`
				Coordinates [][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	res.decode(t, &fc)
	if len(fc.Features) < 2 {
		t.Fatalf("%d demo roads", len(fc.Features))
	}
	deps, err := ta.people.FindDepartments(ctx)
	if err != nil || len(deps) < 3 {
		t.Fatalf("departments %v %v", deps, err)
	}
	units := []string{deps[1].Code, deps[2].Code}
	for i := range 2 {
		fc.Features[i].Properties["unit"] = units[i]
	}
	body, _ := json.Marshal(fc)
	res = ta.do("POST", "/api/v1/layers/roads/import", tok, body, nil)
	if res.Status != 201 {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}

	// A responsible_unit rule before the existing ones.
	rules, err := ta.cases.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rr := []*casework.Rule{{Name: "包路段", Category: "01", Predicate: casework.Predicate{Kind: casework.PredResponsible, DistanceM: 30}}}
	for _, r := range rules {
		rr = append(rr, r)
	}
	for i, r := range rr {
		r.Position = i + 1
	}
	if res := ta.do("PUT", "/api/v1/routing/rules", tok, map[string]any{"rules": rr}, nil); res.Status != 200 {
		t.Fatalf("rules: %d %s", res.Status, res.Body)
	}
	explain := func(p [2]float64) (string, string) {
		var ex struct {
			Matched *casework.Rule `json:"matched"`
		}
		res := ta.do("POST", "/api/v1/routing/explain", tok, map[string]any{"category": "0102", "lon": p[0], "lat": p[1]}, nil)
		if res.Status != 200 {
			t.Fatalf("explain: %d %s", res.Status, res.Body)
		}
		res.decode(t, &ex)
		if ex.Matched == nil {
			return "", ""
		}
		return ex.Matched.Name, ex.Matched.LeadUnit
	}
	for i := range 2 {
		c := fc.Features[i].Geometry.Coordinates
		mid := [2]float64{(c[0][0] + c[1][0]) / 2, (c[0][1] + c[1][1]) / 2}
		if name, unit := explain(mid); name != "包路段" || unit != units[i] {
			t.Errorf("on section %v: rule %q unit %q, want 包路段 %s", fc.Features[i].ID, name, unit, units[i])
		}
	}
	// Far from every section (a corner of the town's bounding box, well
	// away from the lines): the next rule decides.
	far := [2]float64{117.30, 36.50}
	if name, _ := explain(far); name == "包路段" {
		t.Errorf("a point far from every section matched the section rule")
	}

	// A feature without a kind: 400 naming it; nothing changed.
	bad := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"x","name":"路"},"geometry":{"type":"LineString","coordinates":[[117.5,36.7],[117.51,36.7]]}}]}`)
	var p problemJSON
	res = ta.do("POST", "/api/v1/layers/roads/import", tok, bad, nil)
	res.decode(t, &p)
	if res.Status != 400 || len(p.Errors) == 0 || p.Errors[0].Field != "features[0].properties.kind" {
		t.Errorf("bad file: %d %s", res.Status, res.Body)
	}
	// A file without the road kind a near_road rule names: 422.
	kindless := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"x","name":"路","kind":"lane"},"geometry":{"type":"LineString","coordinates":[[117.5,36.7],[117.51,36.7]]}}]}`)
	if res := ta.do("POST", "/api/v1/layers/roads/import", tok, kindless, nil); res.Status != 422 {
		t.Errorf("file dropping a used kind: %d %s", res.Status, res.Body)
	}
	if n := ta.sqlFloat(`SELECT count(*) FROM roads WHERE unit_code IS NOT NULL`); n != 2 {
		t.Errorf("%v sections with units after refused imports, want 2", n)
	}

	// The CLI imports the same file (a dry run writes nothing).
	for i := range 2 {
		fc.Features[i].Properties["unit"] = nil
	}
	body, _ = json.Marshal(fc)
	file := filepath.Join(t.TempDir(), "roads.geojson")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	url := ta.db.Pool.Config().ConnString()
	if err := run(ctx, []string{"import", "roads", file, "--database-url", url, "--dry-run"}); err != nil {
		t.Fatal(err)
	}
	if n := ta.sqlFloat(`SELECT count(*) FROM roads WHERE unit_code IS NOT NULL`); n != 2 {
		t.Errorf("dry run changed the layer")
	}
	if err := run(ctx, []string{"import", "roads", file, "--database-url", url}); err != nil {
		t.Fatal(err)
	}
	if n := ta.sqlFloat(`SELECT count(*) FROM roads WHERE unit_code IS NOT NULL`); n != 0 {
		t.Errorf("CLI import left %v sections with units", n)
	}
	// The CLI exports the layer, now and as of a date before the demo.
	out := filepath.Join(t.TempDir(), "out.geojson")
	for _, c := range []struct {
		at   string
		want int
	}{{"", len(fc.Features)}, {"2020-01-01", 0}} {
		args := []string{"export", "roads", out, "--database-url", url}
		if c.at != "" {
			args = append(args, "--at", c.at)
		}
		if err := run(ctx, args); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Features []struct {
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Features) != c.want || (c.want > 0 && got.Features[0].Properties["unit"] != nil) {
			t.Errorf("CLI export at %q: %d features, want %d", c.at, len(got.Features), c.want)
		}
	}
}

// TestRoutingFollowsLayersOfAnotherInstance: intake reads the routing
// layers' version from memory (the layer revisions an instance holds
// while it listens): reports read neither the layers nor their
// revisions while nothing changes; a roads import through instance A
// still routes the reports taken by instance B by the new layer within a
// second.
func TestRoutingFollowsLayersOfAnotherInstance(t *testing.T) {
	tdb := dbtest.NewDemo(t)
	dbURL := dbtest.URL(t, tdb)
	a, _ := newTestAppURL(t, dbURL, nil)
	ctx := context.Background()
	admin := a.login("admin")
	res := a.do("GET", "/api/v1/layers/roads/export", admin, nil, nil)
	if res.Status != 200 {
		t.Fatalf("export: %d %s", res.Status, res.Body)
	}
	var fc map[string]any
	res.decode(t, &fc)
	features := fc["features"].([]any)
	section := features[0].(map[string]any)
	coords := section["geometry"].(map[string]any)["coordinates"].([]any)
	c0, c1 := coords[0].([]any), coords[1].([]any)
	mid := orb.Point{(c0[0].(float64) + c1[0].(float64)) / 2, (c0[1].(float64) + c1[1].(float64)) / 2}
	deps, err := a.people.FindDepartments(ctx)
	if err != nil || len(deps) < 3 {
		t.Fatalf("departments %v %v", deps, err)
	}
	give := func(unit string) {
		t.Helper()
		section["properties"].(map[string]any)["unit"] = unit
		body, _ := json.Marshal(fc)
		if res := a.do("POST", "/api/v1/layers/roads/import", admin, body, nil); res.Status != 201 {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
	}
	give(deps[1].Code)
	rules, err := a.cases.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rr := []*casework.Rule{{Name: "包路段", Category: "01", Predicate: casework.Predicate{Kind: casework.PredResponsible, DistanceM: 30}}}
	rr = append(rr, rules...)
	for i, r := range rr {
		r.Position = i + 1
	}
	if res := a.do("PUT", "/api/v1/routing/rules", admin, map[string]any{"rules": rr}, nil); res.Status != 200 {
		t.Fatalf("rules: %d %s", res.Status, res.Body)
	}

	b, _ := newTestAppURL(t, dbURL, nil)
	waitLayersListening(t, b)
	center := b.login("center")
	lead := func() string {
		t.Helper()
		c := b.report(center, map[string]any{"category": "0102", "description": "路段上报", "lon": mid[0], "lat": mid[1], "source": "hotline_12345"}, nil)
		if c.Suggestion == nil {
			return ""
		}
		return c.Suggestion.LeadUnit
	}
	if got := lead(); got != deps[1].Code {
		t.Fatalf("a report on the section through B: suggested %q, want %s", got, deps[1].Code)
	}
	reads := func() int64 {
		var n int64
		flushedStats(t, dbURL, []*pgxpool.Pool{tdb.Pool, a.db.Pool, b.db.Pool}, &n, `SELECT sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::bigint
FROM pg_stat_user_tables WHERE relname IN ('roads', 'zones', 'layer_revisions')`)
		return n
	}
	before := reads()
	for range 5 {
		if got := lead(); got != deps[1].Code {
			t.Fatalf("a report on the section through B: suggested %q, want %s", got, deps[1].Code)
		}
	}
	if n := reads() - before; n != 0 {
		t.Errorf("5 reports through B read the routing layers or their revisions %d times; want none", n)
	}
	since := time.Now()
	give(deps[2].Code)
	within(t, "the section given to another unit on A", since, func() string {
		if got := lead(); got != deps[2].Code {
			return "suggesting " + got
		}
		return ""
	})
}
