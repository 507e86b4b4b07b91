package postgis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gridd/gridd/internal/tiles"
	"github.com/jackc/pgx/v5"
)

var _ tiles.FeatureStore = (*TileStore)(nil)

// Feature sources take @scope, @minx/@miny/@maxx/@maxy (NULL: no bbox),
// @level, @asof, @day and @fid, and yield (id, props json, geom).
var featureQueries = map[string]string{
	"cases": casesFeatureQuery,
	"grids": `
SELECT g.code AS id, json_build_object('code', g.code, 'name', g.name, 'level', g.level,
	'parent_code', g.parent_code, 'worker', coalesce(w.names, ''), 'worker_username', coalesce(w.usernames, ''),
	'households', g.households, 'population', g.population, 'area_m2', round(g.area_m2::numeric, 1),
	'registered_households', coalesce(rc.households, 0), 'registered_people', coalesce(rc.people, 0),
	'businesses', coalesce(rc.businesses, 0), 'places', coalesce(rc.places, 0),
	'version', g.version, 'valid_from', g.valid_from, 'valid_to', g.valid_to) AS props, g.geom
FROM grid_versions g ` + workerJoin + `
LEFT JOIN grid_register_counts rc ON rc.grid_code = g.code
WHERE ((@asof::timestamptz IS NULL AND g.valid_to IS NULL) OR
       (@asof::timestamptz IS NOT NULL AND g.valid_from <= @asof AND (g.valid_to IS NULL OR g.valid_to > @asof)))
  AND (@level::int IS NULL OR g.level = @level)
  AND (@minx::float8 IS NULL OR g.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
  AND (@fid::text IS NULL OR g.code = @fid)
  AND (@scope::text[] IS NULL OR g.code IN (
	WITH RECURSIVE scope AS (
		SELECT s.code FROM grid_versions s WHERE s.code = ANY(@scope::text[])
		  AND ((@asof::timestamptz IS NULL AND s.valid_to IS NULL) OR
		       (@asof::timestamptz IS NOT NULL AND s.valid_from <= @asof AND (s.valid_to IS NULL OR s.valid_to > @asof)))
		UNION
		SELECT c.code FROM grid_versions c JOIN scope ON c.parent_code = scope.code
		WHERE ((@asof::timestamptz IS NULL AND c.valid_to IS NULL) OR
		       (@asof::timestamptz IS NOT NULL AND c.valid_from <= @asof AND (c.valid_to IS NULL OR c.valid_to > @asof)))
	) SELECT code FROM scope))`,

	"audit": `
WITH RECURSIVE ` + scopeCTE + `,
parents AS (
	SELECT p.code, p.geom FROM grid_versions p
	WHERE p.valid_to IS NULL
	  AND (@minx::float8 IS NULL OR p.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
	  AND (@scope::text[] IS NULL OR p.code IN (SELECT code FROM scope))
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
	WHERE ST_Relate(a.geom, b.geom, '2********')
), numbered AS (
	SELECT f.*, row_number() OVER (PARTITION BY kind, parent_code, codes ORDER BY ST_XMin(geom), ST_YMin(geom)) AS n
	FROM found f WHERE ST_Area(geom::geography) >= 1
)
SELECT kind || ':' || parent_code || ':' || codes || ':' || n AS id,
       json_build_object('kind', kind, 'parent_code', parent_code, 'codes', codes,
                         'area_m2', round(ST_Area(geom::geography)::numeric, 1)) AS props, geom
FROM numbered
WHERE (@fid::text IS NULL OR kind || ':' || parent_code || ':' || codes || ':' || n = @fid)
  AND (@minx::float8 IS NULL OR geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))`,

	"zones": `
SELECT z.code AS id, json_build_object('code', z.code, 'name', z.name, 'kind', z.kind) AS props, z.geom
FROM zones z
WHERE (@minx::float8 IS NULL OR z.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
  AND (@fid::text IS NULL OR z.code = @fid)`,

	"roads": `
SELECT r.code AS id, json_build_object('code', r.code, 'name', r.name, 'kind', r.kind) AS props, r.geom
FROM roads r
WHERE (@minx::float8 IS NULL OR r.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
  AND (@fid::text IS NULL OR r.code = @fid)`,
}

func featureArgs(q tiles.FeatureQuery) (pgx.NamedArgs, error) {
	a := pgx.NamedArgs{"scope": q.Scope, "level": q.Level, "asof": q.AsOf, "day": q.Day, "fid": q.ID,
		"minx": nil, "miny": nil, "maxx": nil, "maxy": nil, "limit": q.Limit, "offset": q.Offset}
	if q.BBox != nil {
		a["minx"], a["miny"], a["maxx"], a["maxy"] = q.BBox.Min[0], q.BBox.Min[1], q.BBox.Max[0], q.BBox.Max[1]
	}
	if _, ok := featureQueries[q.Layer]; !ok {
		return nil, fmt.Errorf("features: no query for layer %q", q.Layer)
	}
	return a, nil
}

// Features returns one page of q's features ordered by id, and how many
// match in all.
func (s *TileStore) Features(ctx context.Context, q tiles.FeatureQuery) ([]tiles.Feature, int, error) {
	a, err := featureArgs(q)
	if err != nil {
		return nil, 0, err
	}
	a["now"] = s.db.Now()
	src := featureQueries[q.Layer]
	sql := `SELECT id, props, ST_AsGeoJSON(geom, 7, 0), count(*) OVER () FROM (` + src + `) src ORDER BY id LIMIT @limit OFFSET @offset`
	rows, err := s.db.reader(ctx).Query(ctx, sql, a)
	if err != nil {
		return nil, 0, translate(err, "features of "+q.Layer)
	}
	var out []tiles.Feature
	var matched int
	var f tiles.Feature
	var props, geom []byte
	_, err = pgx.ForEachRow(rows, []any{&f.ID, &props, &geom, &matched}, func() error {
		out = append(out, tiles.Feature{ID: f.ID, Properties: json.RawMessage(props), Geometry: json.RawMessage(geom)})
		return nil
	})
	if err != nil {
		return nil, 0, translate(err, "features of "+q.Layer)
	}
	if len(out) == 0 && q.Offset > 0 {
		err := s.db.reader(ctx).QueryRow(ctx, `SELECT count(*) FROM (`+src+`) src`, a).Scan(&matched)
		if err != nil {
			return nil, 0, translate(err, "features of "+q.Layer)
		}
	}
	return out, matched, nil
}

// Feature returns the feature id of q.Layer, NotFound when absent or out of
// scope.
func (s *TileStore) Feature(ctx context.Context, q tiles.FeatureQuery, id string) (*tiles.Feature, error) {
	return tiles.FeatureByID(ctx, s.Features, q, id)
}

// Extent returns the WGS84 bounds of q's features, nil when there are none.
func (s *TileStore) Extent(ctx context.Context, q tiles.FeatureQuery) ([]float64, error) {
	a, err := featureArgs(q)
	if err != nil {
		return nil, err
	}
	a["now"] = s.db.Now()
	src := featureQueries[q.Layer]
	if q.Layer == "audit" {
		// Findings lie inside the grids: their extent is the grids'.
		src = featureQueries["grids"]
	}
	var minx, miny, maxx, maxy *float64
	err = s.db.reader(ctx).QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM (`+src+`) src) x`, a).
		Scan(&minx, &miny, &maxx, &maxy)
	if err != nil {
		return nil, translate(err, "extent of "+q.Layer)
	}
	if minx == nil {
		return nil, nil
	}
	return []float64{*minx, *miny, *maxx, *maxy}, nil
}

// Levels returns the levels of the current grids.
func (s *TileStore) Levels(ctx context.Context) ([]int, error) {
	rows, err := s.db.reader(ctx).Query(ctx, `SELECT DISTINCT level FROM grid_versions WHERE valid_to IS NULL ORDER BY level`)
	if err != nil {
		return nil, translate(err, "grid levels")
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}
