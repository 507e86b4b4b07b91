package coverage

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// TestAlongRoads: a grid measured along a road through it counts the
// road's length inside the grid, and a track covers the share of that
// length within R — a walk parallel to the road 100 m away covers none
// of it, although it covers area.
func TestAlongRoads(t *testing.T) {
	const lon, lat = 117.53, 36.70
	kx := 111320 * math.Cos(lat*math.Pi/180)
	const ky = 110950.0
	at := func(x, y float64) orb.Point { return orb.Point{lon + x/kx, lat + y/ky} }
	// A 1.2 km square grid; an east–west road through it at y = 0 that
	// runs 300 m beyond it on both sides, and a north–south lane at x = 200
	// ending at y = 400.
	sq := orb.Ring{at(-600, -600), at(600, -600), at(600, 600), at(-600, 600), at(-600, -600)}
	g, err := Discretise(orb.MultiPolygon{{sq}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	road := orb.LineString{at(-900, 0), at(900, 0)}
	lane := orb.LineString{at(200, 0), at(200, 400)}
	r, err := g.Along([]orb.LineString{road, lane})
	if err != nil {
		t.Fatal(err)
	}
	inside := geo.Distance(at(-600, 0), at(600, 0)) + geo.Distance(at(200, 0), at(200, 400))
	if math.Abs(r.AreaM2-inside) > 0.005*inside {
		t.Errorf("length inside %.1f m, want %.1f", r.AreaM2, inside)
	}
	if r.Len() >= g.Len()/10 || r.Len() < int(inside/25) {
		t.Errorf("%d road cells of %d (want about one per 20 m of road)", r.Len(), g.Len())
	}
	// Walking the road from the west edge to x = 0: the road within 30 m
	// of that walk is 600 + 30 m of 1600 m (the lane is 200 m away).
	c := r.NewCover()
	c.AddPath([]orb.Point{at(-650, 0), at(0, 0)})
	want := (600.0 + 30) / 1600
	if got := c.Fraction(); math.Abs(got-want) > 0.02 {
		t.Errorf("half the road walked: %.3f, want %.3f ± 0.02", got, want)
	}
	// The lane walked too: plus its 400 m (and the road within 30 m of it).
	c.AddPath([]orb.Point{at(200, 0), at(200, 400)})
	want = (600.0 + 30 + 400 + 60) / 1600
	if got := c.Fraction(); math.Abs(got-want) > 0.02 {
		t.Errorf("road half and lane walked: %.3f, want %.3f ± 0.02", got, want)
	}
	// A walk 100 m north of the road and parallel to it: area, but no road.
	p := r.NewCover()
	p.AddPath([]orb.Point{at(-600, 100), at(100, 100)})
	if p.Count() != 0 {
		t.Errorf("a walk 100 m off the road covers %d road cells", p.Count())
	}
	area := g.NewCover()
	area.AddPath([]orb.Point{at(-600, 100), at(100, 100)})
	if area.Fraction() < 0.02 { // 700 m × 60 m of 1.44 km²
		t.Errorf("the same walk covers %.3f of the area, want about 0.03", area.Fraction())
	}
	// No road inside: an error, not an empty grid.
	if _, err := g.Along([]orb.LineString{{at(-900, 700), at(900, 700)}}); err == nil {
		t.Error("a road outside the grid gave a road grid")
	}
	// Cells keep their identity: each road cell is one of the area grid's.
	ids := map[string]bool{}
	for i := range g.Len() {
		ids[g.Cell(i).String()] = true
	}
	for i := range r.Len() {
		if !ids[r.Cell(i).String()] {
			t.Fatalf("road cell %s is not a cell of the grid", r.Cell(i))
		}
	}
}
