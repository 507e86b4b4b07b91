package main

import (
	"context"
	"fmt"

	"github.com/gridd/gridd/internal/analytics"

	"github.com/gridd/gridd/internal/people"
)

// analyticsRouteCases are the access expectations of the analytics routes
// (issue 19), merged into routeCases by TestRouteAccess.
func analyticsRouteCases() map[string]routeCase {
	return map[string]routeCase{
		"GET /api/v1/hotspots":               {fixed("/api/v1/hotspots?from=2026-01-01&to=2026-11-30&res=8"), all(200, nil)},
		"GET /api/v1/results/workers":        {fixed("/api/v1/results/workers?period=2025-Q1"), all(200, nil)},
		"GET /api/v1/reports/weekly":         {fixed("/api/v1/reports/weekly?week=2026-W47"), all(200, nil)},
		"GET /api/v1/reports/monthly":        {fixed("/api/v1/reports/monthly?month=2026-11&format=xlsx"), all(200, nil)},
		"GET /api/v1/reports/ledger.xlsx":    {fixed("/api/v1/reports/ledger.xlsx?from=2026-11-01&to=2026-11-30"), all(200, nil)},
		"GET /api/v1/results/leaders":        {fixed("/api/v1/results/leaders?year=2025"), only(200, "admin", "center")},
		"GET /api/v1/results/leaders/rubric": {fixed("/api/v1/results/leaders/rubric"), only(200, "admin", "center")},
		"PUT /api/v1/results/leaders/rubric": {func(*testApp, string) (string, any, map[string]string) {
			r := analytics.DefaultLeaderRubric()
			return "/api/v1/results/leaders/rubric", r, nil
		}, only(200, "admin")},
		"PUT /api/v1/results/leaders/scores": {func(ta *testApp, _ string) (string, any, map[string]string) {
			role := people.GridSupervisingLeader
			as, err := ta.people.FindAssignments(context.Background(), people.AssignmentFilter{Role: &role})
			if err != nil || len(as) == 0 {
				panic(fmt.Sprintf("no supervising leader in the test town: %v", err))
			}
			return "/api/v1/results/leaders/scores", map[string]any{"year": 2025, "user_id": as[0].UserID, "item": "meeting", "score": 90}, nil
		}, only(200, "admin", "center")},
	}
}
