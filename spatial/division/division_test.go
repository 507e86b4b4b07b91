package division

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
)

// lattice returns n×n square blocks of side d degrees from (x0, y0), each
// with per households at seeded random places inside.
func lattice(n int, d float64, per int, seed uint64) []Block {
	r := rand.New(rand.NewPCG(seed, 1))
	var bs []Block
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			b := orb.Bound{Min: orb.Point{117 + float64(i)*d, 36 + float64(j)*d}, Max: orb.Point{117 + float64(i+1)*d, 36 + float64(j+1)*d}}
			blk := Block{ID: j*n + i, Bound: b, Centroid: b.Center()}
			for range per {
				blk.Points = append(blk.Points, Point{orb.Point{b.Min[0] + r.Float64()*d, b.Min[1] + r.Float64()*d}, 1})
			}
			bs = append(bs, blk)
		}
	}
	return bs
}

// TestDivideLattice: 6×6 blocks of 100 households between roads, target
// 300 (250–350): every grid is three whole blocks, edge-connected.
func TestDivideLattice(t *testing.T) {
	bs := lattice(6, 0.003, 100, 1)
	gs := Divide(bs, Options{Target: 300, Min: 250, Max: 350})
	if len(gs) != 12 {
		t.Fatalf("%d grids, want 12", len(gs))
	}
	seen := map[int]bool{}
	for gi, g := range gs {
		if g.Weight != 300 || len(g.Parts) != 3 || g.Split() {
			t.Errorf("grid %d: weight %d, %d parts, split %v", gi, g.Weight, len(g.Parts), g.Split())
		}
		ids := map[int]bool{}
		for _, p := range g.Parts {
			if seen[p.Block] {
				t.Errorf("block %d in two grids", p.Block)
			}
			seen[p.Block], ids[p.Block] = true, true
		}
		// Connected: every block has a lattice neighbour in the grid, and
		// the three are not a row of isolated ones.
		reach := map[int]bool{g.Parts[0].Block: true}
		for changed := true; changed; {
			changed = false
			for id := range ids {
				if reach[id] {
					continue
				}
				for r := range reach {
					if (id/6 == r/6 && (id-r == 1 || r-id == 1)) || id-r == 6 || r-id == 6 {
						reach[id], changed = true, true
						break
					}
				}
			}
		}
		if len(reach) != len(ids) {
			t.Errorf("grid %d is not contiguous: blocks %v", gi, ids)
		}
	}
	if len(seen) != 36 {
		t.Errorf("%d blocks used, want 36", len(seen))
	}
	if again := Divide(lattice(6, 0.003, 100, 1), Options{Target: 300, Min: 250, Max: 350}); !reflect.DeepEqual(again, gs) {
		t.Error("not deterministic")
	}
}

// TestDivideSplitsOnlyHeavyBlocks: a block of 1,000 households next to
// three of 100 is split into pieces within the bounds; light blocks are
// never split.
func TestDivideSplitsOnlyHeavyBlocks(t *testing.T) {
	bs := lattice(2, 0.01, 100, 2)
	heavy := lattice(1, 0.01, 1000, 3)[0]
	bs[0].Points = heavy.Points
	for i := range bs[0].Points {
		bs[0].Points[i].P = orb.Point{bs[0].Bound.Min[0] + (bs[0].Points[i].P[0] - 117), bs[0].Bound.Min[1] + (bs[0].Points[i].P[1] - 36)}
	}
	gs := Divide(bs, Options{Target: 300, Min: 200, Max: 400})
	total := 0
	for _, g := range gs {
		total += g.Weight
		if g.Weight < 200 || g.Weight > 400 {
			t.Errorf("grid weight %d out of 200–400", g.Weight)
		}
		for _, p := range g.Parts {
			if p.Rect != nil && p.Block != 0 {
				t.Errorf("light block %d split", p.Block)
			}
		}
	}
	if total != 1300 {
		t.Errorf("total %d, want 1300", total)
	}
}
