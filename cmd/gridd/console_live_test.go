package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// failOnBrowserErrors records uncaught exceptions, console errors and
// error log entries of the tab; check fails the test on any.
func failOnBrowserErrors(t *testing.T, ctx context.Context) (check func()) {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			errs = append(errs, fmt.Sprintf("exception: %s at %s:%d", desc, d.URL, d.LineNumber))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				s := "console.error:"
				for _, a := range ev.Args {
					s += " " + string(a.Value) + a.Description
				}
				errs = append(errs, s)
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError && !capabilityProbe(ev.Entry) {
				errs = append(errs, fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
	if err != nil { // chromedp enables the Runtime and Log domains itself
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("browser: %s", e)
		}
	}
}

// capabilityProbe tells the console's own capability probes (detectCaps in
// web/src/main.js asks optional routes with deliberately bad parameters
// and reads 400 as "offered"), whose 4xx Chromium logs as network errors.
// They predate the live console and are left to the console's owner.
func capabilityProbe(e *log.Entry) bool {
	if e.Source != log.EntrySourceNetwork {
		return false
	}
	for _, p := range []string{"/api/v1/assessments?month=x", "/api/v1/stats/cases", "/api/v1/audits/registers?parent=0", "/api/v1/audits/patrol-coverage?month=x"} {
		if strings.HasSuffix(e.URL, p) {
			return true
		}
	}
	return false
}

// TestConsoleLiveCase: a case posted through the API appears in the
// center's open console — in the cases list and on the map — without a
// reload, and every event reaches the page as a 'gridd:event'.
func TestConsoleLiveCase(t *testing.T) {
	t.Parallel()
	ta := newConsoleApp(t)
	ctx := browser(t, consoleProbes)
	check := failOnBrowserErrors(t, ctx)
	login(t, ctx, ta.srv.URL, "center")
	cdpDo(t, ctx, "count events and open the cases list",
		chromedp.Evaluate[chromedp.Void](`window.__liveEvents = []; window.addEventListener('gridd:event', (e) => window.__liveEvents.push(e.detail))`),
		chromedp.Click(chromedp.CSS("#tab-cases")))
	waitFor[bool](t, ctx, "the cases list", `!!document.querySelector('#cases-table')`)
	before := cdpGet(t, ctx, "page id", chromedp.Evaluate[float64](`performance.timeOrigin`))

	c := ta.report(ta.login(ownGrid), reportBody("0104", pointIn(ownGrid, 71, 30)), nil)
	row := fmt.Sprintf(`#cases-table tr[data-id="%d"]`, c.ID)
	waitFor[bool](t, ctx, "the new case in the list", fmt.Sprintf(`!!document.querySelector(%q)`, row))
	waitFor[bool](t, ctx, "the new case on the map", fmt.Sprintf(`!!window.__gridd.state.map.casesSource.getFeatureById(%d)`, c.ID))
	ev := waitFor[map[string]any](t, ctx, "the gridd:event", fmt.Sprintf(`window.__liveEvents.find((e) => e.kind === 'case.created' && e.data.id === %d) || false`, c.ID))
	if ev["object"] != "case" || ev["id"] == nil {
		t.Errorf("gridd:event detail %v", ev)
	}
	if after := cdpGet(t, ctx, "page id", chromedp.Evaluate[float64](`performance.timeOrigin`)); after != before {
		t.Error("the page was reloaded")
	}
	// Logout closes the stream (no error on the way).
	cdpDo(t, ctx, "log out", chromedp.Click(chromedp.CSS("#logout")))
	waitFor[bool](t, ctx, "the login form", `!!document.querySelector('#username')`)
	check()
}
