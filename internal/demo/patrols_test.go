package demo

import (
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

func TestPatrols(t *testing.T) {
	town := Generate(1)
	month := DemoPatrolMonth
	tracks := Patrols(town, month, 1)
	if len(tracks) != 26 {
		t.Fatalf("%d tracks, want 26", len(tracks))
	}
	if !reflect.DeepEqual(tracks, Patrols(town, month, 1)) {
		t.Fatal("not deterministic")
	}
	grids := byCode(town)
	personas := map[string]int{}
	gcj := 0
	for _, tr := range tracks {
		personas[tr.Persona]++
		if tr.CRS == crs.GCJ02 {
			gcj++
		}
		g := grids[tr.GridCode]
		b := g.Geometry.Bound().Pad(0.005)
		days := map[string]time.Duration{}
		var first, last = map[string]time.Time{}, map[string]time.Time{}
		var speeds []float64
		for i, f := range tr.Fixes {
			lon, lat := crs.ToWGS84(tr.CRS, f.Lon, f.Lat)
			if !b.Contains(orb.Point{lon, lat}) {
				t.Fatalf("%s: fix %d at %v,%v far outside its grid", tr.Username, i, lon, lat)
			}
			if f.T.Before(month) || !f.T.Before(month.AddDate(0, 1, 0)) {
				t.Fatalf("%s: fix at %v outside the month", tr.Username, f.T)
			}
			d := f.T.In(month.Location()).Format("2006-01-02")
			if _, ok := first[d]; !ok {
				first[d] = f.T
			}
			last[d] = f.T
			if i > 0 && f.T.Sub(tr.Fixes[i-1].T) == 30*time.Second && f.AccuracyM < 50 && tr.Fixes[i-1].AccuracyM < 50 {
				pl, pa := crs.ToWGS84(tr.CRS, tr.Fixes[i-1].Lon, tr.Fixes[i-1].Lat)
				speeds = append(speeds, geo.Distance(orb.Point{pl, pa}, orb.Point{lon, lat})/30)
			}
		}
		for d := range first {
			days[d] = last[d].Sub(first[d])
		}
		sort.Float64s(speeds)
		if med := speeds[len(speeds)/2]; med < 0.9 || med > 1.7 {
			t.Errorf("%s: median speed %.2f m/s, want walking pace", tr.Username, med)
		}
		switch tr.Persona {
		case PersonaMissesDays:
			if len(days) > 24 {
				t.Errorf("%s misses days but patrolled %d", tr.Username, len(days))
			}
		case PersonaUnderTwoHours:
			for d, dur := range days {
				if dur > 2*time.Hour {
					t.Errorf("%s on %s: %v", tr.Username, d, dur)
				}
			}
		default:
			if len(days) != 28 {
				t.Errorf("%s (%s) patrolled %d days of 28", tr.Username, tr.Persona, len(days))
			}
			for d, dur := range days {
				if dur < 2*time.Hour+15*time.Minute {
					t.Errorf("%s on %s: %v", tr.Username, d, dur)
				}
			}
		}
	}
	if personas[PersonaSkipsFarSide] != 1 || personas[PersonaUnderTwoHours] != 1 || personas[PersonaMissesDays] != 1 || gcj < 8 {
		t.Errorf("personas %v, GCJ-02 phones %d", personas, gcj)
	}
	if got := PatrolMonth(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)); got.Format("2006-01") != "2026-10" {
		t.Errorf("PatrolMonth: %v", got)
	}
}

// TestWalkMonthEvery: a denser walk has its fixes `every` apart while
// patrolling (gaps only at the tea break and between days), walks the same
// hours at walking pace, and is deterministic.
func TestWalkMonthEvery(t *testing.T) {
	town := Generate(1)
	ring := byCode(town)[Patrols(town, DemoPatrolMonth, 1)[0].GridCode].Geometry[0][0]
	walk := func(every time.Duration) []PatrolFix {
		return WalkMonth(rand.New(rand.NewPCG(7, 9)), ring, DemoPatrolMonth, PersonaDiligent, every)
	}
	sparse, dense := walk(0), walk(5*time.Second)
	if !reflect.DeepEqual(dense, walk(5*time.Second)) {
		t.Fatal("not deterministic")
	}
	if r := float64(len(dense)) / float64(len(sparse)); r < 5.5 || r > 6.5 {
		t.Errorf("%d fixes at 5 s, %d at the demo's 30 s: ratio %.2f, want ~6", len(dense), len(sparse), r)
	}
	other := 0
	var speeds []float64
	for i := 1; i < len(dense); i++ {
		dt := dense[i].T.Sub(dense[i-1].T)
		if dt != 5*time.Second {
			other++
			continue
		}
		if dense[i].AccuracyM < 50 && dense[i-1].AccuracyM < 50 {
			speeds = append(speeds, geo.Distance(orb.Point{dense[i-1].Lon, dense[i-1].Lat}, orb.Point{dense[i].Lon, dense[i].Lat})/5)
		}
	}
	// One gap for the tea break and one between consecutive days.
	if other != 2*28-1 {
		t.Errorf("%d gaps other than 5 s, want %d", other, 2*28-1)
	}
	sort.Float64s(speeds)
	if med := speeds[len(speeds)/2]; med < 0.9 || med > 2.5 {
		t.Errorf("median speed %.2f m/s at 5 s fixes, want walking pace", med)
	}
}
