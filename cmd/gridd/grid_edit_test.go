package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/gridd/gridd/internal/errs"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

type gridEditsJSON struct {
	DryRun bool   `json:"dry_run"`
	Grids  fcJSON `json:"grids"`
	Ended  []string
	Topo   struct {
		Overlaps []any `json:"overlaps"`
		Outside  []any `json:"outside_parent"`
		Gaps     []struct {
			AreaM2 float64 `json:"area_m2"`
		} `json:"gaps"`
	} `json:"topology"`
	Households []struct {
		Code   string `json:"code"`
		Before int    `json:"before"`
		After  int    `json:"after"`
	} `json:"households"`
}

func cur(code string) string {
	return `(SELECT geom FROM grid_versions WHERE code = '` + code + `' AND valid_to IS NULL)`
}

// edgeMove returns the geometries of a and b after moving their shared
// boundary 30 m into b.
func (ta *testApp) edgeMove(a, b string) (json.RawMessage, json.RawMessage, float64) {
	piece := `ST_Intersection(` + cur(b) + `, ST_Buffer(ST_Intersection(` + cur(a) + `, ` + cur(b) + `)::geography, 30)::geometry)`
	return ta.sqlGeoJSON(`SELECT ST_Multi(ST_Union(` + cur(a) + `, ` + piece + `))`),
		ta.sqlGeoJSON(`SELECT ST_Multi(ST_CollectionExtract(ST_Difference(` + cur(b) + `, ` + piece + `), 3))`),
		ta.sqlFloat(`SELECT ST_Area(` + piece + `::geography)`)
}

// TestGridEditsSharedEdge: moving a shared boundary changes both
// neighbours in one request; one grid alone is an overlap (409), one stale
// version refuses all (409) and nothing is saved; a dry run previews; a
// split creates a numbered grid and a merge ends it; the audit stays clean.
func TestGridEditsSharedEdge(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("center")
	a, b := ta.neighbours(guardVillage)
	va, vb := ta.version(a), ta.version(b)
	ga, gb, moved := ta.edgeMove(a, b)
	areaA := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, a)
	edit := func(body map[string]any) response { return ta.do("POST", "/api/v1/grids/edits", tok, body, nil) }

	p, _ := refusal(t, edit(map[string]any{"edits": []map[string]any{{"code": a, "version": va, "geometry": ga}}}), 409, "topology_overlap")
	if p.Errors[0].Code != a || !strings.Contains(p.Detail, b) {
		t.Errorf("one side alone: %+v", p)
	}
	both := func(vb int) map[string]any {
		return map[string]any{"edits": []map[string]any{{"code": a, "version": va, "geometry": ga}, {"code": b, "version": vb, "geometry": gb}}}
	}
	// Bad input: 400 naming the edit and field, nothing saved.
	var pj problemJSON
	res := edit(map[string]any{"edits": []map[string]any{{"code": a, "version": va, "geometry": json.RawMessage(`{"type":"Polygon","coordinates":[[[117.5,36.7],[117.51,36.71],[117.51,36.7],[117.5,36.71],[117.5,36.7]]]}`)}}})
	res.decode(t, &pj)
	if res.Status != 400 || len(pj.Errors) == 0 || !strings.HasPrefix(pj.Errors[0].Field, "edits[0].") {
		t.Errorf("bow-tie: %d %s", res.Status, res.Body)
	}
	res = edit(map[string]any{"edits": []map[string]any{{"code": a, "geometry": ga}}})
	res.decode(t, &pj)
	if res.Status != 400 || pj.Errors[0].Field != "edits[0].version" {
		t.Errorf("no version: %d %s", res.Status, res.Body)
	}
	res = edit(both(vb + 1))
	res.decode(t, &pj)
	if res.Status != 409 || pj.Reason != "version_mismatch" {
		t.Fatalf("stale version: %d %s", res.Status, res.Body)
	}
	if ta.version(a) != va || ta.version(b) != vb {
		t.Fatal("a refused edit saved a grid")
	}
	// A household of b inside the strip that moves to a.
	if _, err := ta.db.Pool.Exec(context.Background(), `INSERT INTO register_records (kind, name, point, grid_code, created_at, updated_at)
SELECT 'household', '搬迁户', ST_PointOnSurface(ST_Intersection(`+cur(b)+`, ST_Buffer(ST_Intersection(`+cur(a)+`, `+cur(b)+`)::geography, 30)::geometry)), $1, now(), now()`, b); err != nil {
		t.Fatal(err)
	}
	dry := both(vb)
	dry["dry_run"] = true
	var out gridEditsJSON
	res = edit(dry)
	res.decode(t, &out)
	if res.Status != 200 || !out.DryRun || len(out.Topo.Overlaps)+len(out.Topo.Outside)+len(out.Topo.Gaps) != 0 || ta.version(a) != va {
		t.Fatalf("dry run: %d %s", res.Status, res.Body)
	}
	if len(out.Households) != 2 || out.Households[0].Code != a || out.Households[0].After != out.Households[0].Before+1 ||
		out.Households[1].Code != b || out.Households[1].After != out.Households[1].Before-1 {
		t.Errorf("households preview %+v: want one household moving from %s to %s", out.Households, b, a)
	}
	res = edit(both(vb))
	res.decode(t, &out)
	if res.Status != 200 || len(out.Grids.Features) != 2 || ta.version(a) != va+1 || ta.version(b) != vb+1 {
		t.Fatalf("edit of both: %d %s", res.Status, res.Body)
	}
	if got := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, a); !nearArea(got, areaA+moved, 0.001) {
		t.Errorf("area of %s after the move %.1f, want %.1f", a, got, areaA+moved)
	}
	ta.auditClean(tok, guardVillage)

	// Split another grid of the village along the north-south line through
	// its centre, then merge it back.
	var c, village string
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT code, parent_code FROM grid_versions WHERE level = 3 AND valid_to IS NULL
  AND code NOT IN ($1, $2) ORDER BY code LIMIT 1`, a, b).Scan(&c, &village); err != nil {
		t.Fatal(err)
	}
	a, va = c, ta.version(c)-1
	west := `ST_Multi(ST_CollectionExtract(ST_Intersection(` + cur(a) + `, ST_MakeEnvelope(ST_XMin(` + cur(a) + `), ST_YMin(` + cur(a) + `), (ST_XMin(` + cur(a) + `) + ST_XMax(` + cur(a) + `)) / 2, ST_YMax(` + cur(a) + `), 4326)), 3))`
	gw := ta.sqlGeoJSON(`SELECT ` + west)
	ge := ta.sqlGeoJSON(`SELECT ST_Multi(ST_CollectionExtract(ST_Difference(` + cur(a) + `, ` + west + `), 3))`)
	whole := ta.sqlGeoJSON(`SELECT ST_Multi(` + cur(a) + `)`)
	res = edit(map[string]any{"edits": []map[string]any{{"code": a, "version": va + 1, "geometry": gw}, {"parent_code": village, "name": "拆分网格", "geometry": ge}}})
	res.decode(t, &out)
	if res.Status != 200 || len(out.Grids.Features) != 2 {
		t.Fatalf("split: %d %s", res.Status, res.Body)
	}
	fresh, _ := out.Grids.Features[1].Properties["code"].(string)
	if fresh == "" || fresh[:12] != village[:12] || ta.version(fresh) != 1 {
		t.Fatalf("split made grid %q", fresh)
	}
	ta.auditClean(tok, village)

	// Ending the new grid without giving its area back is a gap.
	refusal(t, edit(map[string]any{"edits": []map[string]any{{"code": fresh, "version": 1, "end": true}}}), 422, "topology_gap")
	// Merge it back.
	res = edit(map[string]any{"edits": []map[string]any{{"code": a, "version": va + 2, "geometry": whole}, {"code": fresh, "version": 1, "end": true}}})
	res.decode(t, &out)
	if res.Status != 200 || len(out.Ended) != 1 || out.Ended[0] != fresh {
		t.Fatalf("merge: %d %s", res.Status, res.Body)
	}
	if _, err := ta.grids.FindGridByCode(context.Background(), fresh, nil); !errs.Is(err, errs.NotFound) {
		t.Errorf("ended grid still current: %v", err)
	}
	ta.auditClean(tok, village)

	// Concurrent edits of the same versions: one wins, the rest 409.
	va, vb = ta.version(a), ta.version(b)
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = ta.do("POST", "/api/v1/grids/edits", tok, map[string]any{"edits": []map[string]any{
				{"code": a, "version": va, "name": fmt.Sprintf("并发%d", i)}, {"code": b, "version": vb, "name": fmt.Sprintf("并发%d", i)}}}, nil).Status
		}()
	}
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{200, 409, 409, 409}) || ta.version(a) != va+1 || ta.version(b) != vb+1 {
		t.Errorf("concurrent edits: %v, versions %d %d", statuses, ta.version(a), ta.version(b))
	}

	// A worker may not edit.
	if res := ta.do("POST", "/api/v1/grids/edits", ta.login(ownGrid), both(vb+1), nil); res.Status != 403 {
		t.Errorf("worker edit: %d", res.Status)
	}
}

// BenchmarkGridEditTwoNeighbours: an atomic edit of two neighbours through
// the API, guard included, on the demo town; the shared boundary moves 30 m
// and back in turn. Reports p50 and p99.
func BenchmarkGridEditTwoNeighbours(b *testing.B) {
	ta := newTestAppConfig(b, true, nil)
	tok := ta.login("center")
	a, n := ta.neighbours(guardVillage)
	ga, gb, _ := ta.edgeMove(a, n)
	a0, b0 := ta.sqlGeoJSON(`SELECT ST_Multi(`+cur(a)+`)`), ta.sqlGeoJSON(`SELECT ST_Multi(`+cur(n)+`)`)
	va, vb := ta.version(a), ta.version(n)
	var ds []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, y := ga, gb
		if i%2 == 1 {
			x, y = a0, b0
		}
		t0 := time.Now()
		res := ta.do("POST", "/api/v1/grids/edits", tok, map[string]any{"edits": []map[string]any{
			{"code": a, "version": va, "geometry": x}, {"code": n, "version": vb, "geometry": y}}}, nil)
		ds = append(ds, time.Since(t0))
		if res.Status != 200 {
			b.Fatalf("edit %d: %d %s", i, res.Status, res.Body)
		}
		va, vb = va+1, vb+1
	}
	b.StopTimer()
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(ds[(len(ds)*99)/100].Microseconds())/1000, "p99-ms")
}
