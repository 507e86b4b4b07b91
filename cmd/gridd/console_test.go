package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/workday"
)

// The browser tests drive Debian's chromium (headless) through the real
// console served by the real wiring. A missing chromium or npm fails them.

var bundleOnce sync.Once
var bundleErr error

// consoleDist returns web/dist, building the bundle first when
// web/dist/index.html is missing (a clean clone where `make` did not run).
func consoleDist(t testing.TB) string {
	t.Helper()
	web, err := filepath.Abs(filepath.Join("..", "..", "web"))
	if err != nil {
		t.Fatal(err)
	}
	bundleOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(web, "dist", "index.html")); err == nil {
			return
		}
		for _, args := range [][]string{{"npm", "ci", "--no-audit", "--no-fund"}, {"npm", "run", "build"}} {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = web
			out, err := cmd.CombinedOutput()
			if err != nil {
				bundleErr = fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if bundleErr != nil {
		t.Fatalf("build the console bundle: %v", bundleErr)
	}
	return filepath.Join(web, "dist")
}

// newConsoleApp is newTestApp serving the console from web/dist on disk, so
// the test sees the bundle even when the binary was compiled before it.
func newConsoleApp(t testing.TB) *testApp { return newConsoleAppAt(t, nil) }

// newConsoleAppAt is newConsoleApp on the clock now (nil: the real one).
func newConsoleAppAt(t testing.TB, now func() time.Time) *testApp {
	t.Helper()
	url := dbtest.URL(t, dbtest.NewDemo(t))
	c := Config{DatabaseURL: url, StatementTimeout: 30 * time.Second, TokenTTL: time.Hour, MaxBody: 1 << 20, WebDir: consoleDist(t), Now: now}
	return serveTestApp(t, c)
}

// artifact writes a screenshot under test-artifacts/ (git-ignored).
func artifact(t testing.TB, name string, png []byte) {
	t.Helper()
	dir := filepath.Join("..", "..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cdpTimeout bounds one browser step: a page that never shows what a step
// waits for fails the test instead of hanging it (waitFor's polls end at 4
// minutes, within this).
const cdpTimeout = 5 * time.Minute

func cdpGet[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, cdpTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func cdpDo(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, cdpTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls a JavaScript expression until it is truthy.
func waitFor[T any](t testing.TB, ctx context.Context, what, expr string) T {
	t.Helper()
	start := time.Now()
	defer func() { t.Logf("waited %v for %s", time.Since(start).Round(time.Millisecond), what) }()
	return cdpGet(t, ctx, "wait for "+what, chromedp.Poll[T](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(4*time.Minute)))
}

func login(t testing.TB, ctx context.Context, base, username string) {
	t.Helper()
	cdpDo(t, ctx, "open the console",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), dbtest.DemoPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
	)
	waitFor[bool](t, ctx, "the console after login", `window.__gridd && window.__gridd.ready === true`)
}

// mapPixels screenshots the map and counts the pixels that differ from its
// background, and those in the basic grids' blue (stroke and fill).
// mapPixels screenshots the map until enough of it is drawn (the
// drawn share of pixels reaching minDrawn of total and the blue share
// minBlue) or 20 s have passed — vector tiles may still be painting after
// the first rendered frame — and returns the last screenshot's counts.
func mapPixels(t *testing.T, ctx context.Context, name string, minDrawn, minBlue float64) (drawn, blue, total int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		shot := cdpGet(t, ctx, "screenshot the map", chromedp.Screenshot(chromedp.CSS("#map")))
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		drawn, blue, total = countPixels(img)
		if (float64(drawn) >= minDrawn*float64(total) && float64(blue) >= minBlue*float64(total)) || time.Now().After(deadline) {
			artifact(t, name, shot)
			return drawn, blue, total
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func countPixels(img image.Image) (drawn, blue, total int) {
	b := img.Bounds()
	const bgR, bgG, bgB = 0xee, 0xf2, 0xf7 // .map background
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			total++
			if absDiff(r, bgR)+absDiff(g, bgG)+absDiff(bl, bgB) > 24 {
				drawn++
			}
			if bl > r+20 && bl >= g {
				blue++
			}
		}
	}
	return drawn, blue, total
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// clickGrid clicks the map at an interior point of the grid.
func clickGrid(t *testing.T, ctx context.Context, code string) {
	t.Helper()
	xy := cdpGet(t, ctx, "locate grid "+code+" on screen", chromedp.Evaluate[[]float64](fmt.Sprintf(`window.__gridd.screenPointOf(%q)`, code), chromedp.EvalAwaitPromise))
	if len(xy) != 2 {
		t.Fatalf("grid %s has no point on screen", code)
	}
	cdpDo(t, ctx, "click grid "+code, chromedp.MouseClickXY(xy[0], xy[1]))
}

func level3Codes(t *testing.T, ta *testApp, token string) []string {
	t.Helper()
	var fc struct {
		Features []struct {
			Properties struct {
				Code string `json:"code"`
			} `json:"properties"`
		} `json:"features"`
	}
	ta.do("GET", "/api/v1/grids?level=3&limit=1000", token, nil, nil).decode(t, &fc)
	var codes []string
	for _, f := range fc.Features {
		codes = append(codes, f.Properties.Code)
	}
	slices.Sort(codes)
	return codes
}

// TestConsoleCenterAndWorker logs in as the center, checks the 26 demo grids
// are drawn (the map's features and the rendered pixels), opens a grid card,
// switches to English, then logs in as a worker who sees only its grid.
func TestConsoleCenterAndWorker(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t)
	base := ta.srv.URL

	// The center: every basic grid drawn.
	login(t, ctx, base, "center")
	want := level3Codes(t, ta, ta.login("center"))
	if len(want) != 26 {
		t.Fatalf("demo town has %d basic grids, want 26", len(want))
	}
	drawn := waitFor[[]string](t, ctx, "26 basic grids drawn", `(() => { const c = window.__gridd.drawnGrids(3); return c.length >= 26 ? c : false })()`)
	if !slices.Equal(drawn, want) {
		t.Errorf("drawn basic grids %v, want %v", drawn, want)
	}
	waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
	px, blue, total := mapPixels(t, ctx, "console-center-zh.png", 0.25, 0.05)
	if px < total/4 {
		t.Errorf("only %d of %d map pixels differ from the background: the grids are not drawn", px, total)
	}
	if blue < total/20 {
		t.Errorf("only %d of %d map pixels are grid blue", blue, total)
	}
	title := cdpGet(t, ctx, "tab label", chromedp.Text(chromedp.CSS("#tab-map")))
	if title != "图层" {
		t.Errorf("default language: layers tab reads %q, want 图层", title)
	}

	// A grid card with the registry's figures and the people on duty.
	code := ownGrid
	var g struct {
		Properties struct {
			Households int `json:"households"`
			Population int `json:"population"`
			Counts     struct {
				Households int `json:"households"`
				People     int `json:"people"`
			} `json:"counts"`
			People []struct {
				Name string `json:"name"`
			} `json:"people"`
		} `json:"properties"`
	}
	ta.do("GET", "/api/v1/grids/"+code, ta.login("center"), nil, nil).decode(t, &g)
	clickGrid(t, ctx, code)
	got := waitFor[string](t, ctx, "the grid card", `(() => { const e = document.querySelector('#grid-code'); return e ? e.textContent : false })()`)
	if got != code {
		t.Fatalf("grid card shows %q, want %s", got, code)
	}
	hh := cdpGet(t, ctx, "households", chromedp.Text(chromedp.CSS("#grid-households")))
	if strings.ReplaceAll(hh, ",", "") != fmt.Sprint(g.Properties.Households) {
		t.Errorf("card households %q, want %d", hh, g.Properties.Households)
	}
	rc := strings.ReplaceAll(cdpGet(t, ctx, "register counts", chromedp.Text(chromedp.CSS("#grid-register-counts"))), ",", "")
	if want := fmt.Sprintf("%d 户 · %d 人", g.Properties.Counts.Households, g.Properties.Counts.People); !strings.Contains(rc, want) {
		t.Errorf("card register counts %q, want %q", rc, want)
	}
	people := cdpGet(t, ctx, "people on duty", chromedp.Text(chromedp.CSS("#grid-people")))
	if len(g.Properties.People) == 0 {
		t.Fatalf("demo grid %s has nobody on duty", code)
	}
	for _, p := range g.Properties.People {
		if !strings.Contains(people, p.Name) {
			t.Errorf("card's people %q lack %s", people, p.Name)
		}
	}
	if !strings.Contains(people, "网格员") {
		t.Errorf("card's people %q do not name the role 网格员", people)
	}
	artifact(t, "console-grid-card-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// English.
	cdpDo(t, ctx, "switch to English", chromedp.Click(chromedp.CSS("#lang-switch")))
	waitFor[bool](t, ctx, "English labels", `document.querySelector('#tab-map').textContent === 'Layers'`)
	// The card is rebuilt in the new language (after a fetch): wait for it.
	card := waitFor[string](t, ctx, "the card in English",
		`(() => { const c = document.querySelector('#card'); return c && !c.querySelector('[aria-busy="true"]') && c.textContent.includes('On duty') ? c.innerText : false })()`)
	for _, w := range []string{"Households", "Population", "On duty", "Grid worker"} {
		if !strings.Contains(card, w) {
			t.Errorf("English card lacks %q: %q", w, card)
		}
	}
	if lang := cdpGet(t, ctx, "html lang", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
		t.Errorf("html lang %q after the switch, want en", lang)
	}
	artifact(t, "console-grid-card-en.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// The worker: only its own grid.
	cdpDo(t, ctx, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#username")))
	login(t, ctx, base, ownGrid)
	waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
	mine := cdpGet(t, ctx, "worker's grids", chromedp.Evaluate[[]string](`window.__gridd.drawnGrids(3)`))
	if !slices.Equal(mine, []string{ownGrid}) {
		t.Errorf("worker sees basic grids %v, want only %s", mine, ownGrid)
	}
	all := cdpGet(t, ctx, "worker's features", chromedp.Evaluate[int](`window.__gridd.featureCount()`))
	if all != 1 {
		t.Errorf("worker's map holds %d grid features, want 1", all)
	}
	px, _, total = mapPixels(t, ctx, "console-worker-en.png", 0.10, 0)
	if px < total/10 {
		t.Errorf("worker's map: only %d of %d pixels drawn", px, total)
	}
	if lang := cdpGet(t, ctx, "lang kept", chromedp.Text(chromedp.CSS("#tab-map"))); lang != "Layers" {
		t.Errorf("the language choice was not kept across logins: %q", lang)
	}
	// The patrol cells layer (coverage tiles from zoom 13): the worker's
	// own grid's cells this month, and nobody else's.
	cdpDo(t, ctx, "show patrol cells", chromedp.Click(chromedp.CSS("#layer-cells")))
	cdpGet(t, ctx, "zoom to the grid", chromedp.Evaluate[bool](fmt.Sprintf(`(window.__gridd.state.map.selectGrid(%q, true), true)`, ownGrid)))
	cells := waitFor[map[string]int](t, ctx, "patrol cells drawn",
		`(() => { const c = window.__gridd.drawnCells(); return c && Object.values(c).reduce((a, b) => a + b, 0) >= 300 ? c : false })()`)
	for k := range cells {
		if !strings.HasPrefix(k, ownGrid+" ") {
			t.Errorf("worker's map shows cells of %q", k)
		}
	}
	artifact(t, "console-worker-cells.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
}

// TestConsoleTablet checks the console at a tablet's size: the map still
// draws every grid next to the stacked panel.
func TestConsoleTablet(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t)
	cdpDo(t, ctx, "tablet viewport", chromedp.EmulateViewport(820, 1180, chromedp.EmulateTouch))
	login(t, ctx, ta.srv.URL, "center")
	waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
	n := waitFor[int](t, ctx, "grids drawn", `window.__gridd.drawnGrids(3).length`)
	if n != 26 {
		t.Errorf("tablet: %d basic grids drawn, want 26", n)
	}
	px, _, total := mapPixels(t, ctx, "console-tablet.png", 0.25, 0)
	if px < total/4 {
		t.Errorf("tablet: only %d of %d map pixels drawn", px, total)
	}
	artifact(t, "console-tablet-full.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
}

// TestConsoleCaseDispatch opens an accepted demo case from the cases list,
// dispatches it to the suggested unit through the case card (the real
// workflow: POST /transitions with If-Match) and watches its status change
// in the list.
func TestConsoleCaseDispatch(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	tok := ta.login("center")
	var list struct {
		Cases []struct {
			ID         int64  `json:"id"`
			Status     string `json:"status"`
			Suggestion *struct {
				LeadUnit string `json:"lead_unit"`
			} `json:"suggestion"`
			Allowed []string `json:"allowed_actions"`
		} `json:"cases"`
	}
	ta.do("GET", "/api/v1/cases?status=accepted&limit=50", tok, nil, nil).decode(t, &list)
	var id int64
	var lead string
	for _, c := range list.Cases {
		if c.Suggestion != nil && slices.Contains(c.Allowed, "dispatch") {
			id, lead = c.ID, c.Suggestion.LeadUnit
			break
		}
	}
	if id == 0 {
		t.Fatalf("the demo has no accepted case with a routing suggestion to dispatch: %+v", list.Cases)
	}

	ctx := browser(t)
	login(t, ctx, ta.srv.URL, "center")
	before := checkInboxBadge(t, ctx, ta, tok, -1)
	cdpDo(t, ctx, "open the cases list", chromedp.Click(chromedp.CSS("#tab-cases")))
	// The list is paged (50 a page, newest first): the accepted case is found
	// through the state filter, as an operator would.
	waitFor[bool](t, ctx, "the first page", `!!document.querySelector('#cases-table')`)
	cdpDo(t, ctx, "filter by state", chromedp.SetValue(chromedp.CSS("#f-status"), "accepted"), chromedp.Click(chromedp.CSS("#f-search")))
	row := fmt.Sprintf(`#cases-table tr[data-id="%d"]`, id)
	waitFor[bool](t, ctx, "the case in the list", fmt.Sprintf(`!!document.querySelector(%q)`, row))
	if st := cdpGet(t, ctx, "row status", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).dataset.status`, row))); st != "accepted" {
		t.Fatalf("list shows case %d as %q, want accepted", id, st)
	}
	// The list may draw itself again (the counts arrive after the page):
	// a click on the row being replaced is retried.
	clickUntil(t, ctx, "open the case", row+" button", `!!document.querySelector('#act-dispatch')`)
	unit := waitFor[string](t, ctx, "the suggested unit preselected", `(() => { const s = document.querySelector('#case-actions select'); return s && s.value ? s.value : false })()`)
	if unit != lead {
		t.Errorf("dispatch preselects %q, want the routing suggestion %q", unit, lead)
	}
	if n := cdpGet(t, ctx, "timeline", chromedp.Evaluate[int](`document.querySelectorAll('#case-timeline li').length`)); n < 2 {
		t.Errorf("case timeline shows %d entries, want the report and the acceptance at least", n)
	}
	artifact(t, "console-case-card.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	cdpDo(t, ctx, "dispatch", chromedp.Click(chromedp.CSS("#act-dispatch")))
	waitFor[bool](t, ctx, "the card's new status", `document.querySelector('#card .card-body').dataset.status === 'dispatched'`)
	// The list shows accepted cases only: the dispatched case leaves it, and
	// the counts per state (GET /api/v1/cases/summary) follow.
	waitFor[bool](t, ctx, "the case leaving the accepted list", fmt.Sprintf(`!document.querySelector(%q) && !!document.querySelector('#cases-table, #case-list p')`, row))
	waitFor[bool](t, ctx, "the dispatched count", `!!document.querySelector('#case-summary .chip[data-key="dispatched"]')`)
	artifact(t, "console-case-dispatched.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	// The to-do badge follows the user's own dispatch (one fewer to
	// review) and a streamed event (a new report).
	checkInboxBadge(t, ctx, ta, tok, before-1)
	ta.report(ta.login(ownGrid), reportBody("0104", pointIn(ownGrid, 61, 30)), nil)
	cdpGet(t, ctx, "a streamed event", chromedp.Evaluate[bool](`window.dispatchEvent(new CustomEvent('gridd:event', { detail: { kind: 'case.created' } }))`))
	checkInboxBadge(t, ctx, ta, tok, before)

	var c struct {
		Status   string `json:"status"`
		LeadUnit string `json:"lead_unit"`
		Timeline []struct {
			Action string `json:"action"`
		} `json:"timeline"`
	}
	ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), tok, nil, nil).decode(t, &c)
	if c.Status != "dispatched" || c.LeadUnit != lead {
		t.Errorf("after the console's dispatch the case is %s to %q, want dispatched to %q", c.Status, c.LeadUnit, lead)
	}
	if last := c.Timeline[len(c.Timeline)-1].Action; last != "dispatch" {
		t.Errorf("last timeline entry %q, want dispatch", last)
	}

	// Statistics: one chart bar and one table row per group of the API's answer.
	var st struct {
		Groups []struct {
			Key      string `json:"key"`
			Reported int    `json:"reported"`
		} `json:"groups"`
	}
	today := time.Now().In(workday.Shanghai()).Format("2006-01-02")
	ta.do("GET", "/api/v1/stats/cases?from="+today[:5]+"01-01&to="+today+"&group_by=unit", tok, nil, nil).decode(t, &st)
	if len(st.Groups) == 0 {
		t.Fatal("the demo's case statistics have no groups")
	}
	cdpDo(t, ctx, "close the card", chromedp.Click(chromedp.CSS("#card-close")))
	cdpDo(t, ctx, "open the statistics", chromedp.Click(chromedp.CSS("#tab-stats")))
	rows := waitFor[int](t, ctx, "the statistics table", `document.querySelectorAll('#stats-table tbody tr').length`)
	if rows != len(st.Groups) {
		t.Errorf("statistics table has %d rows, want %d groups", rows, len(st.Groups))
	}
	bars := cdpGet(t, ctx, "chart bars", chromedp.Evaluate[int](`document.querySelector('#stats-out svg.chart').querySelectorAll('rect').length`))
	if bars != len(st.Groups) {
		t.Errorf("reported-cases chart has %d bars, want %d", bars, len(st.Groups))
	}
	artifact(t, "console-stats.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// Audits: the topology audit's counts as the API gives them.
	cdpDo(t, ctx, "open the audits", chromedp.Click(chromedp.CSS("#tab-audits")))
	audit := waitFor[string](t, ctx, "the topology audit", `(() => { const e = document.querySelector('#audit-topology p'); return e ? e.textContent : false })()`)
	if !strings.Contains(audit, "缝隙") && !strings.Contains(audit, "未发现问题") {
		t.Errorf("topology audit summary %q names neither gaps nor a clean result", audit)
	}
	cdpDo(t, ctx, "open the patrols", chromedp.Click(chromedp.CSS("#tab-patrols")))
	cov := waitFor[string](t, ctx, "the patrol coverage audit", `document.querySelector('#audit-coverage').dataset.loaded || false`)
	if cov != "ok" {
		t.Errorf("patrol coverage audit: %s", cov)
	}
	// The test demo's tracks are in its fixed patrol month: picking that
	// month redraws the audit with patrolled days.
	prevMonth := demo.DemoPatrolMonth.Format("2006-01")
	cdpGet(t, ctx, "pick the patrol month", chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { const m = document.querySelector('#p-month'); m.value = %q; m.dispatchEvent(new Event('change')); return true })()`, prevMonth)))
	patrolled := waitFor[int](t, ctx, "the audit of "+prevMonth, fmt.Sprintf(`(() => {
		const s = document.querySelector('#audit-coverage');
		if (!s || s.dataset.loaded !== 'ok' || !s.textContent.includes(%q)) return false;
		return [...s.querySelectorAll('#patrol-table tbody tr')].filter((tr) => !tr.querySelector('td.num').textContent.startsWith('0/')).length || -1 })()`, prevMonth))
	if patrolled < 20 {
		t.Errorf("audit of %s: %d workers with patrolled days, want most of the 26", prevMonth, patrolled)
	}
	artifact(t, "console-audits.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// Assessments, where the server has them: the month's table, one row per worker.
	if hasRoute(t, ta, "GET /api/v1/assessments") {
		var as struct {
			Workers []json.RawMessage `json:"workers"`
		}
		month := today[:7]
		ta.do("GET", "/api/v1/assessments?month="+month, tok, nil, nil).decode(t, &as)
		cdpDo(t, ctx, "open the assessments", chromedp.Click(chromedp.CSS("#tab-assessments")))
		n := waitFor[int](t, ctx, "the assessment table", `(() => { const r = document.querySelectorAll('#assessment-table tbody tr'); return r.length || (document.querySelector('#assessment-out p') ? -1 : false) })()`)
		if len(as.Workers) > 0 && n != len(as.Workers) {
			t.Errorf("assessment table has %d rows, want %d workers", n, len(as.Workers))
		}
		artifact(t, "console-assessments.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	}
}

// hasRoute tells whether the server registers the route ("METHOD /pattern").
func hasRoute(t *testing.T, ta *testApp, route string) bool {
	t.Helper()
	found := false
	err := chi.Walk(ta.server(Config{}).Router(), func(method, r string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method+" "+r == route {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// clickUntil clicks sel until cond (a JavaScript expression) holds, at
// most three times: a list drawn again between finding a node and clicking
// it makes the click fail or land on a node that is gone.
func clickUntil(t testing.TB, ctx context.Context, what, sel, cond string) {
	t.Helper()
	actUntil(t, ctx, what, chromedp.Click(chromedp.CSS(sel)), cond)
}

// actUntil runs act (a click or a tap) until cond holds, at most three
// times; a failed act ("Could not find node with given id": the page drew
// the node again) is tried again too.
func actUntil(t testing.TB, ctx context.Context, what string, act chromedp.Action[chromedp.Void], cond string) {
	t.Helper()
	var last error
	for try := 0; try < 3; try++ {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		last = chromedp.Do(cctx, act)
		cancel()
		if last == nil {
			ok, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
			if err == nil && ok {
				return
			}
			last = err
		}
	}
	t.Fatalf("%s: %s never held (last: %v)", what, cond, last)
}
