package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
)

// vec is a position in local metres: x east, y north of the town centre.
type vec struct{ x, y float64 }

// mesh is a hexagonal tiling laid out as a brick wall: rows of cells, odd rows shifted by half a
// cell. Each cell has six vertices (four corners and the middle of its top and bottom sides,
// which are corners of the cells above and below; lifting those middles turns the bricks into
// hexagons), so every interior vertex joins exactly three cells. Consequently any connected set
// of cells whose complement is connected has a single simple ring as boundary: cells never touch
// at a vertex only. About 40 cells span the town.
//
// Vertices are jittered by at most a fifth of a cell (cells stay simple) and the whole mesh is
// bent by a smooth warp, so region borders look like surveyed boundaries instead of a lattice. Every vertex is converted to lon/lat and rounded once; rings are built from
// vertex ids, so neighbouring regions share identical coordinates and no vertex is dropped.
type mesh struct {
	pos    []vec       // vertex positions, metres
	ll     []orb.Point // vertex positions, lon/lat rounded to 1e-7
	cells  [][]int     // vertex ids of each cell, counter-clockwise
	design []vec       // cell centre in the unwarped, unjittered lattice
	adj    [][]int     // cells sharing an edge with each cell
	border []bool      // cell has an edge on the mesh border
}

const (
	cellW     = 242.5 // metres; cellW = cellH·2/√3 makes regular hexagons
	cellH     = 210.0
	meshCols  = 60
	meshRows  = 70
	coordStep = 1e7 // rounding: 1e-7 degrees
)

func newMesh(rng *rand.Rand) *mesh {
	nk := 2*meshCols + 1
	x0 := -float64(meshCols) * cellW / 2
	y0 := -float64(meshRows) * cellH / 2

	// A smooth warp with small cross-derivatives: its Jacobian stays positive, so cells keep
	// their orientation.
	type wave struct{ amp, length, phase float64 }
	newWave := func(amp, length float64) wave {
		return wave{amp * (0.7 + 0.3*rng.Float64()), length * (0.8 + 0.4*rng.Float64()), 2 * math.Pi * rng.Float64()}
	}
	wx := []wave{newWave(260, 2600), newWave(120, 1100)}
	wy := []wave{newWave(260, 2900), newWave(120, 1300)}
	warp := func(p vec) vec {
		q := p
		for _, w := range wx {
			q.x += w.amp * math.Sin(p.y/w.length+w.phase)
		}
		for _, w := range wy {
			q.y += w.amp * math.Sin(p.x/w.length+w.phase)
		}
		return q
	}

	m := &mesh{}
	for j := 0; j <= meshRows; j++ {
		for k := 0; k < nk; k++ {
			// Vertices on line j alternate between the top of a cell below (raised) and the
			// bottom of a cell above (lowered): the bricks become hexagons.
			lift := -cellH / 6
			if (j+k)%2 == 0 {
				lift = cellH / 6
			}
			p := vec{
				x0 + float64(k)*cellW/2 + (2*rng.Float64()-1)*0.2*cellW,
				y0 + float64(j)*cellH + lift + (2*rng.Float64()-1)*0.2*cellH,
			}
			p = warp(p)
			m.pos = append(m.pos, p)
			m.ll = append(m.ll, toLonLat(p))
		}
	}
	for r := 0; r < meshRows; r++ {
		b, t := r*nk, (r+1)*nk
		for k := r % 2; k+2 < nk; k += 2 {
			m.cells = append(m.cells, []int{b + k, b + k + 1, b + k + 2, t + k + 2, t + k + 1, t + k})
			m.design = append(m.design, vec{x0 + float64(k+1)*cellW/2, y0 + (float64(r)+0.5)*cellH})
		}
	}

	edgeCells := map[[2]int][]int{}
	for c, vs := range m.cells {
		for i := range vs {
			e := undirected(vs[i], vs[(i+1)%len(vs)])
			edgeCells[e] = append(edgeCells[e], c)
		}
	}
	m.adj = make([][]int, len(m.cells))
	m.border = make([]bool, len(m.cells))
	for c, vs := range m.cells {
		for i := range vs {
			e := undirected(vs[i], vs[(i+1)%len(vs)])
			cs := edgeCells[e]
			if len(cs) == 1 {
				m.border[c] = true
				continue
			}
			for _, o := range cs {
				if o != c {
					m.adj[c] = append(m.adj[c], o)
				}
			}
		}
	}
	return m
}

func undirected(a, b int) [2]int {
	if a > b {
		a, b = b, a
	}
	return [2]int{a, b}
}

// Local equirectangular projection around the town centre; at this scale (≈ 12 km) its area
// error against the spheroid is far below the tolerances used here.
const (
	earthRadius = 6371008.8
	degRad      = math.Pi / 180
)

func toLonLat(p vec) orb.Point {
	lon := CenterLon + p.x/(earthRadius*math.Cos(CenterLat*degRad)*degRad)
	lat := CenterLat + p.y/(earthRadius*degRad)
	return orb.Point{roundCoord(lon), roundCoord(lat)}
}

func roundCoord(v float64) float64 { return math.Round(v*coordStep) / coordStep }

// components returns the connected components (by shared edges) of the cells for which in is
// true, each sorted, in order of their smallest cell.
func (m *mesh) components(in func(c int) bool) [][]int {
	seen := make([]bool, len(m.cells))
	var comps [][]int
	for s := range m.cells {
		if seen[s] || !in(s) {
			continue
		}
		seen[s] = true
		comp := []int{s}
		for i := 0; i < len(comp); i++ {
			for _, o := range m.adj[comp[i]] {
				if !seen[o] && in(o) {
					seen[o] = true
					comp = append(comp, o)
				}
			}
		}
		slices.Sort(comp)
		comps = append(comps, comp)
	}
	return comps
}

// holes returns the components of cells outside the region that do not reach the mesh border,
// i.e. the areas enclosed by the region.
func (m *mesh) holes(in func(c int) bool) [][]int {
	var hs [][]int
	for _, comp := range m.components(func(c int) bool { return !in(c) }) {
		if !slices.ContainsFunc(comp, func(c int) bool { return m.border[c] }) {
			hs = append(hs, comp)
		}
	}
	return hs
}

// cleanPartition makes every label of a partition one connected region without holes, so that
// each becomes a single simple polygon. labels[c] is the region of cell c, or -1 for cells
// outside the parent region (which must itself be clean). Detached pieces go to the neighbouring
// region they share most edges with; enclosed areas join the region enclosing them.
func (m *mesh) cleanPartition(labels []int, n int) {
	for range 100 {
		changed := false
		for l := 0; l < n; l++ {
			in := func(c int) bool { return labels[c] == l }
			comps := m.components(in)
			if len(comps) == 0 {
				panic(fmt.Sprintf("demo: region %d lost all its cells", l))
			}
			largest := 0
			for i, comp := range comps {
				if len(comp) > len(comps[largest]) {
					largest = i
				}
			}
			for i, comp := range comps {
				if i == largest {
					continue
				}
				votes := make([]int, n)
				for _, c := range comp {
					for _, o := range m.adj[c] {
						if labels[o] >= 0 && labels[o] != l {
							votes[labels[o]]++
						}
					}
				}
				best := -1
				for k, v := range votes {
					if v > 0 && (best < 0 || v > votes[best]) {
						best = k
					}
				}
				if best < 0 {
					panic("demo: detached piece has no neighbouring region")
				}
				for _, c := range comp {
					labels[c] = best
				}
				changed = true
			}
			for _, h := range m.holes(in) {
				for _, c := range h {
					labels[c] = l
				}
				changed = true
			}
		}
		if !changed {
			return
		}
	}
	panic("demo: partition did not settle")
}

// ring returns the boundary of a set of cells as a closed counter-clockwise ring of vertex ids.
// It panics unless the boundary is exactly one simple ring, i.e. the set is one polygon without
// holes.
func (m *mesh) ring(cells []int) []int {
	in := make(map[[2]int]bool)
	for _, c := range cells {
		vs := m.cells[c]
		for i := range vs {
			in[[2]int{vs[i], vs[(i+1)%len(vs)]}] = true
		}
	}
	// Boundary edges keep the orientation of their cell, so the region lies on their left and the
	// exterior ring comes out counter-clockwise.
	var start []int
	next := map[int]int{}
	for _, c := range cells {
		vs := m.cells[c]
		for i := range vs {
			a, b := vs[i], vs[(i+1)%len(vs)]
			if in[[2]int{b, a}] {
				continue
			}
			if _, dup := next[a]; dup {
				panic("demo: region boundary touches itself")
			}
			next[a] = b
			start = append(start, a)
		}
	}
	if len(start) == 0 {
		panic("demo: empty region")
	}
	r := []int{start[0]}
	for v := next[start[0]]; v != start[0]; v = next[v] {
		r = append(r, v)
		if len(r) > len(start) {
			panic("demo: broken region boundary")
		}
	}
	if len(r) != len(start) {
		panic(fmt.Sprintf("demo: region boundary has several rings (%d of %d edges in the first)", len(r), len(start)))
	}
	r = append(r, start[0])
	if signedArea(m.pointsOf(r)) <= 0 {
		panic("demo: region ring is not counter-clockwise")
	}
	return r
}

func (m *mesh) pointsOf(ids []int) []vec {
	ps := make([]vec, len(ids))
	for i, id := range ids {
		ps[i] = m.pos[id]
	}
	return ps
}

func (m *mesh) lonLatRing(ids []int) orb.Ring {
	r := make(orb.Ring, len(ids))
	for i, id := range ids {
		r[i] = m.ll[id]
	}
	return r
}

// signedArea is the shoelace area of a closed ring, positive when counter-clockwise.
func signedArea(ps []vec) float64 {
	a := 0.0
	for i := 0; i+1 < len(ps); i++ {
		a += ps[i].x*ps[i+1].y - ps[i+1].x*ps[i].y
	}
	return a / 2
}

// insideRing is the even-odd test of p against a closed ring.
func insideRing(p vec, ring []vec) bool {
	in := false
	for i := 0; i+1 < len(ring); i++ {
		a, b := ring[i], ring[i+1]
		if (a.y > p.y) != (b.y > p.y) && p.x < a.x+(p.y-a.y)*(b.x-a.x)/(b.y-a.y) {
			in = !in
		}
	}
	return in
}
