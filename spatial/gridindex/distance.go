package gridindex

import (
	"github.com/gridd/gridd/spatial/predicate"

	"math"

	"github.com/paulmach/orb"
)

// metresPerDegree returns the length in metres of one degree of latitude and
// of one degree of longitude at latitude lat (WGS84 ellipsoid series).
func metresPerDegree(lat float64) (mLat, mLon float64) {
	phi := lat * math.Pi / 180
	mLat = 111132.92 - 559.82*math.Cos(2*phi) + 1.175*math.Cos(4*phi) - 0.0023*math.Cos(6*phi)
	mLon = 111412.84*math.Cos(phi) - 93.5*math.Cos(3*phi) + 0.118*math.Cos(5*phi)
	return mLat, math.Max(mLon, 0)
}

// BoundaryDistance returns the distance in metres from p to the nearest
// boundary edge (shell or hole ring) of any indexed grid, of any level, if
// that distance is less than maxMeters; otherwise it returns maxMeters. So the
// result is min(distance to the nearest boundary, maxMeters); it is 0 when p
// lies exactly on a boundary. A non-positive or NaN maxMeters is returned
// as is.
//
// Distances use a local equirectangular approximation centred on p: degree
// differences are scaled by the WGS84 metres per degree of latitude and of
// longitude at p's latitude, and the distance to each edge is the planar
// point-segment distance in that frame. At grid scale (a few kilometres, away
// from the poles) this is accurate to well under 0.5%. The antimeridian is
// not handled. The cost grows with the area searched: keep maxMeters at grid
// scale.
func (ix *Index) BoundaryDistance(p orb.Point, maxMeters float64) float64 {
	v, _ := ix.nodeAt(p[0], p[1])
	return ix.boundaryDistance(p, maxMeters, v)
}

// boundaryDistance is BoundaryDistance given the leaf containing p, as
// nodeAt finds it (0 when none).
func (ix *Index) boundaryDistance(p orb.Point, maxMeters float64, v uint32) float64 {
	if !(maxMeters > 0) {
		return maxMeters
	}
	px, py := p[0], p[1]
	if math.IsNaN(px) || math.IsNaN(py) || math.IsInf(px, 0) || math.IsInf(py, 0) || ix.nx == 0 {
		return maxMeters
	}
	mLat, mLon := metresPerDegree(py)
	dLat := maxMeters / mLat
	dLon := math.Inf(1)
	if mLon > 0 {
		dLon = maxMeters / mLon
	}
	const pad = 1e-9
	x0, x1 := px-dLon-pad, px+dLon+pad
	y0, y1 := py-dLat-pad, py+dLat+pad
	if x1 < ix.minX || x0 > ix.maxX || y1 < ix.minY || y0 > ix.maxY {
		return maxMeters
	}
	d := distSearch{ix: ix, px: px, py: py, mLat: mLat, mLon: mLon, best: maxMeters,
		x0: x0, y0: y0, x1: x1, y1: y1}
	// Start with the leaf containing p for a good initial bound, then
	// search only the rectangle that bound allows, skipping that leaf.
	if v != 0 {
		d.leaf(v)
		d.skip = v
		if d.best == 0 {
			return 0
		}
		if d.best < maxMeters {
			dLat = d.best / mLat
			if mLon > 0 {
				dLon = d.best / mLon
			}
			x0, x1 = px-dLon-pad, px+dLon+pad
			y0, y1 = py-dLat-pad, py+dLat+pad
			d.x0, d.y0, d.x1, d.y1 = x0, y0, x1, y1
		}
	}
	c0 := floorClamp((x0-ix.minX)*ix.invW[0], ix.nx)
	c1 := floorClamp((x1-ix.minX)*ix.invW[0], ix.nx)
	r0 := floorClamp((y0-ix.minY)*ix.invH[0], ix.ny)
	r1 := floorClamp((y1-ix.minY)*ix.invH[0], ix.ny)
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			cx := ix.minX + float64(float64(c)*ix.cellW[0])
			cy := ix.minY + float64(float64(r)*ix.cellH[0])
			d.node(ix.nodes[r*ix.nx+c], cx, cy, 0)
		}
	}
	return d.best
}

type distSearch struct {
	ix                 *Index
	px, py, mLat, mLon float64
	best               float64
	x0, y0, x1, y1     float64 // search rectangle (degrees)
	skip               uint32  // the leaf already searched (0: none)
}

func (d *distSearch) node(v uint32, x0, y0 float64, k int) {
	ix := d.ix
	w, h := ix.cellW[k], ix.cellH[k]
	if x0+w < d.x0 || x0 > d.x1 || y0+h < d.y0 || y0 > d.y1 {
		return
	}
	// Lower bound of the distance from p to the cell.
	dx := math.Max(math.Max(x0-d.px, d.px-(x0+w)), 0) * d.mLon
	dy := math.Max(math.Max(y0-d.py, d.py-(y0+h)), 0) * d.mLat
	if bound := d.best*(1+1e-9) + 1e-9; dx*dx+dy*dy > bound*bound {
		return
	}
	if v&nodeInternal == 0 {
		if v != d.skip && d.best > 0 {
			d.leaf(v)
		}
		return
	}
	s, sh := 2, 1
	if v&nodeSplit4 != 0 {
		s, sh = 4, 2
	}
	kk := k + sh
	base := int(v & nodeIndex)
	for r := 0; r < s; r++ {
		for c := 0; c < s; c++ {
			d.node(ix.nodes[base+r*s+c], x0+float64(float64(c)*ix.cellW[kk]), y0+float64(float64(r)*ix.cellH[kk]), kk)
		}
	}
}

func (d *distSearch) leaf(v uint32) {
	if v == 0 {
		return
	}
	rec := d.ix.chunks[v>>chunkBits][v&chunkMask:]
	ncand := int(uint32(rec[0]))
	if ncand == 0 {
		return
	}
	mw := (ncand + 63) >> 6
	i := recHdr + 2*int(rec[0]>>32) + mw + (ncand+1)/2
	nch := int(rec[i])
	i++
	for ; nch > 0; nch-- {
		h := rec[i]
		np := int(uint32(h))
		i += 1 + mw
		if h&chainXor != 0 {
			i += mw
		}
		pts := rec[i : i+2*np]
		i += 2 * np
		d.chain(pts)
	}
}

// chain lowers d.best to the distance from p to the nearest segment of
// a vertex chain (x, y bit patterns in turn). Each vertex is taken into
// p's metre frame once, and squared distances are compared: the square
// root is taken only for a segment that is nearer than the best so far.
// A segment whose two ends lie beyond the best distance on the same side
// of p (in x or in y) cannot be nearer and is passed over.
func (d *distSearch) chain(pts []uint64) {
	if len(pts) < 4 {
		return
	}
	best, bestSq := d.best, d.best*d.best
	ax := (math.Float64frombits(pts[0]) - d.px) * d.mLon
	ay := (math.Float64frombits(pts[1]) - d.py) * d.mLat
	for t := 2; t+1 < len(pts); t += 2 {
		bx := (math.Float64frombits(pts[t]) - d.px) * d.mLon
		by := (math.Float64frombits(pts[t+1]) - d.py) * d.mLat
		if (ax > best && bx > best) || (ax < -best && bx < -best) ||
			(ay > best && by > best) || (ay < -best && by < -best) {
			ax, ay = bx, by
			continue
		}
		ex, ey := bx-ax, by-ay
		// u = clamp(-(a·e)/|e|², 0, 1), dividing only when inside.
		var u float64
		if s, l2 := -(ax*ex + ay*ey), ex*ex+ey*ey; s >= l2 {
			u = 1
		} else if s > 0 {
			u = s / l2
		}
		qx, qy := ax+u*ex, ay+u*ey
		if dsq := qx*qx + qy*qy; dsq < bestSq {
			dist := math.Sqrt(dsq)
			if dist < 1e-3 && predicate.OnSegment(math.Float64frombits(pts[t-2]), math.Float64frombits(pts[t-1]),
				math.Float64frombits(pts[t]), math.Float64frombits(pts[t+1]), d.px, d.py) {
				dist = 0
			}
			best, bestSq = dist, dist*dist
		}
		ax, ay = bx, by
	}
	d.best = best
}
