package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/planning"
)

type proposalJSONT struct {
	ID            int64    `json:"id"`
	ParentVersion int      `json:"parent_version"`
	InBounds      bool     `json:"in_bounds"`
	RoadShare     float64  `json:"road_share"`
	Ends          []string `json:"ends"`
	Audit         struct {
		Clean   bool    `json:"clean"`
		Covered float64 `json:"covered"`
		GapM2   float64 `json:"gap_m2"`
	} `json:"audit"`
	Features []struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func (ta *testApp) propose(tok, parent string, body map[string]any) proposalJSONT {
	ta.t.Helper()
	res := ta.do("POST", "/api/v1/grids/"+parent+"/division-proposals", tok, body, nil)
	if res.Status != 201 {
		ta.t.Fatalf("propose: %d %s", res.Status, res.Body)
	}
	var p proposalJSONT
	res.decode(ta.t, &p)
	get := ta.do("GET", res.Header.Get("Location"), tok, nil, nil)
	if get.Status != 200 {
		ta.t.Fatalf("get proposal: %d %s", get.Status, get.Body)
	}
	return p
}

func checkProposal(t *testing.T, p proposalJSONT, min, max int, minRoadShare float64) {
	t.Helper()
	if !p.InBounds || !p.Audit.Clean || p.Audit.Covered < 0.9999 || p.RoadShare < minRoadShare {
		t.Errorf("proposal: in bounds %v, audit %+v, road share %v (want ≥ %v)", p.InBounds, p.Audit, p.RoadShare, minRoadShare)
	}
	prev := ""
	for _, f := range p.Features {
		n := int(f.Properties["households"].(float64))
		if n < min || n > max {
			t.Errorf("grid %s: %d households, want %d–%d", f.ID, n, min, max)
		}
		if f.ID <= prev {
			t.Errorf("codes out of order: %s after %s", f.ID, prev)
		}
		prev = f.ID
	}
}

// TestDivisionProposalDemoVillage: a proposal for a demo village puts every
// grid within the bounds, audits clean and covers the village; applying it
// (If-Match of the village) ends the old grids, writes the new ones,
// re-assigns the households and keeps the audit clean; a second apply and
// a stale If-Match are refused.
func TestDivisionProposalDemoVillage(t *testing.T) {
	ta := newTestApp(t, true)
	if err := seedDemoRegisters(context.Background(), ta.app, demo.Generate(dbtest.DemoSeed), dbtest.DemoSeed); err != nil {
		t.Fatal(err)
	}
	tok := ta.login("center")
	ctx := context.Background()
	var villages []string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT array_agg(code ORDER BY code) FROM grid_versions WHERE level = 2 AND valid_to IS NULL`).Scan(&villages); err != nil {
		t.Fatal(err)
	}
	for _, v := range villages {
		p := ta.propose(tok, v, map[string]any{"target": 300, "min": 200, "max": 400})
		checkProposal(t, p, 200, 400, 0)
		t.Logf("village %s: %d grids, road share %.3f, audit %+v", v, len(p.Features), p.RoadShare, p.Audit)
	}
	village := guardVillage
	// Balanced by people instead: every person of the village's households is counted once.
	pp := ta.propose(tok, village, map[string]any{"target": 900, "count": "people"})
	var people, sum int
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM register_records p JOIN register_records h ON p.household_id = h.id
JOIN grid_versions v ON v.code = $1 AND v.valid_to IS NULL AND ST_Intersects(v.geom, h.point)`, village).Scan(&people); err != nil {
		t.Fatal(err)
	}
	for _, f := range pp.Features {
		sum += int(f.Properties["people"].(float64))
	}
	if people == 0 || sum != people || !pp.Audit.Clean {
		t.Errorf("by people: %d counted in %d grids, the village has %d; audit %+v", sum, len(pp.Features), people, pp.Audit)
	}
	p := ta.propose(tok, village, map[string]any{"target": 300, "min": 200, "max": 400})
	checkProposal(t, p, 200, 400, 0)
	t.Logf("village %s: %d grids, road share %.3f, audit %+v, ends %v", village, len(p.Features), p.RoadShare, p.Audit, p.Ends)
	if len(p.Features) < 2 {
		t.Fatalf("%d grids proposed", len(p.Features))
	}
	again := ta.propose(tok, village, map[string]any{"target": 300, "min": 200, "max": 400})
	for i := range p.Features {
		if fmt.Sprint(p.Features[i].Properties) != fmt.Sprint(again.Features[i].Properties) {
			t.Fatalf("not deterministic: %v vs %v", p.Features[i].Properties, again.Features[i].Properties)
		}
	}
	// A child edited after the proposal: its apply is refused whole.
	prev := ta.propose(tok, village, map[string]any{"target": 300, "min": 200, "max": 400})
	child := prev.Features[0].ID
	if res := ta.do("PATCH", "/api/v1/grids/"+child, tok, map[string]string{"name": "改名"}, map[string]string{"If-Match": strconv.Quote(strconv.Itoa(ta.version(child)))}); res.Status != 200 {
		t.Fatalf("rename %s: %d %s", child, res.Status, res.Body)
	}
	before := ta.version(child)
	var pj problemJSON
	res := ta.do("POST", fmt.Sprintf("/api/v1/grids/%s/division-proposals/%d/apply", village, prev.ID), tok, nil, map[string]string{"If-Match": strconv.Quote(strconv.Itoa(prev.ParentVersion))})
	res.decode(t, &pj)
	if res.Status != 409 || pj.Reason != "version_mismatch" || ta.version(child) != before {
		t.Fatalf("apply over an edited child: %d %s", res.Status, res.Body)
	}
	p = ta.propose(tok, village, map[string]any{"target": 300, "min": 200, "max": 400})
	path := fmt.Sprintf("/api/v1/grids/%s/division-proposals/%d/apply", village, p.ID)
	if res := ta.do("POST", path, tok, nil, map[string]string{"If-Match": strconv.Quote(strconv.Itoa(p.ParentVersion + 1))}); res.Status != 409 {
		t.Fatalf("stale If-Match: %d %s", res.Status, res.Body)
	}
	res = ta.do("POST", path, tok, nil, map[string]string{"If-Match": strconv.Quote(strconv.Itoa(p.ParentVersion))})
	if res.Status != 200 {
		t.Fatalf("apply: %d %s", res.Status, res.Body)
	}
	if res := ta.do("POST", path, tok, nil, map[string]string{"If-Match": strconv.Quote(strconv.Itoa(p.ParentVersion))}); res.Status != 409 {
		t.Errorf("second apply: %d %s", res.Status, res.Body)
	}
	ta.auditClean(tok, village)
	var codes []string
	if err := ta.db.Pool.QueryRow(ctx, `SELECT array_agg(code ORDER BY code) FROM grid_versions WHERE parent_code = $1 AND valid_to IS NULL`, village).Scan(&codes); err != nil {
		t.Fatal(err)
	}
	if len(codes) != len(p.Features) {
		t.Fatalf("%d current grids after apply, want %d", len(codes), len(p.Features))
	}
	for i, f := range p.Features {
		if codes[i] != f.ID {
			t.Errorf("grid %d is %s, proposal %s", i, codes[i], f.ID)
		}
	}
	// Households are in the new grids, counted as proposed.
	for _, f := range p.Features {
		var n int
		if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM register_records WHERE kind = 'household' AND grid_code = $1`, f.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := int(f.Properties["households"].(float64)); n < want-2 || n > want+2 {
			t.Errorf("grid %s holds %d households after apply, proposal %d", f.ID, n, want)
		}
	}
	var stale int
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM register_records r WHERE kind = 'household' AND grid_code LIKE $1 AND NOT grid_code = ANY($2)`,
		strings.TrimRight(village, "0")+"%", codes).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale > 0 {
		t.Errorf("%d households still in ended grids", stale)
	}
}

// planningProposal makes a fresh proposal for the viewer's village (the
// route × role matrix: each apply needs its own).
func planningProposal(ta *testApp) int64 {
	p, err := ta.planning.Propose(context.Background(), planning.Request{Parent: viewerScope}, "admin", nil)
	if err != nil {
		ta.t.Fatal(err)
	}
	return p.ID
}
