package postgis

import (
	"context"

	"github.com/gridd/gridd/internal/audit"
)

// TopologyStore implements audit.TopologyStore with GEOS overlay in PostGIS.
type TopologyStore struct{ db *DB }

var _ audit.TopologyStore = (*TopologyStore)(nil)

// NewTopologyStore returns the topology audit store on db.
func NewTopologyStore(db *DB) *TopologyStore { return &TopologyStore{db: db} }

// TopologyFindings computes gaps (parent − ∪children), sibling overlaps,
// children outside their parent and invalid geometry for every parent in
// the subtree of parent ("" = every parent). Areas are spheroidal.
func (s *TopologyStore) TopologyFindings(ctx context.Context, parent string) ([]audit.Finding, int, error) {
	const q = `
WITH RECURSIVE cur AS (
	SELECT code, parent_code, geom FROM grid_versions WHERE valid_to IS NULL
), scope AS (
	SELECT code FROM cur WHERE $1::text = '' OR code = $1
	UNION
	SELECT c.code FROM cur c JOIN scope s ON c.parent_code = s.code
), parents AS (
	SELECT p.code, p.geom FROM cur p
	WHERE p.code IN (SELECT code FROM scope) AND EXISTS (SELECT 1 FROM cur c WHERE c.parent_code = p.code)
), gaps_found AS (
	SELECT 'gap'::text AS kind, p.code AS parent, ARRAY[]::text[] AS codes,
	       (ST_Dump(ST_CollectionExtract(ST_Difference(p.geom, ST_Union(c.geom)), 3))).geom AS geom, '' AS reason
	FROM parents p JOIN cur c ON c.parent_code = p.code
	GROUP BY p.code, p.geom
), overlaps_found AS (
	SELECT 'overlap', a.parent_code, ARRAY[a.code, b.code],
	       (ST_Dump(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3))).geom, ''
	FROM cur a JOIN cur b ON a.parent_code = b.parent_code AND a.code < b.code AND a.geom && b.geom
	WHERE a.parent_code IN (SELECT code FROM parents) AND ST_Relate(a.geom, b.geom, '2********')
), outside_found AS (
	SELECT 'outside_parent', p.code, ARRAY[c.code],
	       (ST_Dump(ST_CollectionExtract(ST_Difference(c.geom, p.geom), 3))).geom, ''
	FROM parents p JOIN cur c ON c.parent_code = p.code
	WHERE NOT ST_CoveredBy(c.geom, p.geom)
), invalid_found AS (
	SELECT 'invalid', coalesce(c.parent_code, ''), ARRAY[c.code], ST_PointOnSurface(c.geom), ST_IsValidReason(c.geom)
	FROM cur c WHERE c.code IN (SELECT code FROM scope) AND NOT ST_IsValid(c.geom)
), found AS (
	SELECT * FROM gaps_found UNION ALL SELECT * FROM overlaps_found UNION ALL SELECT * FROM outside_found UNION ALL SELECT * FROM invalid_found
)
SELECT kind, parent, codes, geom, coalesce(ST_Area(geom::geography), 0), reason, (SELECT count(*) FROM parents)
FROM found WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
UNION ALL
SELECT '', '', ARRAY[]::text[], NULL, 0, '', (SELECT count(*) FROM parents)`
	rows, err := s.db.Pool.Query(ctx, q, parent)
	if err != nil {
		return nil, 0, translate(err, "topology audit")
	}
	defer rows.Close()
	var out []audit.Finding
	var n int
	for rows.Next() {
		var f audit.Finding
		var kind string
		var geom []byte
		if err := rows.Scan(&kind, &f.ParentCode, &f.Codes, &geom, &f.AreaM2, &f.Reason, &n); err != nil {
			return nil, 0, err
		}
		if kind == "" {
			continue
		}
		f.Kind = audit.FindingKind(kind)
		g, err := decodeGeom(geom)
		if err != nil {
			return nil, 0, err
		}
		f.Geometry = g
		out = append(out, f)
	}
	return out, n, translate(rows.Err(), "topology audit")
}
