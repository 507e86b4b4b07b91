package patrol

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
	"github.com/paulmach/orb"
)

// benchCellSets is one cell set per grid of a 5 × 5 block of ~1 km²
// synthetic grids (the demo town's size, ~25 workers), each with a random
// quarter of its cells covered.
func benchCellSets(b *testing.B) ([]*CellSet, orb.Bound) {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	src := gridindextest.Tessellation(3, 5, 5, 117.47, 36.66, 0.01)
	var sets []*CellSet
	var all orb.Bound
	for _, g := range src {
		if g.Level != 3 {
			continue
		}
		cells, err := coverage.Discretise(g.Geometry, coverage.Options{Resolution: DefaultRules().Resolution, RadiusM: DefaultRules().RadiusM})
		if err != nil {
			b.Fatal(err)
		}
		bits := make([]byte, (cells.Len()+7)/8)
		for i := range bits {
			bits[i] = byte(rng.Uint32() & rng.Uint32()) // a quarter of the bits
		}
		cv := cells.CoverFromBytes(bits)
		if len(sets) == 0 {
			all = g.Geometry.Bound()
		}
		all = all.Union(g.Geometry.Bound())
		sets = append(sets, &CellSet{WorkerID: int64(len(sets) + 1), Username: "w" + strconv.Itoa(len(sets)+1), Name: "网格员",
			GridCode: g.Code, Cells: cells, Cover: cv})
	}
	return sets, all
}

// BenchmarkCoveragePage is one page of the coverage collection's items
// (coveragePage) over ~25 workers' month: the first page, a page far in,
// and a page of a window a quarter of the town wide. Its sibling
// sort=per_comparison orders the page's set the way it was before, asking
// H3 for both cells' indexes at every comparison.
func BenchmarkCoveragePage(b *testing.B) {
	sets, all := benchCellSets(b)
	n := 0
	for _, cs := range sets {
		n += cs.Cells.Len()
	}
	mid := all.Center()
	win := orb.Bound{Min: all.Min, Max: orb.Point{(all.Min[0] + mid[0]) / 2, (all.Min[1] + mid[1]) / 2}}.Pad(cellMargin)
	for _, tc := range []struct {
		name   string
		inWin  bool
		offset int
	}{{"first", false, 0}, {"far", false, n / 2}, {"window", true, 0}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pg := &tiles.SourcePage{Limit: 100, Offset: tc.offset}
				fs := pageFeatures(coveragePage(sets, "2026-03", tc.inWin, win, pg), "2026-03")
				if len(fs) != 100 {
					b.Fatalf("%d features", len(fs))
				}
			}
			b.ReportMetric(float64(n), "cells")
		})
	}
	for _, sort := range []struct {
		name string
		fn   func(g *coverage.Grid, idx []int)
	}{
		{"per_comparison", func(g *coverage.Grid, idx []int) {
			slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(uint64(g.Cell(a)), uint64(g.Cell(b))) })
		}},
		{"once", func(g *coverage.Grid, idx []int) { sortedCells(g, idx) }},
	} {
		b.Run("sort="+sort.name, func(b *testing.B) {
			cs := sets[0]
			for b.Loop() {
				idx := make([]int, cs.Cells.Len())
				for i := range idx {
					idx[i] = i
				}
				sort.fn(cs.Cells, idx)
			}
			b.ReportMetric(float64(cs.Cells.Len()), "cells")
		})
	}
	// Selecting the cells of a window: H3's centre (two calls into H3 per
	// cell) against the grid's own local one.
	for _, sel := range []struct {
		name string
		at   func(*coverage.Grid, int) orb.Point
	}{{"Center", (*coverage.Grid).Center}, {"NearCenter", (*coverage.Grid).NearCenter}} {
		b.Run("select="+sel.name, func(b *testing.B) {
			k := 0
			for b.Loop() {
				k = 0
				for _, cs := range sets {
					for i := range cs.Cells.Len() {
						if win.Contains(sel.at(cs.Cells, i)) {
							k++
						}
					}
				}
			}
			b.ReportMetric(float64(k), "selected")
		})
	}
}
