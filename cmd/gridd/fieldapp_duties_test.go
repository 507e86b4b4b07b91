package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/workday"
)

// TestFieldAppVisitAndLog: at phone size (390×844), a worker standing at
// a household it answers for opens the visits due from home, records the
// visit with a photo (the camera's file) and the phone's position, and
// then submits today's daily log, which lists the visit; the server holds
// the visit on site with its photo and the log on time.
func TestFieldAppVisitAndLog(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	center := ta.login("center")
	home := pointIn(ownGrid, 61, 40)
	hid := ta.addHousehold(center, "龙泉镇走访路6号", home)
	ta.assign(center, hid, ownGrid, workday.DateOf(time.Now()).String())
	at := offset(home, 8, 6)
	ctx := fieldTab(t, ta.srv.URL, at[0], at[1])
	fieldLogin(t, ctx, ta.srv.URL, ownGrid)

	waitFor[bool](t, ctx, "the visits due on home", `!!(window.__griddM.due && window.__griddM.due.items.length === 1 && document.querySelector('#btn-visits'))`)
	tapUntil(t, ctx, "visits", "#btn-visits", `!!document.querySelector('#visits-list')`)
	noHorizontalScroll(t, ctx, "visits due")
	// The list re-renders when fresh data arrives: read it in one evaluation.
	if s := waitFor[string](t, ctx, "the due item", `(() => { const e = document.querySelector('#visits-list li'); return e ? e.textContent : false })()`); !strings.Contains(s, "龙泉镇走访路6号") || !strings.Contains(s, "应于") {
		t.Errorf("due item shows %q", s)
	}
	artifact(t, "field-visits-due-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	tapUntil(t, ctx, "the household", "#visits-list button.row", `!!document.querySelector('#visit-page')`)
	waitFor[bool](t, ctx, "the position", `!!(window.__griddM.visit && window.__griddM.visit.pos) && document.querySelector('#visit-where').textContent.includes('距走访对象')`)
	photo := testJPEG(t, t.TempDir(), "visit.jpg", 640, 480, 7)
	cdpDo(t, ctx, "take the photo", chromedp.SetUploadFiles(chromedp.CSS("#visit-photo"), []string{photo}))
	waitFor[bool](t, ctx, "the photo", `window.__griddM.visit.photos.length === 1 && document.querySelectorAll('#visit-preview img').length === 1`)
	cdpDo(t, ctx, "write the notes", chromedp.SendKeys(chromedp.CSS("#visit-notes"), "入户走访：老人身体尚好"))
	noHorizontalScroll(t, ctx, "record a visit")
	artifact(t, "field-visit-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	cdpDo(t, ctx, "save the visit", chromedp.Tap(chromedp.CSS("#visit-send")))
	onSite := waitFor[bool](t, ctx, "the visit sent", `(() => { const s = window.__griddM.sent.find((x) => x.kind === 'visit'); return s ? s.on_site : false })()`)
	if !onSite {
		t.Errorf("the visit was not on site")
	}
	var n, photos int
	var notes string
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*), max(cardinality(photo_ids)), max(notes) FROM visits WHERE target_id = $1 AND on_site`, hid).Scan(&n, &photos, &notes); err != nil {
		t.Fatal(err)
	}
	if n != 1 || photos != 1 || notes != "入户走访：老人身体尚好" {
		t.Errorf("server holds %d on-site visits, %d photos, notes %q", n, photos, notes)
	}
	waitFor[bool](t, ctx, "the due list refreshed", `!!(window.__griddM.due && window.__griddM.due.items.length === 1 && window.__griddM.due.items[0].last_visit)`)

	// Today's log lists the visit; the worker writes and submits it.
	cdpDo(t, ctx, "back home", chromedp.Tap(chromedp.CSS("#back")))
	waitHome(t, ctx)
	tapUntil(t, ctx, "today's log", "#btn-worklog", `!!document.querySelector('#worklog-notes')`)
	waitFor[bool](t, ctx, "the visit in the log", `document.querySelectorAll('#wl-visits li').length === 1`)
	cdpDo(t, ctx, "write the log", chromedp.SendKeys(chromedp.CSS("#worklog-notes"), "上午走访一户，下午巡查"))
	noHorizontalScroll(t, ctx, "daily log")
	cdpDo(t, ctx, "submit the log", chromedp.Tap(chromedp.CSS("#worklog-submit")))
	waitFor[bool](t, ctx, "the log submitted", `!!(window.__griddM.worklog && window.__griddM.worklog.entry) && document.querySelector('#worklog-submit').textContent === '修改日志'`)
	artifact(t, "field-worklog-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	var late bool
	var logNotes string
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT late, notes FROM worklogs w JOIN users u ON u.id = w.user_id WHERE u.username = $1`, ownGrid).Scan(&late, &logNotes); err != nil {
		t.Fatalf("the submitted log: %v", err)
	}
	if late || logNotes != "上午走访一户，下午巡查" {
		t.Errorf("server holds the log late=%v notes %q", late, logNotes)
	}

	// The center's console lists the household due (visited today) and
	// reads the worker's log.
	cc := browser(t)
	cdpDo(t, cc, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	login(t, cc, ta.srv.URL, "center")
	tapUntil(t, cc, "the duties tab", "#tab-duties", `!!document.querySelector('#du-due-table')`)
	row := waitFor[string](t, cc, "the household's row", fmt.Sprintf(`(() => { const r = document.querySelector('#du-due-table tr[data-id="%d"]'); return r ? r.textContent : false })()`, hid))
	if !strings.Contains(row, workday.DateOf(time.Now()).String()) || !strings.Contains(row, "每1个月一次") {
		t.Errorf("console row %q: want today's visit and the monthly schedule", row)
	}
	cdpDo(t, cc, "ask for the worker's log",
		chromedp.SetValue(chromedp.CSS("#du-log-worker"), ownGrid),
		chromedp.Click(chromedp.CSS("#du-log-search")))
	got := waitFor[string](t, cc, "the worker's log", `(() => { const e = document.querySelector('#du-log-notes'); return e ? e.textContent : false })()`)
	if got != "上午走访一户，下午巡查" {
		t.Errorf("console shows the log %q", got)
	}
	artifact(t, "console-duties-zh.png", cdpGet(t, cc, "screenshot", chromedp.CaptureScreenshot()))
}
