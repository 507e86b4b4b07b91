package main

// analyticsRouteCases are the access expectations of the analytics routes
// (issue 19), merged into routeCases by TestRouteAccess.
func analyticsRouteCases() map[string]routeCase {
	return map[string]routeCase{
		"GET /api/v1/hotspots":            {fixed("/api/v1/hotspots?from=2026-01-01&to=2026-11-30&res=8"), all(200, nil)},
		"GET /api/v1/results/workers":     {fixed("/api/v1/results/workers?period=2025-Q1"), all(200, nil)},
		"GET /api/v1/reports/weekly":      {fixed("/api/v1/reports/weekly?week=2026-W47"), all(200, nil)},
		"GET /api/v1/reports/monthly":     {fixed("/api/v1/reports/monthly?month=2026-11&format=xlsx"), all(200, nil)},
		"GET /api/v1/reports/ledger.xlsx": {fixed("/api/v1/reports/ledger.xlsx?from=2026-11-01&to=2026-11-30"), all(200, nil)},
	}
}
