package demo

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// roads lays out the main roads as gently curving polylines across the town, each ending a few
// hundred metres outside it. The first road passes through the town centre and so through the
// seat area.
func (l *layout) roads(rng *rand.Rand) []Road {
	specs := []struct {
		name    string
		bearing float64 // degrees, direction of travel measured from east
		offset  float64 // metres, lateral offset from the centre
	}{
		{"S242省道", 90, 0},
		{"S321省道", 0, 300 + 300*rng.Float64()},
		{"X017县道", 45, 1500 + 500*rng.Float64()},
		{"X028县道", 135, 1500 + 500*rng.Float64()},
	}
	townRing := l.m.pointsOf(l.townRing)
	const (
		step   = 400.0
		reach  = 12000.0
		beyond = 2 // points kept outside the town at each end
	)
	var out []Road
	for _, s := range specs {
		dirAngle := (s.bearing + 20*(2*rng.Float64()-1)) * degRad
		dir := vec{math.Cos(dirAngle), math.Sin(dirAngle)}
		normal := vec{-dir.y, dir.x}
		a1, l1, p1 := 120+80*rng.Float64(), 1800+800*rng.Float64(), 2*math.Pi*rng.Float64()
		a2, l2, p2 := 40+40*rng.Float64(), 700+300*rng.Float64(), 2*math.Pi*rng.Float64()
		var pts []vec
		for t := -reach; t <= reach; t += step {
			lat := s.offset + a1*math.Sin(t/l1+p1) + a2*math.Sin(t/l2+p2)
			pts = append(pts, vec{t*dir.x + lat*normal.x, t*dir.y + lat*normal.y})
		}
		first, last := -1, -1
		for i, p := range pts {
			if insideRing(p, townRing) {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first < 0 {
			panic("demo: road misses the town")
		}
		pts = pts[max(0, first-beyond):min(len(pts), last+beyond+1)]
		line := make(orb.LineString, len(pts))
		for i, p := range pts {
			line[i] = toLonLat(p)
		}
		out = append(out, Road{Name: s.name, Line: line})
	}
	return out
}

// seatArea is the town-seat area (街道政府驻地): an irregular ellipse of about 2.5–3 km² around
// the town centre.
func (l *layout) seatArea(rng *rand.Rand) orb.Polygon {
	centre := vec{150 * (2*rng.Float64() - 1), 150 * (2*rng.Float64() - 1)}
	a, b := 1000+100*rng.Float64(), 780+80*rng.Float64()
	rot := math.Pi * rng.Float64()
	p3, p5 := 2*math.Pi*rng.Float64(), 2*math.Pi*rng.Float64()
	const n = 24
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		theta := 2 * math.Pi * float64(i) / n
		f := 1 + 0.06*math.Sin(3*theta+p3) + 0.04*math.Sin(5*theta+p5)
		p := rotate(vec{a * f * math.Cos(theta), b * f * math.Sin(theta)}, rot)
		ring = append(ring, toLonLat(vec{centre.x + p.x, centre.y + p.y}))
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}
