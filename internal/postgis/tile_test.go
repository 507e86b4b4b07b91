package postgis_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestBuiltinLayersHaveQueries: every built-in layer has its tile and
// feature queries, and each query runs on an empty database.
func TestBuiltinLayersHaveQueries(t *testing.T) {
	db := dbtest.New(t)
	st := postgis.NewTileStore(db)
	reg, err := tiles.NewRegistry(st.HasLayer, tiles.Builtin()...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	revs, err := st.Revisions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range reg.Layers() {
		for _, r := range l.Revisions {
			if revs[r] == "" {
				t.Errorf("layer %s depends on revision %q, which layer_revisions lacks", l.Name, r)
			}
		}
		b, err := st.Tile(ctx, tiles.TileQuery{Layer: l.Name, Day: time.Now()})
		if err != nil || len(b) != 0 {
			t.Errorf("%s: empty tile %d bytes, %v", l.Name, len(b), err)
		}
		fs, n, err := st.Features(ctx, tiles.FeatureQuery{Layer: l.Name, Limit: 10})
		if err != nil || n != 0 || len(fs) != 0 {
			t.Errorf("%s: features %d/%d, %v", l.Name, len(fs), n, err)
		}
	}
	if st.HasLayer("nosuch") {
		t.Error("the store claims queries for an unknown layer")
	}
}

// benchSet is a tile workload: a database and the z12–z16 tiles over its data.
type benchSet struct {
	name  string
	db    *postgis.DB
	tiles []tiles.Coord
}

// tilesOver lists the tiles of zooms 12..16 over bound, at most perZoom of
// them per zoom (evenly strided, so the sample spans the bound), ordered
// round-robin by zoom and shuffled within each zoom (fixed seed), the
// zooms with fewer tiles cycling through theirs: any prefix of the list
// holds every zoom equally, so variants that run different numbers of
// iterations still compare the same mix.
func tilesOver(bound orb.Bound, perZoom int) []tiles.Coord {
	rng := rand.New(rand.NewPCG(7, 7))
	var byZoom [][]tiles.Coord
	for z := maptile.Zoom(12); z <= 16; z++ {
		minT := maptile.At(orb.Point{bound.Min[0], bound.Max[1]}, z)
		maxT := maptile.At(orb.Point{bound.Max[0], bound.Min[1]}, z)
		var all []tiles.Coord
		for x := minT.X; x <= maxT.X; x++ {
			for y := minT.Y; y <= maxT.Y; y++ {
				all = append(all, tiles.Coord{Z: int(z), X: int(x), Y: int(y)})
			}
		}
		step := max(1, len(all)/perZoom)
		var pick []tiles.Coord
		for i := 0; i < len(all) && len(pick) < perZoom; i += step {
			pick = append(pick, all[i])
		}
		rng.Shuffle(len(pick), func(i, j int) { pick[i], pick[j] = pick[j], pick[i] })
		byZoom = append(byZoom, pick)
	}
	longest := 0
	for _, zs := range byZoom {
		longest = max(longest, len(zs))
	}
	var out []tiles.Coord
	for i := range longest {
		for _, zs := range byZoom {
			out = append(out, zs[i%len(zs)]) // zooms with fewer tiles repeat them
		}
	}
	return out
}

// grids20k loads a 160×125 tessellation of level-3 grids (20,000) under
// their level-2 blocks, with 15-digit codes.
func grids20k(b *testing.B, db *postgis.DB) orb.Bound {
	src := gridindextest.Tessellation(42, 160, 125, 117.0, 36.3, 0.005)
	code := map[string]string{}
	var grids []*registry.Grid
	var bound orb.Bound
	for i, g := range src {
		c := fmt.Sprintf("3701%011d", i+1)
		code[g.Code] = c
		parent := ""
		if g.Level == 3 {
			parent = code[g.Code[:strings.LastIndex(g.Code, "-")]]
		}
		grids = append(grids, &registry.Grid{Code: c, Name: g.Code, Level: g.Level, ParentCode: parent, Geometry: g.Geometry,
			Households: 300, Population: 1000})
		if i == 0 {
			bound = g.Geometry.Bound()
		}
		bound = bound.Union(g.Geometry.Bound())
	}
	if n := len(src); n < 20000 {
		b.Fatalf("tessellation has %d grids", n)
	}
	if _, err := postgis.NewGridStore(db).ImportGrids(context.Background(), grids, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), nil); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool.Exec(context.Background(), `ANALYZE grid_versions`); err != nil {
		b.Fatal(err)
	}
	return bound
}

// plainGridTile is the plain per-request query a generic tile server would
// run: the same attributes, no simplification, no revision check, no cache.
const plainGridTile = `
SELECT coalesce(ST_AsMVT(f, 'grids', 4096, 'geom'), '') FROM (
	SELECT ST_AsMVTGeom(ST_Transform(g.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom,
	       g.code, g.name, g.level, coalesce(g.parent_code, '') AS parent_code,
	       coalesce(w.names, '') AS worker, coalesce(w.usernames, '') AS worker_username, g.households, g.population
	FROM grid_versions g LEFT JOIN LATERAL (
		SELECT string_agg(u.name, ',' ORDER BY u.username) AS names, string_agg(u.username, ',' ORDER BY u.username) AS usernames
		FROM grid_assignments a JOIN users u ON u.id = a.user_id
		WHERE a.grid_code = g.code AND a.grid_role = 'worker' AND a.valid_from <= $4::date AND (a.valid_to IS NULL OR a.valid_to > $4::date)
	) w ON true
	WHERE g.valid_to IS NULL AND g.geom && ST_Transform(ST_TileEnvelope($1, $2, $3), 4326)
) f`

// BenchmarkGridTiles measures grids tiles over z12–z16 for the demo town
// and a 20k-grid set: through the service as the app wires it with a warm
// cache, with the cache disabled (cold: rendered in Go from the in-memory
// snapshot), with the cache disabled and the SQL renderer (cold_sql), and
// the plain per-request ST_AsMVT query, in the same run. Four concurrent
// clients; reports tiles/s and p99 latency.
func BenchmarkGridTiles(b *testing.B) {
	ctx := context.Background()
	demoDB := dbtest.NewDemo(b)
	bigDB := dbtest.New(b)
	bigBound := grids20k(b, bigDB)
	var demoBound orb.Bound
	if err := demoDB.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM grid_versions) x`).
		Scan(&demoBound.Min[0], &demoBound.Min[1], &demoBound.Max[0], &demoBound.Max[1]); err != nil {
		b.Fatal(err)
	}
	sets := []benchSet{
		{"demo", demoDB, tilesOver(demoBound, 400)},
		{"20k", bigDB, tilesOver(bigBound, 400)},
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return day.Add(4 * time.Hour) }
	for _, set := range sets {
		st := postgis.NewTileStore(set.db)
		reg, err := tiles.NewRegistry(st.HasLayer, tiles.Builtin()...)
		if err != nil {
			b.Fatal(err)
		}
		layer, _ := reg.Layer("grids")
		// The app's stores: grids tiles rendered in Go from the snapshot.
		stores := &tiles.Stores{SQL: st, Snapshots: map[string]*tiles.Snapshot{"grids": {Layer: "grids", Load: st.GridSnapshot}}}
		warm := &tiles.Service{Registry: reg, Store: stores, Cache: tiles.NewCache(len(set.tiles) + 1), Now: now}
		for _, c := range set.tiles {
			if _, err := warm.Tile(ctx, layer, c, tiles.Scope{All: true}, nil, ""); err != nil {
				b.Fatal(err)
			}
		}
		cold := &tiles.Service{Registry: reg, Store: stores, Now: now}
		coldSQL := &tiles.Service{Registry: reg, Store: st, Now: now}
		variants := []struct {
			name string
			get  func(c tiles.Coord) (int, error)
		}{
			{"warm", func(c tiles.Coord) (int, error) {
				t, err := warm.Tile(ctx, layer, c, tiles.Scope{All: true}, nil, "")
				if err != nil {
					return 0, err
				}
				return len(t.Data), nil
			}},
			{"cold", func(c tiles.Coord) (int, error) {
				t, err := cold.Tile(ctx, layer, c, tiles.Scope{All: true}, nil, "")
				if err != nil {
					return 0, err
				}
				return len(t.Data), nil
			}},
			{"cold_sql", func(c tiles.Coord) (int, error) {
				t, err := coldSQL.Tile(ctx, layer, c, tiles.Scope{All: true}, nil, "")
				if err != nil {
					return 0, err
				}
				return len(t.Data), nil
			}},
			{"plain_st_asmvt", func(c tiles.Coord) (int, error) {
				var data []byte
				err := set.db.Pool.QueryRow(ctx, plainGridTile, c.Z, c.X, c.Y, day).Scan(&data)
				return len(data), err
			}},
		}
		// Warm every variant over the whole list first (buffers, and each
		// pooled backend's PostGIS/PROJ caches), so the order of the
		// sub-benchmarks does not favour the last one.
		for _, v := range variants {
			warmUp(b, set.tiles, v.get)
		}
		for _, v := range variants {
			b.Run(fmt.Sprintf("%s/%s", set.name, v.name), func(b *testing.B) {
				runTiles(b, set.tiles, v.get)
			})
		}
	}
}

// warmUp requests every tile of list once from 4 concurrent clients.
func warmUp(b *testing.B, list []tiles.Coord, get func(tiles.Coord) (int, error)) {
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(list) && errs[w] == nil; i += 4 {
				_, errs[w] = get(list[i])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// runTiles requests b.N tiles from 4 concurrent clients, cycling through
// list, and reports throughput and the 99th-percentile latency.
func runTiles(b *testing.B, list []tiles.Coord, get func(tiles.Coord) (int, error)) {
	const clients = 4
	b.ReportAllocs()
	lat := make([][]time.Duration, clients)
	var bytes [clients]int64
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < b.N; i += clients {
				t0 := time.Now()
				n, err := get(list[i%len(list)])
				lat[w] = append(lat[w], time.Since(t0))
				bytes[w] += int64(n)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	all := slices.Concat(lat...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	p99 := all[int(math.Ceil(0.99*float64(len(all))))-1]
	var total int64
	for _, n := range bytes {
		total += n
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tiles/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(total)/float64(b.N), "B/tile")
}
