package postgis_test

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/locate"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/jackc/pgx/v5"
)

// BenchmarkGridSnapshot builds the grids snapshot (tiles.Snapshot's load:
// every current grid with today's workers and register counts, decoded)
// at 20k grids, each level-3 grid with a worker. "load" is
// TileStore.GridSnapshot as gridd serve wires it: three plain scans in one
// round trip, joined in Go, the geometry shared with the locate index
// (TileStore.Geometries; the index is built once, before the clock);
// "load_reading_geometry" the same with every grid's geometry read too
// (WKB decoded by orb), as before; both report the memory their copy
// holds of its own (held-MiB); "load_one_query_before" the one query of before
// (the workers aggregated and every row sorted in PostgreSQL) decoded the
// same way, without the ancestors;
// "attributes" is the incremental refresh after an
// assignment or register change (TileStore.GridAttributes: no geometry);
// "patch_one_change" is one assignment changed and a z16 tile of the new
// version (the snapshot patched from grid_changes, tiles.SnapshotPatcher);
// "scans_sql" only runs and drains the three scans (no decoding) and
// "one_query_sql" the query of before, as the sibling.
func BenchmarkGridSnapshot(b *testing.B) {
	ctx := context.Background()
	db := dbtest.New(b)
	grids20k(b, db)
	if _, err := db.Pool.Exec(ctx, `
INSERT INTO users (username, name, role) SELECT 'w' || code, '网格员' || code, 'worker' FROM grid_versions WHERE level = 3;
INSERT INTO grid_assignments (user_id, grid_code, grid_role, valid_from)
SELECT u.id, g.code, 'worker', '2025-01-01' FROM grid_versions g JOIN users u ON u.username = 'w' || g.code;
ANALYZE users; ANALYZE grid_assignments`); err != nil {
		b.Fatal(err)
	}
	st := postgis.NewTileStore(db)
	loc := locate.New(postgis.NewGridStore(db))
	if err := loc.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	shared := postgis.NewTileStore(db)
	shared.Geometries = loc.Geometry
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		st   *postgis.TileStore
	}{{"load", shared}, {"load_reading_geometry", st}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var fs []tiles.SnapshotFeature
			stop := reportGoCPU(b)
			for b.Loop() {
				var err error
				if fs, err = c.st.GridSnapshot(ctx, day); err != nil {
					b.Fatal(err)
				}
			}
			stop()
			b.ReportMetric(float64(len(fs)), "grids")
			// The memory the last copy holds of its own (not shared).
			held := heapAfterGC()
			runtime.KeepAlive(fs)
			b.ReportMetric(float64(held-heapAfterGC())/(1<<20), "held-MiB")
		})
	}
	b.Run("load_one_query_before", func(b *testing.B) {
		b.ReportAllocs()
		defer reportGoCPU(b)()
		for b.Loop() {
			if _, err := postgis.GridSnapshotOneQueryForTest(ctx, db, day); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("attributes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.GridAttributes(ctx, day); err != nil {
				b.Fatal(err)
			}
		}
	})
	// One assignment changes, then a tile of the new version: the snapshot
	// patches the one grid (grid_changes) instead of rereading all.
	b.Run("patch_one_change", func(b *testing.B) {
		b.ReportAllocs()
		snap := &tiles.Snapshot{Layer: "grids", Shapes: "grids", Patch: st.GridPatcher(), Load: st.GridSnapshot, Attrs: st.GridAttributes}
		var code string
		var lon, lat float64
		if err := db.Pool.QueryRow(ctx, `SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grid_versions
WHERE level = 3 AND valid_to IS NULL ORDER BY code LIMIT 1 OFFSET 9000`).Scan(&code, &lon, &lat); err != nil {
			b.Fatal(err)
		}
		tl := maptile.At(orb.Point{lon, lat}, 16)
		q := tiles.TileQuery{Layer: "grids", Coord: tiles.Coord{Z: 16, X: int(tl.X), Y: int(tl.Y)}, Day: day, Version: "v0"}
		if _, err := snap.Tile(ctx, q); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			b.StopTimer()
			if _, err := db.Pool.Exec(ctx, `UPDATE grid_assignments SET valid_from = valid_from - 1 WHERE grid_code = $1`, code); err != nil {
				b.Fatal(err)
			}
			i++
			q.Version = fmt.Sprint("v", i)
			b.StartTimer()
			if _, err := snap.Tile(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scans_sql", func(b *testing.B) {
		for b.Loop() {
			if err := postgis.GridScansForTest(ctx, db, day); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one_query_sql", func(b *testing.B) {
		for b.Loop() {
			rows, err := db.Pool.Query(ctx, postgis.GridSnapshotOneQuerySQLForTest, pgx.NamedArgs{"day": day})
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// heapAfterGC is the live heap after a collection.
func heapAfterGC() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// reportGoCPU reports, when the returned func is called, the CPU time the
// benchmark's process (the Go side: receiving, decoding, joining, and the
// garbage collector) spent per op since reportGoCPU was: beside wall time,
// which on a shared machine includes waiting for a core.
func reportGoCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "go-cpu-ms/op")
	}
}
