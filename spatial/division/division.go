// Package division groups blocks (the faces of an area cut by its roads)
// into grids of about a target weight (households, people or buildings):
// the grouping half of a grid division proposal. The cutting itself is
// done by the caller (PostGIS polygonizes the area and the road lines
// exactly); this package sees each block as its weight, its bounding box,
// its weighted points and its centroid, and returns which blocks (or
// rectangular pieces of a block) form each grid.
//
// The method, deterministic for the same input:
//
//  1. A block heavier than Max is split into n = round(w/Target) pieces
//     (at least enough that each is at most Max) by recursive bisection
//     at weighted medians of its points along the longer side of the
//     piece's box (a k-d split): pieces are block ∩ rectangle, compact,
//     with weights as equal as the points allow. No other block is split.
//  2. Blocks and pieces are ordered along a serpentine path: bands of
//     height about √(area/k) from north to south (k = the number of
//     grids), west→east in one band and east→west in the next; inside a
//     band by column with alternating direction, so that consecutive items
//     are neighbours.
//  3. The sequence is cut into consecutive runs by dynamic programming,
//     minimising Σ (run weight − Target)² subject to Min ≤ run weight ≤ Max
//     (a run out of bounds costs far more than any run in bounds, so the
//     bounds hold whenever any cut of the sequence meets them).
//
// Coordinates are WGS84 degrees; distances for ordering are local metres.
package division

import (
	"math"
	"sort"

	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// Point is a weighted point (a household with weight 1, or with its
// number of people).
type Point struct {
	P orb.Point
	W int
}

// Block is one face of the area cut by the roads.
type Block struct {
	ID       int
	Bound    orb.Bound
	Centroid orb.Point // a point representing the block (e.g. its centroid)
	Points   []Point   // the weighted points inside the block
}

// Weight is the block's total weight.
func (b *Block) Weight() int {
	w := 0
	for _, p := range b.Points {
		w += p.W
	}
	return w
}

// Options are the bounds of a grid's weight.
type Options struct {
	Target, Min, Max int
}

// Part is a block, or the piece of a block inside Rect when the block is
// split.
type Part struct {
	Block  int        // Block.ID
	Rect   *orb.Bound // nil: the whole block
	Weight int
}

// Group is one proposed grid.
type Group struct {
	Parts  []Part
	Weight int
}

// Split reports whether some part of the group is a piece of a block.
func (g Group) Split() bool {
	for _, p := range g.Parts {
		if p.Rect != nil {
			return true
		}
	}
	return false
}

type item struct {
	part Part
	c    orb.Point // metres
}

// Divide groups blocks into grids; see the package comment.
func Divide(blocks []Block, opt Options) []Group {
	if opt.Target <= 0 {
		opt.Target = 300
	}
	if opt.Min <= 0 || opt.Min > opt.Target {
		opt.Min = opt.Target * 2 / 3
	}
	if opt.Max < opt.Target {
		opt.Max = opt.Target * 4 / 3
	}
	if len(blocks) == 0 {
		return nil
	}
	var bnd orb.Bound
	for i, b := range blocks {
		if i == 0 {
			bnd = b.Bound
		} else {
			bnd = bnd.Union(b.Bound)
		}
	}
	kx, ky := crs.MetresPerDegree(bnd.Center()[1])
	toM := func(p orb.Point) orb.Point { return orb.Point{(p[0] - bnd.Min[0]) * kx, (p[1] - bnd.Min[1]) * ky} }

	var items []item
	total := 0
	for _, b := range blocks {
		w := b.Weight()
		total += w
		if w <= opt.Max {
			items = append(items, item{Part{Block: b.ID, Weight: w}, toM(b.Centroid)})
			continue
		}
		n := int(math.Round(float64(w) / float64(opt.Target)))
		n = max(n, (w+opt.Max-1)/opt.Max, 2)
		box := b.Bound.Pad(1e-6)
		for _, pc := range bisect(b.Points, box, n, kx, ky) {
			r := pc.rect
			items = append(items, item{Part{Block: b.ID, Rect: &r, Weight: pc.w}, toM(pc.centre(b.Bound))})
		}
	}
	k := max(1, int(math.Round(float64(total)/float64(opt.Target))))
	width, height := (bnd.Max[0]-bnd.Min[0])*kx, (bnd.Max[1]-bnd.Min[1])*ky
	side := math.Sqrt(width * height / float64(k))
	order(items, height, side)
	return cut(items, opt)
}

type piece struct {
	rect orb.Bound
	pts  []Point
	w    int
}

// centre is the centre of the piece's rectangle within the block's box.
func (p piece) centre(block orb.Bound) orb.Point {
	r := orb.Bound{Min: orb.Point{max(p.rect.Min[0], block.Min[0]), max(p.rect.Min[1], block.Min[1])},
		Max: orb.Point{min(p.rect.Max[0], block.Max[0]), min(p.rect.Max[1], block.Max[1])}}
	return r.Center()
}

// bisect splits pts inside box into n pieces of about equal weight by
// recursive bisection along the longer side (in metres) at the weighted
// quantile n1/n. Split coordinates lie halfway between neighbouring points.
func bisect(pts []Point, box orb.Bound, n int, kx, ky float64) []piece {
	w := 0
	for _, p := range pts {
		w += p.W
	}
	if n <= 1 || len(pts) < 2 {
		return []piece{{rect: box, pts: pts, w: w}}
	}
	axis := 0
	if (box.Max[1]-box.Min[1])*ky > (box.Max[0]-box.Min[0])*kx {
		axis = 1
	}
	s := append([]Point(nil), pts...)
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].P[axis] != s[j].P[axis] {
			return s[i].P[axis] < s[j].P[axis]
		}
		return s[i].P[1-axis] < s[j].P[1-axis]
	})
	n1 := n / 2
	want := float64(w) * float64(n1) / float64(n)
	acc, at := 0, 0
	for at < len(s)-1 {
		if float64(acc+s[at].W) > want && at > 0 {
			break
		}
		acc += s[at].W
		at++
	}
	// Never cut between two points at the same coordinate.
	for at < len(s) && at > 0 && s[at].P[axis] == s[at-1].P[axis] {
		at++
	}
	if at >= len(s) {
		return []piece{{rect: box, pts: pts, w: w}}
	}
	c := (s[at-1].P[axis] + s[at].P[axis]) / 2
	lo, hi := box, box
	lo.Max[axis], hi.Min[axis] = c, c
	return append(bisect(s[:at], lo, n1, kx, ky), bisect(s[at:], hi, n-n1, kx, ky)...)
}

// order sorts items along the serpentine path (see the package comment).
func order(items []item, height, side float64) {
	bands := max(1, int(math.Round(height/side)))
	bh := height / float64(bands)
	col := side / 2
	if col <= 0 {
		col = 1
	}
	band := func(it item) int { return min(bands-1, int((height-it.c[1])/bh)) } // 0 = north
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		ba, bb := band(a), band(b)
		if ba != bb {
			return ba < bb
		}
		ca, cb := int(a.c[0]/col), int(b.c[0]/col)
		if ca != cb {
			if ba%2 == 0 {
				return ca < cb
			}
			return ca > cb
		}
		if a.c[1] != b.c[1] {
			if ca%2 == 0 {
				return a.c[1] > b.c[1]
			}
			return a.c[1] < b.c[1]
		}
		return a.c[0] < b.c[0]
	})
}

// cut splits the ordered items into runs by dynamic programming.
func cut(items []item, opt Options) []Group {
	n := len(items)
	const outside = 1e12
	cost := make([]float64, n+1)
	from := make([]int, n+1)
	for i := 1; i <= n; i++ {
		cost[i] = math.Inf(1)
		w := 0
		for j := i - 1; j >= 0; j-- {
			w += items[j].part.Weight
			d := float64(w - opt.Target)
			c := d * d
			if w < opt.Min {
				c += outside * float64(opt.Min-w)
			}
			if w > opt.Max {
				c += outside * float64(w-opt.Max)
			}
			if cost[j]+c < cost[i] {
				cost[i], from[i] = cost[j]+c, j
			}
			if w > 2*opt.Max && j < i-1 {
				break // longer runs only get worse
			}
		}
	}
	var groups []Group
	for i := n; i > 0; i = from[i] {
		g := Group{}
		for _, it := range items[from[i]:i] {
			g.Parts = append(g.Parts, it.part)
			g.Weight += it.part.Weight
		}
		groups = append(groups, g)
	}
	for i, j := 0, len(groups)-1; i < j; i, j = i+1, j-1 {
		groups[i], groups[j] = groups[j], groups[i]
	}
	return groups
}
