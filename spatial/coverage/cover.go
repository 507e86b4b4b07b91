package coverage

import (
	"math"
	"math/bits"
	"sort"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Cover is the set of a Grid's covered cells, as a bit set over the grid's cells.
// It is not safe for concurrent use.
type Cover struct {
	g    *Grid
	bits []uint64
}

// NewCover returns an empty cover of g.
func (g *Grid) NewCover() *Cover {
	return &Cover{g: g, bits: make([]uint64, (g.Len()+63)/64)}
}

// CoverFromBytes restores a cover saved with Bytes. Extra or missing bytes
// (a cover of another discretisation) are ignored or read as uncovered.
func (g *Grid) CoverFromBytes(b []byte) *Cover {
	c := g.NewCover()
	for i := range c.bits {
		var w uint64
		for k := 0; k < 8; k++ {
			if j := i*8 + k; j < len(b) {
				w |= uint64(b[j]) << (8 * k)
			}
		}
		c.bits[i] = w
	}
	if n := g.Len() % 64; n != 0 && len(c.bits) > 0 {
		c.bits[len(c.bits)-1] &= (1 << n) - 1
	}
	return c
}

// Bytes encodes the cover compactly (little-endian bits over the grid's cells).
func (c *Cover) Bytes() []byte {
	out := make([]byte, (c.g.Len()+7)/8)
	for i := range out {
		out[i] = byte(c.bits[i/8] >> (8 * (i % 8)))
	}
	return out
}

// Grid returns the grid of c.
func (c *Cover) Grid() *Grid { return c.g }

// Has reports whether cell i is covered.
func (c *Cover) Has(i int) bool { return c.bits[i>>6]&(1<<(i&63)) != 0 }

// Or adds every cell of o (a cover of the same grid) to c.
func (c *Cover) Or(o *Cover) {
	for i := range c.bits {
		c.bits[i] |= o.bits[i]
	}
}

// Count returns the number of covered cells.
func (c *Cover) Count() int {
	n := 0
	for _, w := range c.bits {
		n += bits.OnesCount64(w)
	}
	return n
}

// CoveredAreaM2 returns the area of the covered cells inside the grid.
func (c *Cover) CoveredAreaM2() float64 {
	a := 0.0
	for wi, w := range c.bits {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			a += c.g.Weights[wi*64+t]
			w &= w - 1
		}
	}
	return a
}

// Fraction returns the covered share of the grid's area, in [0, 1].
func (c *Cover) Fraction() float64 { return c.CoveredAreaM2() / c.g.AreaM2 }

// Uncovered returns the indexes of the cells not covered.
func (c *Cover) Uncovered() []int {
	var out []int
	for i := range c.g.Len() {
		if !c.Has(i) {
			out = append(out, i)
		}
	}
	return out
}

// Covered returns the H3 cells covered.
func (c *Cover) Covered() []h3.Cell {
	var out []h3.Cell
	for i := range c.g.Len() {
		if c.Has(i) {
			out = append(out, c.g.Cell(i))
		}
	}
	return out
}

// AddPath marks the cells within R of the path: its fixes and the segments
// between consecutive fixes (lon/lat). A one-fix path is a point.
func (c *Cover) AddPath(path []orb.Point) {
	if len(path) == 0 {
		return
	}
	p := c.g.proj
	prev := p.fwd(path[0][0], path[0][1])
	if len(path) == 1 {
		c.addSegment(prev, prev)
		return
	}
	for _, q := range path[1:] {
		cur := p.fwd(q[0], q[1])
		c.addSegment(prev, cur)
		prev = cur
	}
}

// AddSegment marks the cells within R of the segment a–b (lon/lat).
func (c *Cover) AddSegment(a, b orb.Point) {
	p := c.g.proj
	c.addSegment(p.fwd(a[0], a[1]), p.fwd(b[0], b[1]))
}

func (c *Cover) addSegment(a, b pt) {
	g := c.g
	r := g.RadiusM
	r2 := r * r
	x0 := int(math.Floor((min(a.x, b.x) - r - g.bminX) / g.bsize))
	x1 := int(math.Floor((max(a.x, b.x) + r - g.bminX) / g.bsize))
	y0 := int(math.Floor((min(a.y, b.y) - r - g.bminY) / g.bsize))
	y1 := int(math.Floor((max(a.y, b.y) + r - g.bminY) / g.bsize))
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, g.bnx-1), min(y1, g.bny-1)
	if x0 > x1 || y0 > y1 {
		return
	}
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	inv := 0.0
	if l2 > 0 {
		inv = 1 / l2
	}
	// For long segments, skip buckets whose centre is far from the line.
	bhalf := g.bsize * math.Sqrt2 / 2
	lim := r + bhalf
	lim2 := lim * lim
	for by := y0; by <= y1; by++ {
		row := by * g.bnx
		for bx := x0; bx <= x1; bx++ {
			k := row + bx
			s, e := g.bstart[k], g.bstart[k+1]
			if s == e {
				continue
			}
			if x1-x0 > 2 && y1-y0 > 2 {
				cx := g.bminX + (float64(bx)+0.5)*g.bsize
				cy := g.bminY + (float64(by)+0.5)*g.bsize
				if segD2(cx, cy, a, dx, dy, inv) > lim2 {
					continue
				}
			}
			for _, ci := range g.bcells[s:e] {
				w := &c.bits[ci>>6]
				m := uint64(1) << (ci & 63)
				if *w&m != 0 {
					continue
				}
				if segD2(g.cx[ci], g.cy[ci], a, dx, dy, inv) <= r2 {
					*w |= m
				}
			}
		}
	}
}

func segD2(px, py float64, a pt, dx, dy, inv float64) float64 {
	t := ((px-a.x)*dx + (py-a.y)*dy) * inv
	if t < 0 {
		t = 0
	} else if t > 1 {
		t = 1
	}
	ex, ey := a.x+t*dx-px, a.y+t*dy-py
	return ex*ex + ey*ey
}

// LengthInside returns the length of segment a–b (lon/lat) in metres and the
// part of it inside the grid.
func (g *Grid) LengthInside(a, b orb.Point) (total, inside float64) {
	pa, pb := g.proj.fwd(a[0], a[1]), g.proj.fwd(b[0], b[1])
	dx, dy := pb.x-pa.x, pb.y-pa.y
	total = math.Hypot(dx, dy)
	if total == 0 {
		return 0, 0
	}
	// Quick reject by bounding box.
	if max(pa.x, pb.x) < g.bbox[0] || min(pa.x, pb.x) > g.bbox[2] || max(pa.y, pb.y) < g.bbox[1] || min(pa.y, pb.y) > g.bbox[3] {
		return total, 0
	}
	// A segment of up to two buckets whose midpoint lies in a deep bucket
	// stays on that bucket's side: each of its points is within half its
	// length of the midpoint, the midpoint within half a diagonal of the
	// bucket's centre, and a deep bucket's centre is farther than a bucket
	// and half a diagonal from the boundary.
	if total <= 2*g.bsize {
		bx := int(math.Floor((pa.x + dx/2 - g.bminX) / g.bsize))
		by := int(math.Floor((pa.y + dy/2 - g.bminY) / g.bsize))
		if bx >= 0 && by >= 0 && bx < g.bnx && by < g.bny {
			switch g.bdeep[by*g.bnx+bx] {
			case deepIn:
				return total, total
			case deepOut:
				return total, 0
			}
		}
	}
	return total, g.lengthInside(pa, dx, dy, total)
}

// lengthInside is the part of the segment from pa by (dx, dy), of length
// total, inside the grid, from its crossings with every ring.
func (g *Grid) lengthInside(pa pt, dx, dy, total float64) float64 {
	ts := []float64{0, 1}
	for _, r := range g.rings {
		for i := 0; i+1 < len(r); i++ {
			if t, ok := segIntersect(pa, dx, dy, r[i], r[i+1]); ok {
				ts = append(ts, t)
			}
		}
	}
	if len(ts) == 2 {
		if g.contains(pt{pa.x + dx/2, pa.y + dy/2}) {
			return total
		}
		return 0
	}
	sort.Float64s(ts)
	frac := 0.0
	for i := 0; i+1 < len(ts); i++ {
		if ts[i+1]-ts[i] <= 0 {
			continue
		}
		m := (ts[i] + ts[i+1]) / 2
		if g.contains(pt{pa.x + m*dx, pa.y + m*dy}) {
			frac += ts[i+1] - ts[i]
		}
	}
	return total * frac
}

// segIntersect returns the parameter t on p + t*(dx,dy) where it crosses
// segment c–d, when it does.
func segIntersect(p pt, dx, dy float64, c, d pt) (float64, bool) {
	ex, ey := d.x-c.x, d.y-c.y
	den := dx*ey - dy*ex
	if den == 0 {
		return 0, false
	}
	fx, fy := c.x-p.x, c.y-p.y
	t := (fx*ey - fy*ex) / den
	u := (fx*dy - fy*dx) / den
	if t < 0 || t > 1 || u < 0 || u > 1 {
		return 0, false
	}
	return t, true
}

// Near reports whether (lon, lat) lies within d metres of the grid's
// bounding box.
func (g *Grid) Near(lon, lat, d float64) bool {
	p := g.proj.fwd(lon, lat)
	return p.x >= g.bbox[0]-d && p.x <= g.bbox[2]+d && p.y >= g.bbox[1]-d && p.y <= g.bbox[3]+d
}
