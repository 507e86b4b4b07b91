package main

import (
	"context"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/inbox"
)

// BenchmarkInboxCounts measures the to-do counts of GET /api/v1/inbox on
// the demo town with its cases in every status copied 250 times (10,000
// cases, ~6,500 open), for the town center, a unit and a grid worker: "one-query" is the store's single statement (counts
// by kind with FILTER and the unread notifications); "per-kind" is the
// alternative of one count per kind through the case list's store query
// (FindCases with limit 1 and its total), as a client would with
// GET /api/v1/cases?status=…&limit=1.
func BenchmarkInboxCounts(b *testing.B) {
	clk := &testClock{t: cst(2026, 11, 23, 9, 0)}
	ta := newCaseApp(b, clk)
	ctx := context.Background()
	// 249 more copies of each demo case with new ids and numbers.
	start := time.Now()
	for g := 1; g < 250; g++ {
		if _, err := ta.db.Pool.Exec(ctx, `
INSERT INTO cases SELECT (jsonb_populate_record(NULL::cases, to_jsonb(c) ||
  jsonb_build_object('id', nextval('cases_id_seq'), 'number', '2025-01-' || lpad(($1 * 1000 + c.id)::text, 6, '0')))).*
FROM cases c WHERE c.id < 1000`, g); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("copied the demo cases in %v", time.Since(start))
	if _, err := ta.db.Pool.Exec(ctx, `ANALYZE cases`); err != nil {
		b.Fatal(err)
	}
	logins := []string{"center", "dept-jw", ownGrid}
	for _, login := range logins {
		u, err := ta.people.FindUserByUsername(ctx, login)
		if err != nil {
			b.Fatal(err)
		}
		p, err := ta.auth.PrincipalFor(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		w := inbox.WhoOf(p)
		b.Run("one-query/"+string(p.Role()), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ta.inbox.Store.Counts(ctx, w, clk.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
		kinds := [][]casework.Status{
			{casework.StatusReported, casework.StatusEscalated, casework.StatusAccepted, casework.StatusExtensionRequested, casework.StatusPostponementRequested, casework.StatusHandled},
			{casework.StatusDispatched}, {casework.StatusHandling}, {casework.StatusVerifying},
		}
		overdue := true
		b.Run("per-kind/"+string(p.Role()), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, st := range kinds {
					if _, _, err := ta.cases.List(ctx, p, casework.CaseFilter{Status: st, Limit: 1}); err != nil {
						b.Fatal(err)
					}
				}
				if _, _, err := ta.cases.List(ctx, p, casework.CaseFilter{Overdue: &overdue, Limit: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
