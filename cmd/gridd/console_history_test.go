package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridd/gridd/internal/workday"
)

// TestConsoleCarveAndHistory: the center carves a new grid out of a grid
// in the console editor (a polygon drawn inside it), previews (clean, the
// server clipped it), saves; the new grid exists, the old one lost that
// area and the audit stays clean. Then the history view compares
// yesterday with tomorrow: the map shows the grid as it was (outlined) and
// both grids as they are, and the list names one added and one changed;
// after a road section is renamed by an import, comparing the road
// sections names it with its two versions.
func TestConsoleCarveAndHistory(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t)
	tok := ta.login("center")
	a, _ := ta.neighbours(guardVillage)
	va := ta.version(a)
	area0 := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, a)
	var lon, lat float64
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Buffer(`+cur(a)+`::geography, -150)::geometry) AS p) q`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	ring := [][2]float64{{lon - 0.0008, lat - 0.0006}, {lon + 0.0008, lat - 0.0006}, {lon + 0.0008, lat + 0.0006}, {lon - 0.0008, lat + 0.0006}, {lon - 0.0008, lat - 0.0006}}
	square := ta.sqlFloat(fmt.Sprintf(`SELECT ST_Area(ST_MakeEnvelope(%v, %v, %v, %v, 4326)::geography)`, ring[0][0], ring[0][1], ring[2][0], ring[2][1]))

	login(t, ctx, ta.srv.URL, "center")
	waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
	clickGrid(t, ctx, a)
	waitShort[bool](t, ctx, "grid selected", fmt.Sprintf(`window.__gridd.state.map.selected === %q`, a))
	cdpDo(t, ctx, "start editing", chromedp.Click(chromedp.CSS("#edit-start")))
	waitShort[bool](t, ctx, "the village in the editor", fmt.Sprintf(`window.__gridd.editor.codes().includes(%q) && !!document.querySelector('#edit-carve')`, a))
	cdpDo(t, ctx, "close the card", chromedp.Click(chromedp.CSS("#card-close")))
	cdpDo(t, ctx, "choose the grid", chromedp.SetValue(chromedp.CSS("#edit-a"), a))
	cdpDo(t, ctx, "carve", chromedp.Click(chromedp.CSS("#edit-carve")))
	waitShort[bool](t, ctx, "draw mode", `!!window.__gridd.editor.draw`)
	for i, p := range ring {
		xy := cdpGet(t, ctx, "corner pixel", chromedp.Evaluate[[]float64](fmt.Sprintf(`window.__gridd.editor.pixelOfLonLat([%v, %v])`, p[0], p[1])))
		cdpDo(t, ctx, fmt.Sprintf("click corner %d", i), chromedp.MouseClickXY(xy[0], xy[1]))
	}
	waitShort[bool](t, ctx, "the carved grid", fmt.Sprintf(`(() => { const e = window.__gridd.editor.edits(); return e.length === 2 && e.some((x) => x.code === %q) && e.some((x) => !x.code) })()`, a))
	cdpDo(t, ctx, "preview", chromedp.Click(chromedp.CSS("#edit-preview")))
	waitShort[bool](t, ctx, "a clean preview", `document.querySelector('#edit-status').textContent.includes('拓扑检查通过')`)
	cdpDo(t, ctx, "save", chromedp.Click(chromedp.CSS("#edit-save")))
	fresh := waitShort[string](t, ctx, "the new grid", fmt.Sprintf(`(() => { const c = window.__gridd.editor.codes().filter((x) => x !== %q && !x.endsWith('000') && x.startsWith(%q)); return document.querySelector('#edit-status').textContent.includes('已保存') ? c.filter((x) => !%s.includes(x))[0] || false : false })()`, a, guardVillage[:12], jsArray(ta.codesUnder(guardVillage, a))))
	if ta.version(fresh) != 1 || ta.version(a) != va+1 {
		t.Fatalf("after the carve: %s version %d, %s version %d", fresh, ta.version(fresh), a, ta.version(a))
	}
	got := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, fresh)
	if !nearArea(got, square, 0.01) {
		t.Errorf("the carved grid has %.1f m², the drawn square %.1f", got, square)
	}
	if rest := ta.sqlFloat(`SELECT area_m2 FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, a); !nearArea(rest, area0-got, 0.001) {
		t.Errorf("%s kept %.1f m², want %.1f", a, rest, area0-got)
	}
	ta.auditClean(tok, guardVillage)

	// History: yesterday against tomorrow (Shanghai dates).
	today := time.Now().In(workday.Shanghai())
	cdpDo(t, ctx, "the dates",
		chromedp.SetValue(chromedp.CSS("#history-from"), today.AddDate(0, 0, -1).Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS("#history-to"), today.AddDate(0, 0, 1).Format("2006-01-02")))
	cdpDo(t, ctx, "compare", chromedp.Click(chromedp.CSS("#history-show")))
	waitShort[bool](t, ctx, "the comparison", `document.querySelector('#history-status').textContent.includes('新增 1') && document.querySelector('#history-status').textContent.includes('变更 1')`)
	items := cdpGet(t, ctx, "the list", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#history-list li')].map((li) => li.className + ':' + li.dataset.code)`))
	if len(items) != 2 || !(items[0] == "history-changed:"+a && items[1] == "history-added:"+fresh) {
		t.Errorf("history list %v, want %s changed and %s added", items, a, fresh)
	}
	drawn := cdpGet(t, ctx, "the history layer", chromedp.Evaluate[[]string](`(() => { const h = window.__gridd.history;
  if (!window.__gridd.state.map.map.getLayers().getArray().includes(h.layer)) return [];
  return h.source.getFeatures().map((f) => f.get('side') + ':' + f.get('change') + ':' + f.get('code')).sort(); })()`))
	want := []string{"after:added:" + fresh, "after:changed:" + a, "before:changed:" + a}
	if fmt.Sprint(drawn) != fmt.Sprint(want) {
		t.Errorf("history layer %v, want %v", drawn, want)
	}

	// The road sections: one renamed through an import, then compared.
	admin := ta.login("admin")
	var roads struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}
	ta.do("GET", "/api/v1/layers/roads/export", admin, nil, nil).decode(t, &roads)
	renamed := roads.Features[0]["properties"].(map[string]any)
	renamed["name"] = "改名路段"
	if res := ta.do("POST", "/api/v1/layers/roads/import", admin, roads, nil); res.Status != 201 {
		t.Fatalf("roads import: %d %s", res.Status, res.Body)
	}
	cdpDo(t, ctx, "compare roads", chromedp.SetValue(chromedp.CSS("#history-what"), "roads"), chromedp.Click(chromedp.CSS("#history-show")))
	waitShort[bool](t, ctx, "the road comparison", `document.querySelector('#history-status').textContent.includes('新增 0，撤销 0，变更 1')`)
	items = cdpGet(t, ctx, "the road list", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#history-list li')].map((li) => li.className + ':' + li.dataset.code + ':' + li.textContent)`))
	if len(items) != 1 || items[0] != fmt.Sprintf("history-changed:%s:变更 %s 改名路段：版本 1 → 2", renamed["code"], renamed["code"]) {
		t.Errorf("road history list %v", items)
	}
}

// codesUnder lists the current children of parent other than except.
func (ta *testApp) codesUnder(parent, except string) []string {
	ta.t.Helper()
	var out []string
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM grid_versions
WHERE parent_code = $1 AND valid_to IS NULL AND code <> $2`, parent, except).Scan(&out); err != nil {
		ta.t.Fatal(err)
	}
	return out
}
