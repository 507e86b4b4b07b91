// Package gridindextest generates synthetic grid tessellations for tests and
// benchmarks of gridindex and of the services built on it.
package gridindextest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/spatial/gridindex"
)

const (
	// Jitter of the lattice corners, in cells (< 0.35).
	cornerJitter = 0.3
	// Extra vertices inserted on every lattice edge (shared by both
	// neighbours): each cell polygon has 4 + 4*edgeVertices = 32 vertices.
	edgeVertices = 7
	// Maximum perpendicular offset of an edge vertex relative to its
	// distance to the nearer end of the edge. Together with the corner jitter
	// this keeps every polygon simple and the mesh free of overlaps: the
	// wiggled edge stays inside a lens of half-angle atan(0.12) ~ 7 degrees
	// while edges meeting at a corner are at least ~30 degrees apart.
	edgeWiggle = 0.12
	// BlockSize is the number of level-3 cells per side of a level-2 grid.
	BlockSize = 4
)

// Tessellation returns a topologically clean irregular mesh of nx*ny level-3
// grids plus the level-2 grids made by merging BlockSize x BlockSize blocks of
// them (partial blocks at the east and north borders). Cell (i, j) (column i,
// row j) spans about [minLon+i*cellDeg, minLon+(i+1)*cellDeg] x
// [minLat+j*cellDeg, ...]: the lattice corners are jittered by less than 0.35
// cell and every lattice edge carries a few extra jittered vertices, shared
// exactly (bit for bit) by the two neighbours, so each level-3 polygon has 32
// vertices and neighbours share exactly the same edge vertices. Rings are
// counter-clockwise and closed. Level-2 outlines are computed by collecting
// the directed edges of the block's cells that are not shared within the block
// and chaining them into a ring.
//
// Codes: level 2 "B<row4><col4>" (block row and column), level 3 the parent
// code followed by "-<r><c>" (row and column within the block, one digit
// each). The result is deterministic for a given seed; level-2 grids come
// first.
func Tessellation(seed uint64, nx, ny int, minLon, minLat, cellDeg float64) []gridindex.Grid {
	if nx <= 0 || ny <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	jit := func(a float64) float64 { return (rng.Float64()*2 - 1) * a }

	// Lattice corners.
	corner := make([]orb.Point, (nx+1)*(ny+1))
	for j := 0; j <= ny; j++ {
		for i := 0; i <= nx; i++ {
			corner[j*(nx+1)+i] = orb.Point{
				minLon + (float64(i)+jit(cornerJitter))*cellDeg,
				minLat + (float64(j)+jit(cornerJitter))*cellDeg,
			}
		}
	}
	// Intermediate vertices of a lattice edge from a to b.
	wiggle := func(a, b orb.Point, dst []orb.Point) {
		dx, dy := b[0]-a[0], b[1]-a[1]
		for k := range dst {
			t := (float64(k+1) + jit(0.3)) / float64(edgeVertices+1)
			o := jit(edgeWiggle) * math.Min(t, 1-t)
			dst[k] = orb.Point{a[0] + t*dx - o*dy, a[1] + t*dy + o*dx}
		}
	}
	// Horizontal edges (i,j)->(i+1,j) and vertical edges (i,j)->(i,j+1).
	hEdge := make([]orb.Point, nx*(ny+1)*edgeVertices)
	for j := 0; j <= ny; j++ {
		for i := 0; i < nx; i++ {
			k := (j*nx + i) * edgeVertices
			wiggle(corner[j*(nx+1)+i], corner[j*(nx+1)+i+1], hEdge[k:k+edgeVertices])
		}
	}
	vEdge := make([]orb.Point, (nx+1)*ny*edgeVertices)
	for j := 0; j < ny; j++ {
		for i := 0; i <= nx; i++ {
			k := (j*(nx+1) + i) * edgeVertices
			wiggle(corner[j*(nx+1)+i], corner[(j+1)*(nx+1)+i], vEdge[k:k+edgeVertices])
		}
	}

	cellRing := func(i, j int, ring orb.Ring) orb.Ring {
		ring = ring[:0]
		c := func(i, j int) orb.Point { return corner[j*(nx+1)+i] }
		h := func(i, j int) []orb.Point { k := (j*nx + i) * edgeVertices; return hEdge[k : k+edgeVertices] }
		v := func(i, j int) []orb.Point { k := (j*(nx+1) + i) * edgeVertices; return vEdge[k : k+edgeVertices] }
		ring = append(ring, c(i, j))
		ring = append(ring, h(i, j)...) // bottom, eastwards
		ring = append(ring, c(i+1, j))
		ring = append(ring, v(i+1, j)...) // right, northwards
		ring = append(ring, c(i+1, j+1))
		top := h(i, j+1) // top, westwards
		for k := len(top) - 1; k >= 0; k-- {
			ring = append(ring, top[k])
		}
		ring = append(ring, c(i, j+1))
		left := v(i, j) // left, southwards
		for k := len(left) - 1; k >= 0; k-- {
			ring = append(ring, left[k])
		}
		return append(ring, c(i, j))
	}

	bnx := (nx + BlockSize - 1) / BlockSize
	bny := (ny + BlockSize - 1) / BlockSize
	grids := make([]gridindex.Grid, 0, nx*ny+bnx*bny)
	nv := 4 + 4*edgeVertices + 1
	store := make([]orb.Point, nx*ny*nv)

	// Level-3 cells, kept per block for the merge.
	cells := make([]orb.Ring, nx*ny)
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			k := j*nx + i
			cells[k] = cellRing(i, j, store[k*nv:k*nv:(k+1)*nv])
		}
	}
	type edge struct{ a, b orb.Point }
	set := make(map[edge]struct{}, BlockSize*BlockSize*nv)
	next := make(map[orb.Point]orb.Point, BlockSize*BlockSize*nv)
	for bj := 0; bj < bny; bj++ {
		for bi := 0; bi < bnx; bi++ {
			clear(set)
			clear(next)
			for j := bj * BlockSize; j < min((bj+1)*BlockSize, ny); j++ {
				for i := bi * BlockSize; i < min((bi+1)*BlockSize, nx); i++ {
					r := cells[j*nx+i]
					for k := 0; k+1 < len(r); k++ {
						set[edge{r[k], r[k+1]}] = struct{}{}
					}
				}
			}
			var start orb.Point
			first := true
			for e := range set {
				if _, shared := set[edge{e.b, e.a}]; shared {
					continue
				}
				next[e.a] = e.b
				if first || e.a[1] < start[1] || (e.a[1] == start[1] && e.a[0] < start[0]) {
					start, first = e.a, false
				}
			}
			ring := make(orb.Ring, 0, len(next)+1)
			for p := start; ; {
				ring = append(ring, p)
				p = next[p]
				if p == start || len(ring) > len(next) {
					break
				}
			}
			ring = append(ring, start)
			grids = append(grids, gridindex.Grid{
				Code:     blockCode(bi, bj),
				Name:     fmt.Sprintf("block %d,%d", bi, bj),
				Level:    2,
				Geometry: orb.MultiPolygon{{ring}},
			})
		}
	}
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			grids = append(grids, gridindex.Grid{
				Code:     fmt.Sprintf("%s-%d%d", blockCode(i/BlockSize, j/BlockSize), j%BlockSize, i%BlockSize),
				Name:     fmt.Sprintf("cell %d,%d", i, j),
				Level:    3,
				Geometry: orb.MultiPolygon{{cells[j*nx+i]}},
			})
		}
	}
	return grids
}

func blockCode(bi, bj int) string { return fmt.Sprintf("B%04d%04d", bj, bi) }
