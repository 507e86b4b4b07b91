package main

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/province"
)

// provinceRequests records every request a tab makes and how it ended:
// the province console must ask only the province's routes, and none may
// fail. Call it before the tab navigates.
func provinceRequests(t *testing.T, ctx context.Context) (report func() (paths []string, failed []string)) {
	t.Helper()
	var mu sync.Mutex
	urls := map[network.RequestID]string{}
	var order []string
	var bad []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			urls[e.RequestID] = e.Request.URL
			order = append(order, e.Request.URL)
		case *network.EventResponseReceived:
			if e.Response.Status >= 400 {
				bad = append(bad, fmt.Sprintf("%d %s", e.Response.Status, e.Response.URL))
			}
		case *network.EventLoadingFailed:
			if !e.Canceled {
				bad = append(bad, fmt.Sprintf("%s %s", e.ErrorText, urls[e.RequestID]))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return func() ([]string, []string) {
		mu.Lock()
		defer mu.Unlock()
		var paths []string
		for _, u := range order {
			if p, err := url.Parse(u); err == nil && p.Scheme != "data" {
				paths = append(paths, p.Path)
			}
		}
		return paths, slices.Clone(bad)
	}
}

// provinceConsole is TestProvinceAggregation's "Console" step, on its two
// cities' data: an admin logs in to the province instance's console and
// gets the read-only province view — both cities' grids drawn from the
// province tiles, the province's hot spots (their cases as the API counts
// them, then filtered by category through the form), the figures per
// county whose province row is the sum of the counties' and this month's
// row the cases the cities reported, and both cities in the replication
// table — in Chinese, then in English with no Chinese left. The tab asks
// only the console's files and the auth and province routes, none fails,
// and (browser) no console error or exception.
func provinceConsole(t *testing.T, prov *testApp, token string, codes []string, month string, monthReported int) {
	ctx := browser(t)
	requests := provinceRequests(t, ctx)
	login(t, ctx, prov.srv.URL, "admin")

	// The map: both counties' grids drawn (the same demo town under two codes).
	waitFor[bool](t, ctx, "a rendered frame with grids", `window.__gridd.rendered === true`)
	drawn := waitFor[map[string]int](t, ctx, "both counties' grids drawn", fmt.Sprintf(
		`(() => { const d = window.__gridd.province.drawnGrids(); return d[%q] > 0 && d[%q] > 0 ? d : false })()`, codes[0], codes[1]))
	if drawn[codes[0]] != drawn[codes[1]] || len(drawn) != 2 {
		t.Errorf("grids drawn per county %v, want the same town under %v", drawn, codes)
	}
	tabs := cdpGet(t, ctx, "the tabs", chromedp.Evaluate[[]string](`[...document.querySelectorAll('[role=tab]')].map((b) => b.id)`))
	if !slices.Equal(tabs, []string{"tab-map", "tab-pstats", "tab-cities"}) {
		t.Errorf("tabs %v: the province view has its own three, none of a city", tabs)
	}

	// Hot spots: what the API finds, drawn; then one category.
	hotspots := func(query string) (cells, cases int) {
		var fc hotspotFC
		res := prov.do("GET", "/api/v1/province/hotspots"+query, token, nil, nil)
		if res.Status != 200 {
			t.Fatalf("province hot spots: %d %s", res.Status, res.Body)
		}
		res.decode(t, &fc)
		for _, f := range fc.Features {
			cases += f.Properties.Count
			if f.Properties.Significant {
				cells++
			}
		}
		return cells, cases
	}
	type shownHotspots struct {
		Cells    int    `json:"cells"`
		Cases    int    `json:"cases"`
		Drawn    int    `json:"drawn"`
		Category string `json:"category"`
		Summary  string `json:"summary"`
	}
	shown := func(category string, cases int) shownHotspots {
		return waitFor[shownHotspots](t, ctx, "the hot spots of category "+category, fmt.Sprintf(`(() => {
			const h = window.__gridd.province.hotspots();
			const s = document.querySelector('#ph-summary')?.textContent || '';
			return h.category === %q && h.cases === %d && s.includes(String(h.cells)) ? { ...h, drawn: window.__gridd.province.drawnHotspots().length, summary: s } : false })()`, category, cases))
	}
	cells, cases := hotspots("")
	if cases < 6 {
		t.Fatalf("province hot spots count %d cases: the cities' cases are missing", cases)
	}
	if got := shown("", cases); got.Cells != cells || got.Drawn != cells {
		t.Errorf("hot spots shown %+v, the API has %d significant cells", got, cells)
	}
	cdpGet(t, ctx, "ask for category 0104", chromedp.Evaluate[bool](`(() => { document.querySelector('#ph-category').value = '0104'; document.querySelector('#ph-form').requestSubmit(); return true; })()`))
	from := cdpGet(t, ctx, "the hot spots' period", chromedp.Evaluate[[]string](`[document.querySelector('#ph-from').value, document.querySelector('#ph-to').value]`))
	cells, cases = hotspots("?" + url.Values{"from": {from[0]}, "to": {from[1]}, "category": {"0104"}}.Encode())
	if got := shown("0104", cases); got.Cells != cells || got.Drawn != cells || cases < 6 {
		t.Errorf("hot spots of 0104 shown %+v; the API: %d significant cells, %d cases (the cities reported 6 this month)", got, cells, cases)
	}
	artifact(t, "province-map.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// The figures: the province row is the counties' sum, and as the API has it.
	clickUntil(t, ctx, "open the figures", "#tab-pstats", `document.querySelectorAll('#prov-counties-table tbody tr').length > 0`)
	type row map[string]float64
	table := waitFor[map[string]row](t, ctx, "the figures per county", `(() => {
		const rows = [...document.querySelectorAll('#prov-counties-table tr[data-key]')];
		if (rows.length < 3) return false;
		return Object.fromEntries(rows.map((r) => [r.dataset.key, Object.fromEntries([...r.querySelectorAll('td[data-f]')].map((td) => [td.dataset.f, td.dataset.v === '' ? -1 : Number(td.dataset.v)]))]));
	})()`)
	if len(table) != 3 || table[codes[0]] == nil || table[codes[1]] == nil || table["province"] == nil {
		t.Fatalf("county table rows %v, want %v and the province", table, codes)
	}
	for _, f := range []string{"grids", "area_km2", "households", "population", "reported", "problems", "closed", "closed_on_time", "open", "emergency"} {
		sum := table[codes[0]][f] + table[codes[1]][f]
		if math.Abs(table["province"][f]-sum) > 1e-6*math.Max(1, sum) {
			t.Errorf("province %s %v, the counties' sum %v", f, table["province"][f], sum)
		}
	}
	period := cdpGet(t, ctx, "the figures' period", chromedp.Evaluate[[]string](`[document.querySelector('#ps-from').value, document.querySelector('#ps-to').value]`))
	var st province.Stats
	res := prov.do("GET", fmt.Sprintf("/api/v1/province/stats?from=%s-01&to=%s", period[0], lastDay(t, period[1])), token, nil, nil)
	if res.Status != 200 {
		t.Fatalf("province stats: %d %s", res.Status, res.Body)
	}
	res.decode(t, &st)
	if p := table["province"]; p["reported"] != float64(st.Province.Total.Reported) || p["grids"] != float64(st.Province.Grids) || p["population"] != float64(st.Province.Population) {
		t.Errorf("province row %v; the API's province: %d reported, %d grids, population %d", p, st.Province.Total.Reported, st.Province.Grids, st.Province.Population)
	}
	artifact(t, "province-stats.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	thisMonth := waitFor[float64](t, ctx, "this month's province row", fmt.Sprintf(
		`(() => { const td = document.querySelector('#prov-months-table tr[data-key=%q] td[data-f=reported]'); return td ? Number(td.dataset.v) : false })()`, month))
	if thisMonth != float64(monthReported) {
		t.Errorf("the province's %s shows %v reported, the cities reported %d", month, thisMonth, monthReported)
	}

	// The cities: both, connected, their rows as the API counts them.
	var cs struct{ Cities []province.City }
	prov.do("GET", "/api/v1/province/cities", token, nil, nil).decode(t, &cs)
	clickUntil(t, ctx, "open the cities", "#tab-cities", `document.querySelectorAll('#prov-cities-table tbody tr').length === 2`)
	type cityRow struct {
		State string  `json:"state"`
		Grids float64 `json:"grids"`
		Cases float64 `json:"cases"`
	}
	cities := waitFor[map[string]cityRow](t, ctx, "the cities' rows", `(() => Object.fromEntries([...document.querySelectorAll('#prov-cities-table tbody tr')].map((r) => [r.dataset.key, {
		state: r.querySelector('[data-f=state]').textContent, grids: Number(r.querySelector('[data-f=grids]').dataset.v), cases: Number(r.querySelector('[data-f=cases]').dataset.v) }])))()`)
	for _, c := range cs.Cities {
		r, ok := cities[c.CountyCode]
		if !ok || r.State != "已连接" || r.Grids != float64(c.Grids) || r.Cases != float64(c.Cases) || len(c.Bounds) != 4 {
			t.Errorf("city %s shown %+v; the API: %+v", c.CountyCode, r, c)
		}
	}
	if len(cs.Cities) != 2 || len(cities) != 2 {
		t.Errorf("cities: the API %d, the table %v", len(cs.Cities), cities)
	}
	artifact(t, "province-cities.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// English: the chrome and every panel, no Chinese left.
	for _, tab := range []string{"#tab-cities", "#tab-pstats", "#tab-map"} {
		if tab == "#tab-cities" {
			clickUntil(t, ctx, "switch to English", "#lang-switch", `document.documentElement.lang === 'en' && document.querySelector('#tab-cities').textContent === 'Cities'`)
		} else {
			clickUntil(t, ctx, "open "+tab+" in English", tab, fmt.Sprintf(`document.querySelector(%q).getAttribute('aria-selected') === 'true' && !document.querySelector('#side').textContent.includes('…')`, tab))
		}
		text := waitFor[string](t, ctx, "the English panel", `(() => { const s = document.querySelector('#side').innerText; if (s.length < 20 || /Loading|加载/.test(s)) return false;
			// The chrome without the user's name (data) and the switch back (中文).
			const top = [...document.querySelectorAll('#top .brand, #top nav, #top button:not(#lang-switch)')].map((e) => e.innerText);
			return [...top, s, document.querySelector('#status').innerText].join('\n'); })()`)
		if han := regexp.MustCompile(`\p{Han}+`).FindAllString(text, -1); len(han) > 0 {
			t.Errorf("%s in English still shows %q", tab, han)
		}
	}

	paths, failed := requests()
	if len(failed) > 0 {
		t.Errorf("failed requests: %v", failed)
	}
	tiles := 0
	for _, p := range paths {
		switch {
		case strings.HasPrefix(p, "/api/v1/province/tiles/"):
			tiles++
		case p == "/" || p == "/config.json" || strings.HasPrefix(p, "/assets/") || strings.HasPrefix(p, "/api/v1/auth/") || strings.HasPrefix(p, "/api/v1/province/"):
		default:
			t.Errorf("the province console asked %s, which is not a province route", p)
		}
	}
	if tiles == 0 {
		t.Errorf("no province tile among the requests %v", paths)
	}
}

// lastDay is the last day (YYYY-MM-DD) of month m (YYYY-MM).
func lastDay(t *testing.T, m string) string {
	t.Helper()
	first, err := time.Parse("2006-01", m)
	if err != nil {
		t.Fatalf("month %q: %v", m, err)
	}
	return first.AddDate(0, 1, -1).Format("2006-01-02")
}
