package demo

import (
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
