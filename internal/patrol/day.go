package patrol

import (
	"time"

	"github.com/gridd/gridd/spatial/coverage"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// OwnGrid is one of a worker's grids, discretised for coverage.
type OwnGrid struct {
	Code    string
	Name    string
	Version int
	Cells   *coverage.Grid
	Measure string // MeasureArea or MeasureRoads: what Cells weigh
}

// GridDay is a worker's day in one of its grids.
type GridDay struct {
	GridCode    string
	GridVersion int
	// PatrolSeconds is the time between consecutive valid fixes spent inside
	// this grid: each segment's duration times the share of its length inside.
	PatrolSeconds float64
	DistanceM     float64 // length of the valid segments inside this grid
	Coverage      float64 // share of the grid's area (or roads) within R of the track
	Measure       string  // MeasureArea or MeasureRoads
	Full          bool    // Coverage ≥ Rules.FullCoverage
	Cells         int     // number of coverage cells of the grid
	Cover         []byte  // covered cells (coverage.Cover.Bytes)
}

// WorkerGridDay is a worker's patrol day in one grid.
type WorkerGridDay struct {
	WorkerID int64
	Date     time.Time // 00:00 Asia/Shanghai
	GridDay
}

// Day is a worker's patrol day.
type Day struct {
	WorkerID int64
	Date     time.Time // 00:00 Asia/Shanghai
	Fixes    int
	Valid    int
	Flagged  map[string]int // flag key → fixes
	// PatrolSeconds and DistanceM add up the worker's own grids.
	PatrolSeconds  float64
	DistanceM      float64
	TrackDistanceM float64 // all valid segments, inside or not
	Patrolled      bool    // PatrolSeconds ≥ Rules.MinDaily
	Grids          []GridDay
	Visits         []Visit
	ComputedAt     time.Time
	Rules          string // Rules.Fingerprint of the rules it was computed with
}

// Checkpoint is a key point (关键点位) that must be visited with a frequency.
type Checkpoint struct {
	ID        int64
	Name      string
	Kind      string // free text: pond, construction site, ...
	Lon, Lat  float64
	Frequency string // daily | weekly
	RadiusM   float64
	GridCode  string // the grid it lies in, when known
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Frequencies of checkpoints.
const (
	FrequencyDaily  = "daily"
	FrequencyWeekly = "weekly"
)

// Visit is a worker passing a checkpoint on a day: the first valid fix
// within its radius, and how many valid fixes were within it.
type Visit struct {
	CheckpointID int64
	WorkerID     int64
	Date         time.Time
	FirstAt      time.Time
	Fixes        int
}

// ComputeDay computes one worker's day from that day's fixes (sorted by T),
// its own grids and the checkpoints near them.
func ComputeDay(workerID int64, date time.Time, fixes []Fix, grids []OwnGrid, checkpoints []Checkpoint, r Rules, now time.Time) *Day {
	d := &Day{WorkerID: workerID, Date: date, Fixes: len(fixes), Flagged: map[string]int{}, ComputedAt: now, Rules: r.Fingerprint()}
	flags := Clean(fixes, r, now)
	for _, f := range flags {
		if f == 0 {
			d.Valid++
			continue
		}
		for _, n := range f.Names() {
			d.Flagged[n]++
		}
	}
	segs := Segments(fixes, flags, r)
	covers := make([]*coverage.Cover, len(grids))
	d.Grids = make([]GridDay, len(grids))
	for i, g := range grids {
		covers[i] = g.Cells.NewCover()
		d.Grids[i] = GridDay{GridCode: g.Code, GridVersion: g.Version, Cells: g.Cells.Len(), Measure: g.Measure}
		if d.Grids[i].Measure == "" {
			d.Grids[i].Measure = MeasureArea
		}
	}
	path := make([]orb.Point, 0, 512)
	for _, seg := range segs {
		path = path[:0]
		for _, f := range seg {
			path = append(path, f.Point())
		}
		for i, g := range grids {
			covers[i].AddPath(path)
			for k := 1; k < len(seg); k++ {
				a, b := seg[k-1], seg[k]
				dt := b.T.Sub(a.T).Seconds()
				total, inside := g.Cells.LengthInside(a.Point(), b.Point())
				switch {
				case total > 0:
					d.Grids[i].PatrolSeconds += dt * inside / total
					d.Grids[i].DistanceM += inside
				case g.Cells.Contains(a.Point()):
					d.Grids[i].PatrolSeconds += dt
				}
			}
		}
		for k := 1; k < len(seg); k++ {
			d.TrackDistanceM += geo.Distance(seg[k-1].Point(), seg[k].Point())
		}
	}
	for i := range grids {
		gd := &d.Grids[i]
		gd.Coverage = covers[i].Fraction()
		gd.Full = gd.Coverage >= r.FullCoverage
		gd.Cover = covers[i].Bytes()
		gd.PatrolSeconds = round(gd.PatrolSeconds, 1)
		gd.DistanceM = round(gd.DistanceM, 1)
		d.PatrolSeconds += gd.PatrolSeconds
		d.DistanceM += gd.DistanceM
	}
	d.TrackDistanceM = round(d.TrackDistanceM, 1)
	d.Patrolled = d.PatrolSeconds >= r.MinDaily.Seconds()
	d.Visits = visits(workerID, date, fixes, flags, checkpoints, r)
	return d
}

func visits(workerID int64, date time.Time, fixes []Fix, flags []Flag, cps []Checkpoint, r Rules) []Visit {
	var out []Visit
	for _, cp := range cps {
		radius := cp.RadiusM
		if radius <= 0 {
			radius = r.CheckpointM
		}
		p := orb.Point{cp.Lon, cp.Lat}
		var v *Visit
		for i, f := range fixes {
			if flags[i] != 0 || geo.Distance(p, f.Point()) > radius {
				continue
			}
			if v == nil {
				v = &Visit{CheckpointID: cp.ID, WorkerID: workerID, Date: date, FirstAt: f.T}
			}
			v.Fixes++
		}
		if v != nil {
			out = append(out, *v)
		}
	}
	return out
}
