package gridindex

import (
	"github.com/gridd/gridd/spatial/predicate"

	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
)

// Leaf record layout (uint64 words in Index.chunks):
//
//	[nCand | nLevels<<32]
//	[refX, refY, R]                                    (zero if nCand == 0)
//	nLevels x [levelIdx | candLo<<32, (cover+1) | candHi<<32]
//	[inMask (mw words), grids ((nCand+1)/2 words), nChains] if nCand > 0
//	nChains x [nPoints | xorFlag, orMask (mw), xorMask (mw, if xorFlag), x0, y0, x1, y1, ...]
//
// The candidates are the polygons whose boundary intersects the leaf, sorted
// by level, then grid rank (Code order), then polygon; grids holds the input
// index of each candidate's grid. cover is the input index of the grid of
// smallest rank among the grids of the level that contain the whole leaf
// without any boundary in it (the fast path). Level entry l owns candidates
// [candLo, candHi): those ranked before the covering grid, so that the answer
// is the first candidate of the range covering the point, else cover. inMask tells which candidates contain the leaf's reference point
// (refX, refY); mw = ceil(nCand/64). R is the largest coordinate difference
// between a vertex of the record and the reference point.
//
// The edges of all candidates inside the leaf are deduplicated (neighbours,
// and parents and children, share edges) and stored once, as chains of
// consecutive vertices with the coordinates copied into the record so that a
// lookup reads one contiguous block. orMask holds the candidates having the
// edge; xorMask those having it an odd number of times (equal to orMask
// unless a polygon repeats an edge).

// maxDepth is the maximum number of subdivision steps below a top cell.
const maxDepth = 6

type options struct {
	topEdges  int // target number of edges per top cell
	leafEdges int // a cell with more edges than this is subdivided
	maxDepth  int
	workers   int
	cellSize  float64 // tests only: force the top cell size
}

func defaultOptions() options {
	return options{topEdges: 24, leafEdges: 48, maxDepth: maxDepth, workers: runtime.GOMAXPROCS(0)}
}

// New builds an index over grids. It returns an error if a grid's geometry is
// empty (no vertex at all) or has a non-finite coordinate. Rings may be given
// clockwise or counter-clockwise, with or without the closing vertex.
//
// The index copies the edges it needs into its own compact storage (memory
// proportional to the number of vertices, about 20 bytes per vertex for a
// typical tessellation), so lookups never read the input geometries. It keeps
// a shallow copy of the Grid values for Grids and Locate: their geometries are
// shared with the caller, who should not modify them afterwards. grids must not
// be modified during New. Building uses runtime.GOMAXPROCS(0) goroutines.
func New(grids []Grid) (*Index, error) {
	return build(grids, defaultOptions())
}

type piece struct {
	poly  uint32
	ring  uint32
	start uint32 // first edge of the chain in the ring
	n     uint32 // number of edges
}

type builder struct {
	ix                     *Index
	opt                    options
	rings                  []orb.Ring // all non-empty rings (closed or not)
	polyRings              []uint32   // polygon p owns rings [polyRings[p], polyRings[p+1])
	nEdges                 int
	minX, minY, maxX, maxY float64
	polyRank               []uint32
	rankLevel              []uint32
	byRank                 []int32 // rank (order by Code, then input position) -> input index
	nLevels                int
	delta                  float64 // conservative expansion of cell rectangles

	nBands    int
	bandStart []uint32 // band k lists the polygons bandPolys[bandStart[k]:bandStart[k+1]]
	bandPolys []uint32
	topVal    []uint32 // top node values (worker-local)
	rowWorker []uint16
}

func build(grids []Grid, opt options) (*Index, error) {
	if opt.workers < 1 {
		opt.workers = 1
	}
	if opt.maxDepth > maxDepth {
		opt.maxDepth = maxDepth
	}
	b := &builder{ix: &Index{}, opt: opt}
	if err := b.flatten(grids); err != nil {
		return nil, err
	}
	if len(b.rings) == 0 {
		// No grids: an index that covers nothing.
		ix := b.ix
		ix.minX, ix.minY = math.Inf(1), math.Inf(1)
		ix.maxX, ix.maxY = math.Inf(-1), math.Inf(-1)
		return ix, nil
	}
	b.setupTopGrid()
	b.assignBands()
	if err := b.processRows(); err != nil {
		return nil, err
	}
	b.rings = nil
	return b.ix, nil
}

// flatten validates the input, lists the non-empty rings and polygons and
// ranks the grids by code. Coordinates are not copied.
func (b *builder) flatten(grids []Grid) error {
	ix := b.ix
	if len(grids) >= math.MaxInt32 {
		return errors.New("gridindex: too many grids")
	}
	var nRings, nPolys int
	for gi := range grids {
		g := &grids[gi]
		empty := true
		for _, poly := range g.Geometry {
			pr := 0
			for _, ring := range poly {
				if len(ring) > 0 {
					pr++
				}
			}
			if pr > 0 {
				nRings += pr
				nPolys++
				empty = false
			}
		}
		if empty {
			return fmt.Errorf("gridindex: grid %d (code %q): empty geometry", gi, g.Code)
		}
	}
	if nRings >= math.MaxInt32 {
		return fmt.Errorf("gridindex: too many rings (%d)", nRings)
	}

	// Rank grids by code, then input position.
	order := make([]int32, len(grids))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, c int32) int {
		if r := strings.Compare(grids[a].Code, grids[c].Code); r != 0 {
			return r
		}
		return cmp.Compare(a, c)
	})
	gridRank := make([]uint32, len(grids))
	for r, gi := range order {
		gridRank[gi] = uint32(r)
	}
	b.byRank = order

	levelSet := map[int]struct{}{}
	for gi := range grids {
		levelSet[grids[gi].Level] = struct{}{}
	}
	for l := range levelSet {
		ix.levels = append(ix.levels, l)
	}
	slices.Sort(ix.levels)
	levelIdx := make(map[int]uint32, len(ix.levels))
	for i, l := range ix.levels {
		levelIdx[l] = uint32(i)
	}
	b.nLevels = len(ix.levels)
	b.rankLevel = make([]uint32, len(grids))
	for gi := range grids {
		b.rankLevel[gridRank[gi]] = levelIdx[grids[gi].Level]
	}

	b.rings = make([]orb.Ring, 0, nRings)
	b.polyRings = make([]uint32, 0, nPolys+1)
	b.polyRank = make([]uint32, 0, nPolys)
	for gi := range grids {
		for _, poly := range grids[gi].Geometry {
			r0 := len(b.rings)
			for _, ring := range poly {
				if len(ring) > 0 {
					b.rings = append(b.rings, ring)
				}
			}
			if len(b.rings) > r0 {
				b.polyRings = append(b.polyRings, uint32(r0))
				b.polyRank = append(b.polyRank, gridRank[gi])
			}
		}
	}
	b.polyRings = append(b.polyRings, uint32(len(b.rings)))
	ix.grids = slices.Clone(grids)

	// Validate the coordinates and compute the extent, in parallel.
	type ext struct {
		minX, minY, maxX, maxY float64
		edges                  int
		bad                    int // ring index + 1 of a non-finite coordinate
	}
	exts := make([]ext, b.opt.workers*8)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range b.opt.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= len(exts) {
					return
				}
				e := ext{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1), 0, 0}
				for r := c * len(b.rings) / len(exts); r < (c+1)*len(b.rings)/len(exts); r++ {
					for _, p := range b.rings[r] {
						if !(math.Abs(p[0]) <= math.MaxFloat64 && math.Abs(p[1]) <= math.MaxFloat64) {
							if e.bad == 0 {
								e.bad = r + 1
							}
							continue
						}
						e.minX = math.Min(e.minX, p[0])
						e.maxX = math.Max(e.maxX, p[0])
						e.minY = math.Min(e.minY, p[1])
						e.maxY = math.Max(e.maxY, p[1])
					}
					e.edges += ringEdges(b.rings[r])
				}
				exts[c] = e
			}
		}()
	}
	wg.Wait()
	b.minX, b.minY = math.Inf(1), math.Inf(1)
	b.maxX, b.maxY = math.Inf(-1), math.Inf(-1)
	for _, e := range exts {
		if e.bad != 0 {
			r := e.bad - 1
			p := sort.Search(len(b.polyRings)-1, func(i int) bool { return int(b.polyRings[i+1]) > r })
			gi := b.byRank[b.polyRank[p]]
			return fmt.Errorf("gridindex: grid %d (code %q): non-finite coordinate", gi, grids[gi].Code)
		}
		b.minX = math.Min(b.minX, e.minX)
		b.minY = math.Min(b.minY, e.minY)
		b.maxX = math.Max(b.maxX, e.maxX)
		b.maxY = math.Max(b.maxY, e.maxY)
		b.nEdges += e.edges
	}
	return nil
}

// ringEdges returns the number of edges of a ring given with or without the
// closing vertex.
func ringEdges(r orb.Ring) int {
	if len(r) > 1 && r[0] == r[len(r)-1] {
		return len(r) - 1
	}
	return len(r)
}

// edge returns the endpoints of edge e of ring r.
func (b *builder) edge(r, e uint32) (orb.Point, orb.Point) {
	ring := b.rings[r]
	if int(e)+1 == len(ring) {
		return ring[e], ring[0]
	}
	return ring[e], ring[e+1]
}

// parallelRange calls fn on about 8*workers contiguous chunks of [0, n).
func parallelRange(n, workers int, fn func(lo, hi int)) {
	if n == 0 {
		return
	}
	chunks := workers * 8
	if chunks > n {
		chunks = n
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				fn(c*n/chunks, (c+1)*n/chunks)
			}
		}()
	}
	wg.Wait()
}

func (b *builder) setupTopGrid() {
	ix := b.ix
	minX, minY, maxX, maxY := b.minX, b.minY, b.maxX, b.maxY
	ix.minX, ix.minY, ix.maxX, ix.maxY = minX, minY, maxX, maxY
	maxAbs := math.Max(math.Max(math.Abs(minX), math.Abs(maxX)), math.Max(math.Abs(minY), math.Abs(maxY)))
	b.delta = 1e-10 * math.Max(1, maxAbs)

	w := math.Max(maxX-minX, 1e-7*math.Max(1, maxAbs))
	h := math.Max(maxY-minY, 1e-7*math.Max(1, maxAbs))
	edges := b.nEdges
	target := float64(edges) / float64(max(1, b.opt.topEdges))
	const maxTop = 1 << 24
	target = math.Min(math.Max(target, 1), maxTop)
	cell := math.Sqrt(w * h / target)
	cell = math.Max(cell, math.Max(w, h)/4096)
	if b.opt.cellSize > 0 {
		cell = b.opt.cellSize
	}
	nx := int(w/cell) + 1
	ny := int(h/cell) + 1
	for nx*ny > maxTop {
		cell *= 1.1
		nx = int(w/cell) + 1
		ny = int(h/cell) + 1
	}
	ix.nx, ix.ny = nx, ny
	for k := range ix.cellW {
		ix.cellW[k] = math.Ldexp(cell, -k)
		ix.cellH[k] = math.Ldexp(cell, -k)
		ix.invW[k] = 1 / ix.cellW[k]
		ix.invH[k] = 1 / ix.cellH[k]
	}
}

// frame is a uniform grid of ncol x nrow cells of size w x h at (x0, y0).
type frame struct {
	x0, y0, w, h, invW, invH float64
	ncol, nrow               int
	rowLo, rowHi             int // only rows in [rowLo, rowHi] are reported
}

// cellOrigin returns the lower-left corner of cell (col, row), computed
// exactly as the queries compute it.
func (f *frame) cellOrigin(col, row int) (float64, float64) {
	return f.x0 + float64(float64(col)*f.w), f.y0 + float64(float64(row)*f.h)
}

func floorClamp(v float64, n int) int {
	if !(v > 0) {
		return 0
	}
	if v >= float64(n) {
		return n - 1
	}
	return int(v)
}

// cellsOf appends to buf the cells of f whose delta-expanded rectangle the
// segment a-b may intersect (a conservative test: extra cells are harmless).
func (b *builder) cellsOf(f *frame, ax, ay, bx, by float64, buf []int32) []int32 {
	d := b.delta
	lox, hix := math.Min(ax, bx), math.Max(ax, bx)
	loy, hiy := math.Min(ay, by), math.Max(ay, by)
	c0 := floorClamp((lox-2*d-f.x0)*f.invW, f.ncol)
	c1 := floorClamp((hix+2*d-f.x0)*f.invW, f.ncol)
	r0 := floorClamp((loy-2*d-f.y0)*f.invH, f.nrow)
	r1 := floorClamp((hiy+2*d-f.y0)*f.invH, f.nrow)
	r0, r1 = max(r0, f.rowLo), min(r1, f.rowHi)
	if r0 > r1 {
		return buf
	}
	if c0 == c1 && r0 == r1 {
		return append(buf, int32(r0*f.ncol+c0))
	}
	dx, dy := bx-ax, by-ay
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			x0, y0 := f.cellOrigin(c, r)
			x1, y1 := x0+f.w+d, y0+f.h+d
			x0 -= d
			y0 -= d
			if hix < x0 || lox > x1 || hiy < y0 || loy > y1 {
				continue
			}
			// Reject only when all four corners are strictly on one side of
			// the segment's line, with a generous float tolerance.
			s1 := dx*(y0-ay) - dy*(x0-ax)
			s2 := dx*(y0-ay) - dy*(x1-ax)
			s3 := dx*(y1-ay) - dy*(x0-ax)
			s4 := dx*(y1-ay) - dy*(x1-ax)
			tol := 1e-12 * (math.Abs(dx) + math.Abs(dy)) * (math.Abs(x1-ax) + math.Abs(x0-ax) + math.Abs(y1-ay) + math.Abs(y0-ay))
			if (s1 > tol && s2 > tol && s3 > tol && s4 > tol) || (s1 < -tol && s2 < -tol && s3 < -tol && s4 < -tol) {
				continue
			}
			buf = append(buf, int32(r*f.ncol+c))
		}
	}
	return buf
}

type run struct {
	cell     int32
	start, n uint32
}

type cellPiece struct {
	cell int32
	piece
}

// worker holds per-goroutine scratch space and output.
type worker struct {
	b       *builder
	runs    []run
	cellBuf []int32
	out     []cellPiece

	// Leaf records and subdivided nodes produced by this worker, with
	// worker-local chunk numbers and node indexes. chunks[0][0] is a dummy
	// word so that the local value 0 means an empty leaf.
	chunks [][]uint64
	nodes  []uint32

	// Row scan scratch.
	refX     []float64
	cross    []crossing
	set      []uint32
	rowPin   []bool
	rowCov   []int32
	chains   []uint64
	cands    []cand
	levs     []struct{ l, lo, hi int }
	tbl      []int32
	keys     []edgeKey
	uid      []int32
	masks    []uint64
	emitted  []bool
	chainBuf []uint64
	err      error

	// Band scratch: pieces of the band's top cells.
	bandR0    int
	bandStart []uint32
	bandPcs   []piece
	fill      []uint32
}

type crossing struct {
	edge uint64 // ring<<32 | edge
	poly uint32
	k    int32
}

// splitChain splits the chain (start, n) of poly into runs of consecutive
// edges per cell of f and appends them to w.out.
func (w *worker) splitChain(f *frame, poly, ring, start, n uint32) {
	b := w.b
	runs := w.runs[:0]
	for e := start; e < start+n; e++ {
		a, c := b.edge(ring, e)
		cells := b.cellsOf(f, a[0], a[1], c[0], c[1], w.cellBuf[:0])
		w.cellBuf = cells
		m := 0
		for _, r := range runs {
			if slices.Contains(cells, r.cell) {
				r.n++
				runs[m] = r
				m++
			} else {
				w.out = append(w.out, cellPiece{r.cell, piece{poly, ring, r.start, r.n}})
			}
		}
		runs = runs[:m]
		for _, cl := range cells {
			found := false
			for _, r := range runs {
				if r.cell == cl {
					found = true
					break
				}
			}
			if !found {
				runs = append(runs, run{cl, e, 1})
			}
		}
	}
	for _, r := range runs {
		w.out = append(w.out, cellPiece{r.cell, piece{poly, ring, r.start, r.n}})
	}
	w.runs = runs[:0]
}

func (b *builder) topFrame() frame {
	ix := b.ix
	return frame{x0: ix.minX, y0: ix.minY, w: ix.cellW[0], h: ix.cellH[0],
		invW: ix.invW[0], invH: ix.invH[0], ncol: ix.nx, nrow: ix.ny, rowLo: 0, rowHi: ix.ny - 1}
}

// assignBands splits the top rows into bands (the unit of parallel work) and
// lists, per band, the polygons whose bounding box intersects it.
func (b *builder) assignBands() {
	ix := b.ix
	nPolys := len(b.polyRank)
	nb := min(ix.ny, b.opt.workers*16)
	b.nBands = nb
	rows := make([]int32, 2*nPolys) // first and last row of each polygon
	parallelRange(nPolys, b.opt.workers, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			y0, y1 := math.Inf(1), math.Inf(-1)
			for r := b.polyRings[p]; r < b.polyRings[p+1]; r++ {
				for _, pt := range b.rings[r] {
					y0 = math.Min(y0, pt[1])
					y1 = math.Max(y1, pt[1])
				}
			}
			rows[2*p] = int32(floorClamp((y0-2*b.delta-ix.minY)*ix.invH[0], ix.ny))
			rows[2*p+1] = int32(floorClamp((y1+2*b.delta-ix.minY)*ix.invH[0], ix.ny))
		}
	})
	b.bandStart = make([]uint32, nb+1)
	for p := 0; p < nPolys; p++ {
		for k := bandOfRow(int(rows[2*p]), nb, ix.ny); k <= bandOfRow(int(rows[2*p+1]), nb, ix.ny); k++ {
			b.bandStart[k+1]++
		}
	}
	for k := 0; k < nb; k++ {
		b.bandStart[k+1] += b.bandStart[k]
	}
	b.bandPolys = make([]uint32, b.bandStart[nb])
	fill := slices.Clone(b.bandStart[:nb])
	for p := 0; p < nPolys; p++ {
		for k := bandOfRow(int(rows[2*p]), nb, ix.ny); k <= bandOfRow(int(rows[2*p+1]), nb, ix.ny); k++ {
			b.bandPolys[fill[k]] = uint32(p)
			fill[k]++
		}
	}
}

// bandRows returns the rows [r0, r1) of band k of nb over ny rows.
func bandRows(k, nb, ny int) (int, int) { return k * ny / nb, (k + 1) * ny / nb }

// bandOfRow returns the band of row.
func bandOfRow(row, nb, ny int) int {
	k := row * nb / ny
	for r0, _ := bandRows(k, nb, ny); r0 > row; r0, _ = bandRows(k, nb, ny) {
		k--
	}
	for _, r1 := bandRows(k, nb, ny); r1 <= row; _, r1 = bandRows(k, nb, ny) {
		k++
	}
	return k
}

// gatherBand distributes the edges of the band's polygons to the band's top
// cells: afterwards the cell row*nx+col owns
// w.bandPcs[w.bandStart[c-r0*nx]:w.bandStart[c-r0*nx+1]], sorted by polygon.
func (w *worker) gatherBand(band, r0, r1 int) {
	b := w.b
	nx := b.ix.nx
	f := b.topFrame()
	f.rowLo, f.rowHi = r0, r1-1
	w.out = w.out[:0]
	for _, p := range b.bandPolys[b.bandStart[band]:b.bandStart[band+1]] {
		for r := b.polyRings[p]; r < b.polyRings[p+1]; r++ {
			w.splitChain(&f, p, r, 0, uint32(ringEdges(b.rings[r])))
		}
	}
	ncell := (r1 - r0) * nx
	base := int32(r0 * nx)
	w.bandStart = slices.Grow(w.bandStart[:0], ncell+1)[:ncell+1]
	clear(w.bandStart)
	for i := range w.out {
		w.bandStart[w.out[i].cell-base+1]++
	}
	for c := 0; c < ncell; c++ {
		w.bandStart[c+1] += w.bandStart[c]
	}
	w.bandPcs = slices.Grow(w.bandPcs[:0], len(w.out))[:len(w.out)]
	w.fill = append(w.fill[:0], w.bandStart[:ncell]...)
	for i := range w.out {
		c := w.out[i].cell - base
		w.bandPcs[w.fill[c]] = w.out[i].piece
		w.fill[c]++
	}
	w.out = w.out[:0]
	w.bandR0 = r0
}

// Reference point candidates, as fractions of a cell. The first is the
// centre; the others are spread (golden ratio sequence) and stay away from
// the cell borders.
var refFrac = func() []float64 {
	fr := []float64{0.5}
	v := 0.5
	for len(fr) < 48 {
		v += 0.6180339887498949
		v -= math.Floor(v)
		if v > 0.05 && v < 0.95 {
			fr = append(fr, v)
		}
	}
	return fr
}()

// onAnyEdge reports whether (x, y) lies on an edge of pcs.
func (b *builder) onAnyEdge(pcs []piece, x, y float64) bool {
	for _, pc := range pcs {
		for e := pc.start; e < pc.start+pc.n; e++ {
			a, c := b.edge(pc.ring, e)
			if predicate.OnSegment(a[0], a[1], c[0], c[1], x, y) {
				return true
			}
		}
	}
	return false
}

func (b *builder) processRows() error {
	ix := b.ix
	b.topVal = make([]uint32, ix.nx*ix.ny)
	b.rowWorker = make([]uint16, ix.ny)
	workers := make([]*worker, b.opt.workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for wi := range workers {
		w := &worker{b: b, chunks: [][]uint64{make([]uint64, 1, 4096)}}
		workers[wi] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				band := int(next.Add(1) - 1)
				if band >= b.nBands {
					return
				}
				r0, r1 := bandRows(band, b.nBands, ix.ny)
				w.gatherBand(band, r0, r1)
				for row := r0; row < r1; row++ {
					b.rowWorker[row] = uint16(wi)
					if err := w.processRow(row); err != nil {
						w.err = err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, w := range workers {
		if w.err != nil {
			return w.err
		}
	}

	// Gather the workers' chunks and nodes and relocate node values.
	chunkBase := make([]uint32, len(workers))
	nodeBase := make([]uint32, len(workers))
	ix.chunks = [][]uint64{{0}} // global value 0: empty leaf
	nnodes := ix.nx * ix.ny
	for wi, w := range workers {
		chunkBase[wi] = uint32(len(ix.chunks))
		nodeBase[wi] = uint32(nnodes)
		for _, c := range w.chunks {
			if cap(c)-len(c) > 1024 {
				c = slices.Clone(c)
			}
			ix.chunks = append(ix.chunks, c)
		}
		w.chunks = nil
		nnodes += len(w.nodes)
	}
	if len(ix.chunks) > nodeInternal>>chunkBits || nnodes >= nodeSplit4 {
		return errors.New("gridindex: index too large")
	}
	ix.nodes = make([]uint32, nnodes)
	reloc := func(v uint32, wi int) uint32 {
		if v&nodeInternal != 0 {
			return v&^nodeIndex | (v&nodeIndex + nodeBase[wi])
		}
		if v == 0 {
			return 0
		}
		return (v>>chunkBits+chunkBase[wi])<<chunkBits | v&chunkMask
	}
	for wi, w := range workers {
		base := int(nodeBase[wi])
		for i, v := range w.nodes {
			ix.nodes[base+i] = reloc(v, wi)
		}
		w.nodes = nil
	}
	for row := 0; row < ix.ny; row++ {
		wi := int(b.rowWorker[row])
		for col := 0; col < ix.nx; col++ {
			c := row*ix.nx + col
			ix.nodes[c] = reloc(b.topVal[c], wi)
		}
	}
	b.topVal = nil
	b.bandPolys = nil
	return nil
}

// processRow computes the reference points of one row of top cells and the
// status of each reference point with respect to every polygon (by a
// horizontal scan line through all of them), then builds the subtree of each
// cell.
func (w *worker) processRow(row int) error {
	b := w.b
	ix := b.ix
	nx := ix.nx
	f := b.topFrame()
	_, y0 := f.cellOrigin(0, row)
	bs := w.bandStart[(row-w.bandR0)*nx : (row-w.bandR0+1)*nx+1]
	cellPcs := func(col int) []piece { return w.bandPcs[bs[col]:bs[col+1]] }

	// Scan line y = yr and reference points (refX[col], yr) on no edge.
	w.refX = slices.Grow(w.refX[:0], nx)[:nx]
	yr := math.NaN()
	for _, fy := range refFrac {
		y := y0 + fy*f.h
		ok := true
		for col := 0; col < nx && ok; col++ {
			x0, _ := f.cellOrigin(col, row)
			pcs := cellPcs(col)
			found := false
			for _, fx := range refFrac {
				x := x0 + fx*f.w
				if len(pcs) == 0 || !b.onAnyEdge(pcs, x, y) {
					w.refX[col] = x
					found = true
					break
				}
			}
			ok = found
		}
		if ok {
			yr = y
			break
		}
	}
	if math.IsNaN(yr) {
		return fmt.Errorf("gridindex: no reference point found in row %d", row)
	}

	// Crossings of the scan line (half-open rule), deduplicated by edge.
	w.cross = w.cross[:0]
	for col := 0; col < nx; col++ {
		for _, pc := range cellPcs(col) {
			for e := pc.start; e < pc.start+pc.n; e++ {
				a, c := b.edge(pc.ring, e)
				if (a[1] > yr) != (c[1] > yr) {
					w.cross = append(w.cross, crossing{edge: uint64(pc.ring)<<32 | uint64(e), poly: pc.poly})
				}
			}
		}
	}
	slices.SortFunc(w.cross, func(a, c crossing) int { return cmp.Compare(a.edge, c.edge) })
	w.cross = slices.CompactFunc(w.cross, func(a, c crossing) bool { return a.edge == c.edge })
	refX := w.refX
	for i := range w.cross {
		cr := &w.cross[i]
		lo, hi := b.edge(uint32(cr.edge>>32), uint32(cr.edge))
		if lo[1] > hi[1] {
			lo, hi = hi, lo
		}
		x := lo[0] + (yr-lo[1])*(hi[0]-lo[0])/(hi[1]-lo[1])
		k := floorClamp((x-f.x0)*f.invW, nx)
		// leftOf(j): reference j is strictly left of the upward edge.
		leftOf := func(j int) bool { return predicate.Orient(lo[0], lo[1], hi[0], hi[1], refX[j], yr) > 0 }
		for k > 0 && !leftOf(k-1) {
			k--
		}
		for k < nx && leftOf(k) {
			k++
		}
		cr.k = int32(k) // number of reference points left of the crossing
	}
	slices.SortFunc(w.cross, func(a, c crossing) int { return cmp.Compare(c.k, a.k) })

	// Sweep from right to left maintaining the set of polygons containing
	// the current reference point.
	rowPcs := w.bandPcs[bs[0]:bs[nx]]
	w.rowPin = slices.Grow(w.rowPin[:0], len(rowPcs))[:len(rowPcs)]
	nL := b.nLevels
	w.rowCov = slices.Grow(w.rowCov[:0], nx*nL)[:nx*nL]
	for i := range w.rowCov {
		w.rowCov[i] = -1
	}
	set := w.set[:0]
	ci := 0
	base := bs[0]
	for col := nx - 1; col >= 0; col-- {
		for ci < len(w.cross) && int(w.cross[ci].k) > col {
			p := w.cross[ci].poly
			if j := slices.Index(set, p); j >= 0 {
				set[j] = set[len(set)-1]
				set = set[:len(set)-1]
			} else {
				set = append(set, p)
			}
			ci++
		}
		pcs := cellPcs(col)
		pin := w.rowPin[bs[col]-base : bs[col+1]-base]
		for i, pc := range pcs {
			pin[i] = slices.Contains(set, pc.poly)
		}
		cov := w.rowCov[col*nL : col*nL+nL]
		for _, p := range set {
			if _, found := slices.BinarySearchFunc(pcs, p, func(pc piece, t uint32) int { return cmp.Compare(pc.poly, t) }); found {
				continue
			}
			r := b.polyRank[p]
			l := b.rankLevel[r]
			if cov[l] < 0 || uint32(cov[l]) > r {
				cov[l] = int32(r)
			}
		}
	}
	w.set = set[:0]

	for col := 0; col < nx; col++ {
		c := row*nx + col
		pcs := cellPcs(col)
		pin := w.rowPin[bs[col]-base : bs[col+1]-base]
		x0, _ := f.cellOrigin(col, row)
		v, err := w.buildNode(x0, y0, 0, 0, pcs, pin, refX[col], yr, w.rowCov[col*nL:col*nL+nL])
		if err != nil {
			return err
		}
		b.topVal[c] = v
	}
	return nil
}

func totalEdges(pcs []piece) int {
	n := 0
	for _, pc := range pcs {
		n += int(pc.n)
	}
	return n
}

// buildNode builds the subtree of the cell at (x0, y0) after k binary
// subdivisions (depth subdivision steps). pcs are the cell's pieces sorted by
// polygon, pin whether the reference point (cx, cy) is inside each piece's
// polygon, cover the smallest rank per level of the grids wholly covering the
// cell. It returns the worker-local node value.
func (w *worker) buildNode(x0, y0 float64, k, depth int, pcs []piece, pin []bool, cx, cy float64, cover []int32) (uint32, error) {
	b := w.b
	ix := b.ix
	edges := totalEdges(pcs)
	if len(pcs) == 0 || edges <= b.opt.leafEdges || depth >= b.opt.maxDepth {
		return w.emitLeaf(pcs, pin, cx, cy, cover), nil
	}
	s, sh := 2, 1
	if edges > 4*b.opt.leafEdges {
		s, sh = 4, 2
	}
	kk := k + sh
	f := frame{x0: x0, y0: y0, w: ix.cellW[kk], h: ix.cellH[kk], invW: ix.invW[kk], invH: ix.invH[kk], ncol: s, nrow: s, rowLo: 0, rowHi: s - 1}

	// Distribute the pieces to the children (stable: sorted by polygon).
	w.out = w.out[:0]
	for _, pc := range pcs {
		w.splitChain(&f, pc.poly, pc.ring, pc.start, pc.n)
	}
	nch := s * s
	counts := make([]int, nch+1)
	for _, cp := range w.out {
		counts[cp.cell+1]++
	}
	for i := 0; i < nch; i++ {
		counts[i+1] += counts[i]
	}
	all := make([]piece, len(w.out))
	fill := slices.Clone(counts[:nch])
	for _, cp := range w.out {
		all[fill[cp.cell]] = cp.piece
		fill[cp.cell]++
	}
	w.out = w.out[:0]

	nL := b.nLevels
	childPin := make([]bool, len(all))
	childCov := make([]int32, nch*nL)
	refs := make([]float64, 2*nch)
	for c := 0; c < nch; c++ {
		cpcs := all[counts[c]:counts[c+1]]
		ox, oy := f.cellOrigin(c%s, c/s)
		found := false
		for t := 0; t < len(refFrac) && !found; t++ {
			x := ox + refFrac[t]*f.w
			y := oy + refFrac[(t*7)%len(refFrac)]*f.h
			if !b.onAnyEdge(cpcs, x, y) {
				refs[2*c], refs[2*c+1] = x, y
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("gridindex: no reference point found near (%g, %g)", ox, oy)
		}
		copy(childCov[c*nL:c*nL+nL], cover)
	}

	// Status of each child's reference point for each polygon of the cell,
	// by counting crossings from the cell's reference point.
	ptr := slices.Clone(counts[:nch])
	for i := 0; i < len(pcs); {
		j := i
		for j < len(pcs) && pcs[j].poly == pcs[i].poly {
			j++
		}
		poly := pcs[i].poly
		in := pin[i]
		w.chains = w.chains[:0]
		for _, pc := range pcs[i:j] {
			w.chains = b.appendChain(w.chains, pc)
		}
		r := b.polyRank[poly]
		l := b.rankLevel[r]
		for c := 0; c < nch; c++ {
			on, odd := crossChains(w.chains, cx, cy, refs[2*c], refs[2*c+1])
			if on {
				return 0, errors.New("gridindex: internal error: reference point on an edge")
			}
			st := in != odd
			q := ptr[c]
			hit := false
			for q < counts[c+1] && all[q].poly == poly {
				childPin[q] = st
				q++
				hit = true
			}
			ptr[c] = q
			if !hit && st {
				cv := &childCov[c*nL+int(l)]
				if *cv < 0 || uint32(*cv) > r {
					*cv = int32(r)
				}
			}
		}
		i = j
	}

	baseIdx := len(w.nodes)
	if baseIdx+nch >= nodeSplit4 {
		return 0, errors.New("gridindex: index too large")
	}
	w.nodes = append(w.nodes, make([]uint32, nch)...)
	for c := 0; c < nch; c++ {
		ox, oy := f.cellOrigin(c%s, c/s)
		v, err := w.buildNode(ox, oy, kk, depth+1, all[counts[c]:counts[c+1]], childPin[counts[c]:counts[c+1]],
			refs[2*c], refs[2*c+1], childCov[c*nL:c*nL+nL])
		if err != nil {
			return 0, err
		}
		w.nodes[baseIdx+c] = v
	}
	v := uint32(nodeInternal | baseIdx)
	if s == 4 {
		v |= nodeSplit4
	}
	return v, nil
}

type cand struct {
	level, rank, poly uint32
	in                bool
	p0, p1            int
}

// coverWord returns the input index + 1 of the grid of rank r, or 0 if r < 0.
func (b *builder) coverWord(r int32) uint64 {
	if r < 0 {
		return 0
	}
	return uint64(b.byRank[r]) + 1
}

// appendChain appends the chain [nPoints, x0, y0, ...] of pc to dst.
func (b *builder) appendChain(dst []uint64, pc piece) []uint64 {
	dst = append(dst, uint64(pc.n+1))
	for e := pc.start; e <= pc.start+pc.n; e++ {
		p, _ := b.edge(pc.ring, e%uint32(len(b.rings[pc.ring])))
		dst = append(dst, math.Float64bits(p[0]), math.Float64bits(p[1]))
	}
	return dst
}

// alloc reserves n words for a record and returns its worker-local value.
// Chunks are never reallocated: a full chunk is followed by a new one twice
// as large, up to 1<<chunkBits words.
func (w *worker) alloc(n int) (uint32, []uint64) {
	cur := w.chunks[len(w.chunks)-1]
	if len(cur)+n > cap(cur) {
		if n > 1<<chunkBits {
			w.chunks = append(w.chunks, make([]uint64, n))
			return uint32(len(w.chunks)-1) << chunkBits, w.chunks[len(w.chunks)-1]
		}
		c := max(min(2*cap(cur), 1<<chunkBits), n)
		cur = make([]uint64, 0, c)
		w.chunks = append(w.chunks, cur)
	}
	off := len(cur)
	cur = cur[:off+n]
	w.chunks[len(w.chunks)-1] = cur
	return uint32(len(w.chunks)-1)<<chunkBits | uint32(off), cur[off:]
}

// edgeKey is an undirected edge: (ax, ay) < (bx, by) lexicographically.
type edgeKey struct{ ax, ay, bx, by float64 }

func (k edgeKey) hash() uint64 {
	h := math.Float64bits(k.ax)*0x9e3779b97f4a7c15 ^ math.Float64bits(k.ay)*0xc2b2ae3d27d4eb4f ^
		math.Float64bits(k.bx)*0x165667b19e3779f9 ^ math.Float64bits(k.by)*0xd6e8feb86659fd93
	h ^= h >> 32
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>29
}

// emitLeaf appends a leaf record and returns its worker-local value (0 for
// an empty leaf).
func (w *worker) emitLeaf(pcs []piece, pin []bool, cx, cy float64, cover []int32) uint32 {
	b := w.b
	cands := w.cands[:0]
	for i := 0; i < len(pcs); {
		j := i
		for j < len(pcs) && pcs[j].poly == pcs[i].poly {
			j++
		}
		r := b.polyRank[pcs[i].poly]
		cands = append(cands, cand{level: b.rankLevel[r], rank: r, poly: pcs[i].poly, in: pin[i], p0: i, p1: j})
		i = j
	}
	w.cands = cands
	slices.SortFunc(cands, func(a, c cand) int {
		if a.level != c.level {
			return cmp.Compare(a.level, c.level)
		}
		if a.rank != c.rank {
			return cmp.Compare(a.rank, c.rank)
		}
		return cmp.Compare(a.poly, c.poly)
	})

	// Level entries.
	type lev struct{ l, lo, hi int }
	levs := w.levs[:0]
	ci := 0
	for l := range cover {
		c0 := ci
		for ci < len(cands) && cands[ci].level == uint32(l) {
			ci++
		}
		if cover[l] >= 0 || ci > c0 {
			// Candidates ranked after the covering grid can never win at
			// this level: the level's range stops before them (they stay
			// in the record for their edges).
			hi := c0
			for hi < ci && (cover[l] < 0 || cands[hi].rank < uint32(cover[l])) {
				hi++
			}
			levs = append(levs, lev{l, c0, hi})
		}
	}
	w.levs = levs
	if len(levs) == 0 {
		return 0
	}
	ncand := len(cands)
	if ncand == 0 {
		v, rec := w.alloc(recHdr + 2*len(levs))
		rec[0] = uint64(len(levs)) << 32
		for i, lv := range levs {
			rec[recHdr+2*i] = uint64(lv.l)
			rec[recHdr+1+2*i] = b.coverWord(cover[lv.l])
		}
		return v
	}
	mw := (ncand + 63) / 64

	// Deduplicate the edges with a small open-addressing hash table keyed
	// by the canonical endpoints.
	nOcc := 0
	for _, pc := range pcs {
		nOcc += int(pc.n)
	}
	tsize := 16
	for tsize < 2*nOcc {
		tsize <<= 1
	}
	tbl := slices.Grow(w.tbl[:0], tsize)[:tsize]
	for i := range tbl {
		tbl[i] = -1
	}
	w.tbl = tbl
	keys := w.keys[:0]
	uid := slices.Grow(w.uid[:0], nOcc)[:nOcc] // seq -> unique edge
	masks := w.masks[:0]                       // per unique edge: orMask, xorMask
	nu := 0
	seq := 0
	for c, cd := range cands {
		for _, pc := range pcs[cd.p0:cd.p1] {
			for e := pc.start; e < pc.start+pc.n; e, seq = e+1, seq+1 {
				a, bb := b.edge(pc.ring, e)
				if bb[0] < a[0] || (bb[0] == a[0] && bb[1] < a[1]) {
					a, bb = bb, a
				}
				k := edgeKey{a[0], a[1], bb[0], bb[1]}
				h := k.hash() & uint64(tsize-1)
				for tbl[h] >= 0 && keys[tbl[h]] != k {
					h = (h + 1) & uint64(tsize-1)
				}
				u := tbl[h]
				if u < 0 {
					u = int32(nu)
					tbl[h] = u
					keys = append(keys, k)
					masks = append(masks, make([]uint64, 2*mw)...)
					nu++
				}
				m0 := int(u) * 2 * mw
				masks[m0+c>>6] |= 1 << (c & 63)
				masks[m0+mw+c>>6] ^= 1 << (c & 63)
				uid[seq] = u
			}
		}
	}
	w.keys = keys
	w.uid, w.masks = uid, masks
	emitted := slices.Grow(w.emitted[:0], nu)[:nu]
	clear(emitted)
	w.emitted = emitted
	maskOf := func(u int32) []uint64 { return masks[int(u)*2*mw : int(u+1)*2*mw] }

	// Chain the unique edges in the order of the pieces.
	chains := w.chainBuf[:0]
	nChains := 0
	open := -1 // index in chains of the open chain's header
	var openU int32
	seq = 0
	for _, cd := range cands {
		for _, pc := range pcs[cd.p0:cd.p1] {
			open = -1
			for e := pc.start; e < pc.start+pc.n; e, seq = e+1, seq+1 {
				u := uid[seq]
				if emitted[u] {
					open = -1
					continue
				}
				emitted[u] = true
				a, q := b.edge(pc.ring, e)
				if open >= 0 && slices.Equal(maskOf(u), maskOf(openU)) {
					chains = append(chains, math.Float64bits(q[0]), math.Float64bits(q[1]))
					chains[open]++
					continue
				}
				m := maskOf(u)
				open = len(chains)
				openU = u
				nChains++
				if slices.Equal(m[:mw], m[mw:]) {
					chains = append(chains, 2)
					chains = append(chains, m[:mw]...)
				} else {
					chains = append(chains, 2|chainXor)
					chains = append(chains, m...)
				}
				chains = append(chains, math.Float64bits(a[0]), math.Float64bits(a[1]), math.Float64bits(q[0]), math.Float64bits(q[1]))
			}
		}
	}
	w.chainBuf = chains

	// R bounds |x - cx| and |y - cy| (as rounded by the queries) over all
	// the vertices, for the error bound of the queries' orientation filter.
	R := 0.0
	for i := 0; i < len(chains); {
		h := chains[i]
		np := int(uint32(h))
		i += 1 + mw
		if h&chainXor != 0 {
			i += mw
		}
		for k := i; k < i+2*np; k += 2 {
			R = math.Max(R, math.Max(math.Abs(math.Float64frombits(chains[k])-cx), math.Abs(math.Float64frombits(chains[k+1])-cy)))
		}
		i += 2 * np
	}

	size := recHdr + 2*len(levs) + mw + (ncand+1)/2 + 1 + len(chains)
	v, rec := w.alloc(size)
	buf := append(rec[:0], uint64(ncand)|uint64(len(levs))<<32, math.Float64bits(cx), math.Float64bits(cy), math.Float64bits(R))
	for _, lv := range levs {
		buf = append(buf, uint64(lv.l)|uint64(lv.lo)<<32, b.coverWord(cover[lv.l])|uint64(lv.hi)<<32)
	}
	in := len(buf)
	buf = append(buf, make([]uint64, mw)...)
	for c, cd := range cands {
		if cd.in {
			buf[in+c>>6] |= 1 << (c & 63)
		}
	}
	rk := len(buf)
	buf = append(buf, make([]uint64, (ncand+1)/2)...)
	for c, cd := range cands {
		buf[rk+c>>1] |= uint64(b.byRank[cd.rank]) << (32 * (c & 1))
	}
	buf = append(buf, uint64(nChains))
	buf = append(buf, chains...)
	if len(buf) != size {
		panic("gridindex: record size mismatch")
	}
	return v
}
