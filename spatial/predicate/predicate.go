// Package predicate holds the exact geometric predicates every other
// geometry package builds on: the orientation of three points and whether a
// point lies on a segment, exact for any finite float64 coordinates.
package predicate

import (
	"math"

	"github.com/paulmach/orb"
)

// Orient is Shewchuk's orient2d: a floating-point evaluation guarded by a
// forward error bound, with an exact fallback that uses error-free
// transformations (TwoSum, TwoDiff and an FMA-based TwoProduct) to sum the
// determinant as a non-overlapping expansion. The result is the exact sign of
// the determinant for any finite float64 inputs, assuming no intermediate
// overflow or underflow (coordinates are degrees, so magnitudes stay far away
// from both limits unless two coordinates differ by less than ~1e-150).

const epsilon = 1.0 / (1 << 53) // half an ulp of 1.0

// ErrBoundA bounds the rounding error of the plain floating-point
// determinant relative to the sum of its two terms' magnitudes: callers that
// filter by hand (gridindex's inlined side test) use it to know when the
// float sign is certain.
var ErrBoundA = (3.0 + 16.0*epsilon) * epsilon

// Orient returns +1 if (ax,ay), (bx,by), (cx,cy) are in counter-clockwise
// order, -1 if clockwise and 0 if collinear. The sign is exact.
func Orient(ax, ay, bx, by, cx, cy float64) int {
	acx := ax - cx
	bcx := bx - cx
	acy := ay - cy
	bcy := by - cy
	detl := float64(acx * bcy)
	detr := float64(acy * bcx)
	det := detl - detr
	var detsum float64
	switch {
	case detl > 0:
		if detr <= 0 {
			return sign(det)
		}
		detsum = detl + detr
	case detl < 0:
		if detr >= 0 {
			return sign(det)
		}
		detsum = -detl - detr
	default:
		return sign(det)
	}
	bound := ErrBoundA * detsum
	if det > bound {
		return 1
	}
	if -det > bound {
		return -1
	}
	return OrientExact(ax, ay, bx, by, cx, cy)
}

func sign(v float64) int {
	if v > 0 {
		return 1
	}
	if v < 0 {
		return -1
	}
	return 0
}

func twoSum(a, b float64) (x, y float64) {
	x = a + b
	bv := x - a
	av := x - bv
	y = (a - av) + (b - bv)
	return
}

func twoDiff(a, b float64) (x, y float64) {
	x = a - b
	bv := a - x
	av := x + bv
	br := bv - b
	ar := a - av
	y = ar + br
	return
}

func twoProd(a, b float64) (x, y float64) {
	x = float64(a * b)
	y = math.FMA(a, b, -x)
	return
}

// expansion is a fixed-capacity non-overlapping floating-point expansion,
// components sorted by increasing magnitude, zeros eliminated.
type expansion struct {
	n int
	e [40]float64
}

// add grows the expansion by v (Shewchuk's Grow-Expansion with zero
// elimination). The sum of the components stays exactly equal to the sum of
// everything added.
func (x *expansion) add(v float64) {
	q := v
	m := 0
	for i := 0; i < x.n; i++ {
		var h float64
		q, h = twoSum(q, x.e[i])
		if h != 0 {
			x.e[m] = h
			m++
		}
	}
	if q != 0 {
		x.e[m] = q
		m++
	}
	x.n = m
}

func (x *expansion) addProd(a, b float64) {
	p, e := twoProd(a, b)
	x.add(e)
	x.add(p)
}

func (x *expansion) sign() int {
	if x.n == 0 {
		return 0
	}
	return sign(x.e[x.n-1])
}

//go:noinline
func OrientExact(ax, ay, bx, by, cx, cy float64) int {
	acx, acxt := twoDiff(ax, cx)
	bcx, bcxt := twoDiff(bx, cx)
	acy, acyt := twoDiff(ay, cy)
	bcy, bcyt := twoDiff(by, cy)
	var x expansion
	// (acx+acxt)*(bcy+bcyt) - (acy+acyt)*(bcx+bcxt)
	x.addProd(acxt, bcyt)
	x.addProd(acxt, bcy)
	x.addProd(acx, bcyt)
	x.addProd(acx, bcy)
	x.addProd(-acyt, bcxt)
	x.addProd(-acyt, bcx)
	x.addProd(-acy, bcxt)
	x.addProd(-acy, bcx)
	return x.sign()
}

// OnSegment reports whether q lies on the closed segment [a, b] (exact).
func OnSegment(ax, ay, bx, by, qx, qy float64) bool {
	if qx < math.Min(ax, bx) || qx > math.Max(ax, bx) || qy < math.Min(ay, by) || qy > math.Max(ay, by) {
		return false
	}
	return Orient(ax, ay, bx, by, qx, qy) == 0
}

// OrientPoints is Orient of three orb points.
func OrientPoints(a, b, c orb.Point) int { return Orient(a[0], a[1], b[0], b[1], c[0], c[1]) }

// InBox reports whether p lies in the closed bounding box of a and b.
func InBox(a, b, p orb.Point) bool {
	return p[0] >= math.Min(a[0], b[0]) && p[0] <= math.Max(a[0], b[0]) &&
		p[1] >= math.Min(a[1], b[1]) && p[1] <= math.Max(a[1], b[1])
}

// PointInRing returns +1 if pt is inside ring r, -1 outside, 0 on its
// boundary (exact winding-number test).
func PointInRing(pt orb.Point, r orb.Ring) int {
	wn := 0
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		o := OrientPoints(a, b, pt)
		if o == 0 && InBox(a, b, pt) {
			return 0
		}
		if a[1] <= pt[1] {
			if b[1] > pt[1] && o > 0 {
				wn++
			}
		} else if b[1] <= pt[1] && o < 0 {
			wn--
		}
	}
	if wn != 0 {
		return 1
	}
	return -1
}

// InMultiPolygon reports whether p lies in mp or on its boundary (exact):
// inside an exterior ring and in none of its holes, or on any ring.
func InMultiPolygon(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		if len(poly) == 0 || !poly.Bound().Contains(p) {
			continue
		}
		switch PointInRing(p, poly[0]) {
		case 0:
			return true
		case -1:
			continue
		}
		inHole := false
		for _, h := range poly[1:] {
			switch PointInRing(p, h) {
			case 0:
				return true
			case 1:
				inHole = true
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}
