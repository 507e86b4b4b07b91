package postgis_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/locate"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/paulmach/orb"
)

// TestGridSnapshotSharesGeometry: with TileStore.Geometries set to the
// locate index's copy (as gridd serve wires it), the grids snapshot is the
// same as one that reads every geometry, shares the index's geometry of
// every grid whose version the index holds, and reads from the database
// only the grids changed since the index was built: one renamed (a new
// version, the same shape) and one reshaped. Each feature carries its
// ancestors' codes (for scoped readers).
func TestGridSnapshotSharesGeometry(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	gridStore := postgis.NewGridStore(db)
	loc := locate.New(gridStore)
	if err := loc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	level := 3
	leaves, err := gridStore.FindGrids(ctx, registry.GridFilter{Level: &level, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(leaves) != 2 {
		t.Fatalf("the demo has %d basic grids, want 2 or more", len(leaves))
	}
	renamed, reshaped := leaves[0], leaves[1]
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	name := renamed.Name + "（更名）"
	if _, err := gridStore.UpdateGrid(ctx, renamed.Code, registry.GridUpdate{Name: &name}, at, nil); err != nil {
		t.Fatal(err)
	}
	smaller := shrunk(reshaped.Geometry, 0.9)
	if _, err := gridStore.UpdateGrid(ctx, reshaped.Code, registry.GridUpdate{Geometry: &smaller}, at, nil); err != nil {
		t.Fatal(err)
	}

	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	want, err := postgis.NewTileStore(db).GridSnapshot(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	shared := postgis.NewTileStore(db)
	shared.Geometries = loc.Geometry
	got, err := shared.GridSnapshot(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the snapshot with shared geometry differs from the one that reads it (%d and %d features)", len(got), len(want))
	}
	// Each feature's codes are its own and its ancestors', nearest first.
	all, err := gridStore.FindGrids(ctx, registry.GridFilter{Limit: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{}
	for _, g := range all {
		parent[g.Code] = g.ParentCode
	}
	for _, f := range got {
		chain := []string{f.Codes[0]}
		for p := parent[f.Codes[0]]; p != ""; p = parent[p] {
			chain = append(chain, p)
		}
		if !reflect.DeepEqual(f.Codes, chain) {
			t.Errorf("grid %s: codes %v, want %v", f.Codes[0], f.Codes, chain)
		}
	}
	read := notShared(t, got, loc)
	if len(read) != 2 || !read[renamed.Code] || !read[reshaped.Code] {
		t.Errorf("grids whose geometry was read rather than shared: %v, want %s and %s", read, renamed.Code, reshaped.Code)
	}

	// Once the index has the new versions, every geometry is shared.
	if err := loc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = shared.GridSnapshot(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("the snapshot after the index's refresh differs")
	}
	if read := notShared(t, got, loc); len(read) != 0 {
		t.Errorf("after the index's refresh, geometry read rather than shared: %v", read)
	}
}

// notShared returns the codes of the features whose geometry is not the
// very memory of the index's current copy.
func notShared(t *testing.T, feats []tiles.SnapshotFeature, loc *locate.Service) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, f := range feats {
		code := f.Codes[0]
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if !ok {
			t.Fatalf("grid %s: geometry %T", code, f.Geometry)
		}
		idx, ok := indexGeometry(loc, code)
		if !ok || &mp[0][0][0] != &idx[0][0][0] {
			out[code] = true
		}
	}
	return out
}

// indexGeometry is the index's geometry of code's current version,
// whatever that version is.
func indexGeometry(loc *locate.Service, code string) (orb.MultiPolygon, bool) {
	for v := 1; v < 100; v++ {
		if mp, ok := loc.Geometry(code, v); ok {
			return mp, true
		}
	}
	return nil, false
}

// shrunk scales mp by f about the centre of its bound.
func shrunk(mp orb.MultiPolygon, f float64) orb.MultiPolygon {
	c := mp.Bound().Center()
	out := make(orb.MultiPolygon, len(mp))
	for i, pg := range mp {
		out[i] = make(orb.Polygon, len(pg))
		for j, r := range pg {
			out[i][j] = make(orb.Ring, len(r))
			for k, p := range r {
				out[i][j][k] = orb.Point{c[0] + (p[0]-c[0])*f, c[1] + (p[1]-c[1])*f}
			}
		}
	}
	return out
}
