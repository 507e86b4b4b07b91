package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
)

// townArea is the target area of the town in m²; the cell discretisation lands within a few
// per cent of it.
const townArea = 60e6

// layout is the cell-level partition of the mesh into town, villages and grids.
type layout struct {
	m        *mesh
	town     []int     // cells of the town
	townRing []int     // vertex ids
	villages []village // in code order
}

type village struct {
	name  string
	cells []int
	grids [2][]int
}

func newLayout(rng *rand.Rand) *layout {
	l := &layout{m: newMesh(rng)}
	l.town = l.selectTown(rng)
	l.townRing = l.m.ring(l.town)
	l.splitVillages(rng)
	for i := range l.villages {
		l.splitGrids(&l.villages[i])
	}
	return l
}

// selectTown picks the cells inside an irregular blob: a circle whose radius is modulated by a
// few low-frequency harmonics of the angle, scaled to the target area.
func (l *layout) selectTown(rng *rand.Rand) []int {
	type harmonic struct{ k, amp, phase float64 }
	hs := []harmonic{
		{2, 0.10 + 0.04*rng.Float64(), 2 * math.Pi * rng.Float64()},
		{3, 0.06 + 0.03*rng.Float64(), 2 * math.Pi * rng.Float64()},
		{4, 0.03 + 0.02*rng.Float64(), 2 * math.Pi * rng.Float64()},
		{5, 0.02 + 0.01*rng.Float64(), 2 * math.Pi * rng.Float64()},
	}
	shape := func(theta float64) float64 {
		r := 1.0
		for _, h := range hs {
			r += h.amp * math.Sin(h.k*theta+h.phase)
		}
		return r
	}
	const steps = 720
	unit := 0.0 // area of the blob with unit base radius
	for i := range steps {
		r := shape(2 * math.Pi * float64(i) / steps)
		unit += 0.5 * r * r * 2 * math.Pi / steps
	}
	r0 := math.Sqrt(townArea / unit)

	m := l.m
	in := make([]bool, len(m.cells))
	for c, p := range m.design {
		in[c] = !m.border[c] && math.Hypot(p.x, p.y) < r0*shape(math.Atan2(p.y, p.x))
	}
	comps := m.components(func(c int) bool { return in[c] })
	largest := comps[0]
	for _, comp := range comps {
		if len(comp) > len(largest) {
			largest = comp
		}
	}
	clear(in)
	for _, c := range largest {
		in[c] = true
	}
	for _, h := range m.holes(func(c int) bool { return in[c] }) {
		for _, c := range h {
			in[c] = true
		}
	}
	var town []int
	for c := range in {
		if in[c] {
			town = append(town, c)
		}
	}
	return town
}

// splitVillages assigns the town cells to VillageCount seeds by a power diagram in the design
// lattice: Lloyd iterations move the seeds to their centroids while the weights steer each
// village towards its target size. The first seed stays at the town centre: it becomes the
// seat village, smaller and denser than the others.
func (l *layout) splitVillages(rng *rand.Rand) {
	m := l.m
	share := make([]float64, VillageCount)
	share[0] = 0.55
	for k := 1; k < VillageCount; k++ {
		share[k] = 0.8 + 0.45*rng.Float64()
	}
	sum := 0.0
	for _, s := range share {
		sum += s
	}
	target := make([]float64, VillageCount)
	for k := range target {
		target[k] = share[k] / sum * float64(len(l.town))
	}

	seeds := make([]vec, 0, VillageCount)
	centre := l.town[0]
	for _, c := range l.town {
		if norm(m.design[c]) < norm(m.design[centre]) {
			centre = c
		}
	}
	seeds = append(seeds, m.design[centre])
	for len(seeds) < VillageCount {
		// Best-candidate sampling spreads the initial seeds.
		var best vec
		bestD := -1.0
		for range 30 {
			p := m.design[l.town[rng.IntN(len(l.town))]]
			d := math.Inf(1)
			for _, s := range seeds {
				d = min(d, dist2(p, s))
			}
			if d > bestD {
				best, bestD = p, d
			}
		}
		seeds = append(seeds, best)
	}

	labels := make([]int, len(m.cells))
	weights := make([]float64, VillageCount)
	assign := func() []int {
		counts := make([]int, VillageCount)
		for i := range labels {
			labels[i] = -1
		}
		for _, c := range l.town {
			p := m.design[c]
			best, bestD := 0, math.Inf(1)
			for k, s := range seeds {
				if d := dist2(p, s) - weights[k]; d < bestD {
					best, bestD = k, d
				}
			}
			labels[c] = best
			counts[best]++
		}
		return counts
	}
	cellArea := cellW * cellH
	for range 60 {
		counts := assign()
		sums := make([]vec, VillageCount)
		for _, c := range l.town {
			k := labels[c]
			sums[k].x += m.design[c].x
			sums[k].y += m.design[c].y
		}
		for k := 1; k < VillageCount; k++ {
			if counts[k] > 0 {
				seeds[k] = vec{sums[k].x / float64(counts[k]), sums[k].y / float64(counts[k])}
			}
		}
		for k := range weights {
			weights[k] += 0.4 * (target[k] - float64(counts[k])) * cellArea / math.Pi
		}
	}
	assign()
	m.cleanPartition(labels, VillageCount)

	vs := make([]village, VillageCount)
	centroids := make([]vec, VillageCount)
	for _, c := range l.town {
		k := labels[c]
		vs[k].cells = append(vs[k].cells, c)
		centroids[k].x += m.design[c].x
		centroids[k].y += m.design[c].y
	}
	bearing := make([]float64, VillageCount)
	for k := range vs {
		n := float64(len(vs[k].cells))
		centroids[k] = vec{centroids[k].x / n, centroids[k].y / n}
		b := math.Atan2(centroids[k].x, centroids[k].y) // clockwise from north
		if b < 0 {
			b += 2 * math.Pi
		}
		bearing[k] = b
	}
	// Codes: the seat village first, then clockwise from north.
	order := make([]int, VillageCount-1)
	for i := range order {
		order[i] = i + 1
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(bearing[a], bearing[b]) })
	order = append([]int{0}, order...)

	l.villages = make([]village, VillageCount)
	outerBearings := make([]float64, 0, VillageCount-1)
	for i, k := range order {
		l.villages[i] = vs[k]
		if i > 0 {
			outerBearings = append(outerBearings, bearing[k])
		}
	}
	names := villageNames(outerBearings)
	for i := range l.villages {
		l.villages[i].name = names[i]
	}
}

// villageNames names the seat village and then the outer villages (given by bearing, clockwise
// from north in radians): names with a direction go to the village nearest that direction.
func villageNames(bearings []float64) []string {
	directed := []struct {
		name    string
		bearing float64
	}{{"北坡村", 0}, {"东岭村", 90}, {"南庄村", 180}, {"西河村", 270}}
	plain := []string{"石门村", "桃园村", "柳沟村", "马家庄村", "杨家峪村", "李家楼村", "双泉村", "王官庄村"}

	names := make([]string, len(bearings))
	for _, d := range directed {
		best, bestDiff := -1, math.Inf(1)
		for i, b := range bearings {
			if names[i] != "" {
				continue
			}
			diff := math.Abs(math.Remainder(b-d.bearing*degRad, 2*math.Pi))
			if diff < bestDiff {
				best, bestDiff = i, diff
			}
		}
		names[best] = d.name
	}
	for i := range names {
		if names[i] == "" {
			names[i], plain = plain[0], plain[1:]
		}
	}
	return append([]string{"龙泉村"}, names...)
}

// splitGrids halves a village across its long axis (the principal axis of its cells), then
// repairs the halves so that each is one polygon without holes.
func (l *layout) splitGrids(v *village) {
	m := l.m
	var mean vec
	for _, c := range v.cells {
		mean.x += m.design[c].x
		mean.y += m.design[c].y
	}
	n := float64(len(v.cells))
	mean = vec{mean.x / n, mean.y / n}
	var sxx, syy, sxy float64
	for _, c := range v.cells {
		dx, dy := m.design[c].x-mean.x, m.design[c].y-mean.y
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
	axis := vec{math.Cos(theta), math.Sin(theta)}
	if axis.x < 0 || (axis.x == 0 && axis.y > 0) {
		axis = vec{-axis.x, -axis.y} // first grid on the west (or north) side
	}
	cells := slices.Clone(v.cells)
	proj := func(c int) float64 { return m.design[c].x*axis.x + m.design[c].y*axis.y }
	slices.SortStableFunc(cells, func(a, b int) int { return cmp.Compare(proj(a), proj(b)) })

	labels := make([]int, len(m.cells))
	for i := range labels {
		labels[i] = -1
	}
	for i, c := range cells {
		labels[c] = 0
		if i >= len(cells)/2 {
			labels[c] = 1
		}
	}
	m.cleanPartition(labels, GridsPerVillage)
	for _, c := range v.cells {
		v.grids[labels[c]] = append(v.grids[labels[c]], c)
	}
}

// grids returns the hierarchy with geometry and statistics, parents before children.
func (l *layout) grids(rng *rand.Rand) []Grid {
	households, population := gridStats(rng)
	poly := func(cells []int) orb.MultiPolygon {
		return orb.MultiPolygon{orb.Polygon{l.m.lonLatRing(l.m.ring(cells))}}
	}
	town := Grid{Code: TownCode, Name: TownName, Level: 1, Geometry: poly(l.town)}
	out := []Grid{town}
	for i, v := range l.villages {
		vg := Grid{
			Code:       fmt.Sprintf("%s%03d000", TownCode[:9], i+1),
			Name:       v.name,
			Level:      2,
			ParentCode: TownCode,
			Geometry:   poly(v.cells),
		}
		out = append(out, vg)
		vi := len(out) - 1
		for j, cells := range v.grids {
			g := Grid{
				Code:       fmt.Sprintf("%s%03d", vg.Code[:12], j+1),
				Name:       v.name + []string{"第一网格", "第二网格"}[j],
				Level:      3,
				ParentCode: vg.Code,
				Geometry:   poly(cells),
				Households: households[i*GridsPerVillage+j],
				Population: population[i*GridsPerVillage+j],
			}
			out[vi].Households += g.Households
			out[vi].Population += g.Population
			out[0].Households += g.Households
			out[0].Population += g.Population
			out = append(out, g)
		}
	}
	return out
}

// gridStats spreads the town's households and population over the basic grids (in code order):
// 200–360 households per grid, the seat village's grids denser, about 3.4 people per household.
func gridStats(rng *rand.Rand) (households, population []int) {
	const (
		n       = VillageCount * GridsPerVillage
		minH    = 200
		maxH    = 360
		seatMul = 1.25
	)
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.4 + 1.2*rng.Float64()
		if i < GridsPerVillage {
			w[i] *= seatMul
		}
	}
	households = allocate(TotalHouseholds-n*minH, w)
	for i := range households {
		households[i] += minH
	}
	for {
		hi := slices.Index(households, slices.Max(households))
		if households[hi] <= maxH {
			break
		}
		lo := slices.Index(households, slices.Min(households))
		households[hi]--
		households[lo]++
	}
	pw := make([]float64, n)
	for i, h := range households {
		pw[i] = float64(h) * (3.1 + 0.6*rng.Float64())
	}
	return households, allocate(TotalPopulation, pw)
}

// allocate splits total into integers proportional to weights (largest remainder method; ties
// to the lower index).
func allocate(total int, weights []float64) []int {
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	rem := make([]float64, len(weights))
	left := total
	for i, w := range weights {
		exact := float64(total) * w / sum
		out[i] = int(math.Floor(exact))
		rem[i] = exact - float64(out[i])
		left -= out[i]
	}
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
	for i := 0; i < left; i++ {
		out[idx[i%len(idx)]]++
	}
	return out
}

func norm(p vec) float64     { return math.Hypot(p.x, p.y) }
func dist2(a, b vec) float64 { return (a.x-b.x)*(a.x-b.x) + (a.y-b.y)*(a.y-b.y) }
func rotate(p vec, a float64) vec {
	s, c := math.Sincos(a)
	return vec{p.x*c - p.y*s, p.x*s + p.y*c}
}
