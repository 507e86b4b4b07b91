package tiles

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// clipper clips polygons to a tile's buffered box, its rings written to
// an arena reused across features and tiles. orb's clip.Geometry gives the
// same rings (TestSnapshotTileMatchesOrb compares), but grows every ring
// from nothing, point by point: two thirds of what a cold tile allocated.
// Lines and points, which no snapshot layer holds today, go to orb.
type clipper struct {
	box      orb.Bound
	pts      []orb.Point // the clipped rings
	tmp, out []orb.Point // Sutherland–Hodgman passes
}

// geometry clips g, a projected copy the caller owns, to the box; nil
// when nothing is left.
func (c *clipper) geometry(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Polygon:
		if p := c.polygon(g); p != nil {
			return p
		}
		return nil
	case orb.MultiPolygon:
		var out orb.MultiPolygon
		for _, p := range g {
			if p = c.polygon(p); p != nil {
				out = append(out, p)
			}
		}
		switch len(out) {
		case 0:
			return nil
		case 1:
			return out[0]
		}
		return out
	}
	return clip.Geometry(c.box, g)
}

// polygon clips p's rings; nil when its exterior is clipped away (its
// holes then go with it).
func (c *clipper) polygon(p orb.Polygon) orb.Polygon {
	if len(p) == 0 {
		return nil
	}
	ext := c.ring(p[0])
	if ext == nil {
		return nil
	}
	out := orb.Polygon{ext}
	for _, r := range p[1:] {
		if r = c.ring(r); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// ring clips r against the box's four sides in turn (left, right, bottom,
// top), adding a point where an edge crosses a side; a closed ring stays
// closed. nil when nothing is inside.
func (c *clipper) ring(r orb.Ring) orb.Ring {
	if len(r) == 0 {
		return nil
	}
	closed := r[0] == r[len(r)-1]
	in := []orb.Point(r)
	for side := 1; side <= 8; side <<= 1 {
		c.out = c.out[:0]
		prev := in[len(in)-1]
		if !closed {
			prev = in[0]
		}
		prevIn := !c.outside(side, prev)
		for _, q := range in {
			qIn := !c.outside(side, q)
			if qIn != prevIn {
				c.out = append(c.out, c.cross(side, prev, q))
			}
			if qIn {
				c.out = append(c.out, q)
			}
			prev, prevIn = q, qIn
		}
		if len(c.out) == 0 {
			return nil
		}
		// The next pass reads this one's points: swap the buffers (the
		// first pass read the caller's ring, which stays as it was).
		c.tmp, c.out = c.out, c.tmp
		in = c.tmp
	}
	if closed && in[0] != in[len(in)-1] {
		c.tmp = append(c.tmp, in[0])
		in = c.tmp
	}
	start := len(c.pts)
	c.pts = append(c.pts, in...)
	return c.pts[start:len(c.pts):len(c.pts)]
}

// outside tells whether q is beyond one side of the box (1 left, 2 right,
// 4 bottom, 8 top; the box's edges count as inside).
func (c *clipper) outside(side int, q orb.Point) bool {
	switch side {
	case 1:
		return q[0] < c.box.Min[0]
	case 2:
		return q[0] > c.box.Max[0]
	case 4:
		return q[1] < c.box.Min[1]
	}
	return q[1] > c.box.Max[1]
}

// cross is where segment a–b meets the line of one side of the box.
func (c *clipper) cross(side int, a, b orb.Point) orb.Point {
	switch side {
	case 1:
		return orb.Point{c.box.Min[0], a[1] + (b[1]-a[1])*(c.box.Min[0]-a[0])/(b[0]-a[0])}
	case 2:
		return orb.Point{c.box.Max[0], a[1] + (b[1]-a[1])*(c.box.Max[0]-a[0])/(b[0]-a[0])}
	case 4:
		return orb.Point{a[0] + (b[0]-a[0])*(c.box.Min[1]-a[1])/(b[1]-a[1]), c.box.Min[1]}
	}
	return orb.Point{a[0] + (b[0]-a[0])*(c.box.Max[1]-a[1])/(b[1]-a[1]), c.box.Max[1]}
}
