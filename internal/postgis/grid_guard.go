package postgis

import (
	"context"
	"slices"

	"github.com/gridd/gridd/internal/audit"
	"github.com/gridd/gridd/internal/registry"
	"github.com/jackc/pgx/v5"
)

// lockTopology serialises the guarded grid writes: the guard's verdict
// holds for the state it saw until the write commits. Grid writes are rare
// (planning, not intake), so one lock for all is cheap and cannot deadlock.
func lockTopology(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('grid-topology'))`)
	return translate(err, "grid topology lock")
}

// topologyPiecesSQL computes what writing the grids ($1 codes, $2 parent
// codes, $3 geometries) and ending the grids $5 would add to the topology problems of every parent
// involved (the parents of the written grids and the written grids
// themselves), against the current versions: the new part of each sibling
// overlap, of each child's area outside its parent, and of each parent's
// area covered by no child. $4 bounds the rows read to the written grids,
// their parents (old and new), and the children of these. A parent without children
// before (or new) had no coverage to lose, so filling it is never a gap.
// One row per polygon piece with its spheroidal area, as the audit
// measures (internal/postgis/audit.go).
const topologyPiecesSQL = `
WITH chg AS (
	SELECT c.code, nullif(c.parent_code, '') AS parent_code, ST_GeomFromEWKB(c.geom) AS geom
	FROM unnest($1::text[], $2::text[], $3::bytea[]) AS c(code, parent_code, geom)
), scope AS (
	SELECT unnest($4::text[]) AS code
	UNION
	SELECT parent_code FROM grid_versions
	WHERE valid_to IS NULL AND (code = ANY($1) OR code = ANY($5)) AND parent_code IS NOT NULL
), cur AS (
	SELECT code, parent_code, geom FROM grid_versions
	WHERE valid_to IS NULL AND (code IN (SELECT code FROM scope) OR parent_code IN (SELECT code FROM scope))
), aft AS (
	SELECT code, parent_code, geom FROM chg
	UNION ALL
	SELECT code, parent_code, geom FROM cur WHERE code NOT IN (SELECT code FROM chg) AND code <> ALL($5)
), pa AS (
	SELECT a.code, a.geom, b.geom AS geom0, a.code IN (SELECT code FROM chg) AS changed
	FROM aft a LEFT JOIN cur b ON b.code = a.code
	WHERE a.code IN (SELECT parent_code FROM chg) OR a.code IN (SELECT code FROM chg)
	   OR a.code IN (SELECT b.parent_code FROM cur b JOIN chg USING (code))
	   OR a.code IN (SELECT b.parent_code FROM cur b WHERE b.code = ANY($5))
), kids AS (
	SELECT a.code, a.parent_code, a.geom, b.geom AS geom0, a.code IN (SELECT code FROM chg) AS changed
	FROM aft a LEFT JOIN cur b ON b.code = a.code
	WHERE a.parent_code IN (SELECT code FROM pa)
), found AS (
	SELECT 'overlap' AS kind, x.parent_code AS parent, ARRAY[x.code, y.code] AS codes,
	       ST_Difference(ST_Intersection(x.geom, y.geom),
	                     coalesce(ST_Intersection(x.geom0, y.geom0), 'SRID=4326;POLYGON EMPTY'::geometry)) AS geom
	FROM kids x JOIN kids y ON x.parent_code = y.parent_code AND x.code < y.code AND x.geom && y.geom
	WHERE (x.changed OR y.changed) AND ST_Relate(x.geom, y.geom, '2********')
	UNION ALL
	SELECT 'outside_parent', k.parent_code, ARRAY[k.code],
	       ST_Difference(ST_Difference(k.geom, p.geom),
	                     coalesce(ST_Difference(k.geom0, p.geom0), 'SRID=4326;POLYGON EMPTY'::geometry))
	FROM kids k JOIN pa p ON p.code = k.parent_code
	WHERE (k.changed OR p.changed) AND NOT ST_CoveredBy(k.geom, p.geom)
	UNION ALL
	SELECT 'gap', p.code, ARRAY[]::text[],
	       ST_Difference(ST_Difference(p.geom, ST_Union(k.geom)),
	                     coalesce(ST_Difference(p.geom0, (SELECT ST_Union(c.geom) FROM cur c WHERE c.parent_code = p.code)), p.geom))
	FROM pa p JOIN kids k ON k.parent_code = p.code
	GROUP BY p.code, p.geom, p.geom0
)
SELECT f.kind, coalesce(f.parent, ''), f.codes, ST_Area(d.geom::geography)
FROM found f, LATERAL ST_Dump(ST_CollectionExtract(f.geom, 3)) d
WHERE NOT ST_IsEmpty(d.geom)`

// topologyPieces runs topologyPiecesSQL for grids inside tx.
func topologyPieces(ctx context.Context, tx pgx.Tx, grids []*registry.Grid, ended []string) ([]registry.TopologyPiece, error) {
	codes := make([]string, len(grids))
	parents := make([]string, len(grids))
	geoms := make([][]byte, len(grids))
	scope := make([]string, 0, 2*len(grids))
	for i, g := range grids {
		b, err := encodeGeom(g.Geometry)
		if err != nil {
			return nil, err
		}
		codes[i], parents[i], geoms[i] = g.Code, g.ParentCode, b
		scope = append(scope, g.Code)
		if g.ParentCode != "" {
			scope = append(scope, g.ParentCode)
		}
	}
	scope = append(scope, ended...)
	slices.Sort(scope)
	scope = slices.Compact(scope)
	if ended == nil {
		ended = []string{}
	}
	rows, err := tx.Query(ctx, topologyPiecesSQL, codes, parents, geoms, scope, ended)
	if err != nil {
		return nil, translateWrite(err, "topology guard")
	}
	var out []registry.TopologyPiece
	var p registry.TopologyPiece
	var kind string
	_, err = pgx.ForEachRow(rows, []any{&kind, &p.Parent, &p.Codes, &p.AreaM2}, func() error {
		p.Kind = audit.FindingKind(kind)
		out = append(out, p)
		p = registry.TopologyPiece{}
		return nil
	})
	return out, translateWrite(err, "topology guard")
}

// guardTopology locks the grid topology and runs check on what writing
// grids would add; a refusal is returned as is (the caller rolls back).
func guardTopology(ctx context.Context, tx pgx.Tx, grids []*registry.Grid, ended []string, check registry.TopologyCheck) error {
	if check == nil {
		return nil
	}
	pieces, err := topologyPieces(ctx, tx, grids, ended)
	if err != nil {
		return err
	}
	return check(pieces)
}
