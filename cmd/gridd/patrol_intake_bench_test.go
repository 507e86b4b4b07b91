package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BenchmarkPatrolIntake measures patrol intake through the HTTP API into
// PostGIS, durable (synchronous_commit=on on a pool of 16), 16 workers
// each posting its own track, 16 uploads in flight: batches of 12 fixes
// (a phone's minute at one fix every 5 s) and of 600 (a phone catching
// up after an hour offline), each stored by one multi-row INSERT from
// unnest ("insert") and by COPY into a temporary table ("copy") in the
// same run. Reports fixes/s, the p50/p99 upload latency and the Go
// process's CPU per upload (PostgreSQL's is not counted).
func BenchmarkPatrolIntake(b *testing.B) {
	clk := &testClock{t: time.Now()}
	ta, _ := newDurableApp(b, clk)
	ctx := context.Background()
	rows, err := ta.db.Pool.Query(ctx, `SELECT username FROM users WHERE role = 'worker' AND NOT disabled ORDER BY username LIMIT 16`)
	if err != nil {
		b.Fatal(err)
	}
	workers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(workers) < 16 {
		b.Fatalf("workers: %v %v", workers, err)
	}
	tokens := make([]string, len(workers))
	for i, w := range workers {
		tokens[i] = ta.login(w)
	}
	day := routeDay()
	var fixSeq atomic.Int64
	for _, batch := range []int{12, 600} {
		for _, mode := range []string{"insert", "copy"} {
			b.Run(fmt.Sprintf("fixes=%d/%s", batch, mode), func(b *testing.B) {
				ta.patrolStore.CopyMin = 0
				if mode == "copy" {
					ta.patrolStore.CopyMin = 1
				}
				b.ReportAllocs()
				var mu sync.Mutex
				var lat []time.Duration
				var next atomic.Int64
				cpu0 := processCPU()
				start := time.Now()
				var wg sync.WaitGroup
				for c := range 16 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						var mine []time.Duration
						for next.Add(1) <= int64(b.N) {
							pts := make([]map[string]any, batch)
							for k := range pts {
								// A fresh millisecond for every fix of the run.
								t := day.Add(time.Duration(fixSeq.Add(1)) * time.Millisecond)
								pts[k] = map[string]any{"t": t.Format(time.RFC3339Nano), "lon": 117.53, "lat": 36.70, "accuracy_m": 5}
							}
							t0 := time.Now()
							res, err := ta.doErr("POST", "/api/v1/patrols/points", tokens[c], map[string]any{"worker": workers[c], "crs": "wgs84", "points": pts}, nil)
							mine = append(mine, time.Since(t0))
							if err != nil || res.Status != 200 {
								b.Errorf("upload: %v %d %s", err, res.Status, res.Body)
								return
							}
						}
						mu.Lock()
						lat = append(lat, mine...)
						mu.Unlock()
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				cpu := processCPU() - cpu0
				slices.Sort(lat)
				b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "fixes/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
				b.ReportMetric(cpu*1000/float64(b.N), "gridd_cpu_ms/upload")
			})
		}
	}
	ta.patrolStore.CopyMin = 0
}
