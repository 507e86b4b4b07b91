package postgis_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/workday"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
)

// catchAllListSQL is the case list as it was before the filter builder
// (issue 15): every filter an optional `($n IS NULL OR …)` condition of
// one statement, and the total as a window count. Kept here, verbatim but
// for the select list, as the sibling the builder is measured against.
const catchAllListSQL = `SELECT ` + postgis.CaseColumnsForTest + `, count(*) OVER ()` + postgis.CaseFromForTest + `
WHERE (cardinality($1::text[]) = 0 OR c.status = ANY($1))
  AND ($2::text IS NULL OR c.grid_chain @> ARRAY[$2::text])
  AND ($3::text IS NULL OR c.lead_unit = $3 OR $3 = ANY(c.co_units))
  AND ($4::text IS NULL OR c.category_code = $4)
  AND ($5::text IS NULL OR k.parent_code = $5)
  AND ($6::text IS NULL OR c.source = $6)
  AND ($7::boolean IS NULL OR (c.status NOT IN ('rejected', 'closed', 'merged') AND c.due_at IS NOT NULL AND c.due_at <= $8) = $7)
  AND ($9::float8 IS NULL OR c.geom && ST_MakeEnvelope($9, $10, $11, $12, 4326))
  AND ($13::timestamptz IS NULL OR c.reported_at >= $13)
  AND ($14::timestamptz IS NULL OR c.reported_at < $14)
  AND (NOT $15::boolean OR c.grid_chain && $16::text[])
  AND ($17::text IS NULL OR c.lead_unit = $17 OR $17 = ANY(c.co_units) OR $17 = ANY(c.escalated_units))
  AND (cardinality($20::text[]) = 0 OR c.number = ANY($20))
  AND ($21::text IS NULL OR ` + catchAllDeadlineState + ` = $21)
  AND ($22::bigint IS NULL OR c.reporter_id = $22)
ORDER BY c.reported_at DESC, c.id DESC
LIMIT $18 OFFSET $19`

// catchAllCountSQL is its pasted count (run when a page was past the end).
const catchAllCountSQL = `SELECT count(*)` + postgis.CaseFromForTest + `
WHERE (cardinality($1::text[]) = 0 OR c.status = ANY($1))
  AND ($2::text IS NULL OR c.grid_chain @> ARRAY[$2::text])
  AND ($3::text IS NULL OR c.lead_unit = $3 OR $3 = ANY(c.co_units))
  AND ($4::text IS NULL OR c.category_code = $4)
  AND ($5::text IS NULL OR k.parent_code = $5)
  AND ($6::text IS NULL OR c.source = $6)
  AND ($7::boolean IS NULL OR (c.status NOT IN ('rejected', 'closed', 'merged') AND c.due_at IS NOT NULL AND c.due_at <= $8) = $7)
  AND ($9::float8 IS NULL OR c.geom && ST_MakeEnvelope($9, $10, $11, $12, 4326))
  AND ($13::timestamptz IS NULL OR c.reported_at >= $13)
  AND ($14::timestamptz IS NULL OR c.reported_at < $14)
  AND (NOT $15::boolean OR c.grid_chain && $16::text[])
  AND ($17::text IS NULL OR c.lead_unit = $17 OR $17 = ANY(c.co_units) OR $17 = ANY(c.escalated_units))
  AND (cardinality($18::text[]) = 0 OR c.number = ANY($18))
  AND ($19::text IS NULL OR ` + catchAllDeadlineState + ` = $19)
  AND ($20::bigint IS NULL OR c.reporter_id = $20)`

const catchAllDeadlineState = `(CASE WHEN c.status IN ('rejected', 'closed', 'merged') OR c.due_at IS NULL THEN NULL
  WHEN c.due_at <= $8 THEN 'red' WHEN c.warn_at <= $8 THEN 'yellow' ELSE 'green' END)`

// catchAllArgs are the former statement's 22 (list) or 20 (count) arguments for f.
func catchAllArgs(f casework.CaseFilter, count bool) []any {
	statuses := []string{}
	for _, st := range f.Status {
		statuses = append(statuses, string(st))
	}
	var minX, minY, maxX, maxY *float64
	if f.BBox != nil {
		minX, minY, maxX, maxY = &f.BBox.Min[0], &f.BBox.Min[1], &f.BBox.Max[0], &f.BBox.Max[1]
	}
	scope := f.ScopeGrids
	if scope == nil {
		scope = []string{}
	}
	var category, bigClass *string
	if f.Category != nil {
		if len(*f.Category) == 2 {
			bigClass = f.Category
		} else {
			category = f.Category
		}
	}
	numbers := f.Numbers
	if numbers == nil {
		numbers = []string{}
	}
	var ds *string
	if f.DeadlineState != nil {
		v := string(*f.DeadlineState)
		ds = &v
	}
	head := []any{statuses, f.Grid, f.Unit, category, bigClass, f.Source, f.Overdue, f.Now, minX, minY, maxX, maxY,
		f.From, f.To, f.ScopeGrids != nil, scope, f.ScopeUnit}
	if count {
		return append(head, numbers, ds, f.Reporter)
	}
	return append(head, f.Limit, f.Offset, numbers, ds, f.Reporter)
}

// benchCaseCount is the number of generated cases: 1,000,000, or
// GRIDD_BENCH_CASES.
func benchCaseCount(b *testing.B) int {
	if v := os.Getenv("GRIDD_BENCH_CASES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("GRIDD_BENCH_CASES=%q", v)
		}
		return n
	}
	return 1_000_000
}

// generateCases adds n cases to the demo database in one statement from a
// fixed seed (setseed; one backend, no parallel workers, so the rows are
// the same every run): 24 months of reports (2024-01 to 2025-12), grids,
// reporters and places of the demo cases, every category, source and
// non-merged status, lead and co-units, stage deadlines around now. The
// secondary indexes are dropped for the load and rebuilt as they were.
func generateCases(b *testing.B, db *postgis.DB, n int, now time.Time) {
	ctx := context.Background()
	start := time.Now()
	rows, err := db.Pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases' AND indexname NOT IN ('cases_pkey', 'cases_number_key')`)
	if err != nil {
		b.Fatal(err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			b.Fatal(err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, name := range names {
		if _, err := tx.Exec(ctx, `DROP INDEX `+name); err != nil { // names from pg_indexes
			b.Fatal(err)
		}
	}
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT setseed(0.15)`); err != nil {
		b.Fatal(err)
	}
	_, err = tx.Exec(ctx, `
WITH t AS (SELECT array_agg(id ORDER BY id) ids FROM cases WHERE status <> 'merged' AND grid_code IS NOT NULL),
     k AS (SELECT array_agg(code ORDER BY code) codes FROM case_categories WHERE parent_code IS NOT NULL),
     d AS (SELECT array_agg(code ORDER BY code) codes FROM departments),
     g AS (
  SELECT i, t.ids[1 + (i % cardinality(t.ids))] AS tid,
         k.codes[1 + floor(random() * cardinality(k.codes))::int] AS cat,
         (ARRAY['worker_app', 'hotline_12345', 'wechat', 'online', 'public', 'video', 'inspector'])[1 + floor(random() * 7)::int] AS source,
         (ARRAY['reported', 'escalated', 'accepted', 'rejected', 'dispatched', 'handling', 'extension_requested',
                'postponement_requested', 'postponed', 'handled', 'verifying', 'closed', 'closed', 'closed', 'closed', 'closed'])[1 + floor(random() * 16)::int] AS status,
         d.codes[1 + floor(random() * cardinality(d.codes))::int] AS lead,
         CASE WHEN random() < 0.2 THEN ARRAY[d.codes[1 + floor(random() * cardinality(d.codes))::int]] ELSE '{}' END AS co,
         '2024-01-01 00:00+08'::timestamptz + make_interval(months => i % 24) + random() * interval '27 days 23 hours' AS reported,
         random() AS r1, random() AS r2, random() AS r3
  FROM generate_series(1, $1::int) i, t, k, d)
INSERT INTO cases (number, category_code, description, source, geom, reported_at, reporter_id, grid_code, grid_chain, worker_id,
                   status, lead_unit, co_units, due_at, warn_at, stage, created_at, updated_at)
SELECT to_char(g.reported AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') || '-' || lpad((100000 + g.i / 24)::text, 6, '0'),
       g.cat,
       (ARRAY['道路破损', '垃圾堆放', '井盖缺失', '违章停车', '路灯不亮', '占道经营', '噪音扰民', '绿化损坏'])[1 + floor(g.r1 * 8)::int] || '，第' || g.i || '号',
       g.source, ST_SetSRID(ST_MakePoint(ST_X(c.geom) + (g.r2 - 0.5) * 0.002, ST_Y(c.geom) + (g.r3 - 0.5) * 0.002), 4326),
       g.reported, c.reporter_id, c.grid_code, c.grid_chain, c.worker_id,
       g.status,
       CASE WHEN g.status IN ('reported', 'escalated', 'accepted', 'rejected') THEN NULL ELSE g.lead END,
       CASE WHEN g.status IN ('reported', 'escalated', 'accepted', 'rejected') THEN '{}' ELSE g.co END,
       CASE WHEN g.status IN ('rejected', 'closed', 'postponed') THEN NULL ELSE $2::timestamptz + (g.r1 - 0.2) * interval '10 days' END,
       CASE WHEN g.status IN ('rejected', 'closed', 'postponed') THEN NULL ELSE $2::timestamptz + (g.r1 - 0.3) * interval '10 days' END,
       CASE WHEN g.status IN ('rejected', 'closed', 'merged') THEN NULL
            WHEN g.status IN ('reported', 'escalated', 'accepted') THEN 'review'
            WHEN g.status = 'dispatched' THEN 'accept'
            WHEN g.status IN ('handled', 'verifying') THEN 'verify' ELSE 'handle' END,
       g.reported, g.reported
FROM g JOIN cases c ON c.id = g.tid`, n, now)
	if err != nil {
		b.Fatal(err)
	}
	for _, def := range defs {
		if _, err := tx.Exec(ctx, def); err != nil { // definitions from pg_indexes
			b.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	for _, sql := range []string{`SET statement_timeout = 0`, `VACUUM ANALYZE cases`, `RESET statement_timeout`} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("generated %d cases in %s", n, time.Since(start).Round(time.Second))
}

// BenchmarkCaseList measures the case list on GRIDD_BENCH_CASES (default
// 1,000,000) generated cases: for no filter and each filter alone (and the
// center's scope with a combination), the first page as the API serves it
// (50 rows and the total) and the filtered count, with the statement built
// from the given filters ("builder") and the former catch-all statement
// ("catchall") as siblings in the same run; ns/op is the mean, p50-ms and
// p99-ms the percentiles of the single calls. Only with GRIDD_BENCH_FULL=1
// (make bench): generating the cases takes minutes.
func BenchmarkCaseList(b *testing.B) {
	if os.Getenv("GRIDD_BENCH_FULL") == "" {
		b.Log("set GRIDD_BENCH_FULL=1 (make bench) for the case list benchmark on 1,000,000 cases")
		return
	}
	ctx := context.Background()
	db := dbtest.NewDemo(b)
	now := time.Date(2025, 12, 20, 17, 0, 0, 0, workday.Shanghai())
	generateCases(b, db, benchCaseCount(b), now)
	st := postgis.NewCaseStore(db)

	str := func(s string) *string { return &s }
	yes := true
	red := casework.Red
	from, to := time.Date(2025, 12, 1, 0, 0, 0, 0, workday.Shanghai()), time.Date(2026, 1, 1, 0, 0, 0, 0, workday.Shanghai())
	week := now.AddDate(0, 0, -7)
	var village, grid, unit, category, bigClass, number string
	if err := db.Pool.QueryRow(ctx, `SELECT grid_chain[cardinality(grid_chain) - 1], grid_code, (SELECT min(lead_unit) FROM cases WHERE lead_unit IS NOT NULL),
  category_code, left(category_code, 2), number FROM cases WHERE grid_code IS NOT NULL ORDER BY id LIMIT 1`).
		Scan(&village, &grid, &unit, &category, &bigClass, &number); err != nil {
		b.Fatal(err)
	}
	var bbox orb.Bound
	if err := db.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM grid_versions WHERE code = $1) x`, grid).
		Scan(&bbox.Min[0], &bbox.Min[1], &bbox.Max[0], &bbox.Max[1]); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		f    casework.CaseFilter
	}{
		{"none", casework.CaseFilter{}},
		{"status", casework.CaseFilter{Status: []casework.Status{casework.StatusHandling}}},
		{"grid", casework.CaseFilter{Grid: &village}},
		{"unit", casework.CaseFilter{Unit: &unit}},
		{"category", casework.CaseFilter{Category: &category}},
		{"big_class", casework.CaseFilter{Category: &bigClass}},
		{"source", casework.CaseFilter{Source: str("wechat")}},
		{"overdue", casework.CaseFilter{Overdue: &yes}},
		{"deadline_state", casework.CaseFilter{DeadlineState: &red}},
		{"bbox", casework.CaseFilter{BBox: &bbox}},
		{"month", casework.CaseFilter{From: &from, To: &to}},
		{"week", casework.CaseFilter{From: &week}},
		{"number", casework.CaseFilter{Numbers: []string{number}}},
		{"scope_unit", casework.CaseFilter{ScopeUnit: &unit}},
		{"center_combined", casework.CaseFilter{ScopeGrids: []string{village}, Status: []casework.Status{casework.StatusHandling, casework.StatusDispatched}, Source: str("hotline_12345")}},
		{"q_number_prefix", casework.CaseFilter{Query: str(number[:9])}},
		{"q_keyword", casework.CaseFilter{Query: str("井盖缺失")}},
	}
	// measure times each call; a call cancelled by the statement timeout
	// (30 s) ends the sub-benchmark with the timeouts metric set.
	measure := func(b *testing.B, call func() error) {
		b.ReportAllocs()
		d := make([]time.Duration, 0, b.N)
		for range b.N {
			t0 := time.Now()
			if err := call(); err != nil {
				var pgErr *pgconn.PgError
				if errors.As(err, &pgErr) && pgErr.Code == "57014" {
					b.ReportMetric(1, "timeouts")
					return
				}
				b.Fatal(err)
			}
			d = append(d, time.Since(t0))
		}
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(d[(len(d)*99)/100].Microseconds())/1000, "p99-ms")
	}
	for _, tc := range cases {
		f := tc.f
		f.Now, f.Limit = now, 50
		b.Run(tc.name+"/page/builder", func(b *testing.B) {
			measure(b, func() error { _, _, err := st.FindCases(ctx, f); return err })
		})
		if f.Query == nil { // q is new: the former statement had none
			b.Run(tc.name+"/page/catchall", func(b *testing.B) {
				measure(b, func() error {
					rows, err := db.Pool.Query(ctx, catchAllListSQL, catchAllArgs(f, false)...)
					if err != nil {
						return err
					}
					defer rows.Close()
					var total int
					for rows.Next() {
						if _, err := postgis.ScanCaseForTest(rows, &total); err != nil {
							return err
						}
					}
					return rows.Err()
				})
			})
		}
		b.Run(tc.name+"/summary/builder", func(b *testing.B) {
			measure(b, func() error { _, err := st.SummarizeCases(ctx, f); return err })
		})
		b.Run(tc.name+"/count/builder", func(b *testing.B) {
			measure(b, func() error { _, err := st.CountCases(ctx, f); return err })
		})
		if f.Query == nil {
			b.Run(tc.name+"/count/catchall", func(b *testing.B) {
				measure(b, func() error {
					var n int
					return db.Pool.QueryRow(ctx, catchAllCountSQL, catchAllArgs(f, true)...).Scan(&n)
				})
			})
		}
	}
	// The other sorts of the first page (the catch-all statement had only
	// reported_at), and a second page by keyset cursor for each.
	for _, key := range []casework.SortKey{casework.SortReported, casework.SortStageDue, casework.SortNumber} {
		for _, asc := range []bool{false, true} {
			f := casework.CaseFilter{Now: now, Limit: 50, Sort: casework.CaseSort{Key: key, Asc: asc}}
			name := "sort_" + string(key) + map[bool]string{false: ".desc", true: ".asc"}[asc]
			b.Run(name+"/page/builder", func(b *testing.B) {
				measure(b, func() error { _, _, err := st.FindCases(ctx, f); return err })
			})
			first, _, err := st.FindCases(ctx, f)
			if err != nil || len(first) == 0 {
				b.Fatalf("first page %s: %v", name, err)
			}
			g := f
			g.After = casework.CursorAfter(g.Sort, first[len(first)-1])
			b.Run(name+"/next_page/builder", func(b *testing.B) {
				measure(b, func() error { _, _, err := st.FindCases(ctx, g); return err })
			})
		}
	}
	// The export (GET /api/v1/cases/export) reads the filtered list as the
	// handler does: keyset pages of 500 until the end, the total counted
	// with the first page only; rows/op is the number of cases read. One
	// week of reports, one month of one source and one month.
	for _, tc := range []struct {
		name string
		f    casework.CaseFilter
	}{
		{"export_week", casework.CaseFilter{From: &week}},
		{"export_month_wechat", casework.CaseFilter{From: &from, To: &to, Source: str("wechat")}},
		{"export_month", casework.CaseFilter{From: &from, To: &to}},
	} {
		f := tc.f
		f.Now, f.Limit = now, 500
		b.Run(tc.name+"/builder", func(b *testing.B) {
			var n int
			measure(b, func() error {
				g := f
				n = 0
				for {
					page, _, err := st.FindCases(ctx, g)
					if err != nil {
						return err
					}
					n += len(page)
					if len(page) < g.Limit {
						return nil
					}
					g.After = casework.CursorAfter(g.Sort, page[len(page)-1])
					g.NoTotal = true // as the handler: counted with the first page
				}
			})
			b.ReportMetric(float64(n), "rows/op")
		})
	}
}
