package main

// analyticsRouteCases are the access expectations of the analytics routes
// (issue 19), merged into routeCases by TestRouteAccess.
func analyticsRouteCases() map[string]routeCase {
	return map[string]routeCase{
		"GET /api/v1/hotspots":        {fixed("/api/v1/hotspots?from=2026-01-01&to=2026-11-30&res=8"), all(200, nil)},
		"GET /api/v1/results/workers": {fixed("/api/v1/results/workers?period=2026-Q3"), all(200, nil)},
	}
}
