package postgis

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/registry"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// carryInput splits the writes of an edit into the ended codes and the
// written grids (codes and EWKB geometries).
func carryInput(writes []registry.GridWrite) (ended, codes []string, geoms [][]byte, err error) {
	for _, w := range writes {
		if w.End {
			ended = append(ended, w.Grid.Code)
			continue
		}
		b, err := encodeGeom(w.Grid.Geometry)
		if err != nil {
			return nil, nil, nil, err
		}
		codes = append(codes, w.Grid.Code)
		geoms = append(geoms, b)
	}
	return ended, codes, geoms, nil
}

// PlanCarryOver says what an edit would carry over (registry/carry.go),
// read against the current state; nothing is written.
func (s *GridStore) PlanCarryOver(ctx context.Context, writes []registry.GridWrite, at time.Time) ([]registry.CarryOver, error) {
	return planCarryOver(ctx, s.db.Pool, writes, at)
}

// planCarryOver reads, before the edit is written, the successor of each
// ended grid (the written grid overlapping its current geometry most, by
// spheroidal area) and what moves to it.
func planCarryOver(ctx context.Context, q querier, writes []registry.GridWrite, at time.Time) ([]registry.CarryOver, error) {
	ended, codes, geoms, err := carryInput(writes)
	if err != nil {
		return nil, err
	}
	out := []registry.CarryOver{}
	if len(codes) == 0 {
		return out, nil
	}
	if len(ended) > 0 {
		// The day is Shanghai's civil date of the edit, as endGrid uses.
		rows, err := q.Query(ctx, `
WITH w AS (SELECT code, ST_GeomFromEWKB(g) AS geom FROM unnest($2::text[], $3::bytea[]) AS u(code, g)),
succ AS (
	SELECT DISTINCT ON (e.code) e.code AS from_code, w.code AS to_code,
	       ST_Area(ST_Intersection(e.geom, w.geom)::geography) AS m2
	FROM grid_versions e JOIN w ON ST_Intersects(e.geom, w.geom)
	WHERE e.code = ANY($1) AND e.valid_to IS NULL
	ORDER BY e.code, m2 DESC, w.code
),
s AS (SELECT * FROM succ WHERE m2 > 0),
day AS (SELECT ($4::timestamptz AT TIME ZONE 'Asia/Shanghai')::date AS d)
SELECT DISTINCT 'assignment', s.from_code, s.to_code, s.m2, u.id, u.username, u.name, a.grid_role, 0
FROM s JOIN grid_assignments a ON a.grid_code = s.from_code JOIN users u ON u.id = a.user_id, day
WHERE a.valid_to IS NULL OR a.valid_to > day.d
UNION ALL
SELECT 'key_persons', s.from_code, s.to_code, s.m2, 0, '', '', '', count(*)::int
FROM s JOIN key_persons k ON k.grid_code = s.from_code AND k.point IS NULL GROUP BY 2, 3, 4
ORDER BY 1, 2, 3, 6, 8`, ended, codes, geoms, at)
		if err != nil {
			return nil, translate(err, "carry-over")
		}
		var c registry.CarryOver
		_, err = pgx.ForEachRow(rows, []any{&c.Kind, &c.From, &c.To, &c.OverlapM2, &c.UserID, &c.Username, &c.Name, &c.Role, &c.Count}, func() error {
			out = append(out, c)
			return nil
		})
		if err != nil {
			return nil, translate(err, "carry-over")
		}
	}
	// Checkpoints follow their points among the written grids.
	touched := append(append([]string{}, ended...), codes...)
	rows, err := q.Query(ctx, `
WITH w AS (SELECT code, ST_GeomFromEWKB(g) AS geom FROM unnest($2::text[], $3::bytea[]) AS u(code, g)),
m AS (
	SELECT DISTINCT ON (c.id) c.id, c.grid_code AS from_code, w.code AS to_code
	FROM checkpoints c JOIN w ON ST_Intersects(w.geom, c.geom)
	WHERE c.grid_code = ANY($1)
	ORDER BY c.id, w.code
)
SELECT from_code, to_code, count(*)::int FROM m WHERE from_code <> to_code GROUP BY 1, 2 ORDER BY 1, 2`, touched, codes, geoms)
	if err != nil {
		return nil, translate(err, "carry-over")
	}
	c := registry.CarryOver{Kind: registry.CarryCheckpoints}
	_, err = pgx.ForEachRow(rows, []any{&c.From, &c.To, &c.Count}, func() error {
		out = append(out, c)
		return nil
	})
	return out, translate(err, "carry-over")
}

// applyCarryOver moves, inside the edit's transaction after the guard and
// before the writes, what plan says (planned in the same transaction).
func applyCarryOver(ctx context.Context, tx pgx.Tx, writes []registry.GridWrite, plan []registry.CarryOver, at time.Time) error {
	_, codes, geoms, err := carryInput(writes)
	if err != nil {
		return err
	}
	for _, c := range plan {
		switch c.Kind {
		case registry.CarryAssignment:
			// Run before the writes: each current or later assignment of
			// the person and role on the ended grid starts again on the
			// successor from the edit's day (or its own later start) to its
			// own end; endGrid then ends or withdraws the old ones.
			_, err = tx.Exec(ctx, `
WITH day AS (SELECT ($5::timestamptz AT TIME ZONE 'Asia/Shanghai')::date AS d)
INSERT INTO grid_assignments (user_id, grid_code, grid_role, full_time, valid_from, valid_to)
SELECT a.user_id, $2, a.grid_role, a.full_time, greatest(a.valid_from, day.d), a.valid_to
FROM grid_assignments a, day
WHERE a.grid_code = $1 AND a.user_id = $3 AND a.grid_role = $4
  AND (a.valid_to IS NULL OR a.valid_to > day.d)
  AND NOT EXISTS (SELECT 1 FROM grid_assignments b WHERE b.grid_code = $2 AND b.user_id = a.user_id
                  AND b.grid_role = a.grid_role AND (b.valid_to IS NULL OR b.valid_to > day.d))`, c.From, c.To, c.UserID, c.Role, at)
		case registry.CarryKeyPersons:
			_, err = tx.Exec(ctx, `UPDATE key_persons SET grid_code = $2 WHERE grid_code = $1 AND point IS NULL`, c.From, c.To)
		case registry.CarryCheckpoints:
			_, err = tx.Exec(ctx, `
UPDATE checkpoints c SET grid_code = w.code
FROM (SELECT code, ST_GeomFromEWKB(g) AS geom FROM unnest($2::text[], $3::bytea[]) AS u(code, g)) w
WHERE c.grid_code = $1 AND w.code = $4 AND ST_Intersects(w.geom, c.geom)`, c.From, codes, geoms, c.To)
		}
		if err != nil {
			return translate(err, "carry-over "+c.Kind+" "+c.From+" → "+c.To)
		}
	}
	return nil
}

// CarveGeometry splits grid by piece in PostGIS: the grid less the piece,
// the piece clipped to the grid (polygons only; empty when nothing is
// left) and the spheroidal area of the piece outside the grid.
func (s *GridStore) CarveGeometry(ctx context.Context, grid, piece orb.MultiPolygon) (*registry.Carved, error) {
	gb, err := encodeGeom(grid)
	if err != nil {
		return nil, err
	}
	pb, err := encodeGeom(piece)
	if err != nil {
		return nil, err
	}
	var rest, inside []byte
	var outside float64
	err = s.db.Pool.QueryRow(ctx, `
WITH i AS (SELECT ST_GeomFromEWKB($1) AS g, ST_GeomFromEWKB($2) AS p),
c AS (SELECT ST_CollectionExtract(ST_Difference(g, p), 3) AS rest,
             ST_CollectionExtract(ST_Intersection(p, g), 3) AS inside,
             ST_Difference(p, g) AS outside FROM i)
SELECT CASE WHEN ST_IsEmpty(rest) THEN NULL ELSE ST_AsEWKB(ST_Multi(rest)) END,
       CASE WHEN ST_IsEmpty(inside) THEN NULL ELSE ST_AsEWKB(ST_Multi(inside)) END,
       coalesce(ST_Area(outside::geography), 0)
FROM c`, gb, pb).Scan(&rest, &inside, &outside)
	if err != nil {
		return nil, translate(err, "carve")
	}
	out := &registry.Carved{OutsideM2: outside}
	if rest != nil {
		if out.Rest, err = decodeMultiPolygon(rest); err != nil {
			return nil, err
		}
	}
	if inside != nil {
		if out.Inside, err = decodeMultiPolygon(inside); err != nil {
			return nil, err
		}
	}
	return out, nil
}
