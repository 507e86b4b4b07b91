package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/people"
)

// TestCenterEndsOnlyAssignmentsInScope: a center whose scope is one village
// may end an assignment there, and one in another village is not found to
// it and stays open (it was ended whatever its grid).
func TestCenterEndsOnlyAssignmentsInScope(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t, true)
	ctx := context.Background()
	if err := ta.people.CreateUser(ctx, &people.User{Username: "village-center", Name: "村级中心", Role: people.RoleCenter,
		ScopeCode: viewerScope, PasswordHash: mustHash(t)}); err != nil {
		t.Fatal(err)
	}
	u, err := ta.people.FindUserByUsername(ctx, "p0001")
	if err != nil {
		t.Fatal(err)
	}
	assign := func(grid string) int64 {
		a := &people.Assignment{UserID: u.ID, GridCode: grid, GridRole: people.GridVolunteer, ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		if err := ta.people.CreateAssignment(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	outside, inside := assign(ownGrid), assign(otherGrid) // ownGrid lies in another village than viewerScope
	tok := ta.login("village-center")
	end := func(id int64) response {
		return ta.do("POST", fmt.Sprintf("/api/v1/assignments/%d/end", id), tok, map[string]string{"on": "2026-11-20"}, nil)
	}
	if res := end(outside); res.Status != 404 {
		t.Fatalf("ending an assignment outside the center's village: %d %s, want 404", res.Status, res.Body)
	}
	if res := end(inside); res.Status != 204 {
		t.Fatalf("ending an assignment in the center's village: %d %s, want 204", res.Status, res.Body)
	}
	open := func(id int64) bool {
		as, err := ta.people.FindAssignments(ctx, people.AssignmentFilter{ID: &id})
		if err != nil || len(as) != 1 {
			t.Fatalf("assignment %d: %v %v", id, as, err)
		}
		return as[0].ValidTo == nil
	}
	if !open(outside) || open(inside) {
		t.Fatalf("after the two requests: outside open %v (want true), inside open %v (want false)", open(outside), open(inside))
	}
}
