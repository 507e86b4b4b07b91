package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/gridd/gridd/internal/attendance"
	"github.com/gridd/gridd/internal/demo"
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
// the checklists, one edited into its next version; the licences due; the
// police rota of a community filled and one officer taken off.
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

	// The center edits the checklist: renamed, an item added; the save
	// stores version 2 and version 1 stays as it was.
	cdpDo(t, ctx, "edit the checklist", chromedp.Click(chromedp.CSS(`#duty-templates li[data-code="matrix"] button[data-action=edit]`)))
	waitFor[bool](t, ctx, "the editor", `document.querySelectorAll('#ck-form .ck-item').length === 1 && document.querySelector('#ck-code').readOnly`)
	cdpDo(t, ctx, "rename and add an item",
		chromedp.SetValue(chromedp.CSS("#ck-name"), "矩阵检查（修订）"),
		chromedp.Click(chromedp.CSS("#ck-add")))
	waitFor[bool](t, ctx, "the new item row", `document.querySelectorAll('#ck-form .ck-item').length === 2`)
	cdpDo(t, ctx, "fill the new item",
		chromedp.SendKeys(chromedp.CSS("#ck-form .ck-item:nth-child(2) .ck-item-code"), "lights"),
		chromedp.SendKeys(chromedp.CSS("#ck-form .ck-item:nth-child(2) .ck-item-text"), "应急照明完好"),
		chromedp.SendKeys(chromedp.CSS("#ck-form .ck-item:nth-child(2) .ck-item-category"), "0801"),
		chromedp.Click(chromedp.CSS("#ck-save")))
	waitFor[bool](t, ctx, "version 2 listed", `(document.querySelector('#duty-templates li[data-code="matrix"]') || {}).textContent?.includes('2 项 · 第2版') || false`)
	if msg := cdpGet(t, ctx, "saved", chromedp.Evaluate[string](`document.querySelector('#ck-msg').textContent`)); msg != "已保存：矩阵检查（修订） 第2版" {
		t.Errorf("editor says %q", msg)
	}
	var versions []string
	rows, err := ta.db.Pool.Query(ctx0, `SELECT version || ':' || name || ':' || jsonb_array_length(items) FROM inspection_templates WHERE code = 'matrix' ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if fmt.Sprint(versions) != "[1:矩阵检查:1 2:矩阵检查（修订）:2]" {
		t.Errorf("stored versions %v", versions)
	}
	artifact(t, "console-checklist-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))

	// The police rota of the demo's community: three officers on the first
	// shift of a day, one taken off again; the norms' flags say what is short.
	day := "2026-12-14"
	cdpDo(t, ctx, "the community's week",
		chromedp.SetValue(chromedp.CSS("#rota-community"), demo.PoliceCommunity),
		chromedp.SetValue(chromedp.CSS("#rota-from"), day),
		chromedp.Click(chromedp.CSS("#rota-show")))
	waitFor[bool](t, ctx, "the empty week", `document.querySelectorAll('#rota-table tbody tr').length === 7 && !!document.querySelector('#rota-flags li[data-reason=officers_below_norm]')`)
	cell := fmt.Sprintf(`#rota-table td[data-date="%s"][data-shift="1"] .officer`, day)
	for i := 1; i <= 3; i++ {
		cdpDo(t, ctx, "an officer on the shift",
			chromedp.SetValue(chromedp.CSS("#rota-add-date"), day),
			chromedp.SetValue(chromedp.CSS("#rota-add-shift"), "1"),
			chromedp.SendKeys(chromedp.CSS("#rota-add-user"), fmt.Sprintf("police-%d", i)),
			chromedp.Click(chromedp.CSS("#rota-add")))
		waitFor[bool](t, ctx, "the officer shown", fmt.Sprintf(`document.querySelectorAll('%s').length === %d`, cell, i))
	}
	flags := cdpGet(t, ctx, "the flags", chromedp.Evaluate[string](`document.querySelector('#rota-flags').textContent`))
	if !strings.Contains(flags, "民警不足：3 名，标准 9 名") || strings.Contains(flags, day+" 第1班") || !strings.Contains(flags, day+" 第2班 0 人，标准 3 人") {
		t.Errorf("rota flags %q", flags)
	}
	artifact(t, "console-rota-zh.png", cdpGet(t, ctx, "screenshot", chromedp.CaptureScreenshot()))
	cdpDo(t, ctx, "take one off", chromedp.Click(chromedp.CSS(cell+" button")))
	waitFor[bool](t, ctx, "two left", fmt.Sprintf(`document.querySelectorAll('%s').length === 2 && document.querySelector('#rota-flags').textContent.includes('%s 第1班 2 人')`, cell, day))
	var shifts int
	if err := ta.db.Pool.QueryRow(ctx0, `SELECT count(*) FROM police_shifts WHERE community_code = $1`, demo.PoliceCommunity).Scan(&shifts); err != nil {
		t.Fatal(err)
	}
	if shifts != 2 {
		t.Errorf("%d shifts stored, want 2", shifts)
	}
}
