package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// failOnConsoleErrors fails t on any uncaught exception (unhandled
// rejections included), console.error call or error log entry of the page
// in ctx.
func failOnConsoleErrors(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			t.Errorf("browser: uncaught exception: %s (%s:%d)", msg, d.URL, d.LineNumber)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				t.Errorf("browser: console.error %v", args)
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError && !capabilityProbe(ev.Entry) {
				t.Errorf("browser: error log entry: %s (%s)", ev.Entry.Text, ev.Entry.URL)
			}
		}
	})
	if err != nil {
		t.Fatalf("listen to the browser's console: %v", err)
	}
}

// capabilityProbes are the requests with which the console's detectCaps
// (web/src/main.js) asks whether an optional API is served: deliberately
// incomplete queries answered 400/404, which Chromium logs as failed loads.
// They are known and left to the console's owner; any other failed load fails.
var capabilityProbes = []string{"/api/v1/assessments?month=x", "/api/v1/audits/patrol-coverage?month=x",
	"/api/v1/audits/registers?parent=0", "/api/v1/stats/cases"}

func capabilityProbe(e *log.Entry) bool {
	if e.Source != log.EntrySourceNetwork {
		return false
	}
	for _, p := range capabilityProbes {
		if strings.HasSuffix(e.URL, p) {
			return true
		}
	}
	return false
}

// checkInboxBadge waits until the cases tab's to-do badge shows want (-1:
// whatever the inbox API says now) and agrees with GET /api/v1/inbox; it
// returns the number shown.
func checkInboxBadge(t *testing.T, ctx context.Context, ta *testApp, token string, want int) int {
	t.Helper()
	if want < 0 {
		var in inboxView
		ta.do("GET", "/api/v1/inbox", token, nil, nil).decode(t, &in)
		c := in.Counts
		want = c.ToReview + c.ToAccept + c.ToHandle + c.ToVerify
	}
	got := waitFor[int](t, ctx, fmt.Sprintf("the to-do badge at %d", want), fmt.Sprintf(
		`(() => { const b = document.querySelector('#tab-cases #inbox-badge'); return b && !b.hidden && Number(b.textContent) === %d ? %d : false })()`, want, want))
	return got
}
