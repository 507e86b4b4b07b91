package tiles

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// BenchmarkSnapshotTile renders every z14 tile over a 20k-grid
// tessellation (the set of the PostGIS tile benchmarks: 20,000 level-3 and
// 1,280 level-2 grids with the grids layer's twelve attributes) from a
// loaded snapshot, one after the other, no cache: the CPU of a cold tile.
func BenchmarkSnapshotTile(b *testing.B) {
	feats, bound := tessellationFeatures()
	s := &Snapshot{Layer: "grids", Load: func(context.Context, time.Time) ([]SnapshotFeature, error) { return feats, nil }}
	a, z := maptile.At(orb.Point{bound.Min[0], bound.Max[1]}, 14), maptile.At(orb.Point{bound.Max[0], bound.Min[1]}, 14)
	var list []Coord
	for x := a.X; x <= z.X; x++ {
		for y := a.Y; y <= z.Y; y++ {
			list = append(list, Coord{Z: 14, X: int(x), Y: int(y)})
		}
	}
	ctx := context.Background()
	q := TileQuery{Layer: "grids", Version: "v1"}
	if _, err := s.Tile(ctx, q); err != nil { // loads the snapshot
		b.Fatal(err)
	}
	b.ReportAllocs()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	size, i := 0, 0
	for b.Loop() {
		q.Coord = list[i%len(list)]
		i++
		t, err := s.Tile(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		size += len(t)
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/tile")
	b.ReportMetric(float64(size)/float64(b.N), "B/tile")
	b.ReportMetric(float64(len(list)), "tiles")
}

// tessellationFeatures are the 20k grids of the PostGIS tile benchmarks
// as snapshot features (each with its code and one of seven parents),
// and their bound.
func tessellationFeatures() ([]SnapshotFeature, orb.Bound) {
	src := gridindextest.Tessellation(42, 160, 125, 117.0, 36.3, 0.005)
	feats := make([]SnapshotFeature, len(src))
	var bound orb.Bound
	for i, g := range src {
		code := fmt.Sprintf("3701%011d", i+1)
		feats[i] = SnapshotFeature{Geometry: g.Geometry, Codes: []string{code, "parent" + fmt.Sprint(i%7)}, Attrs: benchAttrs(i, code, g.Code, g.Level)}
		if i == 0 {
			bound = g.Geometry.Bound()
		}
		bound = bound.Union(g.Geometry.Bound())
	}
	return feats, bound
}

// benchAttrs are the grids layer's twelve attributes, as the grids
// snapshot holds them.
func benchAttrs(i int, code, name string, level int) Attrs {
	return Attrs{StringAttr("code", code), StringAttr("name", name), IntAttr("level", int64(level)), StringAttr("parent_code", ""),
		StringAttr("worker", "网格员"+code), StringAttr("worker_username", "w"+code),
		IntAttr("registered_households", int64(i%300)), IntAttr("registered_people", int64(i%1000)),
		IntAttr("businesses", int64(i%7)), IntAttr("places", int64(i%5)), IntAttr("households", 300), IntAttr("population", 1000)}
}
