package postgis_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/workday"
)

// TestSaveDaysSetBySet: SaveDays writes any number of days at once; a day
// stored again loses the grids and visits it no longer has and keeps
// nothing of its old figures, a day stored for the first time gets its
// grids and visits, days not saved are left alone, and only the dirty
// marks seen are cleared (a mark made after the computation stays).
func TestSaveDaysSetBySet(t *testing.T) {
	ctx := context.Background()
	db, store, w := newPatrolFixture(t, "gw")
	sh := workday.Shanghai()
	var cp int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO checkpoints (name, geom, frequency, radius_m, created_at, updated_at)
VALUES ('pond', ST_SetSRID(ST_MakePoint(117.53, 36.70), 4326), 'daily', 30, now(), now()) RETURNING id`).Scan(&cp); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, sh) }
	now := day(20)
	grid := func(code string, s float64) patrol.GridDay {
		return patrol.GridDay{GridCode: code, GridVersion: 1, PatrolSeconds: s, DistanceM: s / 2, Coverage: 0.5, Measure: patrol.MeasureArea,
			Cells: 16, Cover: []byte{byte(s), 1}}
	}
	mk := func(d int, s float64, grids []patrol.GridDay, visits bool) *patrol.Day {
		pd := &patrol.Day{WorkerID: w, Date: day(d), Fixes: int(s), Valid: int(s), Flagged: map[string]int{"jump": d},
			PatrolSeconds: s, Patrolled: true, Grids: grids, ComputedAt: now, Rules: "r1"}
		if visits {
			pd.Visits = []patrol.Visit{{CheckpointID: cp, WorkerID: w, Date: day(d), FirstAt: day(d).Add(9 * time.Hour), Fixes: 3}}
		}
		return pd
	}
	mark := func(d int) []patrol.DirtyDay {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO patrol_dirty_days (worker_id, day, seq) VALUES ($1, $2::date, nextval('patrol_dirty_seq'))
ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq`, w, day(d).Format("2006-01-02")); err != nil {
			t.Fatal(err)
		}
		dd, err := store.DirtyDays(ctx, []int64{w}, day(d), day(d+1))
		if err != nil || len(dd) != 1 {
			t.Fatalf("dirty %d: %v %v", d, dd, err)
		}
		return dd
	}

	// First: days 1 (grids A and B, a visit) and 2 (grid A, a visit).
	seen := append(mark(1), mark(2)...)
	if err := store.SaveDays(ctx, []*patrol.Day{mk(1, 100, []patrol.GridDay{grid("A", 60), grid("B", 40)}, true), mk(2, 50, []patrol.GridDay{grid("A", 50)}, true)}, seen); err != nil {
		t.Fatal(err)
	}
	// Again: day 1 now only in grid A and without a visit; day 3 for the
	// first time (grid B); day 1's second computation in the same call
	// wins. Day 2 is marked dirty after the computation that does not
	// save it: its mark must stay.
	seen = append(mark(1), mark(3)...)
	late := mark(2)
	if err := store.SaveDays(ctx, []*patrol.Day{mk(1, 10, []patrol.GridDay{grid("B", 10)}, true), mk(3, 30, []patrol.GridDay{grid("B", 30)}, true),
		mk(1, 70, []patrol.GridDay{grid("A", 70)}, false)}, seen); err != nil {
		t.Fatal(err)
	}

	gds, err := store.FindGridDays(ctx, []int64{w}, day(1), day(10), true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gds {
		got = append(got, fmt.Sprintf("%s %s %.0f %v", g.Date.Format("01-02"), g.GridCode, g.PatrolSeconds, g.Cover))
	}
	want := []string{"03-01 A 70 [70 1]", "03-02 A 50 [50 1]", "03-03 B 30 [30 1]"}
	if !slices.Equal(got, want) {
		t.Errorf("grid days %q, want %q", got, want)
	}
	days, err := store.FindDays(ctx, []int64{w}, day(1), day(10))
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, d := range days {
		got = append(got, fmt.Sprintf("%s %d %.0f %v", d.Date.Format("01-02"), d.Fixes, d.PatrolSeconds, d.Flagged))
	}
	want = []string{"03-01 70 70 map[jump:1]", "03-02 50 50 map[jump:2]", "03-03 30 30 map[jump:3]"}
	if !slices.Equal(got, want) {
		t.Errorf("days %q, want %q", got, want)
	}
	rows, err := db.Pool.Query(ctx, `SELECT to_char(day, 'MM-DD') FROM checkpoint_visits WHERE worker_id = $1 ORDER BY day`, w)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	rows.Close()
	if want := []string{"03-02", "03-03"}; !slices.Equal(got, want) {
		t.Errorf("visits on %q, want %q", got, want)
	}
	dirty, err := store.DirtyDays(ctx, []int64{w}, day(1), day(10))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirty) != 1 || dirty[0] != late[0] {
		t.Errorf("dirty days %v, want %v", dirty, late)
	}
}
