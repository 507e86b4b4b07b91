package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// PatrolFix is one phone GPS fix, in the phone's coordinate system.
type PatrolFix struct {
	T         time.Time
	Lon, Lat  float64
	AccuracyM float64
	SpeedMps  float64
}

// PatrolTrack is a worker's month of fixes.
type PatrolTrack struct {
	Username string     // the worker's login (its grid code)
	GridCode string     // the grid it patrols
	CRS      crs.System // what its phone reports: WGS84 or GCJ-02
	Persona  string     // diligent | skips_far_side | under_two_hours | misses_days
	Fixes    []PatrolFix
}

// Demo patrol personas.
const (
	PersonaDiligent      = "diligent"
	PersonaSkipsFarSide  = "skips_far_side"
	PersonaUnderTwoHours = "under_two_hours"
	PersonaMissesDays    = "misses_days"
)

// DemoPatrolMonth is the month of demo tracks when no load time is given.
var DemoPatrolMonth = time.Date(2026, 2, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// PatrolMonth returns the month the demo's tracks fall in for a load at
// at: the month before at's (Asia/Shanghai), or DemoPatrolMonth for a zero
// time.
func PatrolMonth(at time.Time) time.Time {
	if at.IsZero() {
		return DemoPatrolMonth
	}
	l := at.In(DemoPatrolMonth.Location())
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, DemoPatrolMonth.Location()).AddDate(0, -1, 0)
}

const (
	streetSpacing = 60.0             // metres between the streets of the walking lattice
	fixEvery      = 30 * time.Second // one fix every 30 s keeps the demo light
)

// Patrols generates a month of patrol tracks for every grid worker of town:
// each walks the lanes of its grid (a lattice of streets 60 m apart, in
// lawnmower order, continuing each day where the last day's walk ended) at
// walking pace with GPS noise, poor-accuracy fixes and the odd jump, with a
// tea break. Most workers are diligent (about 3 h a day); one skips the far
// half of its grid, one patrols about 80 minutes a day, one misses days.
// Every third phone reports GCJ-02. Deterministic for equal seeds and months.
func Patrols(town *Town, month time.Time, seed int64) []PatrolTrack {
	loc := DemoPatrolMonth.Location()
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, loc)
	grids := map[string]Grid{}
	for _, g := range town.Grids {
		grids[g.Code] = g
	}
	type worker struct{ username, grid string }
	var workers []worker
	for _, p := range town.People {
		if p.Role != RoleWorker {
			continue
		}
		for _, a := range p.Assignments {
			if a.GridRole == GridRoleWorker {
				workers = append(workers, worker{p.Username, a.GridCode})
				break
			}
		}
	}
	sort.Slice(workers, func(i, j int) bool { return workers[i].username < workers[j].username })
	var out []PatrolTrack
	for i, w := range workers {
		g, ok := grids[w.grid]
		if !ok {
			continue
		}
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)*0x9e3779b97f4a7c15+uint64(month.Unix())))
		tr := PatrolTrack{Username: w.username, GridCode: w.grid, CRS: crs.WGS84, Persona: PersonaDiligent}
		switch i {
		case 4:
			tr.Persona = PersonaSkipsFarSide
		case 9:
			tr.Persona = PersonaUnderTwoHours
		case 14:
			tr.Persona = PersonaMissesDays
		}
		if i%3 == 1 {
			tr.CRS = crs.GCJ02
		}
		tr.Fixes = WalkMonth(rng, g.Geometry[0][0], month, tr.Persona, fixEvery)
		if tr.CRS == crs.GCJ02 {
			for k := range tr.Fixes {
				tr.Fixes[k].Lon, tr.Fixes[k].Lat = crs.WGS84ToGCJ02(tr.Fixes[k].Lon, tr.Fixes[k].Lat)
			}
		}
		out = append(out, tr)
	}
	return out
}

// plane is a local equirectangular projection in metres.
type plane struct{ lon0, lat0, kx, ky float64 }

func newPlane(c orb.Point) plane {
	return plane{c[0], c[1], 111320 * math.Cos(c[1]*math.Pi/180), 110950}
}
func (p plane) fwd(q orb.Point) vec { return vec{(q[0] - p.lon0) * p.kx, (q[1] - p.lat0) * p.ky} }
func (p plane) inv(v vec) orb.Point { return orb.Point{p.lon0 + v.x/p.kx, p.lat0 + v.y/p.ky} }

// lanes returns the walking route through ring: lattice streets clipped to
// the polygon, in lawnmower order, joined end to start.
func lanes(rng *rand.Rand, ring []vec, nearHalf bool) []vec {
	theta := rng.Float64() * math.Pi
	dir := vec{math.Cos(theta), math.Sin(theta)}
	nrm := vec{-dir.y, dir.x}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range ring {
		o := p.x*nrm.x + p.y*nrm.y
		lo, hi = min(lo, o), max(hi, o)
	}
	if nearHalf {
		hi = (lo + hi) / 2
	}
	var route []vec
	k := 0
	for off := lo + streetSpacing/2; off < hi; off += streetSpacing {
		// Intersections of the line {p·nrm = off} with the ring, along dir.
		var ts []float64
		for i := 0; i+1 < len(ring); i++ {
			a, b := ring[i], ring[i+1]
			oa, ob := a.x*nrm.x+a.y*nrm.y-off, b.x*nrm.x+b.y*nrm.y-off
			if (oa > 0) == (ob > 0) {
				continue
			}
			f := oa / (oa - ob)
			q := vec{a.x + f*(b.x-a.x), a.y + f*(b.y-a.y)}
			ts = append(ts, q.x*dir.x+q.y*dir.y)
		}
		sort.Float64s(ts)
		var seg []vec
		for i := 0; i+1 < len(ts); i += 2 {
			if ts[i+1]-ts[i] < 20 {
				continue
			}
			a := vec{dir.x*(ts[i]+5) + nrm.x*off, dir.y*(ts[i]+5) + nrm.y*off}
			b := vec{dir.x*(ts[i+1]-5) + nrm.x*off, dir.y*(ts[i+1]-5) + nrm.y*off}
			seg = append(seg, a, b)
		}
		if k%2 == 1 {
			for i, j := 0, len(seg)-1; i < j; i, j = i+1, j-1 {
				seg[i], seg[j] = seg[j], seg[i]
			}
		}
		route = append(route, seg...)
		k++
	}
	return route
}

// WalkMonth generates one worker's month of WGS84 fixes as Patrols does
// (the lanes of ring in lawnmower order, about 3 h a day with a tea break,
// GPS noise, poor fixes and jumps; persona as in Patrols), with a fix every
// `every` while patrolling instead of the demo's 30 s. Deterministic for
// equal rng states. Load tests use it to generate a city's month.
func WalkMonth(rng *rand.Rand, ring orb.Ring, month time.Time, persona string, every time.Duration) []PatrolFix {
	if every <= 0 {
		every = fixEvery
	}
	pl := newPlane(ring.Bound().Center())
	local := make([]vec, len(ring))
	for i, p := range ring {
		local[i] = pl.fwd(p)
	}
	route := lanes(rng, local, persona == PersonaSkipsFarSide)
	if len(route) < 2 {
		return nil
	}
	// Cumulative arc length of the route, closed back to its start.
	route = append(route, route[0])
	cum := make([]float64, len(route))
	for i := 1; i < len(route); i++ {
		cum[i] = cum[i-1] + math.Sqrt(dist2(route[i-1], route[i]))
	}
	total := cum[len(cum)-1]
	at := func(s float64) vec {
		s = math.Mod(s, total)
		i := sort.SearchFloat64s(cum, s)
		if i == 0 {
			return route[0]
		}
		f := (s - cum[i-1]) / (cum[i] - cum[i-1])
		return vec{route[i-1].x + f*(route[i].x-route[i-1].x), route[i-1].y + f*(route[i].y-route[i-1].y)}
	}
	var out []PatrolFix
	pos := rng.Float64() * total
	days := month.AddDate(0, 1, 0).Sub(month).Hours() / 24
	for d := 0; d < int(math.Round(days)); d++ {
		day := month.AddDate(0, 0, d)
		if persona == PersonaMissesDays && (rng.Float64() < 0.3 || (d >= 10 && d < 13)) {
			continue
		}
		dur := time.Duration((170 + 40*rng.Float64()) * float64(time.Minute))
		if persona == PersonaUnderTwoHours {
			dur = time.Duration((70 + 20*rng.Float64()) * float64(time.Minute))
		}
		start := day.Add(time.Duration((8.5 + rng.Float64()) * float64(time.Hour)))
		breakAt := dur / 2
		speed := 1.1 + 0.3*rng.Float64()
		drift := vec{}
		for el := time.Duration(0); el <= dur+15*time.Minute; el += every {
			if el >= breakAt && el < breakAt+15*time.Minute {
				continue // tea break: no fixes for 15 minutes
			}
			pos += speed * every.Seconds()
			p := at(pos)
			drift = vec{0.9*drift.x + rng.NormFloat64()*1.5, 0.9*drift.y + rng.NormFloat64()*1.5}
			acc := 5 + 10*rng.Float64()
			p = vec{p.x + drift.x + rng.NormFloat64()*3, p.y + drift.y + rng.NormFloat64()*3}
			switch r := rng.Float64(); {
			case r < 0.01: // a poor fix, honestly reported
				acc = 60 + 40*rng.Float64()
				a := rng.Float64() * 2 * math.Pi
				p = vec{p.x + 100*math.Cos(a), p.y + 100*math.Sin(a)}
			case r < 0.013: // a multipath jump the phone thinks is good
				a := rng.Float64() * 2 * math.Pi
				p = vec{p.x + 400*math.Cos(a), p.y + 400*math.Sin(a)}
			}
			q := pl.inv(p)
			out = append(out, PatrolFix{T: start.Add(el), Lon: roundCoord(q[0]), Lat: roundCoord(q[1]),
				AccuracyM: math.Round(acc*10) / 10, SpeedMps: math.Round(max(0, speed+rng.NormFloat64()*0.2)*100) / 100})
		}
		pos += rng.Float64() * 200
	}
	return out
}

// PatrolLoader bulk-loads WGS84 fixes per worker id (postgis.LayerStore
// implements it, so Load finds it through Stores.Layers).
type PatrolLoader interface {
	LoadDemoPatrols(ctx context.Context, fixes map[int64][]patrol.Fix) error
}

// loadPatrols writes the month of demo tracks (converted to WGS84) when the
// layer store can take them.
func loadPatrols(ctx context.Context, town *Town, st Stores, opts LoadOptions) error {
	pl, ok := st.Layers.(PatrolLoader)
	if !ok {
		return nil
	}
	month := PatrolMonth(opts.At)
	byWorker := map[int64][]patrol.Fix{}
	recv := month.AddDate(0, 1, 1)
	for _, tr := range Patrols(town, month, 1) {
		u, err := st.People.FindUserByUsername(ctx, tr.Username)
		if err != nil {
			return fmt.Errorf("demo patrols of %s: %w", tr.Username, err)
		}
		fixes := make([]patrol.Fix, len(tr.Fixes))
		for i, f := range tr.Fixes {
			lon, lat := crs.ToWGS84(tr.CRS, f.Lon, f.Lat)
			fixes[i] = patrol.Fix{T: f.T, Lon: lon, Lat: lat, AccuracyM: f.AccuracyM, SpeedMps: f.SpeedMps, ReceivedAt: recv}
		}
		byWorker[u.ID] = fixes
	}
	return pl.LoadDemoPatrols(ctx, byWorker)
}
