package postgis

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gridd/gridd/internal/tiles"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// TileStore renders the map layers as Mapbox Vector Tiles with ST_AsMVT and
// lists their features for OGC API Features and GeoJSON downloads. Each
// layer is a reviewed static query below; a layer without one cannot be
// registered (tiles.NewRegistry asks HasLayer).
type TileStore struct {
	// Geometries, when set, gives the geometry of a grid version that the
	// process already holds in memory (the locate index's copy): the grids
	// snapshot (GridSnapshot) then shares it instead of reading every
	// grid's geometry again, and reads only those it does not give.
	Geometries func(code string, version int) (orb.MultiPolygon, bool)

	db     *DB
	pruned atomic.Int64 // when grid_changes was last pruned (Unix seconds)
	grids  atomic.Int64 // how many grids the last full read of them had
}

var _ tiles.Store = (*TileStore)(nil)

// NewTileStore returns the tile store on db.
func NewTileStore(db *DB) *TileStore { return &TileStore{db: db} }

// HasLayer reports whether the store has the queries of layer.
func (s *TileStore) HasLayer(layer string) bool {
	_, t := tileQueries[layer]
	_, f := featureQueries[layer]
	return t && f
}

// Tile queries take @z, @x, @y, @scope (text[] of grid-subtree roots, NULL
// for everything) and @day (the civil date of date-dependent attributes).
// Every query has the same shape: features whose geometry's bounding box
// meets the tile envelope (plus the 64-unit buffer) in EPSG:4326, so the
// GiST index on geom answers it; simplified by one tile unit at that zoom
// (40075016.69 m / (4096·2^z)); clipped and quantised by ST_AsMVTGeom to
// extent 4096 with a 64-unit buffer. Rows whose geometry ST_AsMVTGeom
// clips away are NULL and ST_AsMVT skips them; filtering them with
// "WHERE geom IS NOT NULL" instead would let the planner push the filter
// into the scan and compute ST_AsMVTGeom twice per feature. No ORDER BY:
// it adds a sort, and in a generic plan it tempts the planner into the
// (level, code) index instead of the spatial one.

// scopeCTE expands @scope into the current codes of those subtrees.
const scopeCTE = `scope AS (
	SELECT code FROM grid_versions WHERE valid_to IS NULL AND code = ANY(@scope::text[])
	UNION
	SELECT g.code FROM grid_versions g JOIN scope s ON g.parent_code = s.code WHERE g.valid_to IS NULL
)`

// workerJoin names the grid's workers on @day.
const workerJoin = `LEFT JOIN LATERAL (
	SELECT string_agg(u.name, ',' ORDER BY u.username) AS names, string_agg(u.username, ',' ORDER BY u.username) AS usernames
	FROM grid_assignments a JOIN users u ON u.id = a.user_id
	WHERE a.grid_code = g.code AND a.grid_role = 'worker'
	  AND a.valid_from <= @day::date AND (a.valid_to IS NULL OR a.valid_to > @day::date)
) w ON true`

// gridTile is the grids tile query; with and without the scope filter.
// A reader who sees everything gets the variant without it: "(@scope IS
// NULL OR …)" costs a quarter of the throughput on 20k grids, because the
// cached generic plan cannot drop the unused branch.
func gridTile(scoped bool) string {
	with := ""
	if scoped {
		with = "WITH RECURSIVE " + scopeCTE
	}
	return with + `
SELECT coalesce(ST_AsMVT(f, 'grids', 4096, 'geom'), '') FROM (
	SELECT ST_AsMVTGeom(ST_Simplify(ST_Transform(g.geom, 3857), 40075016.68557849 / (4096 * 2 ^ @z::int), true),
	                    ST_TileEnvelope(@z, @x, @y), 4096, 64, true) AS geom,
	       g.code, g.name, g.level, coalesce(g.parent_code, '') AS parent_code,
	       coalesce(w.names, '') AS worker, coalesce(w.usernames, '') AS worker_username,
	       g.households, g.population,
	       coalesce(rc.households, 0) AS registered_households, coalesce(rc.people, 0) AS registered_people,
	       coalesce(rc.businesses, 0) AS businesses, coalesce(rc.places, 0) AS places
	FROM grid_versions g ` + workerJoin + `
	LEFT JOIN grid_register_counts rc ON rc.grid_code = g.code
	WHERE g.valid_to IS NULL
	  AND g.geom && ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 0.015625), 4326)
	  ` + scopeFilter(scoped, "g.code IN (SELECT code FROM scope)") + `
) f`
}

// scopeFilter is "AND <cond>" for a scoped reader, "" for one who sees
// every feature: a catch-all "(@scope IS NULL OR …)" would cost a quarter
// of the throughput on 20k grids, because the cached generic plan cannot
// drop the unused branch.
func scopeFilter(scoped bool, cond string) string {
	if !scoped {
		return ""
	}
	return "AND " + cond
}

// tileQueries hold each layer's tile query for a scoped reader (true) or
// one who sees every feature (false).
var tileQueries = map[string]func(scoped bool) string{
	"grids": gridTile,
	"cases": casesTile,

	// Gaps (a parent not covered by the union of its children) and
	// overlaps (siblings sharing area) of every parent in scope that meets
	// the tile; findings under 1 m² are slivers and left out, as in the
	// topology audit's default.
	"audit": auditTile,
	"zones": func(bool) string { return zonesTile },
	"roads": func(bool) string { return roadsTile },
}

func auditTile(scoped bool) string {
	with := "WITH"
	if scoped {
		with = "WITH RECURSIVE " + scopeCTE + ","
	}
	return with + `
parents AS (
	SELECT p.code, p.geom FROM grid_versions p
	WHERE p.valid_to IS NULL
	  AND p.geom && ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 0.015625), 4326)
	  ` + scopeFilter(scoped, "p.code IN (SELECT code FROM scope)") + `
), found AS (
	SELECT 'gap'::text AS kind, p.code AS parent_code, ''::text AS codes,
	       (ST_Dump(ST_CollectionExtract(ST_Difference(p.geom, ST_Union(c.geom)), 3))).geom AS geom
	FROM parents p JOIN grid_versions c ON c.parent_code = p.code AND c.valid_to IS NULL
	GROUP BY p.code, p.geom
	UNION ALL
	SELECT 'overlap', p.code, a.code || ',' || b.code,
	       (ST_Dump(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3))).geom
	FROM parents p
	JOIN grid_versions a ON a.parent_code = p.code AND a.valid_to IS NULL
	JOIN grid_versions b ON b.parent_code = p.code AND b.valid_to IS NULL AND a.code < b.code AND a.geom && b.geom
	WHERE a.geom && ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 0.015625), 4326)
	  AND ST_Relate(a.geom, b.geom, '2********')
)
SELECT coalesce(ST_AsMVT(f, 'audit', 4096, 'geom'), '') FROM (
	SELECT ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(@z, @x, @y), 4096, 64, true) AS geom,
	       kind, parent_code, codes, round(ST_Area(geom::geography)::numeric, 1)::float8 AS area_m2
	FROM found
	WHERE geom && ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 0.015625), 4326)
	  AND ST_Area(geom::geography) >= 1
) f`
}

const zonesTile = `
SELECT coalesce(ST_AsMVT(f, 'zones', 4096, 'geom'), '') FROM (
	SELECT ST_AsMVTGeom(ST_Simplify(ST_Transform(z.geom, 3857), 40075016.68557849 / (4096 * 2 ^ @z::int), true),
	                    ST_TileEnvelope(@z, @x, @y), 4096, 64, true) AS geom,
	       z.code, z.name, z.kind
	FROM zones z
	WHERE z.geom && ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 0.015625), 4326)
) f`

const roadsTile = `
SELECT coalesce(ST_AsMVT(f, 'roads', 4096, 'geom'), '') FROM (
	SELECT ST_AsMVTGeom(ST_Simplify(ST_Transform(r.geom, 3857), 40075016.68557849 / (4096 * 2 ^ @z::int), true),
	                    ST_TileEnvelope(@z, @x, @y), 4096, 64, true) AS geom,
	       r.code, r.name, r.kind
	FROM roads r
	WHERE r.geom && ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 0.015625), 4326)
) f`

// Tile renders one tile of layer. scope nil means every feature; an empty
// scope matches none of a scoped layer.
func (s *TileStore) Tile(ctx context.Context, tq tiles.TileQuery) ([]byte, error) {
	layer, c, scope, day := tq.Layer, tq.Coord, tq.Scope, tq.Day
	query, ok := tileQueries[layer]
	if !ok {
		return nil, fmt.Errorf("tile: no query for layer %q", layer)
	}
	q := query(scope != nil)
	var b []byte
	err := s.db.reader(ctx).QueryRow(ctx, q, pgx.NamedArgs{"z": c.Z, "x": c.X, "y": c.Y, "scope": scope, "day": day, "now": s.db.Now()}).Scan(&b)
	if err != nil {
		return nil, translate(err, "tile "+layer+" "+c.String())
	}
	return b, nil
}

// Revisions returns a token per layer_revisions entry (DB.revisions:
// held in memory between changes while the DB listens on gridd_layers).
// The map is shared: callers must not modify it.
func (s *TileStore) Revisions(ctx context.Context) (map[string]string, error) {
	return s.db.revisions(ctx)
}
