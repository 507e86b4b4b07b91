package patrol

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gridd/gridd/spatial/coverage"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
)

// synthDay is a patrol-like day inside bbox (lon/lat): ~3 h at 1.2 m/s, a
// fix every 30 s, a gentle random walk bouncing off the bounding box, GPS
// noise and 1% poor fixes.
func synthDay(rng *rand.Rand, minLon, minLat, maxLon, maxLat float64, day time.Time, state *[3]float64) []Fix {
	kx := 111320 * math.Cos(minLat*math.Pi/180)
	const ky = 110950.0
	w, h := (maxLon-minLon)*kx, (maxLat-minLat)*ky
	x, y, hd := state[0], state[1], state[2]
	start := day.Add(time.Duration(8.5*float64(time.Hour)) + time.Duration(rng.IntN(3600))*time.Second)
	n := 340 + rng.IntN(40)
	out := make([]Fix, 0, n)
	for k := 0; k < n; k++ {
		hd += rng.NormFloat64() * 0.25
		nx, ny := x+36*math.Cos(hd), y+36*math.Sin(hd)
		if nx < 0 || nx > w || ny < 0 || ny > h {
			hd = math.Atan2(h/2-y, w/2-x) + rng.NormFloat64()*0.6
			nx, ny = x+36*math.Cos(hd), y+36*math.Sin(hd)
		}
		x, y = nx, ny
		acc := 5 + 10*rng.Float64()
		if rng.Float64() < 0.01 {
			acc = 70
		}
		out = append(out, Fix{T: start.Add(time.Duration(k) * 30 * time.Second), Lon: minLon + (x+rng.NormFloat64()*4)/kx,
			Lat: minLat + (y+rng.NormFloat64()*4)/ky, AccuracyM: acc, ReceivedAt: day.AddDate(0, 0, 1)})
	}
	*state = [3]float64{x, y, hd}
	return out
}

// BenchmarkMonthWorkers simulates the month of 100 and 10,000 workers, one
// per synthetic grid of ~1 km² (gridindextest.Tessellation, up to 100 × 100): each
// grid discretised on demand, 28 days of ~360 fixes cleaned and computed
// (ComputeDay), and the month's union of covered cells — everything the
// audit computes, in process, on all cores. Storage in PostGIS is not
// included (see BENCHMARKS.md).
//
// The machine may be shared: cpu_s is the CPU time of the benchmark process
// (user + system) per month simulated, so fixes/cpu_s is the per-core rate.
func BenchmarkMonthWorkers(b *testing.B) {
	for _, side := range []int{10, 100} {
		b.Run(strconv.Itoa(side*side), func(b *testing.B) { benchMonth(b, side) })
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func benchMonth(b *testing.B, side int) {
	all := gridindextest.Tessellation(1, side, side, 116.0, 36.0, 0.01)
	var grids []int
	for i, g := range all {
		if g.Level == 3 {
			grids = append(grids, i)
		}
	}
	if len(grids) != side*side {
		b.Fatalf("%d level-3 grids", len(grids))
	}
	cpu0 := cpuSeconds()
	r := DefaultRules()
	month := time.Date(2026, 2, 1, 0, 0, 0, 0, sh)
	now := month.AddDate(0, 1, 0)
	var fixes atomic.Int64
	var met atomic.Int64
	b.ReportAllocs()
	for b.Loop() {
		fixes.Store(0)
		met.Store(0)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := int(next.Add(1)) - 1
					if k >= len(grids) {
						return
					}
					g := all[grids[k]]
					cells, err := coverage.Discretise(g.Geometry, coverage.Options{Resolution: r.Resolution, RadiusM: r.RadiusM})
					if err != nil {
						b.Error(err)
						return
					}
					own := []OwnGrid{{Code: g.Code, Version: 1, Cells: cells}}
					union := cells.NewCover()
					rng := rand.New(rand.NewPCG(uint64(k), 42))
					bd := g.Geometry.Bound()
					state := [3]float64{300, 300, 0}
					for d := range 28 {
						day := month.AddDate(0, 0, d)
						fx := synthDay(rng, bd.Min[0], bd.Min[1], bd.Max[0], bd.Max[1], day, &state)
						fixes.Add(int64(len(fx)))
						dd := ComputeDay(int64(k), day, fx, own, nil, r, now)
						union.Or(cells.CoverFromBytes(dd.Grids[0].Cover))
					}
					if union.Fraction() >= r.MonthlyCoverage {
						met.Add(1)
					}
				}
			}()
		}
		wg.Wait()
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	cpu := (cpuSeconds() - cpu0) / float64(b.N)
	b.ReportMetric(sec, "s/month")
	b.ReportMetric(cpu, "cpu_s/month")
	b.ReportMetric(float64(fixes.Load())/cpu, "fixes/cpu_s")
	b.ReportMetric(float64(met.Load()), "workers_met")
}
