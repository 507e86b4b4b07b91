package gridindex

import (
	"math"

	"github.com/paulmach/orb"
)

// Options tunes the index in tests; zero values keep the defaults.
type Options struct {
	TopEdges, LeafEdges int
	CellSize            float64 // top cell size in degrees
}

// NewWithOptions builds an index with explicit tuning, to exercise deep
// subdivisions and aligned cells in tests.
func NewWithOptions(grids []Grid, o Options) (*Index, error) {
	opt := defaultOptions()
	if o.TopEdges > 0 {
		opt.topEdges = o.TopEdges
	}
	if o.LeafEdges > 0 {
		opt.leafEdges = o.LeafEdges
	}
	opt.cellSize = o.CellSize
	return build(grids, opt)
}

// RefPoints returns the reference points of all leaves that have one.
func (ix *Index) RefPoints() []orb.Point {
	var out []orb.Point
	seen := map[uint32]bool{}
	var walk func(v uint32)
	walk = func(v uint32) {
		if v&nodeInternal != 0 {
			s := 2
			if v&nodeSplit4 != 0 {
				s = 4
			}
			for i := 0; i < s*s; i++ {
				walk(ix.nodes[int(v&nodeIndex)+i])
			}
			return
		}
		if v == 0 || seen[v] {
			return
		}
		seen[v] = true
		rec := ix.chunks[v>>chunkBits][v&chunkMask:]
		if uint32(rec[0]) != 0 {
			out = append(out, orb.Point{math.Float64frombits(rec[1]), math.Float64frombits(rec[2])})
		}
	}
	for i := 0; i < ix.nx*ix.ny; i++ {
		walk(ix.nodes[i])
	}
	return out
}

// CellBorderPoints returns points lying exactly on the borders of the top
// cells (as the query computes them), one per top cell corner.
func (ix *Index) CellBorderPoints() []orb.Point {
	var out []orb.Point
	for r := 0; r < ix.ny; r++ {
		for c := 0; c < ix.nx; c++ {
			out = append(out, orb.Point{ix.minX + float64(c)*ix.cellW[0], ix.minY + float64(r)*ix.cellH[0]})
		}
	}
	return out
}

// Stats describes the index layout.
type Stats struct {
	TopCells, Nodes, LeafWords, Chunks int
}

func (ix *Index) Stats() Stats {
	words := 0
	for _, c := range ix.chunks {
		words += len(c)
	}
	return Stats{TopCells: ix.nx * ix.ny, Nodes: len(ix.nodes), LeafWords: words, Chunks: len(ix.chunks)}
}
