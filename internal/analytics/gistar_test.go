package analytics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/uber/h3-go/v4"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// A hand-computed Gi*: four cells on a line, one with 10 cases.
// n = 4, X̄ = 2.5, S = √(100/4 − 6.25) = √18.75.
func TestGiStarByHand(t *testing.T) {
	x := []float64{10, 0, 0, 0}
	nbr := [][]int{{0, 1}, {0, 1, 2}, {1, 2, 3}, {2, 3}}
	z := GiStar(x, nbr)
	// cell 0: (10 − 2.5·2) / (√18.75·√((4·2−4)/3)) = 5/5 = 1
	// cell 1: (10 − 7.5) / (√18.75·√((12−9)/3)) = 2.5/√18.75
	// cell 2: (0 − 7.5) / √18.75; cell 3: (0 − 5)/5 = −1
	want := []float64{1, 2.5 / math.Sqrt(18.75), -7.5 / math.Sqrt(18.75), -1}
	for i := range want {
		if !near(z[i], want[i], 1e-12) {
			t.Errorf("z[%d] = %v, want %v", i, z[i], want[i])
		}
	}
	if z := GiStar([]float64{3, 3, 3}, [][]int{{0, 1}, {0, 1, 2}, {1, 2}}); z[0] != 0 || z[1] != 0 {
		t.Errorf("constant values: z = %v, want zeros", z)
	}
}

func TestPValue(t *testing.T) {
	for _, c := range []struct{ z, p float64 }{{0, 1}, {1.959963984540054, 0.05}, {-2.5758293035489, 0.01}} {
		if got := PValue(c.z); !near(got, c.p, 1e-9) {
			t.Errorf("PValue(%v) = %v, want %v", c.z, got, c.p)
		}
	}
}

func TestBenjaminiHochberg(t *testing.T) {
	q := BenjaminiHochberg([]float64{0.01, 0.04, 0.03, 0.5})
	// sorted 0.01, 0.03, 0.04, 0.5 → ·4/k = 0.04, 0.06, 0.0533, 0.5 → running minimum from the top
	want := []float64{0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5}
	for i := range want {
		if !near(q[i], want[i], 1e-12) {
			t.Errorf("q[%d] = %v, want %v", i, q[i], want[i])
		}
	}
	if q := BenjaminiHochberg([]float64{0.9, 0.8}); q[0] != 0.9 || q[1] != 0.9 {
		t.Errorf("q = %v, want [0.9 0.9]", q)
	}
}

func TestMannKendall(t *testing.T) {
	up := make([]float64, 10)
	for i := range up {
		up[i] = float64(i)
	}
	s, p := MannKendall(up)
	// S = 45, Var = 10·9·25/18 = 125, z = 44/√125
	if s != 45 || !near(p, PValue(44/math.Sqrt(125)), 1e-12) {
		t.Errorf("increasing: S = %d p = %v", s, p)
	}
	if s, p := MannKendall([]float64{2, 2, 2, 2}); s != 0 || p != 1 {
		t.Errorf("flat: S = %d p = %v", s, p)
	}
	// ties: 1 1 2 → S = 2, Var = (3·2·11 − 2·1·9)/18 = 48/18
	if s, p := MannKendall([]float64{1, 1, 2}); s != 2 || !near(p, PValue(1/math.Sqrt(48.0/18)), 1e-12) {
		t.Errorf("ties: S = %d p = %v", s, p)
	}
}

// ParentMask's bit arithmetic (run in SQL by the store) agrees with h3's
// Parent for cells from every resolution down to the stored one.
func TestParentMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		c := h3.LatLngToCell(h3.NewLatLng(18+rng.Float64()*35, 75+rng.Float64()*60), StoredResolution)
		for res := MinResolution; res <= StoredResolution; res++ {
			clear, set := ParentMask(res)
			if got, want := h3.Cell(int64(c)&clear|set), c.Parent(res); got != want {
				t.Fatalf("%s at res %d: %s, want %s", c, res, got, want)
			}
		}
	}
}
