package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"
)

// synthCase is a case of a synthetic history, inserted by insertCases.
type synthCase struct {
	At       time.Time
	Loc      orb.Point
	Category string
	Source   string
}

// insertCases writes cases straight into the database (status reported,
// grid chain from the current demo grids), numbered from base: a history
// of thousands of cases through the intake API would take minutes.
func insertCases(t testing.TB, ta *testApp, base int, cs []synthCase) {
	t.Helper()
	lon, lat := make([]float64, len(cs)), make([]float64, len(cs))
	at, cat, src := make([]time.Time, len(cs)), make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		lon[i], lat[i], at[i], cat[i], src[i] = c.Loc[0], c.Loc[1], c.At, c.Category, c.Source
		if src[i] == "" {
			src[i] = "worker_app"
		}
	}
	admin, err := ta.people.FindUserByUsername(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ta.db.Pool.Exec(context.Background(), `INSERT INTO cases (number, category_code, description, source, geom,
  reported_at, reporter_id, grid_code, grid_chain, status, created_at, updated_at)
SELECT to_char(t.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') || '-' || lpad(($7::bigint + t.n)::text, 6, '0'), t.cat, '合成案件', t.src,
  ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), t.at, $6, g.code,
  CASE WHEN g.code IS NULL THEN '{}'::text[] ELSE ARRAY[v.parent_code, g.parent_code, g.code] END, 'reported', t.at, t.at
FROM unnest($1::float8[], $2::float8[], $3::timestamptz[], $4::text[], $5::text[]) WITH ORDINALITY AS t(lon, lat, at, cat, src, n)
LEFT JOIN LATERAL (SELECT code, parent_code FROM grid_versions
  WHERE valid_to IS NULL AND level = 3 AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)) LIMIT 1) g ON true
LEFT JOIN grid_versions v ON v.valid_to IS NULL AND v.code = g.parent_code`, lon, lat, at, cat, src, admin.ID, base)
	if err != nil {
		t.Fatal(err)
	}
}

// plantedHistory is 24 months (2024–2025) of cases over the demo town:
// uniform noise from a fixed seed (300 cases of category 0104 and 100 of
// 0102 a month, each in a uniformly chosen res-9 cell of the town) and
// three planted res-9 cells of category 0104: persistent (+4 every month),
// new (+6 a month in 2025 only) and fading (+6 a month in 2024 only).
func plantedHistory(t testing.TB) ([]synthCase, map[h3.Cell]analytics.Trend) {
	town := demoTown().Grids[0].Geometry
	cells := analytics.AreaCells(town, 9)
	inside := map[h3.Cell]bool{}
	for _, c := range cells {
		inside[c] = true
	}
	// Planted cells: neighbourhood wholly in the town, at least 4 cells apart.
	var planted []h3.Cell
	for _, c := range cells {
		ok := true
		for _, d := range c.GridDisk(1) {
			ok = ok && inside[d]
		}
		for _, p := range planted {
			if h3.GridDistance(c, p) < 5 {
				ok = false
			}
		}
		if ok {
			planted = append(planted, c)
		}
		if len(planted) == 3 {
			break
		}
	}
	if len(planted) < 3 {
		t.Fatalf("only %d cells to plant in", len(planted))
	}
	want := map[h3.Cell]analytics.Trend{planted[0]: analytics.TrendPersistent, planted[1]: analytics.TrendNew, planted[2]: analytics.TrendFading}
	rng := rand.New(rand.NewPCG(19, 24))
	at := func(m int) time.Time {
		return time.Date(2024, time.Month(1+m), 1+rng.IntN(27), 8+rng.IntN(10), rng.IntN(60), 0, 0, time.FixedZone("CST", 8*3600))
	}
	in := func(c h3.Cell) orb.Point { // the centre, moved up to ~50 m
		ll := c.LatLng()
		return orb.Point{ll.Lng + (rng.Float64()-0.5)*0.001, ll.Lat + (rng.Float64()-0.5)*0.0008}
	}
	var cs []synthCase
	for m := range 24 {
		for range 300 {
			cs = append(cs, synthCase{At: at(m), Loc: in(cells[rng.IntN(len(cells))]), Category: "0104"})
		}
		for range 100 {
			cs = append(cs, synthCase{At: at(m), Loc: in(cells[rng.IntN(len(cells))]), Category: "0102"})
		}
		add := func(c h3.Cell, n int) {
			for range n {
				cs = append(cs, synthCase{At: at(m), Loc: in(c), Category: "0104"})
			}
		}
		add(planted[0], 4)
		if m >= 12 {
			add(planted[1], 6)
		} else {
			add(planted[2], 6)
		}
	}
	return cs, want
}

type hotspotFC struct {
	Months     []string `json:"months"`
	Resolution int      `json:"resolution"`
	Features   []struct {
		ID         string `json:"id"`
		Properties struct {
			Cell        string  `json:"cell"`
			Count       int     `json:"count"`
			Z           float64 `json:"z"`
			Q           float64 `json:"q"`
			Significant bool    `json:"significant"`
			Trend       string  `json:"trend"`
			TrendName   string  `json:"trend_name"`
		} `json:"properties"`
	} `json:"features"`
}

// TestHotspotsPlanted: on a synthetic history in PostGIS, the hot-spot
// analysis over HTTP finds the three planted cells with their trends and
// flags no cell outside their Gi* clusters (k-ring 1); the tile layer
// draws them; a new case at the persistent one is recurring.
func TestHotspotsPlanted(t *testing.T) {
	clk := &testClock{t: cst(2026, 1, 15, 10, 0)}
	ta := newCaseApp(t, clk)
	cs, want := plantedHistory(t)
	insertCases(t, ta, 100000, cs)
	admin := ta.login("admin")

	res := ta.do("GET", "/api/v1/hotspots?from=2024-01-01&to=2025-12-31&category=0104&res=9", admin, nil, nil)
	if res.Status != 200 {
		t.Fatalf("hotspots: %d %s", res.Status, res.Body)
	}
	var fc hotspotFC
	res.decode(t, &fc)
	if len(fc.Months) != 24 || fc.Resolution != 9 {
		t.Fatalf("months %v resolution %d", fc.Months, fc.Resolution)
	}
	cluster := map[string]bool{}
	for c := range want {
		for _, d := range c.GridDisk(1) {
			cluster[d.String()] = true
		}
	}
	found := map[string]string{}
	total := 0
	for _, f := range fc.Features {
		p := f.Properties
		total += p.Count
		if p.Significant {
			found[p.Cell] = p.Trend
			if p.TrendName == "" {
				t.Errorf("cell %s: no trend_name", p.Cell)
			}
			if !cluster[p.Cell] {
				t.Errorf("noise cell %s flagged: count %d z %.2f q %.3g trend %s", p.Cell, p.Count, p.Z, p.Q, p.Trend)
			}
		}
	}
	if total != 24*300+24*4+12*6+12*6 {
		t.Errorf("counted %d cases of 0104, want %d", total, 24*300+24*4+144)
	}
	for c, tr := range want {
		if found[c.String()] != string(tr) {
			t.Errorf("planted %s: trend %q, want %s", c, found[c.String()], tr)
		}
	}

	// The tile layer at zoom 13 (res 9) over the persistent cell.
	var persistent, fading h3.Cell
	for c, tr := range want {
		switch tr {
		case analytics.TrendPersistent:
			persistent = c
		case analytics.TrendFading:
			fading = c
		}
	}
	ll := persistent.LatLng()
	tile := maptile.At(orb.Point{ll.Lng, ll.Lat}, 13)
	tres := ta.do("GET", fmt.Sprintf("/tiles/hotspots/13/%d/%d.mvt?from=2024-01-01&to=2026-01-01&category=0104", tile.X, tile.Y), admin, nil, nil)
	if tres.Status != 200 {
		t.Fatalf("tile: %d %s", tres.Status, tres.Body)
	}
	layer := decodeTile(t, tres.Body)["hotspots"]
	if layer == nil {
		t.Fatal("tile has no hotspots layer")
	}
	drawn := false
	for _, f := range layer.Features {
		if f.Properties["cell"] == persistent.String() && f.Properties["trend"] == "persistent" {
			drawn = true
		}
	}
	if !drawn {
		t.Errorf("tile lacks the persistent cell among %d features", len(layer.Features))
	}

	// Recurring: the cache covers 2025 (the twelve months before January 2026).
	if err := ta.hotspots.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cell     h3.Cell
		category string
		want     bool
	}{{persistent, "0104", true}, {fading, "0104", false}, {persistent, "0102", false}} {
		ll := c.cell.LatLng()
		v := ta.report(admin, reportBody(c.category, orb.Point{ll.Lng, ll.Lat}), nil)
		got := ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", v.ID), admin, nil, nil)
		var body struct {
			Recurring bool `json:"recurring"`
		}
		got.decode(t, &body)
		if body.Recurring != c.want {
			t.Errorf("case of %s at %s: recurring %v, want %v", c.category, c.cell, body.Recurring, c.want)
		}
	}
}

// TestHotspotsInput: bad parameters are 400s naming the field; a parent
// outside the caller's scope is 403; a worker's analysis covers its grids.
func TestHotspotsInput(t *testing.T) {
	clk := &testClock{t: cst(2026, 1, 15, 10, 0)}
	ta := newCaseApp(t, clk)
	admin, worker := ta.login("admin"), ta.login(ownGrid)
	for _, c := range []struct{ q, field string }{
		{"res=3", "res"}, {"res=x", "res"}, {"from=2026-13-01", "from"}, {"from=2025-01-01&to=2024-01-01", "to"},
		{"from=2020-01-01&to=2025-12-31", "to"},
	} {
		res := ta.do("GET", "/api/v1/hotspots?"+c.q, admin, nil, nil)
		if res.Status != 400 || !containsField(res.Body, c.field) {
			t.Errorf("%s: %d %s", c.q, res.Status, res.Body)
		}
	}
	if res := ta.do("GET", "/api/v1/hotspots?parent="+otherGrid, worker, nil, nil); res.Status != http.StatusForbidden {
		t.Errorf("worker, other grid: %d %s", res.Status, res.Body)
	}
	res := ta.do("GET", "/api/v1/hotspots?parent="+ownGrid, worker, nil, nil)
	if res.Status != 200 {
		t.Fatalf("worker, own grid: %d %s", res.Status, res.Body)
	}
}

func containsField(body []byte, field string) bool {
	return strings.Contains(string(body), `"field":"`+field+`"`)
}
