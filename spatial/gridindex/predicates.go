package gridindex

import "math"

// This file holds the exact geometric predicates the index relies on.
//
// orient is Shewchuk's orient2d: a floating-point evaluation guarded by a
// forward error bound, with an exact fallback that uses error-free
// transformations (TwoSum, TwoDiff and an FMA-based TwoProduct) to sum the
// determinant as a non-overlapping expansion. The result is the exact sign of
// the determinant for any finite float64 inputs, assuming no intermediate
// overflow or underflow (coordinates are degrees, so magnitudes stay far away
// from both limits unless two coordinates differ by less than ~1e-150).

const epsilon = 1.0 / (1 << 53) // half an ulp of 1.0

var ccwErrBoundA = (3.0 + 16.0*epsilon) * epsilon

// orient returns +1 if (ax,ay), (bx,by), (cx,cy) are in counter-clockwise
// order, -1 if clockwise and 0 if collinear. The sign is exact.
func orient(ax, ay, bx, by, cx, cy float64) int {
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
	bound := ccwErrBoundA * detsum
	if det > bound {
		return 1
	}
	if -det > bound {
		return -1
	}
	return orientExact(ax, ay, bx, by, cx, cy)
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
func orientExact(ax, ay, bx, by, cx, cy float64) int {
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

// onSegment reports whether q lies on the closed segment [a, b] (exact).
func onSegment(ax, ay, bx, by, qx, qy float64) bool {
	if qx < math.Min(ax, bx) || qx > math.Max(ax, bx) || qy < math.Min(ay, by) || qy > math.Max(ay, by) {
		return false
	}
	return orient(ax, ay, bx, by, qx, qy) == 0
}
