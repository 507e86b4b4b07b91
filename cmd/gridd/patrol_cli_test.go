package main

import (
	"context"
	"testing"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
)

// TestCLIAuditPatrolsDemoMonth audits the demo month through the CLI and
// checks the stored monthly rows against the demo's personas.
func TestCLIAuditPatrolsDemoMonth(t *testing.T) {
	db := dbtest.NewDemo(t)
	url := dbtest.URL(t, db)
	ctx := context.Background()
	month := demo.DemoPatrolMonth.Format("2006-01")
	if err := run(ctx, []string{"audit", "patrols", "--month", month, "--database-url", url}); err != nil {
		t.Fatal(err)
	}
	persona := map[string]string{}
	for _, tr := range demo.Patrols(demo.Generate(dbtest.DemoSeed), demo.DemoPatrolMonth, 1) {
		persona[tr.Username] = tr.Persona
	}
	rows, err := db.Pool.Query(ctx, `
SELECT u.username, m.grid_code, m.days, m.days_patrolled, m.days_under, m.full_days, m.coverage, m.coverage_met
FROM patrol_months m JOIN users u ON u.id = m.worker_id WHERE m.month = $1::date ORDER BY u.username`, month+"-01")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var user, grid string
		var days, patrolled, under, full int
		var cov float64
		var met bool
		if err := rows.Scan(&user, &grid, &days, &patrolled, &under, &full, &cov, &met); err != nil {
			t.Fatal(err)
		}
		n++
		t.Logf("%s %-15s days %d patrolled %2d under %2d full %2d coverage %.3f met %v", user, persona[user], days, patrolled, under, full, cov, met)
		if days != 28 || patrolled+under != days {
			t.Errorf("%s: days %d, patrolled %d, under %d", user, days, patrolled, under)
		}
		switch persona[user] {
		case demo.PersonaDiligent:
			if patrolled != 28 || cov < 0.95 || !met {
				t.Errorf("diligent %s: patrolled %d, coverage %.3f", user, patrolled, cov)
			}
		case demo.PersonaSkipsFarSide:
			if cov > 0.6 || met {
				t.Errorf("%s skips the far side but covers %.3f", user, cov)
			}
		case demo.PersonaUnderTwoHours:
			if patrolled != 0 || under != 28 {
				t.Errorf("%s patrols under 2 h but has %d patrolled days", user, patrolled)
			}
		case demo.PersonaMissesDays:
			if patrolled > 24 || patrolled < 10 {
				t.Errorf("%s misses days but has %d patrolled days", user, patrolled)
			}
		default:
			t.Errorf("unexpected worker %s", user)
		}
	}
	if n != 26 {
		t.Errorf("%d monthly rows, want 26", n)
	}
	if err := run(ctx, []string{"audit", "patrols", "--database-url", url}); err == nil {
		t.Error("audit patrols without --month succeeded")
	}
}
