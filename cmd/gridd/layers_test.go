package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/jackc/pgx/v5/pgxpool"
)

// waitLayersListening waits until ta holds the layer revisions in memory.
func waitLayersListening(t *testing.T, ta *testApp) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ta.db.LayersListening() {
		if time.Now().After(deadline) {
			t.Fatal("the layer revisions' listener never connected")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLayerRevisionsFromMemory: an instance reads the layer revisions
// once and then serves them from memory (no connection taken from its
// pool), and a change made through another instance — a grid edit, a case
// report (bumped after commit) or a row changed in psql — reaches it
// within a second.
func TestLayerRevisionsFromMemory(t *testing.T) {
	dbURL := dbtest.URL(t, dbtest.NewDemo(t))
	a, _ := newTestAppURL(t, dbURL, nil)
	b, _ := newTestAppURL(t, dbURL, nil)
	waitLayersListening(t, b)
	ctx := context.Background()
	tiles := postgis.NewTileStore(b.db)
	revs := func() map[string]string {
		t.Helper()
		m, err := tiles.Revisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := revs()
	acq := b.db.Pool.Stat().AcquireCount()
	for range 100 {
		revs()
	}
	if n := b.db.Pool.Stat().AcquireCount() - acq; n != 0 {
		t.Errorf("100 unchanged reads of the revisions took %d connections; want none", n)
	}
	changed := func(layer, was string) func() string {
		return func() string {
			if now := revs()[layer]; now == was {
				return layer + " still " + was
			}
			return ""
		}
	}
	since := time.Now()
	if _, err := a.db.Pool.Exec(ctx, `UPDATE layer_revisions SET revision = revision + 1, changed_at = now() WHERE layer = 'grids'`); err != nil {
		t.Fatal(err)
	}
	within(t, "grids bumped in psql", since, changed("grids", first["grids"]))

	was := revs()["cases"]
	worker := a.login(ownGrid)
	since = time.Now()
	a.report(worker, reportBody("0101", pointIn(ownGrid, 1, 30)), nil)
	within(t, "a case reported on A", since, changed("cases", was))

	was = revs()["grids"]
	admin := a.login("admin")
	g, err := a.grids.FindGridByCode(ctx, otherGrid, nil)
	if err != nil {
		t.Fatal(err)
	}
	since = time.Now()
	if res := a.do("PATCH", "/api/v1/grids/"+otherGrid, admin, map[string]any{"name": "改名网格"},
		map[string]string{"If-Match": fmt.Sprintf(`"%d"`, g.Version)}); res.Status != 200 {
		t.Fatalf("patch grid: %d %s", res.Status, res.Body)
	}
	within(t, "a grid renamed on A", since, changed("grids", was))
}

// TestReadOnlyRequestsTouchNoTable: once warm (token cached, layer
// revisions held, tile cached), lookups — GET /locate, POST /locate (a
// read: no audit entry) — and a cached tile run no transaction: none
// taken from the pool, none counted by pg_stat_database.
func TestReadOnlyRequestsTouchNoTable(t *testing.T) {
	tdb := dbtest.NewDemo(t)
	dbURL := dbtest.URL(t, tdb)
	ta, _ := newTestAppURL(t, dbURL, nil)
	waitLayersListening(t, ta)
	tok := ta.login(ownGrid)
	warmAuth(t, ta, "/api/v1/auth/me", tok, "")
	p := pointIn(ownGrid, 3, 30)
	one := fmt.Sprintf("/api/v1/locate?lon=%f&lat=%f", p[0], p[1])
	many := map[string]any{"crs": "wgs84", "points": [][]float64{{p[0], p[1]}, {p[0] + 0.001, p[1]}}}
	tile := tilePath("grids", gridTile(t, ta, ownGrid, 15))
	requests := func() {
		t.Helper()
		for _, res := range []response{ta.do("GET", one, tok, nil, nil), ta.do("POST", "/api/v1/locate", tok, many, nil), ta.do("GET", tile, tok, nil, nil)} {
			if res.Status != 200 {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
		}
	}
	requests() // warm: the tile is rendered and cached
	pools := []*pgxpool.Pool{tdb.Pool, ta.db.Pool}
	before, own := xactCommits(t, dbURL, pools)
	acq := ta.db.Pool.Stat().AcquireCount()
	const n = 50
	for range n {
		requests()
	}
	acquired := ta.db.Pool.Stat().AcquireCount() - acq
	after, _ := xactCommits(t, dbURL, pools)
	commits := after - before - own
	t.Logf("%d rounds of GET /locate, POST /locate and a cached tile: %d pool acquires, %d commits", n, acquired, commits)
	// Up to 2 may be the listeners' LISTEN flushed late, or autovacuum.
	if acquired != 0 || commits > 2 {
		t.Errorf("%d read-only rounds took %d connections and committed %d transactions; want none", n, acquired, commits)
	}
}
