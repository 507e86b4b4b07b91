package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/people"
)

// allowedLatin are the Latin words the Chinese console may show: the
// language switch (it names the other language in that language), file
// formats and the map's data attribution.
var allowedLatin = map[string]bool{"English": true, "CSV": true, "Excel": true, "GPS": true, "OpenStreetMap": true, "OpenLayers": true}

// englishOnScreen lists the visible Latin words (three letters or more) of
// the page, with the text they are in: text nodes in a rendered element
// and input placeholders.
const englishOnScreen = `(() => {
  const out = [];
  const shown = (el) => {
    for (let e = el; e; e = e.parentElement) {
      if (e.hidden) return false;
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden') return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const scan = (text, el) => {
    for (const w of text.match(/[A-Za-z]{3,}/g) || []) out.push(w + '\t' + text.trim().slice(0, 100) + '\t' + (el.id || el.className || el.tagName));
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest('script, style') || !shown(el)) continue;
    scan(n.textContent, el);
  }
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) if (shown(el)) scan(el.placeholder, el);
  return out;
})()`

// layoutProblems reports a page wider than the viewport, a header taller
// than maxHeader px and a tab whose label takes more than one line.
const layoutProblems = `((maxHeader) => {
  const bad = [];
  const de = document.documentElement;
  if (de.scrollWidth > innerWidth + 1) bad.push('page ' + de.scrollWidth + ' px wide in a ' + innerWidth + ' px viewport');
  const top = document.querySelector('#top');
  if (top && top.getBoundingClientRect().height > maxHeader) bad.push('header ' + Math.round(top.getBoundingClientRect().height) + ' px high');
  for (const tab of document.querySelectorAll('#top .tab')) {
    const r = document.createRange();
    r.selectNodeContents(tab);
    const walker = document.createTreeWalker(tab, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue;
      r.selectNodeContents(n);
      const lines = [...r.getClientRects()].filter((x) => x.width > 0).length;
      if (lines > 1) bad.push('tab ' + tab.id + ' label "' + n.textContent + '" wraps over ' + lines + ' lines');
    }
  }
  if (de.scrollWidth > innerWidth + 1) {
    // Name the outermost elements that stick out, to find the culprit.
    const out = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > innerWidth + 1));
    bad.push('sticking out: ' + out.slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', '));
    // An absolutely placed element escapes the overflow of every box up to
    // its containing block (a cell's .sr-only text once widened the page
    // from inside a scrolled table): name those too.
    const placed = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && ['absolute', 'fixed'].includes(getComputedStyle(e).position));
    if (placed.length) bad.push('placed beyond the edge: ' + placed.slice(0, 5).map((e) => e.tagName + '.' + e.className + ' in ' + e.parentElement.tagName + '.' + e.parentElement.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', '));
  }
  return bad;
})`

// sideSettled is true once the side panel has nothing loading.
const sideSettled = `(() => { const s = document.querySelector('#side'); return !!s && !s.textContent.includes('加载中') && !s.querySelector('[aria-busy="true"]') })()`

// TestConsoleWalk walks the console as center, department, worker and
// viewer in zh-CN at 1366×768, 768×1024 and 390×844: every tab, every layer
// toggle on and off, and for the center a case, a grid, an assessment and
// the statistics opened. It fails on a page error (browser), on any visible
// English word not in allowedLatin, and on a layout that overflows the
// viewport, a header over 56 px or a tab label that wraps.
func TestConsoleWalk(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.people.CreateUser(context.Background(), &people.User{Username: "viewer", Name: "查看员", Role: people.RoleViewer, ScopeCode: viewerScope, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	sizes := []struct {
		name string
		w, h int64
	}{{"desktop", 1366, 768}, {"tablet", 768, 1024}, {"phone", 390, 844}}
	for _, role := range []string{"center", "dept-hwsuo", ownGrid, "viewer"} {
		t.Run(role, func(t *testing.T) {
			ctx := browser(t)
			login(t, ctx, ta.srv.URL, role)
			english := func(where string) {
				t.Helper()
				for _, hit := range cdpGet(t, ctx, "visible text", chromedp.Evaluate[[]string](englishOnScreen)) {
					if w := strings.SplitN(hit, "\t", 2)[0]; !allowedLatin[w] {
						t.Errorf("%s %s: English on screen: %q", role, where, hit)
					}
				}
			}
			for _, size := range sizes {
				cdpDo(t, ctx, "viewport "+size.name, chromedp.EmulateViewport(size.w, size.h))
				tabs := cdpGet(t, ctx, "tabs", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#top .tab')].map((b) => b.id)`))
				if len(tabs) < 2 {
					t.Fatalf("%s: tabs %v", role, tabs)
				}
				for _, tab := range tabs {
					where := size.name + " " + tab
					cdpGet(t, ctx, "open "+tab, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.querySelector('#%s').click(); return true })()`, tab)))
					waitFor[bool](t, ctx, where+" settled", sideSettled)
					if tab == "tab-map" {
						walkLayers(t, ctx, where)
					}
					// A panel may still be filling in (a table drawn after its
					// data arrives): the layout must come right within 3 s.
					bad := cdpGet(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems+`(56)`))
					for i := 0; i < 15 && len(bad) > 0; i++ {
						time.Sleep(200 * time.Millisecond)
						bad = cdpGet(t, ctx, "layout", chromedp.Evaluate[[]string](layoutProblems+`(56)`))
					}
					if len(bad) > 0 {
						t.Errorf("%s %s: %s", role, where, strings.Join(bad, "; "))
					}
					english(where)
				}
				artifact(t, fmt.Sprintf("console-walk-%s-%s.png", role, size.name), cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
			}
			if role != "center" {
				return
			}
			// The center at desktop size: a case, a grid, an assessment and
			// the statistics, each opened and read.
			cdpDo(t, ctx, "desktop", chromedp.EmulateViewport(1366, 768))
			cdpGet(t, ctx, "cases", chromedp.Evaluate[bool](`(() => { document.querySelector('#tab-cases').click(); return true })()`))
			waitFor[bool](t, ctx, "a case row", `!!document.querySelector('#cases-table tbody tr button')`)
			cdpGet(t, ctx, "open a case", chromedp.Evaluate[bool](`(() => { document.querySelector('#cases-table tbody tr button').click(); return true })()`))
			waitFor[bool](t, ctx, "the case card", `!!document.querySelector('#case-timeline') && !!document.querySelector('#case-actions')`)
			// The dispatch form's routing reason arrives after the card.
			waitFor[bool](t, ctx, "the case card settled", `(() => { const w = document.querySelector('[id$="-why"]'); return !document.querySelector('#act-dispatch') || (w && w.textContent !== '') })()`)
			english("case card")
			cdpGet(t, ctx, "close", chromedp.Evaluate[bool](`(() => { document.querySelector('#card-close').click(); return true })()`))
			cdpGet(t, ctx, "map", chromedp.Evaluate[bool](`(() => { document.querySelector('#tab-map').click(); return true })()`))
			waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
			clickGrid(t, ctx, ownGrid)
			waitFor[bool](t, ctx, "the grid card", `(() => { const c = document.querySelector('#grid-cases'); return !!c && !c.textContent.includes('加载中') && !!document.querySelector('#grid-patrols') && !document.querySelector('#grid-patrols').textContent.includes('加载中') })()`)
			english("grid card")
			cdpGet(t, ctx, "close", chromedp.Evaluate[bool](`(() => { document.querySelector('#card-close').click(); return true })()`))
			cdpGet(t, ctx, "assessments", chromedp.Evaluate[bool](`(() => { document.querySelector('#tab-assessments').click(); return true })()`))
			waitFor[bool](t, ctx, "the assessment table", `!!document.querySelector('#assessment-table tbody tr') || !!document.querySelector('#assessment-out p')`)
			cdpGet(t, ctx, "open every worker's items", chromedp.Evaluate[bool](`(() => { document.querySelectorAll('#assessment-table details').forEach((d) => { d.open = true }); return true })()`))
			english("assessment")
			// Sorted by rank in the street.
			ranks := cdpGet(t, ctx, "ranks", chromedp.Evaluate[[]int](`[...document.querySelectorAll('#assessment-table tbody tr')].map((r) => parseInt(r.querySelector('td.nowrap').textContent, 10)).filter((n) => !isNaN(n))`))
			for i := 1; i < len(ranks); i++ {
				if ranks[i] < ranks[i-1] {
					t.Errorf("assessment table not sorted by rank: %v", ranks)
					break
				}
			}
			// The patrol tab: the three rules, and a flag wherever a row breaks one.
			cdpGet(t, ctx, "patrols", chromedp.Evaluate[bool](`(() => { document.querySelector('#tab-patrols').click(); return true })()`))
			waitFor[bool](t, ctx, "the patrol audit", `document.querySelector('#audit-coverage') && document.querySelector('#audit-coverage').dataset.loaded === 'ok'`)
			if bad := cdpGet(t, ctx, "patrol flags", chromedp.Evaluate[[]string](`(() => {
				const bad = [];
				if (document.querySelectorAll('#patrol-rules li').length !== 3) bad.push('rules shown: ' + document.querySelectorAll('#patrol-rules li').length);
				for (const tr of document.querySelectorAll('#patrol-table tbody tr')) {
					const td = tr.querySelectorAll('td');
					const under = parseInt(td[3].textContent.replace(/[^0-9]/g, ''), 10);
					if ((under > 0) !== td[3].classList.contains('flag')) bad.push(tr.dataset.grid + ' days under ' + under + ' flag ' + td[3].classList.contains('flag'));
					if (tr.dataset.flags && !tr.classList.contains('overdue')) bad.push(tr.dataset.grid + ' flagged row not marked');
				}
				return bad })()`)); len(bad) > 0 {
				t.Errorf("patrol audit: %v", bad)
			}
			cdpGet(t, ctx, "stats", chromedp.Evaluate[bool](`(() => { document.querySelector('#tab-stats').click(); return true })()`))
			waitFor[bool](t, ctx, "the statistics", `!!document.querySelector('#stats-table tbody tr')`)
			for _, g := range []string{"unit", "village", "grid", "category", "month"} {
				cdpGet(t, ctx, "group by "+g, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector('#s-group'); s.value = %q; s.form.requestSubmit(); return true })()`, g)))
				waitFor[bool](t, ctx, "statistics by "+g, `(() => { const s = document.querySelector('#stats-out'); return !!s && !s.textContent.includes('加载中') && !!document.querySelector('#stats-table') })()`)
				english("statistics by " + g)
				// A totals row; a rate without data reads 无数据, never 0%; 未派遣 is not ranked.
				if bad := cdpGet(t, ctx, "stats table", chromedp.Evaluate[[]string](`(() => {
					const bad = [];
					if (!document.querySelector('#stats-table tfoot tr.total')) bad.push('no totals row');
					for (const td of document.querySelectorAll('#stats-table td.nodata')) if (!['无数据', '—'].includes(td.textContent)) bad.push('no-data cell ' + td.textContent);
					const un = document.querySelector('#stats-table tbody tr[data-key="unassigned"] td');
					if (un && un.textContent !== '不排名') bad.push('未派遣 ranked ' + un.textContent);
					return bad })()`)); len(bad) > 0 {
					t.Errorf("statistics by %s: %v", g, bad)
				}
			}
		})
	}
}

// walkLayers switches every offered layer on and off again, waiting for
// lazily loaded layers, so a layer that breaks the map fails the walk.
func walkLayers(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	ids := cdpGet(t, ctx, "layers", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.layers input[type=checkbox]:not([disabled])')].map((c) => c.id)`))
	if len(ids) == 0 {
		t.Fatalf("%s: no layer to switch", where)
	}
	for _, id := range ids {
		for range 2 {
			cdpGet(t, ctx, "toggle "+id, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.getElementById(%q).click(); return true })()`, id)))
			waitFor[bool](t, ctx, where+" "+id+" switched", `(() => { const s = document.querySelector('#status'); return !!s && !s.textContent.includes('加载中') })()`)
		}
	}
	if st := cdpGet(t, ctx, "status", chromedp.Text(chromedp.CSS("#status"))); strings.Contains(st, "错误") {
		t.Errorf("%s: after the layer walk the status reads %q", where, st)
	}
}

// TestConsoleCaseDesk drives the case list as an operator: the counts per
// state are the server's summary; a search by case number finds that case
// alone; a category and a preset filter reach the list's query; the next
// page follows the cursor; a column can be hidden; the export downloads
// exactly what is filtered; and the filters are gone after logout.
func TestConsoleCaseDesk(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	tok := ta.login("center")
	ctx := browser(t)
	login(t, ctx, ta.srv.URL, "center")
	cdpDo(t, ctx, "open the cases list", chromedp.Click(chromedp.CSS("#tab-cases")))
	waitFor[bool](t, ctx, "the first page", `!!document.querySelector('#cases-table tbody tr') && !!document.querySelector('#case-summary .chip')`)

	// Counts per state: the chips show GET /api/v1/cases/summary.
	var sum struct {
		Total    int            `json:"total"`
		ByStatus map[string]int `json:"by_status"`
		Overdue  int            `json:"overdue"`
	}
	ta.do("GET", "/api/v1/cases/summary", tok, nil, nil).decode(t, &sum)
	chips := cdpGet(t, ctx, "chips", chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('#case-summary .chip')].map((c) => [c.dataset.key, c.querySelector('b').textContent.replace(/,/g, '')]))`))
	if chips["all"] != fmt.Sprint(sum.Total) || chips["overdue"] != fmt.Sprint(sum.Overdue) {
		t.Errorf("summary chips %v, want total %d overdue %d", chips, sum.Total, sum.Overdue)
	}
	for st, n := range sum.ByStatus {
		if chips[st] != fmt.Sprint(n) {
			t.Errorf("chip %s shows %q, want %d", st, chips[st], n)
		}
	}

	// Paging: 20 rows a page, then the next page by cursor, different rows.
	if sum.Total <= 20 {
		t.Fatalf("the demo has %d cases: too few to page by 20", sum.Total)
	}
	cdpGet(t, ctx, "20 a page", chromedp.Evaluate[bool](`(() => { const s = document.querySelector('#f-limit'); s.value = '20'; s.dispatchEvent(new Event('change')); return true })()`))
	first := waitFor[[]string](t, ctx, "20 rows", `(() => { const r = [...document.querySelectorAll('#cases-table tbody tr')]; return r.length === 20 ? r.map((x) => x.dataset.id) : false })()`)
	{
		cdpDo(t, ctx, "next page", chromedp.Click(chromedp.CSS("#page-next")))
		second := waitFor[[]string](t, ctx, "the second page", `(() => { const c = document.querySelector('#case-count'); if (!c || !c.textContent.includes('第 2 页')) return false; return [...document.querySelectorAll('#cases-table tbody tr')].map((r) => r.dataset.id) })()`)
		for _, id := range second {
			for _, f := range first {
				if id == f {
					t.Errorf("case %s on both pages", id)
				}
			}
		}
		cdpDo(t, ctx, "previous page", chromedp.Click(chromedp.CSS("#page-prev")))
		waitFor[bool](t, ctx, "the first page again", `document.querySelector('#case-count').textContent.includes('第 1 页')`)
	}

	// Search by number: exactly that case.
	var list struct {
		Cases []struct {
			ID       int64  `json:"id"`
			Number   string `json:"number"`
			Category string `json:"category"`
		} `json:"cases"`
	}
	ta.do("GET", "/api/v1/cases?limit=5&sort=number.asc", tok, nil, nil).decode(t, &list)
	if len(list.Cases) == 0 {
		t.Fatal("the demo has no cases")
	}
	target := list.Cases[0]
	cdpDo(t, ctx, "search by number", chromedp.SendKeys(chromedp.CSS("#f-q"), target.Number), chromedp.Click(chromedp.CSS("#f-search")))
	ids := waitFor[[]string](t, ctx, "the searched case", fmt.Sprintf(`(() => { const rows = [...document.querySelectorAll('#cases-table tbody tr')]; return rows.length && rows.every((r) => r.dataset.id === %q) ? rows.map((r) => r.dataset.id) : false })()`, fmt.Sprint(target.ID)))
	if len(ids) != 1 {
		t.Errorf("search %q shows %v, want case %d alone", target.Number, ids, target.ID)
	}

	// A category (its big class) and the month preset, exported as CSV:
	// the export's rows are the list's total for the same query.
	cdpGet(t, ctx, "filters", chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		document.querySelector('#f-q').value = '';
		const c = document.querySelector('#f-category'); c.value = %q;
		document.querySelector('#f-period').value = 'month';
		document.querySelector('#f-search').click(); return true })()`, target.Category[:2])))
	q := url.Values{"category": {target.Category[:2]}, "period": {"month"}}
	var page struct {
		Total int `json:"total"`
	}
	ta.do("GET", "/api/v1/cases?limit=1&"+q.Encode(), tok, nil, nil).decode(t, &page)
	waitFor[bool](t, ctx, "the filtered count", fmt.Sprintf(`(() => { const c = document.querySelector('#case-count'); return !!c && c.textContent.replace(/,/g, '').includes('共 %d 件') })()`, page.Total))
	// The export button fetches the same query: capture its URL and rows.
	cdpGet(t, ctx, "hook fetch", chromedp.Evaluate[bool](`(() => {
		const orig = window.fetch;
		window.__exports = [];
		window.fetch = async (u, o) => { const r = await orig(u, o); if (String(u).includes('/cases/export')) { const text = await r.clone().text(); window.__exports.push({ url: String(u), rows: text.trim().split('\r\n').length - 1, status: r.status }); } return r; };
		return true })()`))
	cdpDo(t, ctx, "export CSV", chromedp.Click(chromedp.CSS("#export-csv")))
	exp := waitFor[[]map[string]any](t, ctx, "the export", `window.__exports.length ? window.__exports : false`)
	eu, _ := url.Parse(exp[0]["url"].(string))
	if eu.Query().Get("category") != target.Category[:2] || eu.Query().Get("period") != "month" || eu.Query().Get("format") != "csv" {
		t.Errorf("export URL %s does not carry the list's filters", exp[0]["url"])
	}
	if rows := int(exp[0]["rows"].(float64)); rows != page.Total || exp[0]["status"].(float64) != 200 {
		t.Errorf("export: %v rows (status %v), want the list's %d", rows, exp[0]["status"], page.Total)
	}
	waitFor[bool](t, ctx, "the export saved", `document.querySelector('#export-msg').dataset.done === 'csv'`)

	// Columns: hiding 承办单位 removes its header.
	cdpGet(t, ctx, "hide a column", chromedp.Evaluate[bool](`(() => { const d = document.querySelector('#f-columns'); d.open = true; d.querySelector('input[value="lead_unit"]').click(); return true })()`))
	if n := cdpGet(t, ctx, "headers", chromedp.Evaluate[int](`document.querySelectorAll('#cases-table th.col-lead_unit').length`)); n != 0 && page.Total > 0 {
		t.Errorf("the hidden column is still shown (%d headers)", n)
	}

	// Logout forgets the filters: the next user starts from all cases.
	cdpDo(t, ctx, "logout", chromedp.Click(chromedp.CSS("#logout")))
	cdpDo(t, ctx, "log in again",
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "center"),
		chromedp.SendKeys(chromedp.CSS("#password"), dbtest.DemoPassword),
		chromedp.Click(chromedp.CSS("#login-submit")))
	waitFor[bool](t, ctx, "the console after login", `window.__gridd && window.__gridd.ready === true`)
	cdpDo(t, ctx, "open the cases list", chromedp.Click(chromedp.CSS("#tab-cases")))
	state := waitFor[map[string]any](t, ctx, "the list after logout", `(() => { const c = document.querySelector('#case-count'); if (!c) return false;
		return { category: document.querySelector('#f-category').value, period: document.querySelector('#f-period').value, count: c.textContent.replace(/,/g, ''),
			lead: document.querySelectorAll('#cases-table th.col-lead_unit').length } })()`)
	if state["category"] != "" || state["period"] != "" || !strings.Contains(state["count"].(string), fmt.Sprintf("共 %d 件", sum.Total)) {
		t.Errorf("after logout the list kept the last user's filters: %v", state)
	}
	b, _ := json.Marshal(state)
	if sum.Total > 0 && state["lead"].(float64) != 1 {
		t.Errorf("after logout the hidden column stays hidden: %s", b)
	}
}

// TestConsoleSamePlaceCases: cases reported at one point form a cluster
// that zooming never splits; clicking it lists them, and each opens.
func TestConsoleSamePlaceCases(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	worker := ta.login(ownGrid)
	p := pointIn(ownGrid, 9061, 40)
	a := ta.report(worker, reportBody("0104", p), nil)
	b := ta.report(worker, reportBody("0201", p), nil)
	ctx := browser(t)
	login(t, ctx, ta.srv.URL, "center")
	waitFor[bool](t, ctx, "the map rendered", `window.__gridd.rendered === true`)
	// Zoom to the point at the map's highest zoom, then click its pixel.
	xy := waitFor[[]float64](t, ctx, "the point on screen", fmt.Sprintf(`(() => {
		const m = window.__gridd.state.map.map, lon = %f, lat = %f;
		const x = lon * 20037508.342789244 / 180, y = Math.log(Math.tan((90 + lat) * Math.PI / 360)) * 6378137;
		m.getView().setCenter([x, y]); m.getView().setZoom(19); m.renderSync();
		return m.getPixelFromCoordinate([x, y]) })()`, p[0], p[1]))
	waitFor[bool](t, ctx, "cases drawn", `window.__gridd.state.map.map.getAllLayers().some((l) => l.get('kind') === 'case')`)
	r := cdpGet(t, ctx, "map offset", chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector('#map').getBoundingClientRect(); return [r.left, r.top] })()`))
	cdpDo(t, ctx, "click the cluster", chromedp.MouseClickXY(r[0]+xy[0], r[1]+xy[1]))
	ids := waitFor[[]string](t, ctx, "the list of cases at the point", `(() => { const l = document.querySelectorAll('#case-choice li button'); return l.length ? [...l].map((b) => b.textContent) : false })()`)
	if len(ids) != 2 || !(strings.Contains(strings.Join(ids, " "), a.Number) && strings.Contains(strings.Join(ids, " "), b.Number)) {
		t.Fatalf("the cluster lists %v, want %s and %s", ids, a.Number, b.Number)
	}
	cdpDo(t, ctx, "open one", chromedp.Click(chromedp.CSS("#case-choice li button")))
	waitFor[bool](t, ctx, "its card", `!!document.querySelector('#case-number')`)
}

// TestConsoleGridSearchPart: the grid finder finds a grid by part of its
// name and says so when nothing matches.
func TestConsoleGridSearchPart(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t)
	login(t, ctx, ta.srv.URL, "center")
	cdpGet(t, ctx, "search a part of a name", chromedp.Evaluate[bool](`(() => { const i = document.querySelector('#grid-find'); i.value = '龙泉'; i.form.requestSubmit(); return true })()`))
	name := waitFor[string](t, ctx, "the grid card", `(() => { const n = document.querySelector('#grid-name'); const e = document.querySelector('#grid-find-note'); return n ? n.textContent : (e && e.textContent) || false })()`)
	if !strings.Contains(name, "龙泉") {
		t.Errorf("searching 龙泉 opened %q", name)
	}
	cdpGet(t, ctx, "search nothing", chromedp.Evaluate[bool](`(() => { const i = document.querySelector('#grid-find'); i.value = '无此网格'; i.form.requestSubmit(); return true })()`))
	note := waitFor[string](t, ctx, "the not-found note", `(() => { const n = document.querySelector('#grid-find-note'); return n && n.textContent ? n.textContent : false })()`)
	if !strings.Contains(note, "无此网格") {
		t.Errorf("not-found note %q", note)
	}
}
