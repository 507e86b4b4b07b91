package coverage_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
)

func blob(lon, lat, radius float64, seed uint64) orb.MultiPolygon {
	rng := rand.New(rand.NewPCG(seed, 1))
	const n = 17
	r := orb.Ring{}
	for i := range n {
		th := 2 * math.Pi * float64(i) / n
		rr := radius * (0.75 + 0.5*rng.Float64())
		r = append(r, orb.Point{lon + rr*math.Cos(th)/(111320*math.Cos(lat*math.Pi/180)), lat + rr*math.Sin(th)/110950})
	}
	r = append(r, r[0])
	return orb.MultiPolygon{{r}}
}

// walk is a patrol-like random walk: n fixes every dt seconds at ~1.3 m/s,
// turning gently, bouncing back towards the centre when it strays more than
// stray metres; split into paths at every gapEvery fixes.
func walk(seed uint64, lon, lat float64, n int, dt, stray float64, gapEvery int) [][]orb.Point {
	rng := rand.New(rand.NewPCG(seed, 2))
	kx := 111320 * math.Cos(lat*math.Pi/180)
	const ky = 110950.0
	x, y := 0.0, 0.0
	h := rng.Float64() * 2 * math.Pi
	var out [][]orb.Point
	var cur []orb.Point
	for i := range n {
		if gapEvery > 0 && i > 0 && i%gapEvery == 0 {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, orb.Point{lon + x/kx, lat + y/ky})
		h += rng.NormFloat64() * 0.3
		if math.Hypot(x, y) > stray {
			h = math.Atan2(-y, -x) + rng.NormFloat64()*0.5
		}
		v := 1.3 * dt
		x += v * math.Cos(h)
		y += v * math.Sin(h)
	}
	return append(out, cur)
}

func multiLine(paths [][]orb.Point) string {
	var ml orb.MultiLineString
	for _, p := range paths {
		if len(p) == 1 {
			p = []orb.Point{p[0], p[0]}
		}
		ml = append(ml, orb.LineString(p))
	}
	return wkt.MarshalString(ml)
}

// reference is the exact answer: area(ST_Buffer(track, R) ∩ grid) / area(grid),
// areas on the spheroid.
func reference(ctx context.Context, db *postgis.DB, grid orb.MultiPolygon, paths [][]orb.Point, r float64) (float64, error) {
	var f float64
	err := db.Pool.QueryRow(ctx, `
SELECT ST_Area(ST_Intersection(ST_Buffer(ST_GeomFromText($1, 4326)::geography, $3)::geometry, g)::geography)
       / ST_Area(g::geography)
FROM ST_GeomFromText($2, 4326) AS g`, multiLine(paths), wkt.MarshalString(grid), r).Scan(&f)
	return f, err
}

func cover(g *coverage.Grid, paths [][]orb.Point) float64 {
	c := g.NewCover()
	for _, p := range paths {
		c.AddPath(p)
	}
	return c.Fraction()
}

// TestAgainstPostGISBuffer holds coverage within 2 percentage points of the
// exact ST_Buffer reference on patrol-like test tracks.
func TestAgainstPostGISBuffer(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	type tc struct {
		name  string
		grid  orb.MultiPolygon
		paths [][]orb.Point
		r     float64
		res   int
	}
	var cases []tc
	for i := range 6 {
		seed := uint64(i + 1)
		lon, lat := 117.53+0.02*float64(i), 36.70
		g := blob(lon, lat, 400+100*float64(i), seed)
		cases = append(cases, tc{fmt.Sprintf("walk%d", i), g, walk(seed, lon, lat, 600+300*i, 10, 300+60*float64(i), 250), 30, 12})
	}
	// A track leaving the grid, a sparse track (fixes 60 s apart), radius 50 m, resolution 11.
	g := blob(117.40, 36.65, 500, 9)
	cases = append(cases,
		tc{"leaves grid", g, walk(9, 117.40, 36.65, 1500, 10, 900, 0), 30, 12},
		tc{"sparse", g, walk(10, 117.40, 36.65, 200, 60, 400, 0), 30, 12},
		tc{"radius 50", g, walk(11, 117.40, 36.65, 800, 10, 400, 0), 50, 12},
		tc{"res 11", g, walk(12, 117.40, 36.65, 800, 10, 400, 0), 30, 11},
		tc{"single fixes", g, func() [][]orb.Point {
			var ps [][]orb.Point
			for _, p := range walk(13, 117.40, 36.65, 400, 30, 400, 0)[0] {
				ps = append(ps, []orb.Point{p})
			}
			return ps
		}(), 30, 12},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			grid, err := coverage.Discretise(c.grid, coverage.Options{Resolution: c.res, RadiusM: c.r})
			if err != nil {
				t.Fatal(err)
			}
			got := cover(grid, c.paths)
			want, err := reference(ctx, db, c.grid, c.paths, c.r)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("coverage %.4f, PostGIS %.4f, diff %+.2f pp", got, want, 100*(got-want))
			if math.Abs(got-want) > 0.02 {
				t.Errorf("coverage %.4f differs from ST_Buffer reference %.4f by %.2f pp (> 2)", got, want, 100*math.Abs(got-want))
			}
		})
	}
}

// BenchmarkCoverage measures GPS points per second: one patrol day (2.5 h,
// a fix every 5 s, 1,800 fixes) against a grid of ~1 km², ours versus the
// PostGIS buffer + intersection on geography, in one run. points/cpu_s is
// per CPU second of the benchmark process: the per-core rate on a shared
// machine (it is single-threaded).
func BenchmarkCoverage(b *testing.B) {
	lon, lat := 117.53, 36.70
	gridMP := blob(lon, lat, 600, 1)
	paths := walk(1, lon, lat, 1800, 5, 500, 0)
	n := 0
	for _, p := range paths {
		n += len(p)
	}
	b.Run("h3", func(b *testing.B) {
		grid, err := coverage.Discretise(gridMP, coverage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		var f float64
		c0 := cpuSeconds()
		for b.Loop() {
			f = cover(grid, paths)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		b.ReportMetric(float64(n)*float64(b.N)/(cpuSeconds()-c0), "points/cpu_s")
		b.ReportMetric(f, "coverage")
	})
	b.Run("discretise", func(b *testing.B) {
		b.ReportAllocs()
		cells := 0
		for b.Loop() {
			grid, err := coverage.Discretise(gridMP, coverage.Options{})
			if err != nil {
				b.Fatal(err)
			}
			cells = grid.Len()
		}
		b.ReportMetric(float64(cells), "cells")
	})
	b.Run("h3_with_discretise", func(b *testing.B) {
		b.ReportAllocs()
		var f float64
		for b.Loop() {
			grid, err := coverage.Discretise(gridMP, coverage.Options{})
			if err != nil {
				b.Fatal(err)
			}
			f = cover(grid, paths)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		b.ReportMetric(f, "coverage")
	})
	b.Run("postgis_buffer", func(b *testing.B) {
		db := dbtest.New(b)
		ctx := context.Background()
		b.ResetTimer()
		var f float64
		var err error
		for b.Loop() {
			if f, err = reference(ctx, db, gridMP, paths, 30); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		b.ReportMetric(f, "coverage")
	})
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
