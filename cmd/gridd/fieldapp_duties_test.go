package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/training"
	"github.com/gridd/gridd/internal/workday"
)

// TestFieldAppVisitAndLog: at phone size (390×844), a worker standing at
// a household it answers for opens the visits due from home, records the
// visit with a photo (the camera's file) and the phone's position, and
// then submits today's daily log, which lists the visit, with the network
// off: the log waits in the outbox and is sent once when the network
// returns; the server holds the visit on site with its photo and the log on
// time. Then the worker sees its training (a failed exam: must retrain,
// hours, score) and meetings, and records a grid meeting from the phone.
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

	// Today's log lists the visit; the worker writes it with no network:
	// the entry waits in the outbox and is sent, once, when the network
	// returns.
	cdpDo(t, ctx, "back home", chromedp.Tap(chromedp.CSS("#back")))
	waitHome(t, ctx)
	tapUntil(t, ctx, "today's log", "#btn-worklog", `!!document.querySelector('#worklog-notes')`)
	waitFor[bool](t, ctx, "the visit in the log", `document.querySelectorAll('#wl-visits li').length === 1`)
	setNetwork(t, ctx, true, 0, -1, -1)
	waitFor[bool](t, ctx, "the app offline", `!navigator.onLine && document.querySelector('#net').classList.contains('off')`)
	cdpDo(t, ctx, "write the log", chromedp.SendKeys(chromedp.CSS("#worklog-notes"), "上午走访一户，下午巡查"))
	noHorizontalScroll(t, ctx, "daily log")
	cdpDo(t, ctx, "submit the log", chromedp.Tap(chromedp.CSS("#worklog-submit")))
	waitFor[bool](t, ctx, "the log in the outbox", `(async () => (await window.__griddM.Q.all()).filter((a) => a.kind === 'worklog').length === 1)()`)
	waitFor[bool](t, ctx, "the log shown waiting", `document.querySelector('#worklog-status').textContent.includes('待发送')`)
	artifact(t, "field-worklog-offline-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	countLogs := func() (n int, late bool, notes string) {
		t.Helper()
		if err := ta.db.Pool.QueryRow(t.Context(), `SELECT count(*), coalesce(bool_or(late), false), coalesce(max(notes), '') FROM worklogs w JOIN users u ON u.id = w.user_id WHERE u.username = $1`,
			ownGrid).Scan(&n, &late, &notes); err != nil {
			t.Fatal(err)
		}
		return
	}
	if n, _, _ := countLogs(); n != 0 {
		t.Fatalf("the server holds %d log entries while the phone is offline", n)
	}
	setNetwork(t, ctx, false, 0, -1, -1)
	waitFor[bool](t, ctx, "the log sent", `window.__griddM.sent.some((x) => x.kind === 'worklog' && x.status === 201)`)
	waitFor[bool](t, ctx, "the log submitted", `(async () => (await window.__griddM.Q.all()).length === 0 && !!(window.__griddM.worklog && window.__griddM.worklog.entry) && document.querySelector('#worklog-submit').textContent === '修改日志')()`)
	artifact(t, "field-worklog-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	if n, late, notes := countLogs(); n != 1 || late || notes != "上午走访一户，下午巡查" {
		t.Errorf("server holds %d log entries, late=%v, notes %q", n, late, notes)
	}
	if sent := cdpGet(t, ctx, "log sends", chromedp.Evaluate[float64](`window.__griddM.sent.filter((x) => x.kind === 'worklog').length`)); sent != 1 {
		t.Errorf("the log was sent %v times", sent)
	}

	// Training and meetings: the worker failed last month's exam and was
	// at the dispatch meeting; it sees both, then records this week's grid
	// meeting.
	admin := principalOf(ta, "admin")
	score := 40.0
	if _, _, err := ta.training.RecordSession(t.Context(), admin, training.SessionIn{Title: "季度业务培训", Date: "2026-11-10", Hours: 2, PassMark: 60,
		Scope: ownGrid, Attendees: []training.AttendeeIn{{Username: ownGrid, Attended: true, Score: &score}}}, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ta.training.RecordMeeting(t.Context(), admin, training.MeetingIn{Kind: "dispatch", Date: "2026-11-30", Title: "月度调度会",
		Minutes: "部署十二月工作", Attendees: []string{ownGrid, "center"}}, ""); err != nil {
		t.Fatal(err)
	}
	cdpDo(t, ctx, "back home", chromedp.Tap(chromedp.CSS("#back")))
	waitHome(t, ctx)
	tapUntil(t, ctx, "training", "#btn-training", `!!document.querySelector('#training-page')`)
	retrain := waitFor[string](t, ctx, "the retrain notice", `(() => { const e = document.querySelector('#tr-retrain'); return e && e.textContent.includes('季度业务培训') ? e.textContent : false })()`)
	if !strings.Contains(retrain, "考试未通过") {
		t.Errorf("retrain notice %q", retrain)
	}
	if s := cdpGet(t, ctx, "the session", chromedp.Evaluate[string](`document.querySelector('#tr-sessions li[data-passed="false"]')?.textContent || ''`)); !strings.Contains(s, "成绩 40/60") || !strings.Contains(s, "2 小时") {
		t.Errorf("session row %q", s)
	}
	if s := cdpGet(t, ctx, "the meeting", chromedp.Evaluate[string](`document.querySelector('#tr-meetings li[data-attended="true"]')?.textContent || ''`)); !strings.Contains(s, "调度会") {
		t.Errorf("meeting row %q", s)
	}
	noHorizontalScroll(t, ctx, "training")
	artifact(t, "field-training-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	tapUntil(t, ctx, "record a meeting", "#btn-meeting", `!!document.querySelector('#meeting-send')`)
	cdpDo(t, ctx, "the meeting",
		chromedp.SendKeys(chromedp.CSS("#meeting-title"), "网格周例会"),
		chromedp.SendKeys(chromedp.CSS("#meeting-minutes"), "通报上周案件"))
	noHorizontalScroll(t, ctx, "record a meeting")
	cdpDo(t, ctx, "send the meeting", chromedp.Tap(chromedp.CSS("#meeting-send")))
	waitFor[bool](t, ctx, "the meeting sent", `window.__griddM.sent.some((x) => x.kind === 'meeting' && x.status === 201)`)
	waitFor[bool](t, ctx, "the meeting listed", `document.querySelectorAll('#tr-meetings li[data-attended="true"]').length === 2`)
	var kind, grid string
	var attendees int
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT kind, grid_code, cardinality(attendees) FROM meetings WHERE title = '网格周例会'`).Scan(&kind, &grid, &attendees); err != nil {
		t.Fatalf("the meeting from the app: %v", err)
	}
	if kind != "grid" || grid != ownGrid || attendees != 1 {
		t.Errorf("the meeting from the app: %s %s with %d attendees", kind, grid, attendees)
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
