package patrol

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/paulmach/orb"
)

var sh = workday.Shanghai()

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, sh)

// fixAt returns a fix s seconds after t0 at (dx, dy) metres from a base point.
func fixAt(s int, dx, dy float64) Fix {
	const lon0, lat0 = 117.53, 36.70
	return Fix{T: t0.Add(time.Duration(s) * time.Second), Lon: lon0 + dx/(111320*math.Cos(lat0*math.Pi/180)), Lat: lat0 + dy/110950,
		AccuracyM: 8, ReceivedAt: t0.Add(12 * time.Hour)}
}

func TestCleanRules(t *testing.T) {
	r := DefaultRules()
	cases := []struct {
		name  string
		fixes []Fix
		want  []Flag
	}{
		{"all good", []Fix{fixAt(0, 0, 0), fixAt(30, 40, 0), fixAt(60, 80, 0)}, []Flag{0, 0, 0}},
		{"accuracy 51 m", []Fix{fixAt(0, 0, 0), func() Fix { f := fixAt(30, 40, 0); f.AccuracyM = 51; return f }(), fixAt(60, 80, 0)},
			[]Flag{0, FlagAccuracy, 0}},
		{"accuracy exactly 50 m counts", []Fix{func() Fix { f := fixAt(0, 0, 0); f.AccuracyM = 50; return f }()}, []Flag{0}},
		{"jump at 36 km/h", []Fix{fixAt(0, 0, 0), fixAt(10, 100, 0), fixAt(40, 30, 0)}, []Flag{0, FlagSpeed, 0}},
		{"29 km/h is allowed", []Fix{fixAt(0, 0, 0), fixAt(10, 80, 0)}, []Flag{0, 0}},
		{"reported speed", []Fix{fixAt(0, 0, 0), func() Fix { f := fixAt(30, 10, 0); f.SpeedMps = 9; return f }()}, []Flag{0, FlagSpeed}},
		{"duplicate timestamp", []Fix{fixAt(0, 0, 0), fixAt(30, 10, 0), fixAt(30, 500, 0), fixAt(60, 20, 0)}, []Flag{0, 0, FlagDuplicate, 0}},
		{"future time", []Fix{fixAt(0, 0, 0), func() Fix { f := fixAt(30, 10, 0); f.ReceivedAt = f.T.Add(-3 * time.Minute); return f }()},
			[]Flag{0, FlagFuture}},
		{"after a gap no speed check", []Fix{fixAt(0, 0, 0), fixAt(700, 3000, 0)}, []Flag{0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Clean(tc.fixes, r, t0)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("flags %v, want %v", got, tc.want)
			}
		})
	}
	// Thresholds are configurable.
	strict := r
	strict.MaxAccuracyM = 5
	if got := Clean([]Fix{fixAt(0, 0, 0)}, strict, t0); got[0] != FlagAccuracy {
		t.Errorf("accuracy 8 m with a 5 m rule: %v", got)
	}
	if n := FlagSpeed.Names(); !reflect.DeepEqual(n, []string{"speed"}) {
		t.Errorf("names %v", n)
	}
}

func TestSegmentsSplitAtGaps(t *testing.T) {
	r := DefaultRules()
	fixes := []Fix{fixAt(0, 0, 0), fixAt(60, 50, 0), fixAt(660, 60, 0), fixAt(1261, 70, 0), fixAt(1291, 80, 0)}
	flags := Clean(fixes, r, t0)
	segs := Segments(fixes, flags, r)
	// 60→660 is exactly 10 min (kept), 660→1261 is 10 min 1 s (split).
	if len(segs) != 2 || len(segs[0]) != 3 || len(segs[1]) != 2 {
		t.Fatalf("segments %d: %v", len(segs), segs)
	}
	r.MaxGap = 5 * time.Minute
	if segs := Segments(fixes, flags, r); len(segs) != 3 {
		t.Errorf("with a 5 min gap rule: %d segments, want 3", len(segs))
	}
}

func TestDayOfShanghaiMidnight(t *testing.T) {
	// 2026-03-01 16:30 UTC is 00:30 on 2 March in Shanghai.
	ut := time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC)
	if d := DayOf(ut, sh); d.Format("2006-01-02") != "2026-03-02" {
		t.Errorf("day of %v is %v", ut, d)
	}
	if d := DayOf(ut.Add(-time.Hour), sh); d.Format("2006-01-02") != "2026-03-01" {
		t.Errorf("day of %v is %v", ut.Add(-time.Hour), d)
	}
}

func square(lon, lat, side float64) orb.MultiPolygon {
	dx := side / (111320 * math.Cos(lat*math.Pi/180))
	dy := side / 110950
	return orb.MultiPolygon{{{{lon, lat}, {lon + dx, lat}, {lon + dx, lat + dy}, {lon, lat + dy}, {lon, lat}}}}
}

func ownGrid(t *testing.T, code string, mp orb.MultiPolygon) OwnGrid {
	t.Helper()
	c, err := coverage.Discretise(mp, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return OwnGrid{Code: code, Version: 1, Cells: c}
}

// TestComputeDayCountsOnlyInsideOwnGrid walks 10 minutes east inside the
// own grid, then 10 minutes on into the neighbour's: only the first half
// counts as patrol time and distance.
func TestComputeDayCountsOnlyInsideOwnGrid(t *testing.T) {
	const lon0, lat0 = 117.53, 36.70
	own := ownGrid(t, "own", square(lon0-0.00001, lat0-0.002, 400)) // x from ~-1 m to ~399 m
	var fixes []Fix
	for s := 0; s <= 1200; s += 30 {
		fixes = append(fixes, fixAt(s, 50+float64(s)*0.5, 10)) // 0.5 m/s from x=50 to x=650
	}
	// Own grid spans x ∈ [-1, 399]: from x=50 the walk is inside for 349 m of 600.
	d := ComputeDay(7, DayOf(t0, sh), fixes, []OwnGrid{own}, nil, DefaultRules(), t0.Add(12*time.Hour))
	g := d.Grids[0]
	if math.Abs(g.DistanceM-349) > 3 {
		t.Errorf("distance inside %.1f m, want ~349", g.DistanceM)
	}
	if math.Abs(g.PatrolSeconds-698) > 6 {
		t.Errorf("time inside %.0f s, want ~698", g.PatrolSeconds)
	}
	if math.Abs(d.TrackDistanceM-600) > 3 {
		t.Errorf("track distance %.1f, want 600", d.TrackDistanceM)
	}
	if d.Patrolled {
		t.Error("12 minutes counted as a patrolled day")
	}
}

// TestComputeDayTwoGrids: a worker with two grids patrols 1.5 h in each;
// the day counts 3 h and is patrolled, each grid has its own coverage.
func TestComputeDayTwoGrids(t *testing.T) {
	const lon0, lat0 = 117.53, 36.70
	a := ownGrid(t, "a", square(lon0, lat0, 300))
	b := ownGrid(t, "b", square(lon0+0.01, lat0, 300))
	var fixes []Fix
	s := 0
	walk := func(c orb.Point, dur int) {
		for k := 0; k < dur; k += 30 {
			ang := float64(k) / 600
			fixes = append(fixes, Fix{T: t0.Add(time.Duration(s) * time.Second), Lon: c[0] + 0.0008*math.Cos(ang), Lat: c[1] + 0.0008*math.Sin(ang), AccuracyM: 5, ReceivedAt: t0.Add(24 * time.Hour)})
			s += 30
		}
	}
	walk(square(lon0, lat0, 300).Bound().Center(), 5400)
	s += 1800 // 30 minutes travelling (a gap): not counted
	walk(square(lon0+0.01, lat0, 300).Bound().Center(), 5400)
	d := ComputeDay(7, DayOf(t0, sh), fixes, []OwnGrid{a, b}, nil, DefaultRules(), t0.Add(24*time.Hour))
	if len(d.Grids) != 2 {
		t.Fatalf("%d grids", len(d.Grids))
	}
	for _, g := range d.Grids {
		if math.Abs(g.PatrolSeconds-5370) > 1 {
			t.Errorf("grid %s: %.0f s, want 5370", g.GridCode, g.PatrolSeconds)
		}
		if g.Coverage <= 0 || g.Coverage >= 1 {
			t.Errorf("grid %s coverage %.3f", g.GridCode, g.Coverage)
		}
	}
	if !d.Patrolled || math.Abs(d.PatrolSeconds-10740) > 2 {
		t.Errorf("patrolled %v, %.0f s", d.Patrolled, d.PatrolSeconds)
	}
}

func TestVisits(t *testing.T) {
	fixes := []Fix{fixAt(0, 0, 0), fixAt(30, 25, 0), fixAt(60, 50, 0), fixAt(90, 200, 0)}
	fixes[3].AccuracyM = 80 // flagged: does not visit
	cp := []Checkpoint{
		{ID: 1, Lon: fixes[1].Lon, Lat: fixes[1].Lat},
		{ID: 2, Lon: fixes[3].Lon, Lat: fixes[3].Lat},
	}
	v := visits(3, DayOf(t0, sh), fixes, Clean(fixes, DefaultRules(), t0), cp, DefaultRules())
	if len(v) != 1 || v[0].CheckpointID != 1 || v[0].Fixes != 3 || !v[0].FirstAt.Equal(fixes[0].T) {
		t.Errorf("visits %+v", v)
	}
}
