package analytics

import (
	"github.com/uber/h3-go/v4"
)

// Trend is how a hot spot developed over the period (see the package doc).
type Trend string

// The trends.
const (
	TrendNew          Trend = "new"
	TrendIntensifying Trend = "intensifying"
	TrendPersistent   Trend = "persistent"
	TrendFading       Trend = "fading"
	TrendSporadic     Trend = "sporadic"
)

// Trends lists every trend.
var Trends = []Trend{TrendNew, TrendIntensifying, TrendPersistent, TrendFading, TrendSporadic}

// DefaultAlpha is the false discovery rate at which a cell is hot.
const DefaultAlpha = 0.05

// trendAlpha is the Mann-Kendall significance of "intensifying".
const trendAlpha = 0.05

// Lattice is the case counts of a study area: N[i][m] cases in Cells[i]
// in Months[m].
type Lattice struct {
	Months []string // YYYY-MM, ascending
	Cells  []h3.Cell
	N      [][]int
}

// CellResult is the analysis of one cell.
type CellResult struct {
	Cell    h3.Cell
	Count   int   // cases over the period
	Monthly []int // per month of the lattice
	// Z, P and Q are Gi*, its two-sided p-value and its BH q-value over
	// the whole period.
	Z, P, Q float64
	// Hot: z > 0 and q ≤ alpha over the whole period; HotFirst and
	// HotSecond: the same in each half.
	Hot, HotFirst, HotSecond bool
	// Significant: hot over the period or in either half; Trend is set
	// only then.
	Significant bool
	Trend       Trend
}

// Analyse runs Gi* with the FDR correction over the whole period and each
// half, and classifies the trend of the significant cells. alpha ≤ 0
// means DefaultAlpha.
func Analyse(l Lattice, alpha float64) []CellResult {
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	nbr := neighbourhoods(l.Cells)
	m := len(l.Months)
	half := m / 2
	sum := func(from, to int) []float64 {
		x := make([]float64, len(l.Cells))
		for i := range l.Cells {
			for k := from; k < to; k++ {
				x[i] += float64(l.N[i][k])
			}
		}
		return x
	}
	whole := test(sum(0, m), nbr, alpha)
	var first, second []hot
	if half > 0 {
		first = test(sum(0, half), nbr, alpha)
		second = test(sum(m-half, m), nbr, alpha)
	}
	out := make([]CellResult, len(l.Cells))
	for i, c := range l.Cells {
		r := CellResult{Cell: c, Monthly: l.N[i], Z: whole[i].z, P: whole[i].p, Q: whole[i].q, Hot: whole[i].hot}
		for _, v := range l.N[i] {
			r.Count += v
		}
		if half > 0 {
			r.HotFirst, r.HotSecond = first[i].hot, second[i].hot
		}
		r.Significant = r.Hot || r.HotFirst || r.HotSecond
		if r.Significant {
			r.Trend = classify(r.HotFirst, r.HotSecond, func() []float64 {
				series := make([]float64, m)
				for _, j := range nbr[i] {
					for k, v := range l.N[j] {
						series[k] += float64(v)
					}
				}
				return series
			})
		}
		out[i] = r
	}
	return out
}

func classify(first, second bool, series func() []float64) Trend {
	switch {
	case second && !first:
		return TrendNew
	case first && !second:
		return TrendFading
	case first && second:
		if s, p := MannKendall(series()); s > 0 && p <= trendAlpha {
			return TrendIntensifying
		}
		return TrendPersistent
	}
	return TrendSporadic
}

type hot struct {
	z, p, q float64
	hot     bool
}

func test(x []float64, nbr [][]int, alpha float64) []hot {
	z := GiStar(x, nbr)
	p := make([]float64, len(z))
	for i, v := range z {
		p[i] = PValue(v)
	}
	q := BenjaminiHochberg(p)
	out := make([]hot, len(z))
	for i := range z {
		out[i] = hot{z: z[i], p: p[i], q: q[i], hot: z[i] > 0 && q[i] <= alpha}
	}
	return out
}

// neighbourhoods returns, for each cell, the indices of its k-ring-1 disk
// (itself included) within cells.
func neighbourhoods(cells []h3.Cell) [][]int {
	idx := make(map[h3.Cell]int, len(cells))
	for i, c := range cells {
		idx[c] = i
	}
	out := make([][]int, len(cells))
	for i, c := range cells {
		ns := make([]int, 0, 7)
		for _, d := range c.GridDisk(1) {
			if j, ok := idx[d]; ok {
				ns = append(ns, j)
			}
		}
		out[i] = ns
	}
	return out
}
