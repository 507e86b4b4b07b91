package main

import (
	"context"
	"fmt"
	"testing"
)

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
