package postgis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gridd/gridd/internal/tiles"
	"github.com/jackc/pgx/v5"
)

var _ tiles.FeatureStore = (*TileStore)(nil)

// Feature sources yield (id, props, geom) for q. Each is built from the
// filters q actually gives: a filter q leaves out writes no condition, so
// the plan of an unfiltered page is not the plan of a filtered one. The
// conditions use the named parameters of featureArgs (@scope, @minx/@miny/
// @maxx/@maxy, @level, @asof, @day, @fid, @now).
type featureSource func(q tiles.FeatureQuery) string

var featureQueries = map[string]featureSource{
	"cases": casesFeatureSource,
	"grids": gridsFeatureSource,
	"audit": auditFeatureSource,
	"zones": func(q tiles.FeatureQuery) string {
		return `
SELECT z.code AS id, json_build_object('code', z.code, 'name', z.name, 'kind', z.kind) AS props, z.geom
FROM zones z` + where(bboxCond(q, "z.geom"), fidCond(q, "z.code = @fid"))
	},
	"roads": func(q tiles.FeatureQuery) string {
		return `
SELECT r.code AS id, json_build_object('code', r.code, 'name', r.name, 'kind', r.kind) AS props, r.geom
FROM roads r` + where(bboxCond(q, "r.geom"), fidCond(q, "r.code = @fid"))
	},
}

// where is a WHERE clause of the non-empty conditions, "" when none.
func where(conds ...string) string {
	var w []string
	for _, c := range conds {
		if c != "" {
			w = append(w, c)
		}
	}
	if len(w) == 0 {
		return ""
	}
	return "\nWHERE " + and(w)
}

func bboxCond(q tiles.FeatureQuery, geom string) string {
	if q.BBox == nil {
		return ""
	}
	return geom + " && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326)"
}

func fidCond(q tiles.FeatureQuery, cond string) string {
	if q.ID == nil {
		return ""
	}
	return cond
}

// versionAt is "version alias is the one valid at @asof", or the current
// one when q gives no instant.
func versionAt(q tiles.FeatureQuery, alias string) string {
	if q.AsOf == nil {
		return alias + ".valid_to IS NULL"
	}
	return alias + ".valid_from <= @asof::timestamptz AND (" + alias + ".valid_to IS NULL OR " + alias + ".valid_to > @asof::timestamptz)"
}

func gridsFeatureSource(q tiles.FeatureQuery) string {
	level, scope := "", ""
	if q.Level != nil {
		level = "g.level = @level"
	}
	if q.Scope != nil {
		scope = `g.code IN (
	WITH RECURSIVE scope AS (
		SELECT s.code FROM grid_versions s WHERE s.code = ANY(@scope::text[]) AND ` + versionAt(q, "s") + `
		UNION
		SELECT c.code FROM grid_versions c JOIN scope ON c.parent_code = scope.code WHERE ` + versionAt(q, "c") + `
	) SELECT code FROM scope)`
	}
	return `
SELECT g.code AS id, json_build_object('code', g.code, 'name', g.name, 'level', g.level,
	'parent_code', g.parent_code, 'worker', coalesce(w.names, ''), 'worker_username', coalesce(w.usernames, ''),
	'households', g.households, 'population', g.population, 'area_m2', round(g.area_m2::numeric, 1),
	'registered_households', coalesce(rc.households, 0), 'registered_people', coalesce(rc.people, 0),
	'businesses', coalesce(rc.businesses, 0), 'places', coalesce(rc.places, 0),
	'version', g.version, 'valid_from', g.valid_from, 'valid_to', g.valid_to) AS props, g.geom
FROM grid_versions g ` + workerJoin + `
LEFT JOIN grid_register_counts rc ON rc.grid_code = g.code` +
		where(versionAt(q, "g"), level, bboxCond(q, "g.geom"), fidCond(q, "g.code = @fid"), scope)
}

// auditFeatureSource is the topology findings (gaps and overlaps) of the
// parents in scope, as the audit tile layer draws them.
func auditFeatureSource(q tiles.FeatureQuery) string {
	with, scope := "WITH", ""
	if q.Scope != nil {
		with, scope = "WITH RECURSIVE "+scopeCTE+",", "p.code IN (SELECT code FROM scope)"
	}
	return `
` + with + `
parents AS (
	SELECT p.code, p.geom FROM grid_versions p` + where("p.valid_to IS NULL", bboxCond(q, "p.geom"), scope) + `
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
FROM numbered` + where(fidCond(q, "kind || ':' || parent_code || ':' || codes || ':' || n = @fid"), bboxCond(q, "geom"))
}

func featureArgs(q tiles.FeatureQuery) (pgx.NamedArgs, string, error) {
	src, ok := featureQueries[q.Layer]
	if !ok {
		return nil, "", fmt.Errorf("features: no query for layer %q", q.Layer)
	}
	a := pgx.NamedArgs{"scope": q.Scope, "level": q.Level, "asof": q.AsOf, "day": q.Day, "fid": q.ID,
		"limit": q.Limit, "offset": q.Offset}
	if q.BBox != nil {
		a["minx"], a["miny"], a["maxx"], a["maxy"] = q.BBox.Min[0], q.BBox.Min[1], q.BBox.Max[0], q.BBox.Max[1]
	}
	return a, src(q), nil
}

// Features returns one page of q's features ordered by id, and how many
// match in all.
func (s *TileStore) Features(ctx context.Context, q tiles.FeatureQuery) ([]tiles.Feature, int, error) {
	a, src, err := featureArgs(q)
	if err != nil {
		return nil, 0, err
	}
	a["now"] = s.db.Now()
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
	a, src, err := featureArgs(q)
	if err != nil {
		return nil, err
	}
	a["now"] = s.db.Now()
	if q.Layer == "audit" {
		// Findings lie inside the grids: their extent is the grids'.
		src = gridsFeatureSource(q)
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
