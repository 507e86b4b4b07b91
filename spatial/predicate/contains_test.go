package predicate

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestInMultiPolygon(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.Ring {
		return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
	}
	mp := orb.MultiPolygon{{sq(0, 0, 10, 10), sq(2, 2, 8, 8)}, {sq(20, 0, 30, 10)}}
	for _, c := range []struct {
		p    orb.Point
		want bool
	}{
		{orb.Point{1, 1}, true},   // inside the first exterior
		{orb.Point{5, 5}, false},  // in its hole
		{orb.Point{2, 5}, true},   // on the hole's boundary
		{orb.Point{0, 5}, true},   // on the exterior's boundary
		{orb.Point{25, 5}, true},  // the second polygon
		{orb.Point{15, 5}, false}, // between them
		{orb.Point{-1e-12, 5}, false},
	} {
		if got := InMultiPolygon(mp, c.p); got != c.want {
			t.Errorf("InMultiPolygon(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := PointInRing(orb.Point{0, 5}, sq(0, 0, 10, 10)); got != 0 {
		t.Errorf("PointInRing on the boundary = %d, want 0", got)
	}
}
