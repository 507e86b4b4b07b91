package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/workday"
)

// The field app (/m/) in headless chromium at a phone's size (390×844,
// touch), with the geolocation fed through CDP and the network taken
// offline and back through CDP.

// fieldTab opens a phone-sized tab with touch, grants base's origin the
// geolocation and puts the device at p (accuracy 12 m).
func fieldTab(t testing.TB, base string, lon, lat float64, allowed ...string) context.Context {
	t.Helper()
	ctx := browser(t, allowed...)
	cdpDo(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	bc := chromedp.FromContext(ctx).BrowserContextID
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted,
		Origin: base, BrowserContextID: bc}); err != nil {
		t.Fatalf("grant geolocation: %v", err)
	}
	setPosition(t, ctx, lon, lat, 12)
	return ctx
}

func setPosition(t testing.TB, ctx context.Context, lon, lat, acc float64) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
		t.Fatalf("geolocation override: %v", err)
	}
}

// setNetwork takes the tab (and its service worker) offline or back, or
// throttles it (latency ms, throughput bytes/s; -1 none).
func setNetwork(t testing.TB, ctx context.Context, offline bool, latency, down, up float64) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &offline,
		MatchedNetworkConditions:    []*network.Conditions{{Offline: offline, Latency: latency, DownloadThroughput: down, UploadThroughput: up}},
	}); err != nil {
		t.Fatalf("network conditions: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, Latency: latency,
		DownloadThroughput: down, UploadThroughput: up}); err != nil {
		t.Fatalf("network state: %v", err)
	}
}

// fieldLogin opens /m/ and signs in; it returns when home shows today.
func fieldLogin(t testing.TB, ctx context.Context, base, username string) {
	t.Helper()
	cdpDo(t, ctx, "open the field app",
		chromedp.Navigate(base+"/m/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), dbtest.DemoPassword),
		chromedp.Tap(chromedp.CSS("#login-submit")),
	)
	waitHome(t, ctx)
}

func waitHome(t testing.TB, ctx context.Context) {
	t.Helper()
	waitFor[bool](t, ctx, "the field app's home", `!!(window.__griddM && window.__griddM.ready && document.querySelector('#patrol-minutes'))`)
}

// waitController waits until the service worker controls the page.
func waitController(t testing.TB, ctx context.Context) {
	t.Helper()
	waitFor[bool](t, ctx, "the service worker in control", `!!navigator.serviceWorker.controller`)
}

// testJPEG writes a JPEG photo of about size bytes (noise compresses badly).
func testJPEG(t testing.TB, dir, name string, w, h int, seed uint8) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	x := uint32(seed) + 1
	for i := 0; i < len(img.Pix); i += 4 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x), uint8(x>>8), uint8(x>>16), 255
	}
	for i := 0; i < w; i++ {
		img.Set(i, h/2, color.RGBA{255, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// droppingProxy is a loopback reverse proxy in front of the test server
// that, for the first request of each listed "METHOD /path-prefix",
// forwards it (the server commits) and then closes the client's connection
// instead of answering: a response lost after the commit.
type droppingProxy struct {
	srv     *httptest.Server
	mu      sync.Mutex
	pending map[string]bool
	dropped map[string]int
}

func newDroppingProxy(t *testing.T, target string, drop ...string) *droppingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &droppingProxy{pending: map[string]bool{}, dropped: map[string]int{}}
	for _, d := range drop {
		p.pending[d] = true
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := ""
		p.mu.Lock()
		for d := range p.pending {
			m, prefix, _ := strings.Cut(d, " ")
			if r.Method == m && strings.HasPrefix(r.URL.Path, prefix) {
				key = d
				delete(p.pending, d)
			}
		}
		p.mu.Unlock()
		if key == "" {
			rp.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		p.mu.Lock()
		p.dropped[key] = rec.Code
		p.mu.Unlock()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// taps counts the taps a test makes.
type taps struct {
	t   *testing.T
	ctx context.Context
	n   int
}

func (tp *taps) tap(what, sel string) {
	tp.t.Helper()
	tp.n++
	cdpDo(tp.t, tp.ctx, "tap "+what, chromedp.Tap(chromedp.CSS(sel)))
}

// tapUntil taps sel until cond (a JavaScript expression) holds, at most
// three times: home re-renders when fresh data arrives, and a tap that lands
// on the element being replaced does nothing.
func tapUntil(t testing.TB, ctx context.Context, what, sel, cond string) {
	t.Helper()
	actUntil(t, ctx, "tap "+what, chromedp.Tap(chromedp.CSS(sel)), cond)
}

// TestFieldAppReport: a worker reports a problem with a photo in three taps
// from home (report, a category, send) and the center's case list has it
// in the worker's grid, with the worker and the routing suggestion; an
// action the server refuses for good is shown in the outbox with the
// server's reason and tried once. Home and the report form are
// photographed in Chinese and English at 390×844.
func TestFieldAppReport(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	at := pointIn(ownGrid, 3, 60)
	// The refused verification below is logged by the browser.
	ctx := fieldTab(t, ta.srv.URL, at[0], at[1], `status of 409 \(Conflict\) .*/api/v1/cases/\d+/transitions\)$`)
	fieldLogin(t, ctx, ta.srv.URL, ownGrid)
	waitFor[bool](t, ctx, "the categories", `!!(window.__griddM.S.cats && window.__griddM.S.cats.length)`)
	noHorizontalScroll(t, ctx, "home")
	artifact(t, "field-home-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	photo := testJPEG(t, t.TempDir(), "problem.jpg", 640, 480, 1)

	tp := &taps{t: t, ctx: ctx}
	tp.tap("report", "#btn-report")
	cdpDo(t, ctx, "take the photo", chromedp.SetUploadFiles(chromedp.CSS("#report-photo"), []string{photo}))
	waitFor[bool](t, ctx, "the photo and the location", `window.__griddM.report.before.length === 1 && !!window.__griddM.report.pos`)
	grid := waitFor[string](t, ctx, "the grid shown", `(() => { const e = document.querySelector('#report-grid-code'); return e ? e.dataset.code : false })()`)
	if grid != ownGrid {
		t.Errorf("the form shows grid %s, want %s", grid, ownGrid)
	}
	if w := cdpGet(t, ctx, "worker shown", chromedp.Text(chromedp.CSS("#report-worker"))); !strings.Contains(w, "本人") {
		t.Errorf("the form shows worker %q, want the worker itself", w)
	}
	if acc := cdpGet(t, ctx, "accuracy", chromedp.Text(chromedp.CSS("#report-acc"))); acc != "精度 ±12 米" {
		t.Errorf("accuracy shown %q", acc)
	}
	noHorizontalScroll(t, ctx, "report form")
	artifact(t, "field-report-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	category := cdpGet(t, ctx, "first category", chromedp.Evaluate[string](`document.querySelector('#cat-chips .chip').dataset.code`))
	tp.tap("the first category", "#cat-chips .chip")
	waitFor[bool](t, ctx, "the category chosen", `!!document.querySelector('#cat-chips .chip.on')`)
	tp.tap("send", "#report-send")
	id := waitFor[float64](t, ctx, "the case created", `(() => { const s = window.__griddM.sent.find((x) => x.kind === 'report'); return s ? s.id : false })()`)
	if tp.n > 3 {
		t.Errorf("reporting took %d taps from home, want at most 3", tp.n)
	}

	// The center sees it in the worker's grid, with the worker and the
	// routing table's suggestion for the category and place.
	center := ta.login("center")
	var list struct {
		Cases []struct {
			ID         int64   `json:"id"`
			GridCode   string  `json:"grid_code"`
			WorkerID   int64   `json:"worker_id"`
			ReporterID int64   `json:"reporter_id"`
			Source     string  `json:"source"`
			Category   string  `json:"category"`
			Lon        float64 `json:"lon"`
			Lat        float64 `json:"lat"`
			Photos     []int64 `json:"photos"`
			Suggestion *struct {
				LeadUnit string `json:"lead_unit"`
			} `json:"suggestion"`
		} `json:"cases"`
	}
	ta.do("GET", "/api/v1/cases?grid="+ownGrid+"&limit=20", center, nil, nil).decode(t, &list)
	var found bool
	u, err := ta.people.FindUserByUsername(context.Background(), ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Cases {
		if c.ID != int64(id) {
			continue
		}
		found = true
		if c.GridCode != ownGrid || c.WorkerID != u.ID || c.ReporterID != u.ID || c.Source != "worker_app" || c.Category != category || len(c.Photos) != 1 {
			t.Errorf("the case in the center's list: %+v", c)
		}
		var ex struct {
			Matched *struct {
				LeadUnit string `json:"lead_unit"`
			} `json:"matched"`
		}
		ta.do("POST", "/api/v1/routing/explain", center, map[string]any{"category": category, "lon": c.Lon, "lat": c.Lat}, nil).decode(t, &ex)
		if ex.Matched == nil || c.Suggestion == nil || c.Suggestion.LeadUnit != ex.Matched.LeadUnit {
			t.Errorf("department suggestion %+v, want the routing table's %+v", c.Suggestion, ex.Matched)
		}
	}
	if !found {
		t.Fatalf("case %v is not in the center's list of grid %s", id, ownGrid)
	}
	waitFor[bool](t, ctx, "the outbox empty", `window.__griddM.counts && window.__griddM.counts.total === 0`)

	// An action the server refuses for good (verifying a case that is not
	// being verified: 409) is shown in the outbox with the server's reason
	// and not retried.
	cdpGet(t, ctx, "queue a hopeless verification", chromedp.Evaluate[float64](fmt.Sprintf(`window.__griddM.Q.add({ kind: 'verify', key: window.__griddM.Q.newKey(), caseId: %v, version: 1, action: 'verify_pass', comment: '', photos: [] }).then(() => window.__griddM.Q.drain())`, id), chromedp.EvalAwaitPromise))
	waitFor[bool](t, ctx, "the failure shown", `window.__griddM.counts && window.__griddM.counts.failed === 1`)
	tp.n = 0
	tapUntil(t, ctx, "the outbox", "#queue-state", `!!document.querySelector('#queue-list')`)
	failure := waitFor[string](t, ctx, "the failed item", `(() => { const e = document.querySelector('#queue-list .qitem.failed .qerror'); return e ? e.textContent : false })()`)
	if !strings.HasPrefix(failure, "409 · ") || !strings.Contains(failure, "verify_pass") {
		t.Errorf("the outbox shows %q, want the server's 409 and its reason", failure)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := cdpGet(t, ctx, "attempts", chromedp.Evaluate[float64](`window.__griddM.Q.drain().then(() => window.__griddM.Q.all()).then((a) => a[0].attempts)`, chromedp.EvalAwaitPromise)); n != 1 {
		t.Errorf("the refused action was tried %v times, want once", n)
	}
	artifact(t, "field-outbox-failed.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	cdpDo(t, ctx, "delete it", chromedp.Tap(chromedp.CSS("#queue-list .qitem.failed button.ghost")))
	waitFor[bool](t, ctx, "the outbox empty", `window.__griddM.counts.total === 0 && !document.querySelector('#queue-list')`)
	cdpDo(t, ctx, "back home", chromedp.Tap(chromedp.CSS("#back")))

	// English.
	waitHome(t, ctx)
	tp.tap("English", "#lang-switch")
	waitFor[bool](t, ctx, "English labels", `document.querySelector('#btn-report').textContent.includes('Report') && document.documentElement.lang === 'en'`)
	noHorizontalScroll(t, ctx, "home in English")
	artifact(t, "field-home-en.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	tp.tap("report", "#btn-report")
	waitFor[bool](t, ctx, "the location", `!!window.__griddM.report.pos && !!document.querySelector('#report-grid-code')`)
	noHorizontalScroll(t, ctx, "report form in English")
	artifact(t, "field-report-en.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
}

func noHorizontalScroll(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	w := cdpGet(t, ctx, "page width", chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if w[0] > w[1] {
		t.Errorf("%s scrolls sideways: %v px wide in a %v px viewport", where, w[0], w[1])
	}
}

// TestFieldAppOffline: with the network off, a report with its photo, a
// verification with a photo and a recorded patrol of 131 fixes are queued;
// the app reopens from the service worker while offline with its queue;
// back online the queue drains through a proxy that loses the first
// response of each kind of write after the server committed it — and the
// server holds exactly one case, one verification and every fix once.
func TestFieldAppOffline(t *testing.T) {
	t.Parallel()
	// Fixes are counted from here: the device's first position may be
	// stamped when the tab got it, long before the patrol on a busy machine.
	begin := time.Now().Add(-time.Second)
	ta := newConsoleApp(t)
	center, jw := ta.login("center"), ta.login("dept-jw")
	vid := caseToVerify(ta, center, jw)
	proxy := newDroppingProxy(t, ta.srv.URL, "POST /api/v1/cases/", "POST /api/v1/cases", "POST /api/v1/patrols/points", "POST /api/v1/uploads")
	base := proxy.srv.URL
	at := pointIn(ownGrid, 4, 60)
	// The lost responses surface as failed fetches in the browser's log.
	ctx := fieldTab(t, base, at[0], at[1], `net::ERR_EMPTY_RESPONSE`, `Failed to fetch`)
	fieldLogin(t, ctx, base, ownGrid)
	// Test speed: fixes batched every 200 ms, the outbox retried every 500 ms.
	cdpGet(t, ctx, "test intervals", chromedp.Evaluate[bool](`(localStorage.setItem('gridd.m.batchMs', '200'), localStorage.setItem('gridd.m.drainMs', '500'), true)`))
	cdpDo(t, ctx, "reload", chromedp.Reload())
	waitHome(t, ctx)
	waitController(t, ctx)
	waitFor[bool](t, ctx, "the case to verify and the categories", fmt.Sprintf(`!!document.querySelector('#tasks-verify button[data-id="%d"]') && !!(window.__griddM.S.cats||[]).length`, vid))
	waitFor[bool](t, ctx, "the month loaded", `!!window.__griddM.S.month`)
	// The to-do badge shows the inbox's count for the worker (the case to
	// verify, unread notices).
	var in inboxView
	ta.do("GET", "/api/v1/inbox", ta.login(ownGrid), nil, nil).decode(t, &in)
	if want := in.Counts.ToVerify + in.Counts.Unread; want == 0 {
		t.Errorf("the inbox counts nothing for a worker with a case to verify: %+v", in.Counts)
	} else {
		waitFor[bool](t, ctx, "the to-do badge", fmt.Sprintf(`(() => { const b = document.querySelector('#todo-badge'); return !!b && !b.hidden && b.textContent === '%d' })()`, want))
	}
	start := time.Now()

	setNetwork(t, ctx, true, 0, -1, -1)
	waitFor[bool](t, ctx, "the app offline", `!navigator.onLine && document.querySelector('#net').classList.contains('off')`)
	dir := t.TempDir()

	// A report.
	cdpDo(t, ctx, "report", chromedp.Tap(chromedp.CSS("#btn-report")))
	cdpDo(t, ctx, "photo", chromedp.SetUploadFiles(chromedp.CSS("#report-photo"), []string{testJPEG(t, dir, "a.jpg", 800, 600, 2)}))
	waitFor[bool](t, ctx, "the photo and the location", `window.__griddM.report.before.length === 1 && !!window.__griddM.report.pos`)
	// The grid line is written 300 ms after the location arrives and moves
	// the chips below it: tap once it is there, and again if the tap
	// landed where a chip used to be.
	waitFor[bool](t, ctx, "the grid line (offline)", `document.querySelector('#report-grid').textContent !== ''`)
	tapUntil(t, ctx, "a category", "#cat-chips .chip", `!!document.querySelector('#cat-chips .chip.on')`)
	cdpDo(t, ctx, "send", chromedp.Tap(chromedp.CSS("#report-send")))
	waitFor[bool](t, ctx, "the report queued", `window.__griddM.counts && window.__griddM.counts.pending >= 1`)

	// A verification.
	waitHome(t, ctx)
	cdpDo(t, ctx, "open the task", chromedp.Tap(chromedp.CSS(fmt.Sprintf(`#tasks-verify button[data-id="%d"]`, vid))))
	cdpDo(t, ctx, "photo", chromedp.SetUploadFiles(chromedp.CSS("#verify-photo"), []string{testJPEG(t, dir, "v.jpg", 800, 600, 3)}))
	waitFor[bool](t, ctx, "the photo shown", `document.querySelectorAll('#verify-preview img').length === 1`)
	cdpDo(t, ctx, "verify", chromedp.Tap(chromedp.CSS("#verify-pass")))
	waitFor[bool](t, ctx, "the verification queued", `window.__griddM.counts.pending >= 2`)

	// A patrol: 130 fixes walking through the grid.
	waitHome(t, ctx)
	cdpDo(t, ctx, "start the patrol", chromedp.Tap(chromedp.CSS("#btn-patrol")))
	waitFor[bool](t, ctx, "recording", `window.__griddM.recording === true`)
	walk := walkFixes(ownGrid, time.Now(), 130, 10*time.Second)
	for i, f := range walk {
		setPosition(t, ctx, f["lon"].(float64), f["lat"].(float64), 8)
		cdpGet(t, ctx, "fix recorded", chromedp.Poll[bool](fmt.Sprintf(`window.__griddM.fixes >= %d`, i+1), chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	}
	artifact(t, "field-patrol-offline.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	cdpDo(t, ctx, "stop the patrol", chromedp.Tap(chromedp.CSS("#btn-patrol")))
	waitFor[bool](t, ctx, "the patrol stopped", `window.__griddM.recording === false`)
	// The device's position before the walk is a fix too.
	recorded := int(cdpGet(t, ctx, "fixes recorded", chromedp.Evaluate[float64](`window.__griddM.fixes`)))
	if recorded < 130 {
		t.Fatalf("recorded %d fixes, want at least 130", recorded)
	}
	queued := waitFor[float64](t, ctx, "the fixes queued", fmt.Sprintf(`(async () => { const a = await window.__griddM.Q.all(); const n = a.filter((x) => x.kind === 'fixes').reduce((s, x) => s + x.points.length, 0); return n === %d ? a.length : false })()`, recorded))

	// Reopened with no network: the service worker serves the app, the
	// queue is still there.
	cdpDo(t, ctx, "reload offline", chromedp.Reload())
	waitHome(t, ctx)
	n := waitFor[string](t, ctx, "the outbox read", `window.__griddM.counts ? document.querySelector('#queue-state').dataset.pending : false`)
	if n != fmt.Sprint(queued) || cdpGet(t, ctx, "online?", chromedp.Evaluate[bool](`navigator.onLine`)) {
		t.Errorf("after reopening offline the outbox shows %s pending, want %v", n, queued)
	}
	artifact(t, "field-offline-reopened.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// Back online: everything drains, once.
	setNetwork(t, ctx, false, 0, -1, -1)
	waitFor[bool](t, ctx, "the outbox drained", `window.__griddM.counts && window.__griddM.counts.total === 0`)
	proxy.mu.Lock()
	dropped := len(proxy.dropped)
	t.Logf("responses dropped after the commit: %v", proxy.dropped)
	proxy.mu.Unlock()
	if dropped != 4 {
		t.Errorf("the proxy dropped %d kinds of response, want 4 (case, transition, points, upload)", dropped)
	}
	db := ta.db.Pool
	u, err := ta.people.FindUserByUsername(context.Background(), ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	var cases, verifies, fixes, uploads int
	bg := context.Background()
	if err := db.QueryRow(bg, `SELECT count(*) FROM cases WHERE reporter_id = $1 AND created_at >= $2`, u.ID, start).Scan(&cases); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(bg, `SELECT count(*) FROM case_events WHERE case_id = $1 AND action = 'verify_pass'`, vid).Scan(&verifies); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(bg, `SELECT count(*) FROM patrol_points WHERE worker_id = $1 AND t >= $2`, u.ID, begin).Scan(&fixes); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(bg, `SELECT count(*) FROM uploads WHERE owner_id = $1 AND created_at >= $2`, u.ID, start).Scan(&uploads); err != nil {
		t.Fatal(err)
	}
	if cases != 1 || verifies != 1 || fixes != recorded || uploads != 2 {
		t.Errorf("after draining: %d cases, %d verifications, %d fixes, %d photos; want 1, 1, %d, 2", cases, verifies, fixes, uploads, recorded)
	}
	var status string
	if err := db.QueryRow(bg, `SELECT status FROM cases WHERE id = $1`, vid).Scan(&status); err != nil || status != "closed" {
		t.Errorf("verified case is %q (%v), want closed", status, err)
	}
}

// TestFieldAppHome: the worker's home shows the day's patrol minutes and
// coverage as GET /api/v1/patrols/daily has them, its first load stays
// within the size budget (≤ 150 KB of compressed JS+CSS), and a worker who
// signs in to the console at / is offered /m/.
func TestFieldAppHome(t *testing.T) {
	t.Parallel()
	// The server's clock stands at 15:00 today in Shanghai: the walk of
	// the last 100 minutes lies within the day whenever the test runs.
	real := time.Now().In(workday.Shanghai())
	now := time.Date(real.Year(), real.Month(), real.Day(), 15, 0, 0, 0, real.Location())
	ta := newConsoleAppAt(t, func() time.Time { return now })
	worker := ta.login(ownGrid)
	from := now.Add(-100 * time.Minute)
	fixes := walkFixes(ownGrid, from, int(now.Sub(from)/(10*time.Second)), 10*time.Second)
	if res := ta.do("POST", "/api/v1/patrols/points", worker, map[string]any{"worker": ownGrid, "points": fixes}, nil); res.Status != 200 {
		t.Fatalf("patrol points: %d %s", res.Status, res.Body)
	}
	at := pointIn(ownGrid, 5, 60)
	ctx := fieldTab(t, ta.srv.URL, at[0], at[1])
	fieldLogin(t, ctx, ta.srv.URL, ownGrid)
	var d dailyView
	ta.do("GET", "/api/v1/patrols/daily?worker="+ownGrid+"&date="+now.Format("2006-01-02"), worker, nil, nil).decode(t, &d)
	if d.PatrolSeconds <= 0 || len(d.Grids) != 1 {
		t.Fatalf("the walk did not count: %+v", d)
	}
	got := cdpGet(t, ctx, "home's figures", chromedp.Evaluate[map[string]string](`({
		seconds: document.querySelector('#patrol-minutes').dataset.seconds,
		minutes: document.querySelector('#patrol-minutes').textContent,
		coverage: document.querySelector('#patrol-coverage').dataset.coverage,
		coverageText: document.querySelector('#patrol-coverage').textContent,
		uncovered: String(window.__griddM.mapDrawn.uncovered) })`))
	if got["seconds"] != fmt.Sprint(d.PatrolSeconds) || got["coverage"] != fmt.Sprint(d.Grids[0].Coverage) {
		t.Errorf("home shows %s s and coverage %s; patrols/daily has %v s and %v", got["seconds"], got["coverage"], d.PatrolSeconds, d.Grids[0].Coverage)
	}
	wantMin := fmt.Sprintf("%d / %d 分钟", int(d.PatrolSeconds)/60, int(d.Rules.MinDailySeconds)/60)
	if got["minutes"] != wantMin || got["coverageText"] != fmt.Sprintf("覆盖 %.1f%%", d.Grids[0].Coverage*100) {
		t.Errorf("home reads %q and %q, want %q and 覆盖 %.1f%%", got["minutes"], got["coverageText"], wantMin, d.Grids[0].Coverage*100)
	}
	if got["uncovered"] != fmt.Sprint(len(d.Grids[0].Uncovered.Coordinates)) {
		t.Errorf("the map draws %s uncovered cells, patrols/daily has %d", got["uncovered"], len(d.Grids[0].Uncovered.Coordinates))
	}
	px := cdpGet(t, ctx, "map pixels", chromedp.Evaluate[float64](`(() => { const c = document.querySelector('#map-home'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0; for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0xee) + Math.abs(d[i+1] - 0xf2) + Math.abs(d[i+2] - 0xf7) > 24) n++; return n / (d.length / 4) })()`))
	if px < 0.2 {
		t.Errorf("only %.0f%% of the home map is drawn", px*100)
	}
	artifact(t, "field-home-patrolled.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// Size budget of the first load: the compressed JS and CSS bytes.
	sizes := cdpGet(t, ctx, "resource sizes", chromedp.Evaluate[[]float64](`(() => { let enc = 0, dec = 0;
		for (const e of performance.getEntriesByType('resource')) if (/\/m\/app\.(js|css)/.test(e.name)) { enc += e.encodedBodySize; dec += e.decodedBodySize; }
		for (const e of performance.getEntriesByType('navigation')) {}
		return [enc, dec] })()`))
	t.Logf("field app JS+CSS: %.0f bytes compressed, %.0f bytes", sizes[0], sizes[1])
	if sizes[0] == 0 || sizes[0] > 150*1024 || sizes[0] >= sizes[1] {
		t.Errorf("field app JS+CSS: %.0f compressed bytes of %.0f; want compressed, at most 150 KB", sizes[0], sizes[1])
	}

	// The console offers the field app to a worker.
	login(t, ctx, ta.srv.URL, ownGrid)
	if href := cdpGet(t, ctx, "field app link", chromedp.Evaluate[string](`(document.querySelector('#open-field-app') || {}).getAttribute?.('href') || ''`)); href != "/m/" {
		t.Errorf("the console offers the worker %q, want /m/", href)
	}
}
