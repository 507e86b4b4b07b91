package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/attendance"
	"github.com/gridd/gridd/internal/inspection"
	"github.com/gridd/gridd/internal/training"
)

// TestFieldAppInspection: at 390×844 a worker picks a place of its grid,
// marks one checklist item OK and one failed with a photo, and sends: the
// inspection is stored with the template version and the failed item has
// opened one case with the photo; then it asks for a rest day, which the
// center sees pending.
func TestFieldAppInspection(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx0 := context.Background()
	place, _ := dutyInspectionFixture(ta, ownGrid)
	tpl := &inspection.Template{Code: "matrix", Name: "出租房屋消防检查", Kind: "place", Category: "rental_housing",
		Items: []inspection.Item{{Code: "exits", Text: "疏散通道畅通", Category: "0801"}, {Code: "charging", Text: "无私拉电线充电", Category: "0801"}}}
	if err := ta.inspections.SaveTemplate(ctx0, principalOf(ta, "admin"), tpl); err != nil {
		t.Fatal(err)
	}
	at := pointIn(ownGrid, 3, 60)
	ctx := fieldTab(t, ta.srv.URL, at[0], at[1])
	fieldLogin(t, ctx, ta.srv.URL, ownGrid)
	photo := testJPEG(t, t.TempDir(), "wires.jpg", 640, 480, 7)

	tapUntil(t, ctx, "inspect", "#btn-inspect", `!!document.querySelector('#inspect-place')`)
	waitFor[bool](t, ctx, "the places listed", `document.querySelectorAll('#inspect-place option').length > 1`)
	cdpGet(t, ctx, "choose the place", chromedp.Evaluate[bool](`(() => {
		const s = document.querySelector('#inspect-place');
		const o = [...s.options].find((o) => o.textContent.includes('矩阵出租楼'));
		if (!o) return false;
		s.value = o.value; s.dispatchEvent(new Event('change')); return true })()`))
	waitFor[bool](t, ctx, "the checklist", `!!document.querySelector('#inspect-fail-charging')`)
	if v := cdpGet(t, ctx, "template version", chromedp.Evaluate[float64](`window.__griddM.inspect.template.version`)); v != 2 {
		t.Errorf("the app shows template version %v, want the latest (2)", v)
	}
	cdpDo(t, ctx, "mark the items",
		chromedp.Tap(chromedp.CSS("#inspect-ok-exits")),
		chromedp.Tap(chromedp.CSS("#inspect-fail-charging")),
		chromedp.SetUploadFiles(chromedp.CSS("#inspect-photo-charging"), []string{photo}))
	waitFor[bool](t, ctx, "the photo", `window.__griddM.inspect.items.charging.photos.length === 1`)
	cdpDo(t, ctx, "note", chromedp.SendKeys(chromedp.CSS("#inspect-note-charging"), "楼道私拉电线"))
	noHorizontalScroll(t, ctx, "inspection")
	artifact(t, "field-inspection-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	cdpDo(t, ctx, "send", chromedp.Tap(chromedp.CSS("#inspect-send")))
	id := waitFor[float64](t, ctx, "the inspection stored", `(() => { const s = window.__griddM.sent.find((x) => x.kind === 'inspection'); return s ? s.id : false })()`)

	center := ta.login("center")
	var in inspectionView
	ta.do("GET", fmt.Sprintf("/api/v1/inspections/%d", int64(id)), center, nil, nil).decode(t, &in)
	if in.TemplateVersion != 2 || len(in.Cases) != 1 || in.Cases[0].Item != "charging" {
		t.Fatalf("inspection from the app: %+v", in)
	}
	var c struct {
		Source      string
		Description string
		Photos      []int64
	}
	ta.do("GET", fmt.Sprintf("/api/v1/cases/%d", in.Cases[0].CaseID), center, nil, nil).decode(t, &c)
	if c.Source != "inspection" || len(c.Photos) != 1 {
		t.Errorf("the case of the failed item: %+v", c)
	}
	_ = place

	// A rest day from the app.
	waitHome(t, ctx)
	tapUntil(t, ctx, "leave", "#btn-leave", `!!document.querySelector('#leave-send')`)
	cdpDo(t, ctx, "rest day", chromedp.SetValue(chromedp.CSS("#leave-kind"), "rest"))
	noHorizontalScroll(t, ctx, "leave")
	cdpDo(t, ctx, "send leave", chromedp.Tap(chromedp.CSS("#leave-send")))
	waitFor[bool](t, ctx, "the leave stored", `window.__griddM.sent.some((x) => x.kind === 'leave')`)
	var leave struct {
		Leave []struct{ Username, Kind, Status string }
	}
	ta.do("GET", "/api/v1/leave?status=pending", center, nil, nil).decode(t, &leave)
	if len(leave.Leave) != 1 || leave.Leave[0].Username != ownGrid || leave.Leave[0].Kind != "rest" {
		t.Errorf("pending leave at the center: %+v", leave.Leave)
	}
}

// TestConsoleDuties: the center's duties tab lists a worker's pending
// leave, which one click approves; who must retrain after a failed exam;
// the checklists; the licences due.
func TestConsoleDuties(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx0 := context.Background()
	admin := principalOf(ta, "admin")
	dutyInspectionFixture(ta, ownGrid)
	l, _, err := ta.leave.Ask(ctx0, principalOf(ta, ownGrid), attendance.Request{Kind: "leave", From: "2026-11-20", To: "2026-11-21", Reason: "病假"}, "")
	if err != nil {
		t.Fatal(err)
	}
	score := 40.0
	if _, _, err := ta.training.RecordSession(ctx0, admin, training.SessionIn{Title: "季度培训", Date: "2026-11-10", Hours: 1, PassMark: 60,
		Scope: ownGrid, Attendees: []training.AttendeeIn{{Username: ownGrid, Attended: true, Score: &score}}}, ""); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	cdpDo(t, ctx, "desktop", chromedp.EmulateViewport(1280, 800))
	login(t, ctx, ta.srv.URL, "center")
	cdpDo(t, ctx, "duties tab", chromedp.Click(chromedp.CSS("#tab-forces")))
	waitFor[bool](t, ctx, "the retrain list", `(document.querySelector('#duty-retrain .list') || {}).textContent?.includes('季度培训') || false`)
	waitFor[bool](t, ctx, "the checklists", `(document.querySelector('#duty-templates .list') || {}).textContent?.includes('矩阵检查') || false`)
	waitFor[bool](t, ctx, "the pending leave", fmt.Sprintf(`!!document.querySelector('#duty-leave li[data-id="%d"] button[data-action=approve]')`, l.ID))
	artifact(t, "console-duties-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	cdpDo(t, ctx, "approve", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#duty-leave li[data-id="%d"] button[data-action=approve]`, l.ID))))
	waitFor[bool](t, ctx, "the leave gone from the list", fmt.Sprintf(`!document.querySelector('#duty-leave li[data-id="%d"]') && !!document.querySelector('#duty-leave .muted')`, l.ID))
	var list struct{ Leave []struct{ ID int64 } }
	ta.do("GET", "/api/v1/leave?status=approved", ta.login("center"), nil, nil).decode(t, &list)
	if len(list.Leave) != 1 || list.Leave[0].ID != l.ID {
		t.Errorf("approved leave: %+v", list.Leave)
	}
}
