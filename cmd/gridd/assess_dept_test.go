package main

import (
	"context"
	"testing"

	"github.com/gridd/gridd/internal/assessment"
)

// TestAssessmentDepartmentFigures assesses the demo's case months (the
// demo cases run from late October to 20 November 2026 through every
// branch of the loop) and checks the department figures against the case
// timeline, and the work-order points against the workers' own reports.
func TestAssessmentDepartmentFigures(t *testing.T) {
	clk := &testClock{t: cst(2026, 11, 25, 9, 0)}
	ta := newCaseApp(t, clk)
	admin := ta.login("admin")
	ctx := context.Background()
	var returns, reworks, dispatched int
	points := map[string]float64{}
	for _, month := range []string{"2026-10", "2026-11"} {
		v := ta.assessments(admin, "month="+month, 200)
		if len(v.Departments) == 0 {
			t.Fatalf("%s: no department figures", month)
		}
		for _, d := range v.Departments {
			returns += d.Returns
			reworks += d.Reworks
			dispatched += d.Dispatched
			if d.OnTime > d.Handled || (d.Handled > 0) != (d.OnTimeRate != nil) {
				t.Errorf("%s %s: on time %d of %d handled, rate %v", month, d.Unit, d.OnTime, d.Handled, d.OnTimeRate)
			}
		}
		for _, r := range v.Workers {
			points[r.Worker.Username] += r.Figures.Points
			if it := itemOf(r, assessment.BlockInformation, "points_below_min"); len(it.Evidence) != r.Figures.OrdersPassed {
				t.Errorf("%s %s: %d cases listed for %d qualified orders", month, r.Worker.Username, len(it.Evidence), r.Figures.OrdersPassed)
			}
		}
	}
	var wantReturns, wantReworks, wantDispatched int
	err := ta.db.Pool.QueryRow(ctx, `
SELECT (SELECT count(*) FROM case_events WHERE action = 'return'),
       (SELECT count(*) FROM case_events WHERE action = 'verify_fail'),
       (SELECT count(*) FROM case_events WHERE action = 'dispatch')`).Scan(&wantReturns, &wantReworks, &wantDispatched)
	if err != nil {
		t.Fatal(err)
	}
	if wantReturns == 0 || wantReworks == 0 {
		t.Fatalf("the demo has %d returns and %d reworks; the test needs both", wantReturns, wantReworks)
	}
	if returns != wantReturns || reworks != wantReworks || dispatched != wantDispatched {
		t.Errorf("returns %d reworks %d dispatched %d over both months; the timeline has %d, %d, %d", returns, reworks, dispatched, wantReturns, wantReworks, wantDispatched)
	}
	// Work-order points: the category points of each worker's own app
	// reports that the center qualified (accepted or resolved on site).
	rows, err := ta.db.Pool.Query(ctx, `
SELECT u.username, sum(k.points)::float8 FROM cases c JOIN users u ON u.id = c.reporter_id
JOIN case_categories k ON k.code = c.category_code
WHERE c.source = 'worker_app' AND c.status NOT IN ('rejected', 'merged') AND (c.accepted_at IS NOT NULL OR c.resolved_on_site)
GROUP BY u.username`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var u string
		var p float64
		if err := rows.Scan(&u, &p); err != nil {
			t.Fatal(err)
		}
		n++
		if points[u] != p {
			t.Errorf("%s: %v work-order points assessed, %v qualified in the cases", u, points[u], p)
		}
	}
	if n == 0 {
		t.Fatal("no qualified worker reports in the demo")
	}
}
