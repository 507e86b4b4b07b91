package main

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

type carryJSON struct {
	Kind      string  `json:"kind"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	OverlapM2 float64 `json:"overlap_m2"`
	Username  string  `json:"username"`
	Role      string  `json:"grid_role"`
	Count     int     `json:"count"`
}

type carveOutJSON struct {
	gridEditsJSON
	CarryOver []carryJSON `json:"carry_over"`
}

// assignedOn lists "username/role" of the open assignments of grid code.
func (ta *testApp) assignedOn(code string) []string {
	ta.t.Helper()
	var out []string
	err := ta.db.Pool.QueryRow(context.Background(), `SELECT coalesce(array_agg(u.username || '/' || a.grid_role ORDER BY 1), '{}')
FROM grid_assignments a JOIN users u ON u.id = a.user_id WHERE a.grid_code = $1 AND a.valid_to IS NULL`, code).Scan(&out)
	if err != nil {
		ta.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestGridCarve: a polygon drawn inside a grid becomes a new sibling and
// the grid loses that area (dry run first: nothing written), the audit
// stays clean, a checkpoint in the carved area moves to the new grid, the
// grid keeps its people, the write is in the audit log; a polygon reaching
// out of the grid, a stale version, a missing name and a worker are
// refused with their reasons.
func TestGridCarve(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	tok := ta.login("center")
	a, _ := ta.neighbours(guardVillage)
	va := ta.version(a)
	people := ta.assignedOn(a)
	if len(people) == 0 {
		t.Fatalf("demo grid %s has nobody assigned", a)
	}
	area0 := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, a)
	// A disc of 150 m inside the grid (kept 5 m off its boundary).
	disc := `ST_Multi(ST_Intersection(ST_Buffer(ST_PointOnSurface(` + cur(a) + `)::geography, 150)::geometry, ST_Buffer(` + cur(a) + `::geography, -5)::geometry))`
	piece := ta.sqlGeoJSON(`SELECT ` + disc)
	pieceM2 := ta.sqlFloat(`SELECT ST_Area(` + disc + `::geography)`)
	if _, err := ta.db.Pool.Exec(ctx, `INSERT INTO checkpoints (name, geom, frequency, radius_m, grid_code, created_at, updated_at)
SELECT '挖出点', ST_PointOnSurface(`+disc+`), 'daily', 30, $1, now(), now()`, a); err != nil {
		t.Fatal(err)
	}
	carve := func(tok string, body map[string]any) response {
		return ta.do("POST", "/api/v1/grids/"+a+"/carve", tok, body, nil)
	}

	var out carveOutJSON
	res := carve(tok, map[string]any{"version": va, "name": "挖出网格", "geometry": piece, "dry_run": true})
	res.decode(t, &out)
	if res.Status != 200 || !out.DryRun || len(out.Grids.Features) != 2 || ta.version(a) != va {
		t.Fatalf("dry run: %d %s", res.Status, res.Body)
	}
	if len(out.CarryOver) != 1 || out.CarryOver[0].Kind != "checkpoints" || out.CarryOver[0].From != a || out.CarryOver[0].Count != 1 {
		t.Errorf("dry-run carry-over %+v: want the checkpoint moving out of %s", out.CarryOver, a)
	}

	res = carve(tok, map[string]any{"version": va, "name": "挖出网格", "geometry": piece})
	res.decode(t, &out)
	if res.Status != 200 || len(out.Grids.Features) != 2 || ta.version(a) != va+1 {
		t.Fatalf("carve: %d %s", res.Status, res.Body)
	}
	fresh, _ := out.Grids.Features[1].Properties["code"].(string)
	if fresh == "" || fresh[:12] != guardVillage[:12] || ta.version(fresh) != 1 {
		t.Fatalf("carve made grid %q", fresh)
	}
	if got := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, fresh); !nearArea(got, pieceM2, 0.001) {
		t.Errorf("carved grid %.1f m², want %.1f", got, pieceM2)
	}
	if got := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, a); !nearArea(got, area0-pieceM2, 0.001) {
		t.Errorf("%s after the carve %.1f m², want %.1f", a, got, area0-pieceM2)
	}
	ta.auditClean(tok, guardVillage)
	if got := ta.assignedOn(a); !slices.Equal(got, people) {
		t.Errorf("people of %s after the carve %v, want %v", a, got, people)
	}
	if n := ta.sqlFloat(`SELECT count(*) FROM checkpoints WHERE name = '挖出点' AND grid_code = $1`, fresh); n != 1 {
		t.Errorf("the checkpoint in the carved area is not in %s", fresh)
	}
	if n := ta.sqlFloat(`SELECT count(*) FROM audit_log WHERE route = '/api/v1/grids/{code}/carve' AND status IN (0, 200) AND actor = 'center'`); n != 2 {
		t.Errorf("audit log holds %v carve entries, want 2 (the dry run and the carve)", n)
	}

	// Refusals: nothing written.
	va = ta.version(a)
	piece = ta.sqlGeoJSON(`SELECT ` + disc)
	out2 := ta.sqlGeoJSON(`SELECT ST_Multi(ST_Buffer(ST_PointN(ST_ExteriorRing(ST_GeometryN(` + cur(a) + `, 1)), 1)::geography, 100)::geometry)`)
	p, m2 := refusal(t, carve(tok, map[string]any{"version": va, "name": "越界", "geometry": out2}), 422, "carve_outside_grid")
	if m2 < 100 || p.Errors[0].Field != "geometry" {
		t.Errorf("outside: %+v", p)
	}
	var pj problemJSON
	res = carve(tok, map[string]any{"version": va - 1, "name": "旧版本", "geometry": piece})
	res.decode(t, &pj)
	if res.Status != 409 || pj.Reason != "version_mismatch" {
		t.Errorf("stale version: %d %s", res.Status, res.Body)
	}
	res = carve(tok, map[string]any{"version": va, "geometry": piece})
	res.decode(t, &pj)
	if res.Status != 400 || pj.Errors[0].Field != "name" {
		t.Errorf("no name: %d %s", res.Status, res.Body)
	}
	res = carve(tok, map[string]any{"version": va, "name": "整个", "geometry": ta.sqlGeoJSON(`SELECT ST_Multi(ST_Buffer(` + cur(a) + `, 0.001))`)})
	res.decode(t, &pj)
	if res.Status != 422 || !strings.HasPrefix(pj.Reason, "carve_") {
		t.Errorf("whole grid: %d %s", res.Status, res.Body)
	}
	if res := carve(ta.login(ownGrid), map[string]any{"version": va, "name": "工人", "geometry": piece}); res.Status != 403 {
		t.Errorf("worker carve: %d", res.Status)
	}
	if ta.version(a) != va {
		t.Error("a refused carve wrote the grid")
	}
}

// TestGridCarryOver: a merge ends a grid; its people's assignments, its
// key persons without a place and its checkpoints go to the grid that
// takes its area (the successor with the largest overlap), previewed by
// the dry run; the ended grid's assignments end.
func TestGridCarryOver(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	tok := ta.login("center")
	a, b := ta.neighbours(guardVillage)
	va, vb := ta.version(a), ta.version(b)
	peopleA, peopleB := ta.assignedOn(a), ta.assignedOn(b)
	if len(peopleB) == 0 {
		t.Fatalf("demo grid %s has nobody assigned", b)
	}
	if _, err := ta.db.Pool.Exec(ctx, `INSERT INTO key_persons (category, name, grid_code, responsible_user_id, id_number_enc, id_number_mask, created_at, updated_at)
SELECT 'other', '无址人员', $1, min(id), '\x00', '', now(), now() FROM users`, b); err != nil {
		t.Fatal(err)
	}
	if _, err := ta.db.Pool.Exec(ctx, `INSERT INTO checkpoints (name, geom, frequency, radius_m, grid_code, created_at, updated_at)
SELECT '合并点', ST_PointOnSurface(`+cur(b)+`), 'weekly', 30, $1, now(), now()`, b); err != nil {
		t.Fatal(err)
	}
	union := ta.sqlGeoJSON(`SELECT ST_Multi(ST_Union(` + cur(a) + `, ` + cur(b) + `))`)
	bM2 := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, b)
	merge := map[string]any{"edits": []map[string]any{{"code": a, "version": va, "geometry": union}, {"code": b, "version": vb, "end": true}}, "dry_run": true}

	var out carveOutJSON
	res := ta.do("POST", "/api/v1/grids/edits", tok, merge, nil)
	res.decode(t, &out)
	if res.Status != 200 || ta.version(a) != va {
		t.Fatalf("dry run: %d %s", res.Status, res.Body)
	}
	var moved []string
	kinds := map[string]int{}
	for _, c := range out.CarryOver {
		if c.From != b || c.To != a {
			t.Errorf("carry-over %+v: want %s → %s", c, b, a)
		}
		if c.Kind == "assignment" {
			moved = append(moved, c.Username+"/"+c.Role)
			if !nearArea(c.OverlapM2, bM2, 0.001) {
				t.Errorf("overlap %.1f m², want the whole of %s (%.1f)", c.OverlapM2, b, bM2)
			}
		} else {
			kinds[c.Kind] = c.Count
		}
	}
	slices.Sort(moved)
	if !slices.Equal(moved, peopleB) || kinds["key_persons"] != 1 || kinds["checkpoints"] != 1 {
		t.Errorf("preview moves %v %v, want %v, one key person and one checkpoint", moved, kinds, peopleB)
	}
	if got := ta.assignedOn(b); !slices.Equal(got, peopleB) {
		t.Fatal("the dry run moved people")
	}

	delete(merge, "dry_run")
	res = ta.do("POST", "/api/v1/grids/edits", tok, merge, nil)
	res.decode(t, &out)
	if res.Status != 200 || len(out.CarryOver) != len(peopleB)+2 {
		t.Fatalf("merge: %d %s", res.Status, res.Body)
	}
	// A person who held the same role in both grids holds it once.
	want := slices.Concat(peopleA, peopleB)
	slices.Sort(want)
	want = slices.Compact(want)
	if got := ta.assignedOn(a); !slices.Equal(got, want) {
		t.Errorf("people of %s after the merge %v, want %v", a, got, want)
	}
	if got := ta.assignedOn(b); len(got) != 0 {
		t.Errorf("the ended grid %s still has people %v", b, got)
	}
	if n := ta.sqlFloat(`SELECT count(*) FROM grid_assignments WHERE grid_code = $1 AND valid_to IS NOT NULL`, b); int(n) < len(peopleB) {
		t.Errorf("the ended grid's assignments were not kept as history (%v)", n)
	}
	if n := ta.sqlFloat(`SELECT count(*) FROM key_persons WHERE name = '无址人员' AND grid_code = $1`, a); n != 1 {
		t.Error("the key person without a place did not follow the area")
	}
	if n := ta.sqlFloat(`SELECT count(*) FROM checkpoints WHERE name = '合并点' AND grid_code = $1`, a); n != 1 {
		t.Error("the checkpoint did not follow its point")
	}
	ta.auditClean(tok, guardVillage)
}

// TestGridHistory: the grids of a village compared between two instants
// after a carve (one added, the source changed and its lost area the
// carved area) and after merging it back (removed; gained); the caller's
// scope applies (a worker sees no other grid's history); a reversed range
// and a bad date are 400s.
func TestGridHistory(t *testing.T) {
	clock := &testClock{t: time.Now().Add(48 * time.Hour).Truncate(time.Second)}
	ta := newTestAppWith(t, true, func(c *Config) { c.Now = clock.Now; c.TokenTTL = 240 * time.Hour })
	tok := ta.login("center")
	a, _ := ta.neighbours(guardVillage)
	t0 := clock.Now()
	clock.Add(time.Hour)
	disc := `ST_Multi(ST_Intersection(ST_Buffer(ST_PointOnSurface(` + cur(a) + `)::geography, 150)::geometry, ST_Buffer(` + cur(a) + `::geography, -5)::geometry))`
	pieceM2 := ta.sqlFloat(`SELECT ST_Area(` + disc + `::geography)`)
	whole := ta.sqlGeoJSON(`SELECT ST_Multi(` + cur(a) + `)`)
	var out carveOutJSON
	res := ta.do("POST", "/api/v1/grids/"+a+"/carve", tok, map[string]any{"version": ta.version(a), "name": "历史网格", "geometry": ta.sqlGeoJSON(`SELECT ` + disc)}, nil)
	res.decode(t, &out)
	if res.Status != 200 {
		t.Fatalf("carve: %d %s", res.Status, res.Body)
	}
	fresh := out.Grids.Features[1].Properties["code"].(string)
	clock.Add(time.Hour)
	t1 := clock.Now()
	rfc := func(x time.Time) string { return url.QueryEscape(x.Format(time.RFC3339)) }
	history := func(tok string, from, to time.Time) historyResp {
		t.Helper()
		var h historyResp
		res := ta.do("GET", "/api/v1/grids/history?parent="+guardVillage+"&from="+rfc(from)+"&to="+rfc(to), tok, nil, nil)
		res.decode(t, &h)
		if res.Status != 200 {
			t.Fatalf("history: %d %s", res.Status, res.Body)
		}
		return h
	}
	h := history(tok, t0, t1)
	if h.Counts.Added != 1 || h.Counts.Changed != 1 || h.Counts.Removed != 0 || len(h.Before.Features) != 1 || len(h.After.Features) != 2 {
		t.Fatalf("after the carve: %+v", h.Counts)
	}
	for _, c := range h.Changes {
		switch {
		case c.Code == a && c.Change == "changed":
			if !c.GeomChanged || !nearArea(c.LostM2, pieceM2, 0.001) || c.GainedM2 > 1 || !nearArea(*c.AreaFromM2-*c.AreaToM2, pieceM2, 0.001) {
				t.Errorf("the carved grid: %+v (piece %.1f m²)", c, pieceM2)
			}
		case c.Code == fresh && c.Change == "added":
			if c.VersionFrom != nil || *c.VersionTo != 1 || !nearArea(*c.AreaToM2, pieceM2, 0.001) {
				t.Errorf("the new grid: %+v", c)
			}
		default:
			t.Errorf("unexpected change %+v", c)
		}
	}
	// Merge it back: after t1 the new grid is removed and a gains its area.
	clock.Add(time.Minute)
	res = ta.do("POST", "/api/v1/grids/edits", tok, map[string]any{"edits": []map[string]any{
		{"code": a, "version": ta.version(a), "geometry": whole}, {"code": fresh, "version": 1, "end": true}}}, nil)
	if res.Status != 200 {
		t.Fatalf("merge: %d %s", res.Status, res.Body)
	}
	clock.Add(time.Hour)
	h = history(tok, t1, clock.Now())
	if h.Counts.Removed != 1 || h.Counts.Changed != 1 || h.Counts.Added != 0 || len(h.After.Features) != 1 {
		t.Fatalf("after the merge: %+v", h.Counts)
	}
	for _, c := range h.Changes {
		if c.Code == a && !nearArea(c.GainedM2, pieceM2, 0.001) {
			t.Errorf("the merged grid gained %.1f m², want %.1f", c.GainedM2, pieceM2)
		}
	}
	// Over the whole span the village is as it was, versions aside.
	if h := history(tok, t0, clock.Now()); h.Counts.Added+h.Counts.Removed != 0 || h.Counts.Changed != 1 || h.Changes[0].GeomChanged {
		t.Errorf("over the whole span: %+v", h.Changes)
	}
	if h := history(ta.login(ownGrid), t0, clock.Now()); len(h.Changes) != 0 {
		t.Errorf("a worker sees other grids' history: %+v", h.Changes)
	}
	var pj problemJSON
	res = ta.do("GET", "/api/v1/grids/history?from="+rfc(t1)+"&to="+rfc(t0), tok, nil, nil)
	res.decode(t, &pj)
	if res.Status != 400 || pj.Reason != "range_reversed" {
		t.Errorf("reversed: %d %s", res.Status, res.Body)
	}
	res = ta.do("GET", "/api/v1/grids/history?from=yesterday&to=2026-01-01", tok, nil, nil)
	res.decode(t, &pj)
	if res.Status != 400 || pj.Errors[0].Field != "from" {
		t.Errorf("bad date: %d %s", res.Status, res.Body)
	}
}
