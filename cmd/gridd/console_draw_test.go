package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsoleGridDrawNew: a grid of the village is ended through the API
// (accept_gaps: its area becomes a gap); the center draws a new grid in the
// console by clicking the gap's corners, each snapped to the neighbours'
// vertices or the village's outline; the preview is clean, the save creates
// one numbered grid (version 1) covering the old grid's area, and the audit
// of the village is clean again.
func TestConsoleGridDrawNew(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t)
	tok := ta.login("center")
	a, b := ta.neighbours(guardVillage)

	var feat struct {
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates [][][][]float64 `json:"coordinates"`
		} `json:"geometry"`
	}
	res := ta.do("GET", "/api/v1/grids/"+b, tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("get %s: %d %s", b, res.Status, res.Body)
	}
	res.decode(t, &feat)
	if feat.Geometry.Type != "MultiPolygon" || len(feat.Geometry.Coordinates) != 1 || len(feat.Geometry.Coordinates[0]) != 1 {
		t.Fatalf("grid %s is not one polygon without holes: %s", b, res.Body)
	}
	ring := feat.Geometry.Coordinates[0][0]
	end := ta.do("POST", "/api/v1/grids/edits", tok, map[string]any{
		"edits": []map[string]any{{"code": b, "version": ta.version(b), "end": true}}, "accept_gaps": true}, nil)
	if end.Status != 200 {
		t.Fatalf("end %s: %d %s", b, end.Status, end.Body)
	}

	login(t, ctx, ta.srv.URL, "center")
	waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
	clickGrid(t, ctx, a)
	waitShort[bool](t, ctx, "grid selected", fmt.Sprintf(`window.__gridd.state.map.selected === %q`, a))
	cdpDo(t, ctx, "start editing", chromedp.Click(chromedp.CSS("#edit-start")))
	waitShort[bool](t, ctx, "the village in the editor", fmt.Sprintf(`window.__gridd.editor.codes().includes(%q) && !window.__gridd.editor.codes().includes(%q) && !!document.querySelector('#edit-draw-grid')`, a, b))
	cdpDo(t, ctx, "close the card", chromedp.Click(chromedp.CSS("#card-close")))
	before := cdpGet(t, ctx, "codes", chromedp.Evaluate[[]string](`window.__gridd.editor.codes()`))

	cdpDo(t, ctx, "draw a new grid", chromedp.Click(chromedp.CSS("#edit-draw-grid")))
	waitShort[bool](t, ctx, "draw mode", `!!window.__gridd.editor.draw`)
	// Click every corner of the gap (the closing point finishes the polygon).
	for i, p := range ring {
		xy := cdpGet(t, ctx, "corner pixel", chromedp.Evaluate[[]float64](fmt.Sprintf(`window.__gridd.editor.pixelOfLonLat([%v, %v])`, p[0], p[1])))
		cdpDo(t, ctx, fmt.Sprintf("click corner %d", i), chromedp.MouseClickXY(xy[0], xy[1]))
	}
	waitShort[bool](t, ctx, "the drawn grid", `(() => { const e = window.__gridd.editor.edits(); return e.length === 1 && !e[0].code && !window.__gridd.editor.draw })()`)
	cdpDo(t, ctx, "preview", chromedp.Click(chromedp.CSS("#edit-preview")))
	waitShort[bool](t, ctx, "a clean preview", `document.querySelector('#edit-status').textContent.includes('拓扑检查通过')`)
	cdpDo(t, ctx, "save", chromedp.Click(chromedp.CSS("#edit-save")))
	fresh := waitShort[string](t, ctx, "the new grid", fmt.Sprintf(`(() => { const c = window.__gridd.editor.codes().filter((x) => !%s.includes(x)); return document.querySelector('#edit-status').textContent.includes('已保存') && c.length === 1 ? c[0] : false })()`, jsArray(before)))
	if ta.version(fresh) != 1 {
		t.Fatalf("new grid %s has version %d", fresh, ta.version(fresh))
	}
	var diff float64
	if err := ta.db.Pool.QueryRow(context.Background(), `
SELECT ST_Area(ST_SymDifference(n.geom, o.geom)::geography) FROM grid_versions n, grid_versions o
WHERE n.code = $1 AND n.valid_to IS NULL AND o.code = $2 AND o.valid_to IS NOT NULL
ORDER BY o.version DESC LIMIT 1`, fresh, b).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff > 1 {
		t.Errorf("the drawn grid %s differs from the ended %s by %.1f m²", fresh, b, diff)
	}
	ta.auditClean(tok, guardVillage)
}

func jsArray(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf("%q", x)
	}
	return out + "]"
}
