package predicate

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func ratOrient(ax, ay, bx, by, cx, cy float64) int {
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	sub := func(x, y float64) *big.Rat { return new(big.Rat).Sub(r(x), r(y)) }
	l := new(big.Rat).Mul(sub(ax, cx), sub(by, cy))
	rr := new(big.Rat).Mul(sub(ay, cy), sub(bx, cx))
	return l.Cmp(rr)
}

func TestOrient_exact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(ax, ay, bx, by, cx, cy float64) {
		t.Helper()
		want := ratOrient(ax, ay, bx, by, cx, cy)
		if got := Orient(ax, ay, bx, by, cx, cy); got != want {
			t.Fatalf("Orient(%v,%v,%v,%v,%v,%v) = %d, want %d", ax, ay, bx, by, cx, cy, got, want)
		}
		if got := OrientExact(ax, ay, bx, by, cx, cy); got != want {
			t.Fatalf("OrientExact(%v,%v,%v,%v,%v,%v) = %d, want %d", ax, ay, bx, by, cx, cy, got, want)
		}
	}
	for range 5000 {
		// Nearly collinear triples: c on the segment a-b, perturbed by a few ulps.
		ax, ay := 116+rng.Float64(), 39+rng.Float64()
		bx, by := 116+rng.Float64(), 39+rng.Float64()
		tt := rng.Float64()
		cx, cy := ax+tt*(bx-ax), ay+tt*(by-ay)
		for range rng.IntN(3) {
			cx = math.Nextafter(cx, math.Inf(1))
		}
		for range rng.IntN(3) {
			cy = math.Nextafter(cy, math.Inf(-1))
		}
		check(ax, ay, bx, by, cx, cy)
		check(ax, ay, bx, by, (ax+bx)/2, (ay+by)/2)
		check(ax, ay, ax, ay, cx, cy)
		check(ax, ay, bx, ay, cx, ay)
	}
	// Tiny and huge magnitudes.
	check(1e-300, 1e-300, 2e-300, 2e-300, 3e-300, 3e-300)
	check(0.1, 0.1, 0.2, 0.2, 0.3, 0.3)
	check(0.1, 0.2, 0.3, 0.6, 0.2, 0.4)
}
