package locate_test

import (
	"context"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/spatial/gridindex"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
	"github.com/paulmach/orb"
)

// Benchmarks of point-in-grid: the in-process index against PostGIS one
// query at a time and PostGIS batched (unnest join, jit off) on the same
// grids and points in one run, so the ratios come from one machine state.
// 20k grids always; 1M grids with GRIDD_BENCH_FULL=1 (make bench).

type benchSet struct {
	grids []gridindex.Grid
	ix    *gridindex.Index
	pts   []orb.Point
	db    *postgis.DB
	build time.Duration
	heap  uint64
}

var (
	setsMu sync.Mutex
	sets   = map[int]*benchSet{}
)

func benchData(b *testing.B, side int) *benchSet {
	setsMu.Lock()
	defer setsMu.Unlock()
	if s, ok := sets[side]; ok {
		return s
	}
	grids := gridindextest.Tessellation(5, side, side, 100.0, 25.0, 0.005)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	ix, err := gridindex.New(grids)
	if err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	s := &benchSet{grids: grids, ix: ix, pts: testPoints(grids, 100_000, 9), build: build, heap: after.HeapAlloc - before.HeapAlloc}
	s.db = dbtest.New(b)
	loadBenchGrids(b, s.db, grids)
	sets[side] = s
	return s
}

func benchLocate(b *testing.B, side int) {
	s := benchData(b, side)
	b.Logf("%d grids: index built in %s, heap %.0f MiB", len(s.grids), s.build, float64(s.heap)/(1<<20))
	ctx := context.Background()
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		var buf []*gridindex.Grid
		for i := 0; b.Loop(); i++ {
			buf = s.ix.AppendLocate(buf[:0], s.pts[i%len(s.pts)])
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("postgis-single", func(b *testing.B) {
		b.ReportAllocs()
		// One connection without parallel workers: at 1M rows the planner
		// otherwise launches a parallel worker for each point (~70 ms).
		conn, err := s.db.Pool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, `SET max_parallel_workers_per_gather = 0`); err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			p := s.pts[i%len(s.pts)]
			rows, err := conn.Query(ctx, `SELECT level, min(code COLLATE "C") FROM bench_grids
				WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) GROUP BY level`, p[0], p[1])
			if err != nil {
				b.Fatal(err)
			}
			rows.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	})
	b.Run("postgis-batched", func(b *testing.B) {
		b.ReportAllocs()
		const batch = 1000
		n := 0
		for i := 0; b.Loop(); i++ {
			lo := (i * batch) % (len(s.pts) - batch)
			if _, err := postgisLocate(ctx, s.db, s.pts[lo:lo+batch]); err != nil {
				b.Fatal(err)
			}
			n += batch
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lookups/s")
	})
}

// BenchmarkLocate20k: ~20,000 grids (140×140 level 3 + level 2 blocks).
func BenchmarkLocate20k(b *testing.B) { benchLocate(b, 140) }

// BenchmarkLocate1M: ~1,000,000 level-3 grids; only with GRIDD_BENCH_FULL=1.
func BenchmarkLocate1M(b *testing.B) {
	if os.Getenv("GRIDD_BENCH_FULL") == "" {
		b.Log("set GRIDD_BENCH_FULL=1 (make bench) for the 1M-grid run")
		return
	}
	benchLocate(b, 1000)
}
