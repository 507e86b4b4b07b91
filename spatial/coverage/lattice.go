package coverage

import (
	"math"
	"sort"

	"github.com/uber/h3-go/v4"
)

// latticeTolerance is the largest error (metres) of the fitted lattice at
// the check points for the fast path to be used.
const latticeTolerance = 0.3

// lattice maps H3 local IJ coordinates (relative to an origin cell) to local
// metres with a quadratic fit. Within a few kilometres H3 cells form a
// regular hexagonal lattice on the icosahedron face, and the face's gnomonic
// projection differs from the local equirectangular one by a smooth map, so
// the fit is good to centimetres; Discretise checks it against H3 and falls
// back to asking H3 cell by cell when it is not.
type lattice struct {
	i0, j0, s float64
	cx, cy    [6]float64
}

func basis(u, v float64) [6]float64 { return [6]float64{1, u, v, u * u, u * v, v * v} }

func (l *lattice) at(i, j float64) pt {
	b := basis((i-l.i0)/l.s, (j-l.j0)/l.s)
	var x, y float64
	for k := range 6 {
		x += l.cx[k] * b[k]
		y += l.cy[k] * b[k]
	}
	return pt{x, y}
}

// discretiseLattice is the fast path of Discretise: a few H3 calls fit the
// lattice, then every candidate cell's centre and hexagon come from it. It
// reports false when the lattice does not fit (the caller then takes the
// exact path).
func (g *Grid) discretiseLattice() bool {
	res := g.Resolution
	inv := func(p pt) (lon, lat float64) { return g.proj.lon0 + p.x/g.proj.kx, g.proj.lat0 + p.y/g.proj.ky }
	clon, clat := inv(pt{(g.bbox[0] + g.bbox[2]) / 2, (g.bbox[1] + g.bbox[3]) / 2})
	origin := h3.LatLngToCell(h3.NewLatLng(clat, clon), res)
	if origin.IsPentagon() {
		return false
	}
	type sample struct {
		i, j float64
		p    pt
	}
	edge := h3.HexagonEdgeLengthAvgM(res)
	margin := 3 * edge
	var samples []sample
	seen := map[h3.Cell]bool{}
	const n = 5
	for a := 0; a <= n; a++ {
		for b := 0; b <= n; b++ {
			x := g.bbox[0] - margin + (g.bbox[2]-g.bbox[0]+2*margin)*float64(a)/n
			y := g.bbox[1] - margin + (g.bbox[3]-g.bbox[1]+2*margin)*float64(b)/n
			lon, lat := inv(pt{x, y})
			cell := h3.LatLngToCell(h3.NewLatLng(lat, lon), res)
			if seen[cell] {
				continue
			}
			seen[cell] = true
			if cell.IsPentagon() {
				return false
			}
			ij := h3.CellToLocalIJ(origin, cell)
			if h3.LocalIJToCell(origin, ij) != cell {
				return false
			}
			ll := cell.LatLng()
			samples = append(samples, sample{float64(ij.I), float64(ij.J), g.proj.fwd(ll.Lng, ll.Lat)})
		}
	}
	if len(samples) < 12 {
		return false
	}
	oij := h3.CellToLocalIJ(origin, origin)
	l := &lattice{i0: float64(oij.I), j0: float64(oij.J), s: 1}
	for _, sm := range samples {
		l.s = max(l.s, math.Abs(sm.i-l.i0), math.Abs(sm.j-l.j0))
	}
	// Least squares through the normal equations.
	var m [6][6]float64
	var rx, ry [6]float64
	for _, sm := range samples {
		b := basis((sm.i-l.i0)/l.s, (sm.j-l.j0)/l.s)
		for r := range 6 {
			for c := range 6 {
				m[r][c] += b[r] * b[c]
			}
			rx[r] += b[r] * sm.p.x
			ry[r] += b[r] * sm.p.y
		}
	}
	var ok bool
	if l.cx, l.cy, ok = solve6(m, rx, ry); !ok {
		return false
	}
	// Check: the samples and the centres of cells between them.
	for _, sm := range samples {
		q := l.at(sm.i, sm.j)
		if math.Hypot(q.x-sm.p.x, q.y-sm.p.y) > latticeTolerance {
			return false
		}
	}
	for k := 0; k+1 < len(samples); k += 3 {
		a, b := samples[k], samples[k+1]
		ij := h3.CoordIJ{I: int(math.Round((a.i + b.i) / 2)), J: int(math.Round((a.j + b.j) / 2))}
		cell := h3.LocalIJToCell(origin, ij)
		if cell == 0 || !cell.IsValid() {
			return false
		}
		ll := cell.LatLng()
		p := g.proj.fwd(ll.Lng, ll.Lat)
		q := l.at(float64(ij.I), float64(ij.J))
		if math.Hypot(q.x-p.x, q.y-p.y) > latticeTolerance {
			return false
		}
	}
	// Neighbour offsets in IJ, ordered by direction in the plane.
	var nbs [][2]int
	for _, nb := range origin.GridDisk(1) {
		if nb == origin {
			continue
		}
		ij := h3.CellToLocalIJ(origin, nb)
		nbs = append(nbs, [2]int{ij.I - oij.I, ij.J - oij.J})
	}
	if len(nbs) != 6 {
		return false
	}
	o := l.at(l.i0, l.j0)
	ang := func(d [2]int) float64 {
		q := l.at(l.i0+float64(d[0]), l.j0+float64(d[1]))
		return math.Atan2(q.y-o.y, q.x-o.x)
	}
	sort.Slice(nbs, func(a, b int) bool { return ang(nbs[a]) < ang(nbs[b]) })

	imin, imax, jmin, jmax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, sm := range samples {
		imin, imax = min(imin, sm.i), max(imax, sm.i)
		jmin, jmax = min(jmin, sm.j), max(jmax, sm.j)
	}
	rad := edge * 1.2
	lo := pt{g.bbox[0] - rad, g.bbox[1] - rad}
	hi := pt{g.bbox[2] + rad, g.bbox[3] + rad}
	hex := make([]pt, 6)
	var nbp [6]pt
	var last *farCell
	if !g.scanEveryCell {
		last = &farCell{}
	}
	for j := int(jmin) - 2; j <= int(jmax)+2; j++ {
		for i := int(imin) - 2; i <= int(imax)+2; i++ {
			fi, fj := float64(i), float64(j)
			c := l.at(fi, fj)
			if c.x < lo.x || c.x > hi.x || c.y < lo.y || c.y > hi.y {
				continue
			}
			for k, d := range nbs {
				nbp[k] = l.at(fi+float64(d[0]), fj+float64(d[1]))
			}
			r := 0.0
			for k := range 6 {
				a, b := nbp[k], nbp[(k+1)%6]
				hex[k] = pt{(c.x + a.x + b.x) / 3, (c.y + a.y + b.y) / 3}
				r = max(r, math.Hypot(hex[k].x-c.x, hex[k].y-c.y))
			}
			if g.addCell(c, hex, r, last) {
				g.ij = append(g.ij, [2]int32{int32(i), int32(j)})
			}
		}
	}
	g.origin = origin
	return true
}

// solve6 solves m·x = bx and m·y = by by Gaussian elimination with partial
// pivoting.
func solve6(m [6][6]float64, bx, by [6]float64) (x, y [6]float64, ok bool) {
	for c := range 6 {
		p := c
		for r := c + 1; r < 6; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-12 {
			return x, y, false
		}
		m[c], m[p] = m[p], m[c]
		bx[c], bx[p] = bx[p], bx[c]
		by[c], by[p] = by[p], by[c]
		for r := c + 1; r < 6; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k < 6; k++ {
				m[r][k] -= f * m[c][k]
			}
			bx[r] -= f * bx[c]
			by[r] -= f * by[c]
		}
	}
	for r := 5; r >= 0; r-- {
		sx, sy := bx[r], by[r]
		for k := r + 1; k < 6; k++ {
			sx -= m[r][k] * x[k]
			sy -= m[r][k] * y[k]
		}
		x[r], y[r] = sx/m[r][r], sy/m[r][r]
	}
	return x, y, true
}
