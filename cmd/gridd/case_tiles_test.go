package main

import (
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb/maptile"
)

// TestCaseTilesAndOGC: the cases layer shows real cases with their status,
// as vector tiles (fresh after a transition) and as an OGC collection,
// scoped like the case API.
func TestCaseTilesAndOGC(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(t, clk)
	worker, center := ta.login(ownGrid), ta.login("center")
	p := pointIn(ownGrid, 31, 30)
	c := ta.report(worker, reportBody("0104", p), nil)
	ta.mustAct(center, &c, map[string]any{"action": "accept"})

	tile := maptile.At(p, 16)
	statusInTile := func() string {
		t.Helper()
		res := ta.do("GET", tilePath("cases", tile), center, nil, nil)
		if res.Status != 200 {
			t.Fatalf("cases tile: %d %s", res.Status, res.Body)
		}
		for _, f := range feats(decodeTile(t, res.Body)["cases"]) {
			if f.Properties.MustString("number", "") == c.Number {
				return f.Properties.MustString("status", "")
			}
		}
		return ""
	}
	if st := statusInTile(); st != "accepted" {
		t.Errorf("tile status %q, want accepted", st)
	}
	ta.mustAct(center, &c, map[string]any{"action": "dispatch", "unit": "hwsuo"})
	if st := statusInTile(); st != "dispatched" {
		t.Errorf("tile status after dispatch %q, want dispatched (stale cache?)", st)
	}
	if res := ta.do("GET", tilePath("cases", tile), ta.login("dept-hwsuo"), nil, nil); res.Status != 403 {
		t.Errorf("department reads the cases tiles: %d", res.Status)
	}

	var colls struct {
		Collections []struct{ ID string } `json:"collections"`
	}
	ta.do("GET", "/ogc/collections", center, nil, nil).decode(t, &colls)
	if !slices.ContainsFunc(colls.Collections, func(c struct{ ID string }) bool { return c.ID == "cases" }) {
		t.Fatalf("no cases collection: %+v", colls)
	}
	type fc struct {
		Features []struct {
			Properties struct {
				Number   string `json:"number"`
				Status   string `json:"status"`
				GridCode string `json:"grid_code"`
			} `json:"properties"`
			Geometry struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	var all fc
	ta.do("GET", "/ogc/collections/cases/items?limit=1000", center, nil, nil).decode(t, &all)
	statuses := map[string]bool{}
	found := false
	for _, f := range all.Features {
		statuses[f.Properties.Status] = true
		if f.Properties.Number == c.Number {
			found = f.Properties.Status == "dispatched" && f.Geometry.Type == "Point" &&
				math.Abs(f.Geometry.Coordinates[0]-p[0]) < 1e-6 && math.Abs(f.Geometry.Coordinates[1]-p[1]) < 1e-6
		}
	}
	if !found {
		t.Errorf("case %s not in the collection as dispatched at its point (%d features)", c.Number, len(all.Features))
	}
	for _, st := range []string{"reported", "accepted", "rejected", "dispatched", "handling", "postponed", "handled", "verifying", "closed", "merged", "escalated"} {
		if !statuses[st] {
			t.Errorf("no demo case in status %s among %d features", st, len(all.Features))
		}
	}
	var mine fc
	ta.do("GET", "/ogc/collections/cases/items?limit=1000", worker, nil, nil).decode(t, &mine)
	if len(mine.Features) == 0 {
		t.Fatal("worker sees no case in the collection")
	}
	for _, f := range mine.Features {
		if f.Properties.GridCode != ownGrid {
			t.Errorf("worker's collection holds case %s of grid %s", f.Properties.Number, f.Properties.GridCode)
		}
	}
}
