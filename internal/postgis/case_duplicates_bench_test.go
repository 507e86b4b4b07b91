package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/jackc/pgx/v5"
)

// BenchmarkDuplicateSearch runs the duplicate search of case intake
// (200 m, 72 h, one category; fixed-seed points) over 1,000 and 100,000
// generated cases (90% open, four categories, ten days). "index" is the
// search as it runs; "without_index" is the same query with the
// space × category × time index dropped (inside a transaction rolled back
// afterwards): the plans of before (the open cases of the category in the
// window, or every case near the point, whichever the planner prefers).
func BenchmarkDuplicateSearch(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
			db := dbtest.NewDemo(b)
			bb := loadOpenCases(b, db.Pool, n, now)
			qs := dupQueries(bb, now, 1024)
			for i := range qs {
				qs[i].radius = 200
			}
			b.Run("index", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					runDup(b, db.Pool, qs[i%len(qs)])
				}
			})
			b.Run("without_index", func(b *testing.B) {
				b.ReportAllocs()
				err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, `DROP INDEX cases_open_duplicates`); err != nil {
						return err
					}
					for i := 0; b.Loop(); i++ {
						runDup(b, tx, qs[i%len(qs)])
					}
					return errUndo
				})
				if !errors.Is(err, errUndo) {
					b.Fatal(err)
				}
			})
		})
	}
}
