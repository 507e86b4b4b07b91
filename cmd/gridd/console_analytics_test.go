package main

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/workday"
	"github.com/uber/h3-go/v4"
)

// webMercator projects lon/lat to EPSG:3857 metres (the console's view).
func webMercator(lon, lat float64) (float64, float64) {
	const r = 6378137.0
	return lon * math.Pi / 180 * r, math.Log(math.Tan(math.Pi/4+lat*math.Pi/360)) * r
}

// TestConsoleHotspotsAndScorecard: the hot-spot layer switched on draws
// the significant cells the API finds (view zoom 14: 512-px tiles of zoom
// 13, resolution 9) with their
// trends; the scorecard shows the month's groups ranked as the statistics
// API has them, "no data" as no data (a grey label, no bar, never 0%).
func TestConsoleHotspotsAndScorecard(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t)
	token := ta.login("center")

	var fc hotspotFC
	ta.do("GET", "/api/v1/hotspots?res=9", token, nil, nil).decode(t, &fc)
	sig := map[string]string{}
	var first string
	for _, f := range fc.Features {
		if f.Properties.Significant {
			sig[f.Properties.Cell] = f.Properties.Trend
			if first == "" {
				first = f.Properties.Cell
			}
		}
	}
	if len(sig) == 0 {
		t.Fatal("the demo's cases show no hot spot at resolution 9")
	}

	login(t, ctx, ta.srv.URL, "center")
	waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
	cdpDo(t, ctx, "switch the hot-spot layer on", chromedp.Click(chromedp.CSS("#layer-hotspots")))
	c := h3.Cell(h3.IndexFromString(first))
	x, y := webMercator(c.LatLng().Lng, c.LatLng().Lat)
	cdpGet(t, ctx, "zoom to the hot spot", chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const v = window.__gridd.state.map.map.getView(); v.setZoom(14); v.setCenter([%f, %f]); return true; })()`, x, y)))
	type drawnCell struct {
		Cell  string `json:"cell"`
		Trend string `json:"trend"`
	}
	drawn := waitFor[[]drawnCell](t, ctx, "hot spots drawn", fmt.Sprintf(`(() => { const d = window.__gridd.drawnHotspots(); return d.length && d.every((c) => c.cell.startsWith('89')) && d.some((c) => c.cell === %q) ? d : false })()`, first))
	found := false
	for _, d := range drawn {
		tr, ok := sig[d.Cell]
		if !ok || tr != d.Trend {
			t.Errorf("drawn cell %s (%s) is not a significant cell of the API (%q)", d.Cell, d.Trend, tr)
		}
		found = found || d.Cell == first
	}
	if !found {
		t.Errorf("the hot spot %s in the middle of the view is not drawn: %v", first, drawn)
	}
	artifact(t, "console-hotspots.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// The scorecard by grid of the month of the demo's latest case.
	var latest struct {
		Cases []struct {
			ReportedAt time.Time `json:"reported_at"`
		} `json:"cases"`
	}
	ta.do("GET", "/api/v1/cases?limit=1", token, nil, nil).decode(t, &latest)
	if len(latest.Cases) == 0 {
		t.Fatal("the demo has no case")
	}
	m0 := latest.Cases[0].ReportedAt.In(workday.Shanghai())
	month := m0.Format("2006-01")
	from := month + "-01"
	to := time.Date(m0.Year(), m0.Month()+1, 0, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	var st struct {
		Groups []rateRow `json:"groups"`
	}
	ta.do("GET", "/api/v1/stats/cases?from="+from+"&to="+to+"&group_by=grid", token, nil, nil).decode(t, &st)
	nulls := 0
	for _, g := range st.Groups {
		if g.OnTimeRate == nil {
			nulls++
		}
	}
	cdpDo(t, ctx, "open the scorecard", chromedp.Click(chromedp.CSS("#tab-scorecard")))
	waitFor[bool](t, ctx, "the scorecard table", `!!document.querySelector('#scorecard-table')`)
	cdpGet(t, ctx, "by grid", chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector('#sc-by'); s.value = 'grid'; document.querySelector('#sc-month').value = %q; s.form.requestSubmit(); return true; })()`, month)))
	type shown struct {
		Rows   []map[string]string `json:"rows"`
		NoBar  int                 `json:"nobar"`
		Bars   int                 `json:"bars"`
		Rects0 int                 `json:"rects_in_nodata"`
	}
	got := waitFor[shown](t, ctx, "the scorecard by grid", fmt.Sprintf(`(() => {
		const tb = document.querySelector('#scorecard-table tbody');
		if (!tb || tb.rows.length !== %d || document.querySelector('#sc-by').value !== 'grid' || !tb.rows[0]?.dataset.key?.match(/^[0-9]{15}$|^outside$/)) return false;
		const rows = [...tb.rows].map((r) => ({ key: r.dataset.key, rank: r.cells[0].textContent, on_time: r.cells[6].textContent, nodata: String(r.cells[6].classList.contains('nodata')) }));
		const svg = document.querySelector('#scorecard-chart');
		return { rows, nobar: svg.querySelectorAll('g.nodata').length, bars: svg.querySelectorAll('g.bar rect').length, rects_in_nodata: svg.querySelectorAll('g.nodata rect').length };
	})()`, len(st.Groups)))
	byKey := map[string]rateRow{}
	for _, g := range st.Groups {
		byKey[g.Key] = g
	}
	for _, r := range got.Rows {
		g, ok := byKey[r["key"]]
		if !ok {
			t.Errorf("scorecard row %s not in the statistics", r["key"])
			continue
		}
		if g.OnTimeRate == nil {
			if r["on_time"] != "无数据" || r["nodata"] != "true" || r["rank"] != "—" {
				t.Errorf("grid %s without data shows %q (nodata %s, rank %s)", g.Key, r["on_time"], r["nodata"], r["rank"])
			}
		} else if want := fmt.Sprintf("%.1f%%", *g.OnTimeRate*100); r["on_time"] != want || r["rank"] != fmt.Sprint(*g.Rank) {
			t.Errorf("grid %s shows %q rank %s, want %s rank %d", g.Key, r["on_time"], r["rank"], want, *g.Rank)
		}
	}
	if got.NoBar != nulls || got.Rects0 != 0 || got.Bars != len(st.Groups)-nulls {
		t.Errorf("chart: %d no-data rows (want %d), %d bars (want %d), %d bars drawn for no data", got.NoBar, nulls, got.Bars, len(st.Groups)-nulls, got.Rects0)
	}
	if nulls == 0 {
		t.Errorf("the demo month has no grid without an on-time rate: the no-data path is untested")
	}
	artifact(t, "console-scorecard.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// Below, the leaders' yearly results: the joint meeting's score typed
	// into the first leader's row is saved and the row shows the score and
	// deduction the API then gives.
	year := time.Now().In(workday.Shanghai()).Format("2006")
	var lr leaderResultsBody
	ta.do("GET", "/api/v1/results/leaders?year="+year, token, nil, nil).decode(t, &lr)
	if len(lr.Leaders) == 0 {
		t.Fatal("the demo town has no supervising leader")
	}
	waitFor[bool](t, ctx, "the leaders' table", fmt.Sprintf(`document.querySelectorAll('#leaders-table tbody tr').length === %d`, len(lr.Leaders)))
	firstLeader := lr.Leaders[0].UserID
	cdpGet(t, ctx, "score the first leader", chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const tr = document.querySelector('#leaders-table tr[data-user="%d"]');
		tr.querySelector('input.ld-input[data-item="meeting"]').value = '85';
		tr.querySelector('button.ld-save').click();
		return true; })()`, firstLeader)))
	var after leaderResultsBody
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ta.do("GET", "/api/v1/results/leaders?year="+year, token, nil, nil).decode(t, &after)
		if i := slices.IndexFunc(after.Leaders, func(l leaderRow) bool { return l.UserID == firstLeader }); i >= 0 && after.Leaders[i].Items[len(after.Leaders[i].Items)-1].Value != nil {
			l := after.Leaders[i]
			if *l.Items[len(l.Items)-1].Value != 85 {
				t.Fatalf("saved meeting score %v, want 85", *l.Items[len(l.Items)-1].Value)
			}
			want := "无数据"
			if l.Score != nil {
				want = fmt.Sprintf("%.2f", *l.Score)
			}
			waitFor[bool](t, ctx, "the row's new score", fmt.Sprintf(`(() => { const tr = document.querySelector('#leaders-table tr[data-user="%d"]'); return !!tr && tr.cells[tr.cells.length - 4].textContent === %q; })()`, firstLeader, want))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the meeting score typed in the console was not saved")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
