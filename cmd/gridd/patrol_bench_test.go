package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/patrol"
)

// BenchmarkPatrolAuditDemoMonth audits the demo month (26 workers, ~28 days
// of fixes every 30 s) through the real service and PostGIS: "recompute"
// marks every day dirty first, so each run recomputes all worker-days from
// the stored fixes and stores them; "stored" audits again with nothing
// dirty (reads the stored days). gridd_cpu_s/op is the CPU time of the Go
// process alone (PostgreSQL's is not counted), for a shared machine.
func BenchmarkPatrolAuditDemoMonth(b *testing.B) {
	ta := newTestAppConfig(b, true, nil)
	ctx := context.Background()
	month := demo.DemoPatrolMonth
	var fixes int64
	if err := ta.db.Pool.QueryRow(ctx, `SELECT count(*) FROM patrol_points`).Scan(&fixes); err != nil {
		b.Fatal(err)
	}
	b.Run("recompute", func(b *testing.B) {
		cpu := 0.0
		for b.Loop() {
			b.StopTimer()
			if _, err := ta.db.Pool.Exec(ctx, `
INSERT INTO patrol_dirty_days (worker_id, day, seq)
SELECT worker_id, day, nextval('patrol_dirty_seq')
FROM (SELECT DISTINCT worker_id, (t AT TIME ZONE 'Asia/Shanghai')::date AS day FROM patrol_points) d
ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			c0 := processCPU()
			a, err := ta.patrols.Audit(ctx, month, "", patrol.AuditOptions{Cells: true})
			if err != nil {
				b.Fatal(err)
			}
			cpu += processCPU() - c0
			if len(a.Rows) != 26 {
				b.Fatalf("%d rows", len(a.Rows))
			}
		}
		b.ReportMetric(float64(fixes)*float64(b.N)/b.Elapsed().Seconds(), "fixes/s")
		b.ReportMetric(cpu/float64(b.N), "gridd_cpu_s/op")
	})
	b.Run("stored", func(b *testing.B) {
		for b.Loop() {
			if _, err := ta.patrols.Audit(ctx, month, "", patrol.AuditOptions{Cells: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
