package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/demo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// BenchmarkCaseIntake measures report intake end to end: grid chain as of
// reported_at, the responsible worker on that date, routing facts and
// rule matching, duplicate search, numbering, the case and its timeline
// committed in one transaction. "service" calls the domain service from
// 16 goroutines; "http" posts JSON through the real API (token check,
// decoding, encoding) from 16 clients. Points and categories come from a
// fixed seed. Reported as reports/s.
func BenchmarkCaseIntake(b *testing.B) {
	clk := &testClock{t: time.Now()}
	// A pool large enough for 16 concurrent intakes; commits wait for the WAL
	// flush (synchronous_commit=on; the cluster decides whether that fsyncs).
	ta := newCaseAppURL(b, clk, "&pool_max_conns=16&synchronous_commit=on")
	ctx := context.Background()
	u, err := ta.people.FindUserByUsername(ctx, "center")
	if err != nil {
		b.Fatal(err)
	}
	p, err := ta.auth.PrincipalFor(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	pts := benchPoints(4096)
	cats := []string{"0101", "0102", "0104", "0201", "0202", "0304", "0601", "0801", "0903", "1102"}
	var seq atomic.Int64 // unique across the benchmark's repeated runs (idempotency keys)
	run := func(b *testing.B, post func(i int, rep casework.Report) error) {
		b.ReportAllocs()
		b.SetParallelism(8) // 16 goroutines on 2 cores: enough to keep PostgreSQL busy
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(seq.Add(1))
				pt := pts[i%len(pts)]
				rep := casework.Report{Category: cats[i%len(cats)], Description: fmt.Sprintf("基准测试案件 %d", i),
					Lon: pt[0], Lat: pt[1], Source: "hotline_12345"}
				if err := post(i, rep); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reports/s")
	}
	b.Run("service", func(b *testing.B) {
		run(b, func(i int, rep casework.Report) error {
			_, _, err := ta.cases.Intake(ctx, p, rep, fmt.Sprintf("bench-svc-%d", i))
			return err
		})
	})
	b.Run("http", func(b *testing.B) {
		tok := ta.login("center")
		run(b, func(i int, rep casework.Report) error {
			res := ta.do("POST", "/api/v1/cases", tok, map[string]any{"category": rep.Category, "description": rep.Description,
				"lon": rep.Lon, "lat": rep.Lat, "source": rep.Source}, map[string]string{"Idempotency-Key": fmt.Sprintf("bench-http-%d", i)})
			if res.Status != 201 {
				return fmt.Errorf("status %d: %s", res.Status, res.Body)
			}
			return nil
		})
	})
}

// benchPoints draws n points inside the demo town from a fixed seed.
func benchPoints(n int) []orb.Point {
	town := demo.Generate(1)
	g := town.Grids[0].Geometry
	b := g.Bound()
	rng := rand.New(rand.NewPCG(42, 5))
	out := make([]orb.Point, 0, n)
	for len(out) < n {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if planar.MultiPolygonContains(g, p) {
			out = append(out, p)
		}
	}
	return out
}
