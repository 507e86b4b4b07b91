package validity

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func TestFindCrossing(t *testing.T) {
	bowtie := orb.MultiPolygon{{orb.Ring{{0, 0}, {2, 2}, {2, 0}, {0, 2}, {0, 0}}}}
	c, err := FindCrossing(bowtie)
	if err != nil || c == nil {
		t.Fatalf("a bow tie crosses itself: %+v %v", c, err)
	}
	if c.Kind != Cross || c.A != (Ring{0, 0}) || c.B != (Ring{0, 0}) || c.At != (orb.Point{1, 1}) {
		t.Fatalf("bow tie: %+v, want a crossing of ring 0/0 with itself at (1, 1)", c)
	}
	// Two polygons sharing an edge overlap; touching at one corner is allowed.
	shared := orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(1, 0, 2, 1)}}
	if c, _ := FindCrossing(shared); c == nil || c.Kind != Overlap || c.A.Poly == c.B.Poly {
		t.Fatalf("shared edge: %+v, want an overlap between the two polygons", c)
	}
	corner := orb.MultiPolygon{{square(0, 0, 1, 1)}, {square(1, 1, 2, 2)}}
	if c, err := FindCrossing(corner); c != nil || err != nil {
		t.Fatalf("polygons touching at a corner are simple: %+v %v", c, err)
	}
	defer func(b int) { SweepBudget = b }(SweepBudget)
	SweepBudget = 1
	if _, err := FindCrossing(shared); !errors.Is(err, ErrTooComplex) {
		t.Fatalf("over budget: %v, want ErrTooComplex", err)
	}
}

func TestCheckContainment(t *testing.T) {
	shell := square(0, 0, 10, 10)
	hole := square(2, 2, 8, 8)
	inner := square(3, 3, 4, 4)
	if fs := CheckContainment(orb.MultiPolygon{{shell, hole}}); len(fs) != 0 {
		t.Fatalf("a hole inside its shell: %+v", fs)
	}
	fs := CheckContainment(orb.MultiPolygon{{shell, hole, inner}})
	if len(fs) != 1 || fs[0].Kind != "nested_hole" || fs[0].A != (Ring{0, 2}) || fs[0].B != (Ring{0, 1}) {
		t.Fatalf("nested hole: %+v", fs)
	}
	fs = CheckContainment(orb.MultiPolygon{{square(0, 0, 1, 1), square(5, 5, 6, 6)}})
	if len(fs) != 1 || fs[0].Kind != "hole_outside_shell" {
		t.Fatalf("hole outside: %+v", fs)
	}
	fs = CheckContainment(orb.MultiPolygon{{shell}, {inner}})
	if len(fs) != 1 || fs[0].Kind != "overlapping_polygons" || fs[0].A.Poly != 1 || fs[0].B.Poly != 0 {
		t.Fatalf("polygon inside polygon: %+v", fs)
	}
}
