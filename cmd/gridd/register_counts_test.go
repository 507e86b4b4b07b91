package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// registerCountsSQL recounts, from the records themselves, each current
// grid's subtree: the reference the trigger-kept counts must equal.
const registerCountsSQL = `
WITH RECURSIVE sub AS (
	SELECT code AS root, code FROM grid_versions WHERE valid_to IS NULL
	UNION ALL
	SELECT sub.root, c.code FROM sub JOIN grid_versions c ON c.parent_code = sub.code AND c.valid_to IS NULL
)
SELECT sub.root, count(r.id) FILTER (WHERE r.kind = 'household'), count(r.id) FILTER (WHERE r.kind = 'person')
FROM sub LEFT JOIN register_records r ON r.grid_code = sub.code GROUP BY sub.root`

// countsByGrid reads (code, households, people) rows.
func countsByGrid(t *testing.T, ta *testApp, sql string) map[string][2]int64 {
	t.Helper()
	rows, err := ta.db.Pool.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][2]int64{}
	for rows.Next() {
		var code string
		var h, p int64
		if err := rows.Scan(&code, &h, &p); err != nil {
			t.Fatal(err)
		}
		out[code] = [2]int64{h, p}
	}
	return out
}

// checkCountsAgree compares the kept per-grid counts with a recount.
func checkCountsAgree(t *testing.T, ta *testApp, when string) {
	t.Helper()
	got := countsByGrid(t, ta, `SELECT grid_code, households, people FROM grid_register_counts`)
	for code, w := range countsByGrid(t, ta, registerCountsSQL) {
		if got[code] != w {
			t.Errorf("%s: grid %s counts (households, people) %v, recount %v", when, code, got[code], w)
		}
	}
}

// gridTileCounts returns the register counts the grids tile shows for code.
func gridTileCounts(t *testing.T, ta *testApp, tok, code string) (households, people float64) {
	t.Helper()
	tl := gridTile(t, ta, code, 14)
	res := ta.do("GET", tilePath("grids", maptile.New(tl.X, tl.Y, tl.Z)), tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("tile: %d %s", res.Status, res.Body)
	}
	f := findFeature(decodeTile(t, res.Body)["grids"], code)
	if f == nil {
		t.Fatalf("grid %s not in its tile", code)
	}
	return f.Properties.MustFloat64("registered_households", -1), f.Properties.MustFloat64("registered_people", -1)
}

// TestRegisterCountsInTilesAndFeatures: a record counts in its grid and
// every ancestor; the grids tile and OGC items show the counts, and a
// tile fetched after a register write or a grid edit is never stale.
func TestRegisterCountsInTilesAndFeatures(t *testing.T) {
	ta := newTestApp(t, true)
	ctx := context.Background()
	tok := ta.login("admin")
	checkCountsAgree(t, ta, "after the demo load")
	g, err := ta.grids.FindGridByCode(ctx, ownGrid, nil)
	if err != nil {
		t.Fatal(err)
	}
	parent := g.ParentCode
	h0, p0 := gridTileCounts(t, ta, tok, ownGrid)
	ph0, _ := gridTileCounts(t, ta, tok, parent)
	if h0 < 0 || p0 < 0 {
		t.Fatalf("grids tile has no register counts: %v %v", h0, p0)
	}

	lon, lat := regPointIn(t, ta, ownGrid, 60)
	res := ta.do("POST", "/api/v1/registers/households", tok, map[string]any{"address": "计数院1户", "lon": lon, "lat": lat, "size": 2}, nil)
	if res.Status != 201 {
		t.Fatalf("create household: %d %s", res.Status, res.Body)
	}
	var hh regFeature
	res.decode(t, &hh)
	hid := int64(hh.Properties["id"].(float64))
	for _, name := range []string{"甲", "乙"} {
		res := ta.do("POST", "/api/v1/registers/people", tok, map[string]any{"name": name, "household_id": hid}, nil)
		if res.Status != 201 {
			t.Fatalf("create person: %d %s", res.Status, res.Body)
		}
	}
	if h, p := gridTileCounts(t, ta, tok, ownGrid); h != h0+1 || p != p0+2 {
		t.Errorf("after adding a household of two: tile shows %v households, %v people; want %v, %v", h, p, h0+1, p0+2)
	}
	if ph, _ := gridTileCounts(t, ta, tok, parent); ph != ph0+1 {
		t.Errorf("parent %s shows %v households, want %v", parent, ph, ph0+1)
	}
	var item regFeature
	res = ta.do("GET", "/ogc/collections/grids-level-3/items/"+ownGrid, tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("OGC item: %d %s", res.Status, res.Body)
	}
	res.decode(t, &item)
	if item.Properties["registered_households"] != h0+1 || item.Properties["registered_people"] != p0+2 {
		t.Errorf("OGC item counts: %v households, %v people; want %v, %v",
			item.Properties["registered_households"], item.Properties["registered_people"], h0+1, p0+2)
	}
	checkCountsAgree(t, ta, "after inserts")

	// Moving the household moves its people's counts with it.
	olon, olat := regPointIn(t, ta, otherGrid, 0)
	oh0, op0 := gridTileCounts(t, ta, tok, otherGrid)
	res = ta.do("PATCH", fmt.Sprintf("/api/v1/registers/households/%d", hid), tok, map[string]any{"lon": olon, "lat": olat}, nil)
	if res.Status != 200 {
		t.Fatalf("move household: %d %s", res.Status, res.Body)
	}
	if h, p := gridTileCounts(t, ta, tok, ownGrid); h != h0 || p != p0 {
		t.Errorf("after the move the old grid shows %v, %v; want %v, %v", h, p, h0, p0)
	}
	if h, p := gridTileCounts(t, ta, tok, otherGrid); h != oh0+1 || p != op0+2 {
		t.Errorf("after the move the new grid shows %v, %v; want %v, %v", h, p, oh0+1, op0+2)
	}
	checkCountsAgree(t, ta, "after the move")

	// A grid edit that leaves records in the gap moves them to the parent;
	// the counts follow after the re-assignment.
	if _, err := ta.db.Pool.Exec(ctx, `UPDATE grid_register_counts SET households = households + 1000 WHERE grid_code = $1`, ownGrid); err != nil {
		t.Fatal(err)
	}
	var geom string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(ST_Buffer(ST_PointOnSurface(geom)::geography, 20, 'quad_segs=1')::geometry, 8)
FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, ownGrid).Scan(&geom); err != nil {
		t.Fatal(err)
	}
	res = ta.do("PATCH", "/api/v1/grids/"+ownGrid+"?accept_gaps=true", tok, map[string]any{"geometry": json.RawMessage(geom)}, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, g.Version)})
	if res.Status != 200 {
		t.Fatalf("patch grid: %d %s", res.Status, res.Body)
	}
	checkCountsAgree(t, ta, "after the grid edit (the rebuild also drops a corrupted count)")
	if h, _ := gridTileCounts(t, ta, tok, ownGrid); h > 1 {
		t.Errorf("a 20 m grid still shows %v households", h)
	}

	// Deleting a person is counted too.
	var pid int64
	if err := ta.db.Pool.QueryRow(ctx, `SELECT id FROM register_records WHERE household_id = $1 ORDER BY id LIMIT 1`, hid).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if res := ta.do("DELETE", fmt.Sprintf("/api/v1/registers/people/%d", pid), tok, nil, nil); res.Status != 204 {
		t.Fatalf("delete person: %d %s", res.Status, res.Body)
	}
	if _, p := gridTileCounts(t, ta, tok, otherGrid); p != op0+1 {
		t.Errorf("after deleting a person the grid shows %v people, want %v", p, op0+1)
	}
	checkCountsAgree(t, ta, "after the delete")
}
