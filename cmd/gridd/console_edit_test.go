package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// drag presses the mouse at from, moves it to to in steps and releases it.
func drag(from, to []float64) []chromedp.Action[chromedp.Void] {
	held := func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, from[0], from[1]),
		chromedp.MouseEvent(chromedp.MousePressed, from[0], from[1], chromedp.ButtonLeft, chromedp.ClickCount(1), held)}
	for i := 1; i <= 8; i++ {
		x, y := from[0]+(to[0]-from[0])*float64(i)/8, from[1]+(to[1]-from[1])*float64(i)/8
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x, y, chromedp.ButtonLeft, held))
	}
	return append(steps, chromedp.MouseEvent(chromedp.MouseReleased, to[0], to[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
}

// waitShort is waitFor with a 20 s limit; on a timeout it names the
// editor's status line.
func waitShort[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#edit-status') || {}).textContent || ''`))
		t.Fatalf("wait for %s: %v (editor status %q)", what, err, status)
	}
	return v
}

// TestConsoleGridEditing: the center edits the grids of a village in the
// console: drags a vertex two grids share and both change; the preview
// (the guard's dry run) is clean; the save writes both in one request and
// the audit stays clean. Then splits a grid along a drawn line (a new grid)
// and merges it back (the new grid ends), each saved and audited clean.
func TestConsoleGridEditing(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t)
	tok := ta.login("center")
	a, b := ta.neighbours(guardVillage)
	va, vb := ta.version(a), ta.version(b)

	login(t, ctx, ta.srv.URL, "center")
	waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
	clickGrid(t, ctx, a)
	waitShort[bool](t, ctx, "grid selected", fmt.Sprintf(`window.__gridd.state.map.selected === %q`, a))
	cdpDo(t, ctx, "start editing", chromedp.Click(chromedp.CSS("#edit-start")))
	waitShort[bool](t, ctx, "the village in the editor", fmt.Sprintf(`window.__gridd.editor.codes().includes(%q) && !!document.querySelector('#edit-save')`, b))

	cdpDo(t, ctx, "close the card", chromedp.Click(chromedp.CSS("#card-close")))
	// Drag a shared vertex 20 px.
	v := waitShort[map[string]any](t, ctx, "a shared vertex on screen", fmt.Sprintf(`window.__gridd.editor.sharedVertexPixel(%q, %q) || false`, a, b))
	xy := v["xy"].([]any)
	from := []float64{xy[0].(float64), xy[1].(float64)}
	cdpDo(t, ctx, "drag the shared vertex", drag(from, []float64{from[0] + 20, from[1] + 12})...)
	changed := waitShort[[]any](t, ctx, "both grids changed", `(() => { const e = window.__gridd.editor.edits(); return e.length >= 2 ? e.map((x) => x.code) : false })()`)
	if len(changed) != 2 || !(changed[0] == a && changed[1] == b || changed[0] == b && changed[1] == a) {
		t.Fatalf("changed grids %v, want %s and %s", changed, a, b)
	}
	cdpDo(t, ctx, "preview", chromedp.Click(chromedp.CSS("#edit-preview")))
	waitShort[bool](t, ctx, "a clean preview", `document.querySelector('#edit-status').textContent.includes('拓扑检查通过')`)
	cdpDo(t, ctx, "save", chromedp.Click(chromedp.CSS("#edit-save")))
	waitShort[bool](t, ctx, "saved", `!!document.querySelector('#edit-status') && document.querySelector('#edit-status').textContent.includes('已保存')`)
	if ta.version(a) != va+1 || ta.version(b) != vb+1 {
		t.Fatalf("after the save: versions %d, %d; want %d, %d", ta.version(a), ta.version(b), va+1, vb+1)
	}
	ta.auditClean(tok, guardVillage)

	// Split a along a horizontal line through its interior.
	line := waitShort[[]any](t, ctx, "a line across the grid", fmt.Sprintf(`(() => {
  const e = window.__gridd.editor, g = e.source.getFeatureById(%q).getGeometry();
  const ext = g.getExtent(), p = g.getInteriorPoints().getFirstCoordinate(), w = ext[2] - ext[0];
  return [...e.pixelOf([ext[0] - 0.05 * w, p[1]]), ...e.pixelOf([ext[2] + 0.05 * w, p[1]])];
})()`, a))
	cdpDo(t, ctx, "choose the grid", chromedp.SetValue(chromedp.CSS("#edit-a"), a))
	cdpDo(t, ctx, "split", chromedp.Click(chromedp.CSS("#edit-split")))
	cdpDo(t, ctx, "draw the line",
		chromedp.MouseClickXY(line[0].(float64), line[1].(float64)),
		chromedp.MouseClickXY(line[2].(float64), line[3].(float64)))
	waitShort[bool](t, ctx, "split", `window.__gridd.editor.edits().length === 2`)
	cdpDo(t, ctx, "preview", chromedp.Click(chromedp.CSS("#edit-preview")))
	waitShort[bool](t, ctx, "a clean preview of the split", `document.querySelector('#edit-status').textContent.includes('拓扑检查通过')`)
	cdpDo(t, ctx, "save", chromedp.Click(chromedp.CSS("#edit-save")))
	fresh := waitShort[string](t, ctx, "the new grid", fmt.Sprintf(`(() => { const c = window.__gridd.editor.codes().filter((x) => x !== %q && x !== %q && x.startsWith(%q)); return window.__gridd.editor.codes().length === 3 && c.length === 1 ? c[0] : false })()`, a, b, guardVillage[:12]))
	if ta.version(fresh) != 1 || ta.version(a) != va+2 {
		t.Fatalf("after the split: %s version %d, %s version %d", fresh, ta.version(fresh), a, ta.version(a))
	}
	ta.auditClean(tok, guardVillage)

	// Merge the new grid back into a.
	cdpDo(t, ctx, "choose the grids", chromedp.SetValue(chromedp.CSS("#edit-a"), a), chromedp.SetValue(chromedp.CSS("#edit-b"), fresh))
	cdpDo(t, ctx, "merge", chromedp.Click(chromedp.CSS("#edit-merge")))
	waitShort[bool](t, ctx, "merged", `window.__gridd.editor.edits().length === 2`)
	cdpDo(t, ctx, "save", chromedp.Click(chromedp.CSS("#edit-save")))
	waitShort[bool](t, ctx, "saved", `document.querySelector('#edit-status').textContent.includes('1 个撤销')`)
	if codes := cdpGet(t, ctx, "codes", chromedp.Evaluate[[]string](`window.__gridd.editor.codes()`)); len(codes) != 2 || slices.Contains(codes, fresh) {
		t.Errorf("after the merge the editor holds %v", codes)
	}
	if ta.version(a) != va+3 {
		t.Errorf("after the merge: %s version %d, want %d", a, ta.version(a), va+3)
	}
	ta.auditClean(tok, guardVillage)
}
