package postgis_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// duplicateCategories are the categories of the generated cases.
var duplicateCategories = []string{"0101", "0102", "0104", "0201"}

// loadOpenCases adds n cases (fixed seed) over the demo town: a quarter
// per category, reported in the 10 days before now, one in ten rejected;
// then analyzes the table. It returns the town's bounds.
func loadOpenCases(tb testing.TB, pool *pgxpool.Pool, n int, now time.Time) [4]float64 {
	tb.Helper()
	ctx := context.Background()
	var bb [4]float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom)::geometry AS e FROM grid_versions WHERE valid_to IS NULL) x`).Scan(&bb[0], &bb[1], &bb[2], &bb[3]); err != nil {
		tb.Fatal(err)
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0; SELECT setseed(0.42)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
INSERT INTO cases (number, category_code, description, source, geom, reported_at, reporter_id, status, reject_reason, created_at, updated_at)
SELECT '2026-01-' || lpad(i::text, 6, '0'), ($1::text[])[1 + i % cardinality($1::text[])], 'generated', 'hotline_12345',
       ST_SetSRID(ST_MakePoint($2::float8 + random() * ($4::float8 - $2::float8), $3::float8 + random() * ($5::float8 - $3::float8)), 4326),
       $7::timestamptz - random() * interval '10 days', (SELECT min(id) FROM users),
       CASE WHEN i % 10 = 0 THEN 'rejected' ELSE 'reported' END, CASE WHEN i % 10 = 0 THEN 'generated' ELSE '' END, $7, $7
FROM generate_series(1, $6::int) AS i`, duplicateCategories, bb[0], bb[1], bb[2], bb[3], n, now)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE cases`); err != nil {
		tb.Fatal(err)
	}
	return bb
}

// dupQuery is one duplicate search: category, point, since, radius.
type dupQuery struct {
	cat      string
	lon, lat float64
	since    time.Time
	radius   float64
}

func dupQueries(bb [4]float64, now time.Time, n int) []dupQuery {
	rng := rand.New(rand.NewPCG(7, 21))
	out := make([]dupQuery, n)
	for i := range out {
		out[i] = dupQuery{duplicateCategories[rng.IntN(len(duplicateCategories))], bb[0] + rng.Float64()*(bb[2]-bb[0]),
			bb[1] + rng.Float64()*(bb[3]-bb[1]), now.Add(-72 * time.Hour), []float64{50, 200, 1000}[rng.IntN(3)]}
	}
	return out
}

func runDup(tb testing.TB, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, d dupQuery) []int64 {
	rows, err := q.Query(context.Background(), postgis.DuplicatesSQLForTest, d.cat, d.lon, d.lat, d.since, d.radius)
	if err != nil {
		tb.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

var errUndo = errors.New("undo")

// TestDuplicateSearchBoundedByIndex: over 20,000 cases the duplicate
// search reads the space × category × time index (cases_open_duplicates)
// and visits only the cases near the point, and it gives the same answers
// as without that index (the plan of before: the open cases of the
// category since the window's start, filtered by distance).
func TestDuplicateSearchBoundedByIndex(t *testing.T) {
	db := dbtest.NewDemo(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	bb := loadOpenCases(t, db.Pool, 20000, now)
	qs := dupQueries(bb, now, 200)

	var plan []map[string]any
	var raw []byte
	d := qs[0]
	if err := db.Pool.QueryRow(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+postgis.DuplicatesSQLForTest, d.cat, d.lon, d.lat, d.since, 200.0).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &plan); err != nil {
		t.Fatal(err)
	}
	var index string
	visited := 0.0
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if name, ok := n["Index Name"].(string); ok {
			index = name
			for _, k := range []string{"Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck"} {
				v, _ := n[k].(float64)
				visited += v
			}
		}
		children, _ := n["Plans"].([]any)
		for _, c := range children {
			walk(c.(map[string]any))
		}
	}
	walk(plan[0]["Plan"].(map[string]any))
	if index != "cases_open_duplicates" {
		t.Errorf("the duplicate search reads index %q, want cases_open_duplicates; plan %s", index, raw)
	}
	// The open cases of the category in the window (~1,350) are what the
	// plan of before walked; the index visits those near the point.
	var inWindow float64
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE category_code = $1 AND status NOT IN ('rejected', 'closed', 'merged') AND reported_at >= $2`,
		d.cat, d.since).Scan(&inWindow); err != nil {
		t.Fatal(err)
	}
	if visited > inWindow/20 {
		t.Errorf("the duplicate search visited %v of the %v open cases of the category in the window for a 200 m radius; plan %s", visited, inWindow, raw)
	}

	with := make([][]int64, len(qs))
	found := 0
	for i, q := range qs {
		with[i] = runDup(t, db.Pool, q)
		found += len(with[i])
	}
	if found == 0 {
		t.Fatal("no query found a duplicate: the comparison would prove nothing")
	}
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DROP INDEX cases_open_duplicates`); err != nil {
			return err
		}
		for i, q := range qs {
			if without := runDup(t, tx, q); !slices.Equal(with[i], without) {
				t.Errorf("query %d %+v: %v with the index, %v without", i, q, with[i], without)
			}
		}
		return errUndo
	})
	if !errors.Is(err, errUndo) {
		t.Fatal(err)
	}
	t.Logf("%d queries, %d duplicates found; the plan visited %v rows of %v in the window", len(qs), found, visited, inWindow)
}
