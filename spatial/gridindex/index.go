// Package gridindex is an exact, fast point-in-polygon index over a hierarchy
// of administrative grids (polygons with holes, lon/lat degrees, EPSG:4326).
//
// # Coverage rule
//
// A point is covered by a grid when it lies inside the grid's closed geometry:
// in its interior or ON its boundary (like PostGIS ST_Covers). A point inside
// a hole is not covered by that grid (it may be covered by another grid that
// fills the hole). Each polygon of a MultiPolygon is evaluated on its own
// (even-odd rule over that polygon's shell and holes); a grid covers a point
// when any of its polygons does. At each level the answer is the grid with the
// lexicographically smallest Code among the grids of that level that cover
// the point: this resolves shared edges and shared vertices between
// neighbours as well as genuinely overlapping grids (bad data) the same way.
// Grids with identical codes at one level are ordered by their position in
// the slice given to New.
//
// All predicates are exact (adaptive-precision orientation tests), so points
// exactly on vertices, on edges, on horizontal edges or on the index's
// internal cell borders are classified exactly by the rule above.
//
// # Design
//
// The index is a uniform grid of cells over the data extent; cells holding
// too many edges are subdivided (2x2 or 4x4, recursively, where the data is
// dense) so that every leaf holds few edges. For every level, a leaf stores
// the smallest-code grid that wholly covers it (the fast path: no boundary
// crosses the leaf) and the candidate polygons whose boundaries cross the
// leaf, with whether the leaf's reference point is inside each of them. The
// candidates' edges inside the leaf are deduplicated (neighbours, parents and
// children share edges) and stored once, in one contiguous record per leaf,
// as chains of consecutive float64 vertices tagged with the set of candidates
// owning them. A query locates the leaf (one array access, plus one per
// subdivision), then walks the chains once: it counts, per candidate, the
// crossings of the segment from the reference point to the query point (exact
// parity, with a symbolic tie-breaking rule for vertices on the segment's
// line) and detects whether the point lies on an edge; the answer per level
// is the smallest-code candidate covering the point, or the wholly covering
// grid. Reference points are chosen off every edge and their status is
// computed at build time by a horizontal scan line per row of top cells and
// by exact segment crossings from a cell's reference point to its children's.
// Building is parallel (runtime.GOMAXPROCS goroutines).
//
// # Use
//
// Build once with New, then query concurrently: Locate (one small
// allocation), AppendLocate and LocateLevel (no allocation), LocateEach for
// batches of points (overlaps memory accesses), BoundaryDistance for the
// distance to the nearest grid boundary, LocateEachDistance for both over
// a batch (in space order).
//
// An Index is immutable and safe for concurrent use.
package gridindex

import (
	"github.com/gridd/gridd/spatial/predicate"

	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"unsafe"

	"github.com/paulmach/orb"
)

// Grid is one grid version to index.
type Grid struct {
	Code     string
	Name     string
	Level    int
	Geometry orb.MultiPolygon // lon/lat degrees, EPSG:4326
}

// Index is an immutable point-in-grid index. Use New to build one.
type Index struct {
	grids  []Grid // input order
	levels []int  // distinct levels, ascending

	// Top-level uniform grid.
	minX, minY, maxX, maxY float64
	nx, ny                 int
	// cellW[k], cellH[k] are the cell sizes after k binary subdivisions
	// (k = 0 is the top grid); invW/invH their inverses.
	cellW, cellH, invW, invH [2*maxDepth + 1]float64

	// nodes holds the nx*ny top cells followed by the children blocks of
	// subdivided nodes. A value with nodeInternal set is an internal node:
	// nodeSplit4 tells a 4x4 split (2x2 otherwise) and the low bits hold the
	// index of its first child (children in row-major order). Otherwise the
	// value locates a leaf record: chunk<<chunkBits | offset (0 = empty leaf).
	nodes []uint32
	// chunks hold the leaf records, see the record layout in build.go.
	chunks [][]uint64
}

const (
	nodeInternal = 1 << 31
	nodeSplit4   = 1 << 30
	nodeIndex    = nodeSplit4 - 1

	chunkBits = 21 // at most 2M words (16 MiB) per chunk
	chunkMask = 1<<chunkBits - 1

	chainXor = 1 << 63 // chain header flag: a separate xorMask follows
	recHdr   = 4       // words before the level entries of a leaf record
)

// Len returns the number of indexed grids.
func (ix *Index) Len() int { return len(ix.grids) }

// Grids returns the indexed grids in the order given to New. The geometries
// are those given to New (not copied); the returned slice is shared and must
// not be modified.
func (ix *Index) Grids() []Grid { return ix.grids }

// MemoryBytes returns the approximate memory held by the index itself (leaf
// records, nodes and the Grid values, not the geometries they share with the
// caller).
func (ix *Index) MemoryBytes() int64 {
	n := int64(cap(ix.nodes))*4 + int64(cap(ix.grids))*int64(unsafe.Sizeof(Grid{})) + int64(cap(ix.chunks))*24
	for _, c := range ix.chunks {
		n += int64(cap(c)) * 8
	}
	return n
}

// Levels returns the distinct levels present in the index, ascending.
func (ix *Index) Levels() []int { return append([]int(nil), ix.levels...) }

// Locate returns, for each level present in the index, the grid covering p at
// that level, ordered by level ascending (top first). Levels where no grid
// covers p are omitted; the result is empty (nil) when no grid covers p.
//
// Boundary rule: p is covered by a grid when it is inside the grid's closed
// geometry or ON its boundary (ST_Covers semantics); a point in a hole is not
// covered by the grid with the hole. When several grids of one level cover p
// (shared edge or vertex, or overlapping bad data) the one with the
// lexicographically smallest Code wins. So the answer at each level is
// min(Code) over the grids of that level whose closed geometry covers p.
//
// The returned slice has exactly the needed length; the pointers refer to the
// index's grids and must not be modified. Use AppendLocate to avoid the
// allocation in hot loops.
func (ix *Index) Locate(p orb.Point) []*Grid {
	var buf [8]*Grid
	r := ix.AppendLocate(buf[:0], p)
	if len(r) == 0 {
		return nil
	}
	out := make([]*Grid, len(r))
	copy(out, r)
	return out
}

// AppendLocate appends the result of Locate(p) to dst and returns the
// extended slice. It does not allocate when dst has enough capacity.
func (ix *Index) AppendLocate(dst []*Grid, p orb.Point) []*Grid {
	rec, ok := ix.leafAt(p[0], p[1])
	if !ok {
		return dst
	}
	return ix.appendLeaf(dst, rec, p)
}

// appendLeaf appends the answer for p from its leaf record rec.
func (ix *Index) appendLeaf(dst []*Grid, rec []uint64, p orb.Point) []*Grid {
	var buf [maxStackMaskWords]uint64
	cov := evalLeaf(rec, p[0], p[1], buf[:])
	nlev := int(rec[0] >> 32)
	for l := 0; l < nlev; l++ {
		if r := winner(rec, cov, l); r >= 0 {
			dst = append(dst, &ix.grids[r])
		}
	}
	return dst
}

// LocateLevel returns the grid covering p at the given level, following the
// boundary rule documented on Locate.
func (ix *Index) LocateLevel(p orb.Point, level int) (*Grid, bool) {
	li := sort.SearchInts(ix.levels, level)
	if li >= len(ix.levels) || ix.levels[li] != level {
		return nil, false
	}
	rec, ok := ix.leafAt(p[0], p[1])
	if !ok {
		return nil, false
	}
	nlev := int(rec[0] >> 32)
	for l := 0; l < nlev; l++ {
		if int(uint32(rec[recHdr+2*l])) == li {
			var buf [maxStackMaskWords]uint64
			cov := evalLeaf(rec, p[0], p[1], buf[:])
			if r := winner(rec, cov, l); r >= 0 {
				return &ix.grids[r], true
			}
			return nil, false
		}
	}
	return nil, false
}

// leafAt returns the leaf record for the point (x, y); ok is false when the
// point is outside the data extent or the leaf is empty.
func (ix *Index) leafAt(x, y float64) ([]uint64, bool) {
	v, ok := ix.nodeAt(x, y)
	if !ok || v == 0 {
		return nil, false
	}
	return ix.chunks[v>>chunkBits][v&chunkMask:], true
}

// nodeAt returns the leaf node value for the point (x, y).
func (ix *Index) nodeAt(x, y float64) (uint32, bool) {
	// Written to reject NaN as well.
	if !(x >= ix.minX && x <= ix.maxX && y >= ix.minY && y <= ix.maxY) {
		return 0, false
	}
	col := int((x - ix.minX) * ix.invW[0])
	if col >= ix.nx {
		col = ix.nx - 1
	}
	row := int((y - ix.minY) * ix.invH[0])
	if row >= ix.ny {
		row = ix.ny - 1
	}
	v := ix.nodes[row*ix.nx+col]
	if v&nodeInternal == 0 {
		return v, true
	}
	// Products are rounded explicitly (no fused multiply-add) so that the
	// cell origins match the ones computed while building.
	x0 := ix.minX + float64(float64(col)*ix.cellW[0])
	y0 := ix.minY + float64(float64(row)*ix.cellH[0])
	k := 0
	for v&nodeInternal != 0 {
		s, sh := 2, 1
		if v&nodeSplit4 != 0 {
			s, sh = 4, 2
		}
		k += sh
		ci := clampIdx(int((x-x0)*ix.invW[k]), s)
		ri := clampIdx(int((y-y0)*ix.invH[k]), s)
		x0 += float64(float64(ci) * ix.cellW[k])
		y0 += float64(float64(ri) * ix.cellH[k])
		v = ix.nodes[int(v&nodeIndex)+ri*s+ci]
	}
	return v, true
}

func clampIdx(i, s int) int {
	if i < 0 {
		return 0
	}
	if i >= s {
		return s - 1
	}
	return i
}

// maxStackMaskWords is the number of 64-bit mask words (64 candidates each)
// evaluated without allocating; leaves with more candidates (only possible
// with hundreds of grids meeting at one point) allocate.
const maxStackMaskWords = 4

// evalLeaf computes which candidates of the leaf record rec cover (px, py)
// and returns them as a bit mask (buf is used when large enough).
//
// Record layout (uint64 words, see also build.go):
//
//	[nCand | nLevels<<32]
//	[refX, refY, R]                                    (zero if nCand == 0)
//	nLevels x [levelIdx | candLo<<32, (cover+1) | candHi<<32]
//	[inMask (mw words), grids ((nCand+1)/2 words), nChains] if nCand > 0
//	nChains x [nPoints | xorFlag, orMask (mw), xorMask (mw, if xorFlag), x0, y0, x1, y1, ...]
func evalLeaf(rec []uint64, px, py float64, buf []uint64) []uint64 {
	ncand := int(uint32(rec[0]))
	if ncand == 0 {
		return nil
	}
	nlev := int(rec[0] >> 32)
	cx := math.Float64frombits(rec[1])
	cy := math.Float64frombits(rec[2])
	mw := (ncand + 63) >> 6
	i := recHdr + 2*nlev
	in := rec[i : i+mw]
	i += mw + (ncand+1)/2
	nch := int(rec[i])
	i++
	var cov []uint64
	if mw <= len(buf) {
		cov = buf[:mw]
		clear(cov)
	} else {
		cov = make([]uint64, mw)
	}
	if px == cx && py == cy {
		copy(cov, in)
		return cov
	}
	var parBuf [maxStackMaskWords]uint64
	var par []uint64
	if mw <= len(parBuf) {
		par = parBuf[:mw]
	} else {
		par = make([]uint64, mw)
	}
	crossMasks(rec[i:], nch, mw, cx, cy, px, py, math.Float64frombits(rec[3]), cov, par)
	for k := range cov {
		cov[k] |= in[k] ^ par[k]
	}
	return cov
}

// winner returns the input index of the grid winning at the l-th level entry
// of the leaf record rec, given the covered candidates cov, or -1: the first
// covered candidate of the level's range (candidates are sorted by code and
// the range stops before the wholly covering grid's code), else the wholly
// covering grid.
func winner(rec, cov []uint64, l int) int {
	e0, e1 := rec[recHdr+2*l], rec[recHdr+1+2*l]
	lo, hi := int(e0>>32), int(e1>>32)
	for k := lo; k < hi; {
		w := cov[k>>6] >> (k & 63)
		if w == 0 {
			k = (k | 63) + 1
			continue
		}
		k += bits.TrailingZeros64(w)
		if k < hi {
			ncand := int(uint32(rec[0]))
			gk := recHdr + 2*int(rec[0]>>32) + (ncand+63)>>6 + k>>1
			return int(uint32(rec[gk] >> (32 * (k & 1))))
		}
		break
	}
	return int(uint32(e1)) - 1
}

// crossMasks evaluates the nch chains at the start of w against the segment
// c -> p. For every edge p lies on, the edge's orMask is or-ed into on; for
// every edge the segment crosses, its xorMask is xor-ed into par. So, for a
// candidate whose boundary does not contain p, its parity bit tells whether
// the segment crosses its boundary an odd number of times (c must not lie on
// any edge).
//
// Exactness: a vertex v is "above" the line c->p when predicate.Orient(c, p, v) > 0;
// vertices on the line count as below. This is the half-open rule of ray
// casting generalised to any direction; it is equivalent to shifting the
// segment by an infinitesimal amount, which changes no answer because c and
// p are not on the boundary. An edge whose endpoints are on different sides
// crosses the segment iff c and p are strictly on different sides of the
// edge's line. All orientation tests are exact.
func crossMasks(w []uint64, nch, mw int, cx, cy, px, py, R float64, on, par []uint64) {
	// Orientation filter: predicate.Orient(c, p, v) is evaluated as Shewchuk's
	// orient2d(p, v, c) = dx*(vy-cy) - dy*(vx-cx), whose rounding error is at
	// most predicate.ErrBoundA*(|dx*(vy-cy)| + |dy*(vx-cx)|) <= predicate.ErrBoundA*(|dx|+|dy|)*R
	// (R bounds the rounded |vx-cx| and |vy-cy| of every vertex of the
	// record); the factor covers the rounding of the bound itself. Values
	// within the bound are decided by the exact predicate.
	dx, dy := px-cx, py-cy
	bound := predicate.ErrBoundA * ((math.Abs(dx) + math.Abs(dy)) * R) * (1 + 1e-14)
	i := 0
	for ; nch > 0; nch-- {
		h := w[i]
		np := int(uint32(h))
		i++
		orM := w[i : i+mw]
		xorM := orM
		i += mw
		if h&chainXor != 0 {
			xorM = w[i : i+mw]
			i += mw
		}
		c := w[i : i+2*np]
		i += 2 * np
		ax, ay := math.Float64frombits(c[0]), math.Float64frombits(c[1])
		sa := 1
		if det := float64(dx*(ay-cy)) - float64(dy*(ax-cx)); det <= bound {
			if det < -bound {
				sa = -1
			} else {
				sa = predicate.Orient(cx, cy, px, py, ax, ay)
			}
		}
		for k := 2; k+1 < len(c); k += 2 {
			bx, by := math.Float64frombits(c[k]), math.Float64frombits(c[k+1])
			// sb = sign of predicate.Orient(c, p, b), filtered (inlined by hand).
			sb := 1
			if det := float64(dx*(by-cy)) - float64(dy*(bx-cx)); det <= bound {
				if det < -bound {
					sb = -1
				} else {
					sb = predicate.Orient(cx, cy, px, py, bx, by)
				}
			}
			if sa != sb || sa == 0 {
				isOn, cross := edgeEvent(ax, ay, bx, by, sa, sb, cx, cy, px, py)
				if isOn {
					for m := range on {
						on[m] |= orM[m]
					}
				} else if cross {
					for m := range par {
						par[m] ^= xorM[m]
					}
				}
			}
			ax, ay, sa = bx, by, sb
		}
	}
}

// edgeEvent classifies the edge a-b, whose endpoints have sides sa and sb
// relative to the line c->p (not both equal and non-zero): on reports that
// p lies on the edge, cross that the segment c->p crosses it (see
// crossMasks).
func edgeEvent(ax, ay, bx, by float64, sa, sb int, cx, cy, px, py float64) (on, cross bool) {
	switch {
	case sa == 0 && sb == 0:
		// Collinear with the line c-p: p on the edge iff in its box.
		return px >= math.Min(ax, bx) && px <= math.Max(ax, bx) &&
			py >= math.Min(ay, by) && py <= math.Max(ay, by), false
	case sa == 0:
		if ax == px && ay == py {
			return true, false
		}
	case sb == 0:
		if bx == px && by == py {
			return true, false
		}
	}
	if (sa > 0) == (sb > 0) {
		return false, false
	}
	op := predicate.Orient(ax, ay, bx, by, px, py)
	if op == 0 {
		return true, false
	}
	return false, op != predicate.Orient(ax, ay, bx, by, cx, cy)
}

// crossChains is the single-polygon variant used while building: it
// evaluates chains [nPoints, x0, y0, x1, y1, ...] against the segment c -> p
// and returns whether p is on an edge, else the crossing parity.
func crossChains(w []uint64, cx, cy, px, py float64) (on, odd bool) {
	for i := 0; i < len(w); {
		np := int(w[i])
		c := w[i+1 : i+1+2*np]
		i += 1 + 2*np
		ax, ay := math.Float64frombits(c[0]), math.Float64frombits(c[1])
		sa := sideOf(cx, cy, px, py, ax, ay)
		for k := 2; k+1 < len(c); k += 2 {
			bx, by := math.Float64frombits(c[k]), math.Float64frombits(c[k+1])
			sb := sideOf(cx, cy, px, py, bx, by)
			if sa != sb || sa == 0 {
				isOn, cross := edgeEvent(ax, ay, bx, by, sa, sb, cx, cy, px, py)
				if isOn {
					return true, false
				}
				if cross {
					odd = !odd
				}
			}
			ax, ay, sa = bx, by, sb
		}
	}
	return false, odd
}

// sideOf returns the exact sign of predicate.Orient(c, p, v), with an inlined fast
// path.
func sideOf(cx, cy, px, py, vx, vy float64) int {
	acx := cx - vx
	bcx := px - vx
	acy := cy - vy
	bcy := py - vy
	detl := float64(acx * bcy)
	detr := float64(acy * bcx)
	det := detl - detr
	bound := predicate.ErrBoundA * (math.Abs(detl) + math.Abs(detr))
	if det > bound {
		return 1
	}
	if det < -bound {
		return -1
	}
	return predicate.Orient(cx, cy, px, py, vx, vy)
}

// LocateEach calls fn(i, grids) with the result of Locate(pts[i]) for every
// point, in order (one small allocation per call, none per point). It is
// faster than a loop over AppendLocate when the index does not fit in the CPU
// caches: it locates the leaves of a few points before evaluating them, so
// that their memory accesses overlap. grids is only valid during the call.
func (ix *Index) LocateEach(pts []orb.Point, fn func(i int, grids []*Grid)) {
	const batch = 8
	var recs [batch][]uint64
	var buf [8]*Grid
	for start := 0; start < len(pts); start += batch {
		end := min(start+batch, len(pts))
		var acc uint64
		for i := start; i < end; i++ {
			rec, ok := ix.leafAt(pts[i][0], pts[i][1])
			if ok {
				acc += rec[0] // start loading the record
			}
			recs[i-start] = rec
		}
		if acc == 1<<63 {
			buf[0] = nil // keeps the loads above
		}
		for i := start; i < end; i++ {
			res := buf[:0]
			if rec := recs[i-start]; rec != nil {
				var mbuf [maxStackMaskWords]uint64
				cov := evalLeaf(rec, pts[i][0], pts[i][1], mbuf[:])
				nlev := int(rec[0] >> 32)
				for l := 0; l < nlev; l++ {
					if r := winner(rec, cov, l); r >= 0 {
						res = append(res, &ix.grids[r])
					}
				}
			}
			fn(i, res)
		}
	}
}

// LocateEachDistance calls fn(i, grids, dist) for every point in order,
// with grids = Locate(pts[i]) and dist = BoundaryDistance(pts[i],
// maxMeters): the same answers as those calls, for less work. The leaf of
// each point is found once for both; a large batch is evaluated in an
// order that follows space (a Z-order curve over the cells), so that
// nearby points reuse the leaves in the CPU caches, and the memory
// accesses of a few points at a time overlap. grids is only valid during
// the call.
func (ix *Index) LocateEachDistance(pts []orb.Point, maxMeters float64, fn func(i int, grids []*Grid, dist float64)) {
	const minSorted = 256
	if len(pts) < minSorted || len(pts) >= 1<<zIndexBits {
		ix.evalEach(pts, nil, maxMeters, fn)
		return
	}
	type answer struct {
		off, n int32
		dist   float64
	}
	ans := make([]answer, len(pts))
	found := make([]*Grid, 0, len(pts)*len(ix.levels))
	ix.evalEach(pts, ix.zOrder(pts), maxMeters, func(i int, grids []*Grid, dist float64) {
		ans[i] = answer{int32(len(found)), int32(len(grids)), dist}
		found = append(found, grids...)
	})
	const batch = 8
	for start := 0; start < len(pts); start += batch {
		end := min(start+batch, len(pts))
		var acc uint64
		for i := start; i < end; i++ {
			for _, g := range found[ans[i].off : ans[i].off+ans[i].n] {
				acc += uint64(g.Level) // start loading the grids
			}
		}
		runtime.KeepAlive(acc)
		for i := start; i < end; i++ {
			a := ans[i]
			fn(i, found[a.off:a.off+a.n:a.off+a.n], a.dist)
		}
	}
}

// zIndexBits is the number of bits left for the point index in a Z-order
// sort key.
const zIndexBits = 25

// zOrder returns the indexes of pts sorted along a Z-order curve over a
// quarter of the top cells' size.
func (ix *Index) zOrder(pts []orb.Point) []int32 {
	const side = 1<<((64-zIndexBits)/2) - 1
	quant := func(v, min, inv float64) uint64 {
		c := (v - min) * inv * 4
		switch {
		case !(c > 0): // and NaN
			return 0
		case c >= side:
			return side
		}
		return uint64(c)
	}
	keys := make([]uint64, len(pts))
	for i, p := range pts {
		z := spreadBits(quant(p[0], ix.minX, ix.invW[0])) | spreadBits(quant(p[1], ix.minY, ix.invH[0]))<<1
		keys[i] = z<<zIndexBits | uint64(i)
	}
	slices.Sort(keys)
	order := make([]int32, len(pts))
	for k, key := range keys {
		order[k] = int32(key & (1<<zIndexBits - 1))
	}
	return order
}

// spreadBits moves bit k of v (k < 32) to bit 2k.
func spreadBits(v uint64) uint64 {
	v &= 0xffffffff
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	v = (v | v<<2) & 0x3333333333333333
	return (v | v<<1) & 0x5555555555555555
}

// evalEach answers the points in the order given by order (all in turn
// when nil), loading the leaves of a few points before evaluating them,
// and calls fn(i, grids, dist) for each.
func (ix *Index) evalEach(pts []orb.Point, order []int32, maxMeters float64, fn func(i int, grids []*Grid, dist float64)) {
	const batch = 8
	var (
		leaves [batch]uint32
		which  [batch]int
		dist   [batch]float64
		off    [batch + 1]int
		found  = make([]*Grid, 0, batch*len(ix.levels))
	)
	for start := 0; start < len(pts); start += batch {
		n := min(batch, len(pts)-start)
		var acc uint64
		for k := range n {
			i := start + k
			if order != nil {
				i = int(order[i])
			}
			which[k] = i
			v, ok := ix.nodeAt(pts[i][0], pts[i][1])
			if !ok {
				v = 0
			}
			leaves[k] = v
			if v != 0 {
				acc += ix.chunks[v>>chunkBits][v&chunkMask] // start loading the record
			}
		}
		runtime.KeepAlive(acc)
		found = found[:0]
		for k := range n {
			p, v := pts[which[k]], leaves[k]
			off[k] = len(found)
			if v != 0 {
				found = ix.appendLeaf(found, ix.chunks[v>>chunkBits][v&chunkMask:], p)
			}
			dist[k] = ix.boundaryDistance(p, maxMeters, v)
		}
		off[n] = len(found)
		for k := range n {
			fn(which[k], found[off[k]:off[k+1]:off[k+1]], dist[k])
		}
	}
}
