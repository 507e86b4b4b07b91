package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/report"
	"github.com/gridd/gridd/internal/workday"
)

// benchCases is the size of the synthetic history: 1,000,000 cases with
// GRIDD_BENCH_FULL=1 (make bench), 50,000 otherwise.
func benchCases() int {
	if os.Getenv("GRIDD_BENCH_FULL") != "" {
		return 1_000_000
	}
	return 50_000
}

// generateHistory inserts n cases over 2024–2025 into the demo town in one
// statement from a fixed seed (setseed in the same transaction): 70%
// uniform over the town's bounding box, 30% around 40 fixed centres;
// categories from the taxonomy's first ten small classes; 60% closed by a
// demo unit (accepted an hour after the report, closed 1–10 days later,
// on time when within 5 days), the rest reported. The grid chain is the
// town only (the analyses below run as admin).
func generateHistory(b *testing.B, ta *testApp, n int) {
	b.Helper()
	ctx := context.Background()
	bd := demoTown().Grids[0].Geometry.Bound()
	tx, err := ta.db.Pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// One statement writes every row and its indexes: longer than the
	// service's statement timeout at 1M rows.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '20min'`); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT setseed(0.19)`); err != nil {
		b.Fatal(err)
	}
	admin, err := ta.people.FindUserByUsername(ctx, "admin")
	if err != nil {
		b.Fatal(err)
	}
	_, err = tx.Exec(ctx, `WITH bb AS (SELECT $1::float8 AS x0, $2::float8 AS y0, $3::float8 AS x1, $4::float8 AS y1),
k AS (SELECT (SELECT array_agg(code ORDER BY code) FROM (SELECT code FROM case_categories WHERE parent_code IS NOT NULL ORDER BY code LIMIT 10) c) AS cats,
  (SELECT array_agg(code ORDER BY code) FROM departments) AS units),
centres AS (SELECT array_agg(bb.x0 + random() * (bb.x1 - bb.x0) ORDER BY i) AS cx, array_agg(bb.y0 + random() * (bb.y1 - bb.y0) ORDER BY i) AS cy FROM bb, generate_series(1, 40) i),
g AS (SELECT n, random() < 0.3 AS clustered, 1 + floor(random() * 40)::int AS c, random() AS u, random() AS v,
  timestamptz '2024-01-01 00:00+08' + random() * interval '731 days' AS at, random() AS closed, 1 + floor(random() * 10)::int AS days,
  random() AS cat, random() AS unit
  FROM generate_series(1, $5::int) n)
INSERT INTO cases (number, category_code, description, source, geom, reported_at, reporter_id, grid_chain, status,
  lead_unit, accepted_at, handled_at, closed_at, handled_on_time, created_at, updated_at)
SELECT to_char(g.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') || '-' || lpad((g.n % 1000000)::text, 6, '0'),
  k.cats[1 + floor(g.cat * cardinality(k.cats))::int], '合成案件', CASE WHEN g.u < 0.7 THEN 'worker_app' ELSE 'hotline_12345' END,
  ST_SetSRID(CASE WHEN g.clustered THEN ST_MakePoint(centres.cx[g.c] + (g.u - 0.5) * 0.004, centres.cy[g.c] + (g.v - 0.5) * 0.003)
    ELSE ST_MakePoint(bb.x0 + g.u * (bb.x1 - bb.x0), bb.y0 + g.v * (bb.y1 - bb.y0)) END, 4326),
  g.at, $6, ARRAY['370114001000000'],
  CASE WHEN g.closed < 0.6 THEN 'closed' ELSE 'reported' END,
  CASE WHEN g.closed < 0.6 THEN k.units[1 + floor(g.unit * cardinality(k.units))::int] END,
  CASE WHEN g.closed < 0.6 THEN g.at + interval '1 hour' END,
  CASE WHEN g.closed < 0.6 THEN g.at + g.days * interval '1 day' END,
  CASE WHEN g.closed < 0.6 THEN g.at + g.days * interval '1 day' + interval '2 hours' END,
  CASE WHEN g.closed < 0.6 THEN g.days <= 5 END,
  g.at, g.at
FROM g, k, centres, bb`, bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1], n, admin.ID)
	if err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}

func adminPrincipal(b *testing.B, ta *testApp) *auth.Principal {
	b.Helper()
	ctx := context.Background()
	u, err := ta.people.FindUserByUsername(ctx, "admin")
	if err != nil {
		b.Fatal(err)
	}
	p, err := ta.auth.PrincipalFor(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkHotspots1M: hot spots of a district over 24 months (res 9,
// every category) on benchCases() cases — the whole analysis (the GROUP
// BY of the cells' res-9 parents by month, lattice, three Gi* passes with
// FDR, Mann-Kendall) — beside the plain SQL GROUP BY of the same counts. The one-time backfill
// of the cases' cells is reported as backfill-s. Then the statistics of
// the half year 2025-01..06 by unit (casework.Stats) beside a plain SQL
// GROUP BY of the same figures (reported, closed, closed on time).
func BenchmarkHotspots1M(b *testing.B) {
	clk := &testClock{t: cst(2026, 1, 15, 10, 0)}
	ta := newCaseApp(b, clk)
	ctx := context.Background()
	n := benchCases()
	start := time.Now()
	generateHistory(b, ta, n)
	gen := time.Since(start)
	start = time.Now()
	if err := ta.hotspots.Backfill(ctx); err != nil {
		b.Fatal(err)
	}
	backfill := time.Since(start)
	for _, t := range []string{"cases"} {
		if _, err := ta.db.Pool.Exec(ctx, `VACUUM ANALYZE `+t); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d cases generated in %v, cells backfilled in %v", n, gen.Round(time.Millisecond), backfill.Round(time.Millisecond))
	p := adminPrincipal(b, ta)
	from, to := cst(2024, 1, 1, 0, 0), cst(2026, 1, 1, 0, 0)
	b.Run("gridd", func(b *testing.B) {
		b.ReportAllocs()
		var cells, sig int
		for b.Loop() {
			h, err := ta.hotspots.Hotspots(ctx, p, analytics.HotspotQuery{From: from, To: to, Resolution: 9})
			if err != nil {
				b.Fatal(err)
			}
			cells, sig = len(h.Cells), 0
			for _, c := range h.Cells {
				if c.Significant {
					sig++
				}
			}
		}
		b.ReportMetric(float64(cells), "cells")
		b.ReportMetric(float64(sig), "significant")
		b.ReportMetric(backfill.Seconds(), "backfill-s")
	})
	b.Run("sql-groupby", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			clear, set := analytics.ParentMask(9)
			rows, err := ta.db.Pool.Query(ctx, `SELECT (c.h3_cell & $3) | $4, date_trunc('month', c.reported_at AT TIME ZONE 'Asia/Shanghai'), count(*)
FROM cases c
WHERE c.reported_at >= $1 AND c.reported_at < $2 AND c.status NOT IN ('merged', 'rejected') AND c.h3_cell IS NOT NULL
GROUP BY 1, 2`, from, to, clear, set)
			if err != nil {
				b.Fatal(err)
			}
			k := 0
			for rows.Next() {
				k++
			}
			rows.Close()
			if rows.Err() != nil || k == 0 {
				b.Fatal(rows.Err(), k)
			}
		}
	})
	for _, per := range []struct {
		name   string
		sf, st time.Time
	}{{"stats", cst(2025, 1, 1, 0, 0), cst(2025, 7, 1, 0, 0)}, {"stats-24m", from, to}} {
		sf, st := per.sf, per.st
		b.Run(per.name+"-gridd", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := ta.cases.Stats(ctx, p, sf, st, "unit")
				if err != nil {
					b.Fatal(err)
				}
				if s.Total.Reported == 0 {
					b.Fatal("no cases")
				}
				b.ReportMetric(float64(s.Total.Reported), "cases")
			}
		})
		b.Run(per.name+"-sql-groupby", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rows, err := ta.db.Pool.Query(ctx, `SELECT coalesce(lead_unit, 'unassigned'), count(*), count(*) FILTER (WHERE closed_at IS NOT NULL),
  count(*) FILTER (WHERE closed_at IS NOT NULL AND handled_on_time)
FROM cases WHERE reported_at >= $1 AND reported_at < $2 GROUP BY 1`, sf, st)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
				if rows.Err() != nil {
					b.Fatal(rows.Err())
				}
			}
		})
	}
}

// BenchmarkWeeklyPack: the weekly meeting pack of the demo town (its
// latest week with cases) built and written as xlsx and as the printable
// page, as GET /api/v1/reports/weekly does.
func BenchmarkWeeklyPack(b *testing.B) {
	clk := &testClock{t: time.Now()}
	ta := newCaseApp(b, clk)
	ctx := context.Background()
	var latest time.Time
	if err := ta.db.Pool.QueryRow(ctx, `SELECT max(reported_at) FROM cases`).Scan(&latest); err != nil {
		b.Fatal(err)
	}
	y, w := latest.In(workday.Shanghai()).ISOWeek()
	per, err := report.ParseWeek(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")+"-W"+twoDigits(w), workday.Shanghai())
	if err != nil {
		b.Fatal(err)
	}
	p := adminPrincipal(b, ta)
	for _, format := range []string{"xlsx", "html"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res := ta.do("GET", "/api/v1/reports/weekly?week="+per.Label+"&format="+format, ta.login("admin"), nil, nil)
				if res.Status != 200 {
					b.Fatalf("%d %s", res.Status, res.Body)
				}
				b.ReportMetric(float64(len(res.Body)), "bytes")
			}
		})
	}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			pk, err := ta.reports.Build(ctx, p, per)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(pk.Ledger)), "cases")
		}
	})
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }
