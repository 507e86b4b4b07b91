package gridindex_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/spatial/gridindex"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
)

// benchSizes: 137x137 cells give 18,769 level-3 + 1,225 level-2 = 19,994
// grids; 1000x1000 give 1,062,500 grids. About 32 vertices per grid.
var benchSizes = []struct {
	name string
	n    int
}{
	{"grids=20k", 137},
	{"grids=1M", 1000},
}

type benchData struct {
	grids     []gridindex.Grid
	gridsOnce sync.Once
	ix        *gridindex.Index
	ixOnce    sync.Once
	pts       []orb.Point
}

var benchSets = map[int]*benchData{137: {}, 1000: {}}

const benchCell = 0.001 // ~100 m

func (d *benchData) getGrids(n int) []gridindex.Grid {
	d.gridsOnce.Do(func() {
		d.grids = gridindextest.Tessellation(1, n, n, 116, 39.5, benchCell)
		rng := rand.New(rand.NewPCG(2, 3))
		d.pts = make([]orb.Point, 1<<16)
		span := float64(n) * benchCell
		for i := range d.pts {
			d.pts[i] = orb.Point{116 + rng.Float64()*span, 39.5 + rng.Float64()*span}
		}
	})
	return d.grids
}

func (d *benchData) getIndex(b *testing.B, n int) *gridindex.Index {
	grids := d.getGrids(n)
	d.ixOnce.Do(func() {
		start := time.Now()
		ix, err := gridindex.New(grids)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d grids in %v", ix.Len(), time.Since(start))
		d.ix = ix
	})
	if d.ix == nil {
		b.Fatal("index build failed")
	}
	return d.ix
}

func BenchmarkLocate(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			if sz.n >= 1000 && testing.Short() {
				b.Skip("1M grids skipped in -short mode")
			}
			d := benchSets[sz.n]
			ix := d.getIndex(b, sz.n)
			pts := d.pts
			buf := make([]*gridindex.Grid, 0, 8)
			found := 0
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				buf = ix.AppendLocate(buf[:0], pts[i&(len(pts)-1)])
				found += len(buf)
			}
			cpu := processCPU() - cpu0
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/lookup")
			if found == 0 {
				b.Fatal("no grid found")
			}
		})
	}
}

func BenchmarkLocateEach(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			if sz.n >= 1000 && testing.Short() {
				b.Skip("1M grids skipped in -short mode")
			}
			d := benchSets[sz.n]
			ix := d.getIndex(b, sz.n)
			pts := d.pts
			found := 0
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for done := 0; done < b.N; {
				n := min(b.N-done, len(pts))
				ix.LocateEach(pts[:n], func(_ int, gs []*gridindex.Grid) { found += len(gs) })
				done += n
			}
			cpu := processCPU() - cpu0
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/lookup")
			if found == 0 {
				b.Fatal("no grid found")
			}
		})
	}
}

func BenchmarkLocateLevel(b *testing.B) {
	d := benchSets[137]
	ix := d.getIndex(b, 137)
	pts := d.pts
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.LocateLevel(pts[i&(len(pts)-1)], 3)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkBoundaryDistance: the search against the previous one
// (BoundaryDistanceRef) on the same points in one run: on the 20k set of
// ~100 m cells with a 50 m cap, and on ~20k cells of ~500 m with the 1 km
// cap POST /api/v1/locate uses (the set of cmd/gridd's
// BenchmarkLocateBatch20k).
func BenchmarkBoundaryDistance(b *testing.B) {
	wide := locateSet()
	for _, c := range []struct {
		name string
		ix   *gridindex.Index
		pts  []orb.Point
		max  float64
	}{
		{"cell=100m,max=50m", benchSets[137].getIndex(b, 137), benchSets[137].pts, 50},
		{"cell=500m,max=1km", wide.ix, wide.pts, 1000},
	} {
		for _, f := range []struct {
			name string
			fn   func(orb.Point, float64) float64
		}{{"search", c.ix.BoundaryDistance}, {"previous", c.ix.BoundaryDistanceRef}} {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				b.ReportAllocs()
				sum := 0.0
				for i := 0; b.Loop(); i++ {
					sum += f.fn(c.pts[i&(len(c.pts)-1)], c.max)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
				if sum == 0 {
					b.Fatal("no distance")
				}
			})
		}
	}
}

// BenchmarkLocateEachDistance: grids (read, as an answer reads their
// codes) and boundary distance (1 km cap) of every point as POST
// /api/v1/locate needs them, by LocateEachDistance and by a loop of
// AppendLocate and BoundaryDistance, on the set of cmd/gridd's
// BenchmarkLocateBatch20k.
func BenchmarkLocateEachDistance(b *testing.B) {
	d := locateSet()
	pts := d.pts[:10000]
	for _, c := range []struct {
		name string
		run  func(fn func(gs []*gridindex.Grid, dist float64))
	}{
		{"batch", func(fn func([]*gridindex.Grid, float64)) {
			d.ix.LocateEachDistance(pts, 1000, func(_ int, gs []*gridindex.Grid, dist float64) { fn(gs, dist) })
		}},
		{"loop", func(fn func([]*gridindex.Grid, float64)) {
			var buf []*gridindex.Grid
			for _, p := range pts {
				buf = d.ix.AppendLocate(buf[:0], p)
				fn(buf, d.ix.BoundaryDistance(p, 1000))
			}
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			found := 0
			cpu0 := processCPU()
			for b.Loop() {
				c.run(func(gs []*gridindex.Grid, _ float64) {
					for _, g := range gs {
						found += len(g.Code)
					}
				})
			}
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N*len(pts)), "cpu-ns/point")
			b.ReportMetric(float64(b.N*len(pts))/b.Elapsed().Seconds(), "points/s")
			if found == 0 {
				b.Fatal("no grid found")
			}
		})
	}
}

var (
	locateOnce sync.Once
	locateData struct {
		grids []gridindex.Grid
		ix    *gridindex.Index
		pts   []orb.Point
	}
)

// locateSet: 140x140 cells of 0.005° (~500 m) and their blocks, 20,825
// grids, with 64k points uniform over the extent padded by 0.01°.
func locateSet() *struct {
	grids []gridindex.Grid
	ix    *gridindex.Index
	pts   []orb.Point
} {
	locateOnce.Do(func() {
		const side, lon, lat, cell = 140, 116.0, 36.0, 0.005
		d := &locateData
		d.grids = gridindextest.Tessellation(5, side, side, lon, lat, cell)
		ix, err := gridindex.New(d.grids)
		if err != nil {
			panic(err)
		}
		d.ix = ix
		rng := rand.New(rand.NewPCG(21, 10_000))
		d.pts = make([]orb.Point, 1<<16)
		for i := range d.pts {
			d.pts[i] = orb.Point{lon - 0.01 + rng.Float64()*(side*cell+0.02), lat - 0.01 + rng.Float64()*(side*cell+0.02)}
		}
	})
	return &locateData
}

func BenchmarkBuild(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			if sz.n >= 1000 && testing.Short() {
				b.Skip("1M grids skipped in -short mode")
			}
			grids := benchSets[sz.n].getGrids(sz.n)
			var heap uint64
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				cpu0 := processCPU()
				ix, err := gridindex.New(grids)
				if err != nil {
					b.Fatal(err)
				}
				cpu += processCPU() - cpu0
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = after.HeapAlloc - before.HeapAlloc
				if i == 0 {
					b.ReportMetric(float64(ix.MemoryBytes())/float64(ix.Len()), "index-B/grid")
				}
				runtime.KeepAlive(ix)
				b.StartTimer()
			}
			b.ReportMetric(float64(heap)/(1<<20), "index-MiB")
			b.ReportMetric(float64(len(grids)), "grids")
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/build")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/build")
		})
	}
}

func Example() {
	grids := gridindextest.Tessellation(1, 8, 8, 116, 39.5, 0.01)
	ix, err := gridindex.New(grids)
	if err != nil {
		panic(err)
	}
	for _, g := range ix.Locate(orb.Point{116.0151, 39.5149}) {
		fmt.Println(g.Level, g.Code)
	}
	// Output:
	// 2 B00000000
	// 3 B00000000-11
}
