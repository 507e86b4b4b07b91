package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsoleLiveCase: a case posted through the API appears in the
// center's open console — in the cases list and on the map — without a
// reload, and every event reaches the page as a 'gridd:event'.
func TestConsoleLiveCase(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t)
	login(t, ctx, ta.srv.URL, "center")
	cdpDo(t, ctx, "count events and open the cases list",
		chromedp.Evaluate[chromedp.Void](`window.__liveEvents = []; window.addEventListener('gridd:event', (e) => window.__liveEvents.push(e.detail))`),
		chromedp.Click(chromedp.CSS("#tab-cases")))
	waitFor[bool](t, ctx, "the cases list", `!!document.querySelector('#cases-table')`)
	before := cdpGet(t, ctx, "page id", chromedp.Evaluate[float64](`performance.timeOrigin`))
	center := ta.login("center")
	badge := checkInboxBadge(t, ctx, ta, center, -1)

	c := ta.report(ta.login(ownGrid), reportBody("0104", pointIn(ownGrid, 71, 30)), nil)
	row := fmt.Sprintf(`#cases-table tr[data-id="%d"]`, c.ID)
	waitFor[bool](t, ctx, "the new case in the list", fmt.Sprintf(`!!document.querySelector(%q)`, row))
	waitFor[bool](t, ctx, "the new case on the map", fmt.Sprintf(`!!window.__gridd.state.map.casesSource.getFeatureById(%d)`, c.ID))
	ev := waitFor[map[string]any](t, ctx, "the gridd:event", fmt.Sprintf(`window.__liveEvents.find((e) => e.kind === 'case.created' && e.data.id === %d) || false`, c.ID))
	if ev["object"] != "case" || ev["id"] == nil {
		t.Errorf("gridd:event detail %v", ev)
	}
	// The new report is one more to review: the to-do badge follows the
	// event without a reload.
	checkInboxBadge(t, ctx, ta, center, badge+1)
	if after := cdpGet(t, ctx, "page id", chromedp.Evaluate[float64](`performance.timeOrigin`)); after != before {
		t.Error("the page was reloaded")
	}
	// Logout closes the stream (no error on the way).
	cdpDo(t, ctx, "log out", chromedp.Click(chromedp.CSS("#logout")))
	waitFor[bool](t, ctx, "the login form", `!!document.querySelector('#username')`)
}
