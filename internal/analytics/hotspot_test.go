package analytics

import (
	"math/rand/v2"
	"testing"

	"github.com/uber/h3-go/v4"
)

// planted builds 24 months over a disk of res-9 cells with uniform noise
// from a fixed seed and three planted hot cells: one persistent (every
// month), one new (second year only) and one fading (first year only).
func planted(t testing.TB) (Lattice, map[h3.Cell]Trend) {
	centre := h3.LatLngToCell(h3.NewLatLng(36.70, 117.53), 9)
	cells := centre.GridDisk(14)
	months := make([]string, 24)
	for m := range months {
		months[m] = []string{"2025", "2026"}[m/12] + "-" + []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}[m%12]
	}
	l := Lattice{Months: months, Cells: cells, N: make([][]int, len(cells))}
	for i := range l.N {
		l.N[i] = make([]int, len(months))
	}
	rng := rand.New(rand.NewPCG(19, 2026))
	for m := range months {
		for range 300 {
			l.N[rng.IntN(len(cells))][m]++
		}
	}
	idx := map[h3.Cell]int{}
	for i, c := range cells {
		idx[c] = i
	}
	// Far apart: their neighbourhoods do not touch.
	ring := centre.GridDiskDistances(8)[8]
	want := map[h3.Cell]Trend{ring[0]: TrendPersistent, ring[16]: TrendNew, ring[32]: TrendFading}
	for m := range months {
		l.N[idx[ring[0]]][m] += 4
		if m >= 12 {
			l.N[idx[ring[16]]][m] += 6
		} else {
			l.N[idx[ring[32]]][m] += 6
		}
	}
	return l, want
}

func TestAnalyseFindsPlantedHotSpots(t *testing.T) {
	l, want := planted(t)
	res := Analyse(l, DefaultAlpha)
	checkPlanted(t, res, want)
}

// checkPlanted: each planted cell is significant with its trend, and every
// significant cell lies in a planted cell's k-ring 1 (its Gi* cluster).
func checkPlanted(t *testing.T, res []CellResult, want map[h3.Cell]Trend) {
	t.Helper()
	cluster := map[h3.Cell]bool{}
	for c := range want {
		for _, d := range c.GridDisk(1) {
			cluster[d] = true
		}
	}
	found := map[h3.Cell]bool{}
	for _, r := range res {
		if w, ok := want[r.Cell]; ok {
			found[r.Cell] = true
			if !r.Significant || r.Trend != w {
				t.Errorf("planted %s (%s): significant %v trend %q z %.2f first %v second %v", r.Cell, w, r.Significant, r.Trend, r.Z, r.HotFirst, r.HotSecond)
			}
			continue
		}
		if r.Significant && !cluster[r.Cell] {
			t.Errorf("noise cell %s flagged: count %d z %.2f q %.3g trend %s", r.Cell, r.Count, r.Z, r.Q, r.Trend)
		}
	}
	if len(found) != len(want) {
		t.Errorf("found %d of the %d planted cells in the result", len(found), len(want))
	}
}

func TestAnalyseNoiseOnly(t *testing.T) {
	l, _ := planted(t)
	for i := range l.N {
		for m := range l.N[i] {
			l.N[i][m] = 0
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for m := range l.Months {
		for range 300 {
			l.N[rng.IntN(len(l.Cells))][m]++
		}
	}
	for _, r := range Analyse(l, DefaultAlpha) {
		if r.Significant {
			t.Errorf("pure noise: cell %s flagged (z %.2f q %.3g)", r.Cell, r.Z, r.Q)
		}
	}
}

func TestClassify(t *testing.T) {
	up := func() []float64 { return []float64{1, 2, 3, 4, 5, 6} }
	flat := func() []float64 { return []float64{3, 1, 3, 1, 3, 1} }
	for _, c := range []struct {
		first, second bool
		series        func() []float64
		want          Trend
	}{
		{false, true, flat, TrendNew}, {true, false, flat, TrendFading}, {true, true, up, TrendIntensifying},
		{true, true, flat, TrendPersistent}, {false, false, flat, TrendSporadic},
	} {
		if got := classify(c.first, c.second, c.series); got != c.want {
			t.Errorf("classify(%v, %v) = %s, want %s", c.first, c.second, got, c.want)
		}
	}
}
