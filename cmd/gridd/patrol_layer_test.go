package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"
)

// coverageCells fetches a coverage tile and returns its cells' centroids
// (WGS84) by covered flag, failing unless every feature has the layer's
// attributes.
func coverageCells(t *testing.T, ta *testApp, tok string, tl maptile.Tile, query string) (covered, missed []orb.Point, res response) {
	t.Helper()
	res = ta.do("GET", tilePath("coverage", tl)+"?"+query, tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("coverage tile %s: %d %s", query, res.Status, res.Body)
	}
	if len(res.Body) == 0 {
		return nil, nil, res
	}
	ls, err := mvt.Unmarshal(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	decodeTile(t, res.Body)
	ls.ProjectToWGS84(tl)
	for _, l := range ls {
		for _, f := range l.Features {
			for _, k := range []string{"worker", "worker_name", "grid_code", "period", "cell"} {
				if f.Properties.MustString(k, "") == "" {
					t.Fatalf("cell without %s: %v", k, f.Properties)
				}
			}
			c, _ := planar.CentroidArea(f.Geometry)
			if f.Properties.MustBool("covered", false) {
				covered = append(covered, c)
			} else {
				missed = append(missed, c)
			}
		}
	}
	return covered, missed, res
}

// TestPatrolCoverageLayer: the coverage tiles show the covered and missed
// cells of a worker's day and month from the stored results, follow a new
// upload at once, respect the reader's scope and check their parameters.
func TestPatrolCoverageLayer(t *testing.T) {
	ta := newPatrolApp(t)
	wtok := ta.login(ownGrid)
	admin := ta.login("admin")
	c := inside(ta, ownGrid)
	sh := workday.Shanghai()
	// A 60 m circle walked for two hours on 4 March.
	walk := loop(time.Date(2026, 3, 4, 9, 0, 0, 0, sh), c, 60, 2*time.Hour, 20*time.Second)
	if res := ta.do("POST", "/api/v1/patrols/points", wtok, pointsBody(ownGrid, "wgs84", walk), nil); res.Status != 200 {
		t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	tl := maptile.At(c, 17)
	day := "worker=" + ownGrid + "&date=2026-03-04"
	covered, missed, _ := coverageCells(t, ta, admin, tl, day)
	t.Logf("day: %d covered, %d missed", len(covered), len(missed))
	if len(covered) == 0 || len(missed) == 0 {
		t.Fatalf("z17 tile at the walk: %d covered, %d missed cells; want both", len(covered), len(missed))
	}
	// Covered cells lie within R (30 m) plus a cell's radius of the 60 m
	// circle; cells on the circle itself are covered.
	for _, p := range covered {
		if d := geo.Distance(p, c); d > 60+30+20 || d < 60-30-20 {
			t.Errorf("cell %v covered at %.0f m from the centre of a 60 m walk", p, d)
		}
	}
	for _, p := range missed {
		if d := geo.Distance(p, c); d > 55 && d < 65 {
			t.Errorf("cell %v on the walked circle (%.0f m) shown missed", p, d)
		}
	}
	// Below zoom 15 the cells are merged into coarser H3 cells carrying
	// their covered share.
	low := ta.do("GET", tilePath("coverage", maptile.At(c, 13))+"?"+day, admin, nil, nil)
	if low.Status != 200 {
		t.Fatalf("z13 tile: %d %s", low.Status, low.Body)
	}
	lls, err := mvt.Unmarshal(low.Body)
	if err != nil || len(lls) != 1 {
		t.Fatalf("z13 tile: %v %v", lls, err)
	}
	partly := 0
	for _, f := range lls[0].Features {
		share := f.Properties.MustFloat64("share", -1)
		cell := h3.Cell(h3.IndexFromString(f.Properties.MustString("cell", "")))
		if !cell.IsValid() || cell.Resolution() != 10 || share < 0 || share > 1 || f.Properties.MustBool("covered", false) != (share >= 0.5) {
			t.Fatalf("z13 feature %v (resolution %d)", f.Properties, cell.Resolution())
		}
		if share > 0 && share < 1 {
			partly++
		}
	}
	if len(lls[0].Features) == 0 || len(lls[0].Features) > 400 || partly == 0 {
		t.Errorf("z13 tile: %d coarse cells, %d partly covered", len(lls[0].Features), partly)
	}
	// The day's figure agrees with the tile's cells at this spot: the
	// daily report lists the same grid.
	if d := ta.daily(admin, ownGrid, "2026-03-04"); len(d.Grids) != 1 || d.Grids[0].Coverage <= 0 {
		t.Fatalf("daily: %+v", d)
	}

	// The month so far, then a second walk on 5 March further out: the
	// month tile read right after the upload shows the new cells.
	month := "worker=" + ownGrid + "&month=2026-03"
	mc1, _, first := coverageCells(t, ta, admin, tl, month)
	if len(mc1) != len(covered) {
		t.Errorf("month with one walked day: %d covered cells, the day had %d", len(mc1), len(covered))
	}
	walk2 := loop(time.Date(2026, 3, 5, 9, 0, 0, 0, sh), c, 120, 2*time.Hour, 20*time.Second)
	if res := ta.do("POST", "/api/v1/patrols/points", wtok, pointsBody(ownGrid, "wgs84", walk2), nil); res.Status != 200 {
		t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	mc2, _, second := coverageCells(t, ta, admin, tl, month)
	t.Logf("month: %d then %d covered", len(mc1), len(mc2))
	if len(mc2) <= len(mc1) {
		t.Errorf("after a second day's walk the month shows %d covered cells, before %d", len(mc2), len(mc1))
	}
	if first.Header.Get("ETag") == second.Header.Get("ETag") {
		t.Errorf("ETag unchanged after an upload")
	}
	if c1, _, _ := coverageCells(t, ta, admin, tl, day); len(c1) != len(covered) {
		t.Errorf("4 March changed after a walk on 5 March: %d covered cells, was %d", len(c1), len(covered))
	}

	// Scope: the worker of another grid sees nothing here, with or without
	// naming the worker; the grid's own worker sees its cells.
	other := ta.login(otherGrid)
	for _, q := range []string{month, "month=2026-03"} {
		if cv, ms, _ := coverageCells(t, ta, other, tl, q); len(cv)+len(ms) != 0 {
			t.Errorf("another grid's worker (%s) sees %d cells of %s", q, len(cv)+len(ms), ownGrid)
		}
	}
	if cv, _, _ := coverageCells(t, ta, wtok, tl, "month=2026-03"); len(cv) != len(mc2) {
		t.Errorf("own worker sees %d covered cells, admin %d", len(cv), len(mc2))
	}
	if res := ta.do("GET", tilePath("coverage", tl)+"?"+month, ta.login("dept-hwsuo"), nil, nil); res.Status != http.StatusForbidden {
		t.Errorf("department reads coverage: %d", res.Status)
	}

	// Parameters and zoom are checked.
	for q, field := range map[string]string{
		"date=2026-13-01":                   "date",
		"month=2026-3":                      "month",
		"date=2026-03-04&month=2026-03":     "date",
		"worker=" + strings.Repeat("x", 70): "worker",
	} {
		res := ta.do("GET", tilePath("coverage", tl)+"?"+q, admin, nil, nil)
		if res.Status != 400 || !strings.Contains(string(res.Body), field) {
			t.Errorf("%s: %d %s, want 400 naming %s", q, res.Status, res.Body, field)
		}
	}
	if res := ta.do("GET", tilePath("coverage", maptile.At(c, 10)), admin, nil, nil); res.Status != 400 {
		t.Errorf("z10 coverage tile: %d, want 400 (layer starts at 13)", res.Status)
	}
	if res := ta.do("GET", tilePath("coverage", tl)+"?worker=nobody", admin, nil, nil); res.Status != 404 {
		t.Errorf("unknown worker: %d, want 404", res.Status)
	}

	// The same cells as OGC API features and a GeoJSON download.
	b := tl.Bound()
	bbox := strings.Join([]string{ff(b.Min[0]), ff(b.Min[1]), ff(b.Max[0]), ff(b.Max[1])}, ",")
	var fc struct {
		NumberMatched int `json:"numberMatched"`
		Features      []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	res := ta.do("GET", "/ogc/collections/coverage/items?limit=1000&bbox="+bbox+"&"+day, admin, nil, nil)
	if res.Status != 200 {
		t.Fatalf("OGC coverage items: %d %s", res.Status, res.Body)
	}
	res.decode(t, &fc)
	nCovered := 0
	for _, f := range fc.Features {
		if f.Properties["covered"] == true {
			nCovered++
		}
		if !strings.HasPrefix(f.ID, "2026-03-04:"+ownGrid+":") {
			t.Errorf("feature id %q", f.ID)
		}
	}
	if nCovered < len(covered) {
		t.Errorf("OGC items in the tile's bbox: %d covered, the tile %d", nCovered, len(covered))
	}
	// Pages (the cells of a page made alone, coveragePage) are the slices
	// of the whole list, in its order, with its count; so with a bbox.
	for _, sel := range []string{day, "bbox=" + bbox + "&" + day} {
		var all, page struct {
			NumberMatched int `json:"numberMatched"`
			Features      []struct {
				ID         string         `json:"id"`
				Properties map[string]any `json:"properties"`
				Geometry   any            `json:"geometry"`
			} `json:"features"`
		}
		ta.do("GET", "/ogc/collections/coverage/items?limit=10000&"+sel, admin, nil, nil).decode(t, &all)
		n := len(all.Features)
		if n < 10 || all.NumberMatched != n {
			t.Fatalf("%s: %d features, %d matched", sel, n, all.NumberMatched)
		}
		for i := 1; i < n; i++ {
			if all.Features[i-1].ID >= all.Features[i].ID {
				t.Fatalf("%s: %q before %q", sel, all.Features[i-1].ID, all.Features[i].ID)
			}
		}
		for _, off := range []int{0, 7, n / 2, n - 3, n} {
			ta.do("GET", fmt.Sprintf("/ogc/collections/coverage/items?limit=7&offset=%d&%s", off, sel), admin, nil, nil).decode(t, &page)
			want := all.Features[off:min(n, off+7)]
			if page.NumberMatched != n || len(page.Features) != len(want) {
				t.Fatalf("%s offset %d: %d features of %d, want %d of %d", sel, off, len(page.Features), page.NumberMatched, len(want), n)
			}
			for i, f := range page.Features {
				if f.ID != want[i].ID || fmt.Sprint(f.Properties, f.Geometry) != fmt.Sprint(want[i].Properties, want[i].Geometry) {
					t.Errorf("%s offset %d: feature %d is %s, want %s", sel, off, i, f.ID, want[i].ID)
				}
			}
		}
	}
	if res := ta.do("GET", "/api/v1/layers/coverage.geojson?"+day, admin, nil, nil); res.Status != 200 || !strings.Contains(string(res.Body), `"covered":true`) {
		t.Errorf("GeoJSON download: %d", res.Status)
	}
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
