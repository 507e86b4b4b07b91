package coverage

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// alongStepM is the sampling step of Along, in metres.
const alongStepM = 1.0

// Along returns the grid measured along lines (a road network, WGS84)
// instead of by area: its cells are those the lines pass through inside the
// grid, each weighted by the length of line inside it, so Weights add up
// to the length of the network inside the grid and a Cover's Fraction is
// the share of that length whose cell is covered. The lines are sampled
// every metre; each sample inside the grid counts in the cell whose centre
// is nearest (the hexagon that contains it). It fails when no line runs
// inside the grid.
func (g *Grid) Along(lines []orb.LineString) (*Grid, error) {
	length := make(map[int]float64)
	total := 0.0
	search := g.searchRings()
	for _, ls := range lines {
		for k := 1; k < len(ls); k++ {
			a, b := g.proj.fwd(ls[k-1][0], ls[k-1][1]), g.proj.fwd(ls[k][0], ls[k][1])
			d := math.Hypot(b.x-a.x, b.y-a.y)
			n := int(math.Ceil(d / alongStepM))
			if n == 0 {
				continue
			}
			step := d / float64(n)
			for s := 0; s < n; s++ {
				t := (float64(s) + 0.5) / float64(n)
				p := pt{a.x + t*(b.x-a.x), a.y + t*(b.y-a.y)}
				if !g.contains(p) {
					continue
				}
				if i := g.nearestCell(p, search); i >= 0 {
					length[i] += step
					total += step
				}
			}
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("coverage: no line runs inside the grid")
	}
	out := &Grid{Resolution: g.Resolution, RadiusM: g.RadiusM, proj: g.proj, rings: g.rings, bbox: g.bbox, origin: g.origin}
	for i := range g.cx {
		w, ok := length[i]
		if !ok {
			continue
		}
		out.Weights = append(out.Weights, w)
		out.AreaM2 += w
		out.cx = append(out.cx, g.cx[i])
		out.cy = append(out.cy, g.cy[i])
		if g.cells != nil {
			out.cells = append(out.cells, g.cells[i])
		} else {
			out.ij = append(out.ij, g.ij[i])
		}
	}
	out.buildBuckets()
	return out, nil
}

// searchRings is how many buckets around a point's own the nearest cell
// centre can lie: a point is within a cell's circumradius of its centre.
func (g *Grid) searchRings() int {
	maxW := 0.0
	for _, w := range g.Weights {
		maxW = max(maxW, w)
	}
	circum := math.Sqrt(2 * maxW / (3 * math.Sqrt(3)))
	return 1 + int(circum/g.bsize)
}

// nearestCell returns the cell whose centre is nearest p (local metres),
// searching rings buckets around p's bucket; -1 when none is there.
func (g *Grid) nearestCell(p pt, rings int) int {
	bx := int(math.Floor((p.x - g.bminX) / g.bsize))
	by := int(math.Floor((p.y - g.bminY) / g.bsize))
	best, bestD := -1, math.Inf(1)
	for y := by - rings; y <= by+rings; y++ {
		if y < 0 || y >= g.bny {
			continue
		}
		for x := bx - rings; x <= bx+rings; x++ {
			if x < 0 || x >= g.bnx {
				continue
			}
			k := y*g.bnx + x
			for _, c := range g.bcells[g.bstart[k]:g.bstart[k+1]] {
				dx, dy := g.cx[c]-p.x, g.cy[c]-p.y
				if d := dx*dx + dy*dy; d < bestD {
					best, bestD = int(c), d
				}
			}
		}
	}
	return best
}
