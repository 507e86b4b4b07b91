package postgis_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/workday"
)

// TestFindFixesDecodesBinary: FindFixes decodes PostgreSQL's binary rows
// itself; it must give what pgx's scan gives for the same rows, to the
// microsecond and in the same location, including times before 2000 and
// fractions of a second either side of zero.
func TestFindFixesDecodesBinary(t *testing.T) {
	ctx := context.Background()
	db, store, w := newPatrolFixture(t, "fx")
	sh := workday.Shanghai()
	base := []time.Time{
		time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(2026, 3, 4, 8, 0, 0, 123456000, sh),
	}
	var fixes []patrol.Fix
	for i, b := range base {
		fixes = append(fixes, patrol.Fix{T: b, Lon: -179.999999 + float64(i)*117.5, Lat: 36.7 - float64(i)*40.123456, AccuracyM: 3.7 * float64(i),
			SpeedMps: 1.25 * float64(i), ReceivedAt: b.Add(-time.Duration(i) * 1500 * time.Microsecond)})
	}
	if n, err := store.InsertFixes(ctx, w, fixes, sh); err != nil || n != len(fixes) {
		t.Fatalf("insert: %d %v", n, err)
	}
	got, err := store.FindFixes(ctx, w, base[0].Add(-time.Hour), base[2].Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT t, lon, lat, accuracy_m, speed_mps, received_at FROM patrol_points WHERE worker_id = $1 ORDER BY t`, w)
	if err != nil {
		t.Fatal(err)
	}
	var want []patrol.Fix
	for rows.Next() {
		var f patrol.Fix
		var acc, spd float32
		if err := rows.Scan(&f.T, &f.Lon, &f.Lat, &acc, &spd, &f.ReceivedAt); err != nil {
			t.Fatal(err)
		}
		f.AccuracyM, f.SpeedMps = float64(acc), float64(spd)
		want = append(want, f)
	}
	rows.Close()
	if len(got) != len(fixes) || len(want) != len(fixes) {
		t.Fatalf("read %d and %d fixes, stored %d", len(got), len(want), len(fixes))
	}
	for i := range got {
		g, x := got[i], want[i]
		if !g.T.Equal(x.T) || g.T.Location() != x.T.Location() || !g.ReceivedAt.Equal(x.ReceivedAt) || g.ReceivedAt.Location() != x.ReceivedAt.Location() ||
			g.Lon != x.Lon || g.Lat != x.Lat || g.AccuracyM != x.AccuracyM || g.SpeedMps != x.SpeedMps {
			t.Errorf("fix %d: decoded %+v, pgx scans %+v", i, g, x)
		}
		if !g.T.Equal(fixes[i].T) || !g.ReceivedAt.Equal(fixes[i].ReceivedAt) {
			t.Errorf("fix %d: times %v / %v, stored %v / %v", i, g.T, g.ReceivedAt, fixes[i].T, fixes[i].ReceivedAt)
		}
	}
}
