package analytics

import (
	"math"
	"sort"
)

// GiStar returns the Getis-Ord Gi* z-score of every cell: x are the
// cells' values and nbr[i] the indices of cell i's neighbourhood, the cell
// itself included (binary weights). All z are 0 when the values do not
// vary or there are fewer than two cells.
func GiStar(x []float64, nbr [][]int) []float64 {
	n := float64(len(x))
	z := make([]float64, len(x))
	if len(x) < 2 {
		return z
	}
	var sum, sum2 float64
	for _, v := range x {
		sum += v
		sum2 += v * v
	}
	mean := sum / n
	s := math.Sqrt(math.Max(sum2/n-mean*mean, 0))
	if s == 0 {
		return z
	}
	for i, ns := range nbr {
		w := float64(len(ns))
		var local float64
		for _, j := range ns {
			local += x[j]
		}
		den := s * math.Sqrt((n*w-w*w)/(n-1))
		if den == 0 {
			continue
		}
		z[i] = (local - mean*w) / den
	}
	return z
}

// PValue is the two-sided p-value of a standard normal z-score.
func PValue(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

// BenjaminiHochberg returns the q-values (FDR-adjusted p-values) of p:
// q_(k) = min_{j≥k} p_(j)·m/j over the p sorted ascending, capped at 1.
func BenjaminiHochberg(p []float64) []float64 {
	m := len(p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	q := make([]float64, m)
	minQ := 1.0
	for k := m - 1; k >= 0; k-- {
		v := p[idx[k]] * float64(m) / float64(k+1)
		minQ = math.Min(minQ, v)
		q[idx[k]] = minQ
	}
	return q
}

// MannKendall tests a series for a monotonic trend: S = Σ_{i<j}
// sign(x_j − x_i), its variance corrected for ties, the continuity-
// corrected z and the two-sided p-value. Fewer than three values give
// S = 0, p = 1.
func MannKendall(x []float64) (s int, p float64) {
	n := len(x)
	if n < 3 {
		return 0, 1
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			switch {
			case x[j] > x[i]:
				s++
			case x[j] < x[i]:
				s--
			}
		}
	}
	ties := map[float64]int{}
	for _, v := range x {
		ties[v]++
	}
	fn := float64(n)
	v := fn * (fn - 1) * (2*fn + 5)
	for _, t := range ties {
		ft := float64(t)
		v -= ft * (ft - 1) * (2*ft + 5)
	}
	v /= 18
	if v <= 0 || s == 0 {
		return s, 1
	}
	var z float64
	if s > 0 {
		z = (float64(s) - 1) / math.Sqrt(v)
	} else {
		z = (float64(s) + 1) / math.Sqrt(v)
	}
	return s, PValue(z)
}
