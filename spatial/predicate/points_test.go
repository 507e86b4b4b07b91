package predicate

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
)

func TestOrientPointsExact(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	exact := func(a, b, c orb.Point) int {
		r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
		l := new(big.Rat).Mul(new(big.Rat).Sub(r(b[0]), r(a[0])), new(big.Rat).Sub(r(c[1]), r(a[1])))
		rr := new(big.Rat).Mul(new(big.Rat).Sub(r(b[1]), r(a[1])), new(big.Rat).Sub(r(c[0]), r(a[0])))
		return l.Cmp(rr)
	}
	for i := 0; i < 20000; i++ {
		a := orb.Point{116 + rng.Float64(), 39 + rng.Float64()}
		b := orb.Point{116 + rng.Float64(), 39 + rng.Float64()}
		// c on (or within a few ulps of) the line ab.
		t0 := rng.Float64()
		c := orb.Point{a[0] + t0*(b[0]-a[0]), a[1] + t0*(b[1]-a[1])}
		c[0] = math.Nextafter(c[0], c[0]+float64(rng.Intn(3)-1))
		if got, want := OrientPoints(a, b, c), exact(a, b, c); got != want {
			t.Fatalf("orient(%v, %v, %v) = %d, exact %d", a, b, c, got, want)
		}
	}
}
