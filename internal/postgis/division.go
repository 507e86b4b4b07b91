package postgis

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/planning"
	"github.com/gridd/gridd/spatial/division"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// DivisionStore implements planning.Store.
type DivisionStore struct{ db *DB }

var _ planning.Store = (*DivisionStore)(nil)

// NewDivisionStore returns the division proposal store on db.
func NewDivisionStore(db *DB) *DivisionStore { return &DivisionStore{db: db} }

// divisionLinesSQL is the cutting lines of the region (div_region): the
// road sections of the kinds asked ($2) clipped to it, and its own
// boundary. divisionZoneLinesSQL adds the zone boundaries when asked.
const divisionLinesSQL = `
SELECT ST_CollectionExtract(ST_Intersection(r.geom, g.geom), 2) AS geom, true AS cut
FROM roads r, div_region g WHERE r.kind = ANY($1) AND r.geom && g.geom`

const divisionZoneLinesSQL = `
UNION ALL
SELECT ST_CollectionExtract(ST_Intersection(ST_Boundary(z.geom), g.geom), 2), true
FROM zones z, div_region g WHERE z.geom && g.geom`

// DivisionBlocks cuts the region to divide (the parent, less its current
// children when they are kept) by the road sections of the kinds asked
// (and the zone boundaries) into blocks: the lines and the region's
// boundary are noded (ST_Union) and polygonized; faces inside the region
// are the blocks, numbered by their box west→east then south→north. The
// weighted points (households, a household weighted by its people, or
// buildings) are assigned to the block containing them (the lowest
// numbered when on a shared edge).
func (s *DivisionStore) DivisionBlocks(ctx context.Context, r planning.Request) (*planning.Blocks, error) {
	out := &planning.Blocks{Geoms: map[int]orb.MultiPolygon{}}
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT name, level, version FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, r.Parent).
			Scan(&out.ParentName, &out.ParentLevel, &out.ParentVersion)
		if err != nil {
			return translate(err, "grid "+r.Parent)
		}
		region := `CREATE TEMP TABLE div_region ON COMMIT DROP AS
SELECT geom FROM grid_versions WHERE code = $1 AND valid_to IS NULL`
		if r.KeepExisting {
			region = `CREATE TEMP TABLE div_region ON COMMIT DROP AS
SELECT ST_Multi(ST_CollectionExtract(ST_Difference(p.geom, coalesce(
	(SELECT ST_Union(c.geom) FROM grid_versions c WHERE c.parent_code = p.code AND c.valid_to IS NULL),
	'SRID=4326;POLYGON EMPTY'::geometry)), 3)) AS geom
FROM grid_versions p WHERE p.code = $1 AND p.valid_to IS NULL`
		}
		if _, err := tx.Exec(ctx, region, r.Parent); err != nil {
			return translate(err, "division region")
		}
		kinds := r.RoadKinds
		if len(kinds) == 0 {
			if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT kind), '{}') FROM roads`).Scan(&kinds); err != nil {
				return translate(err, "roads")
			}
		}
		lines := divisionLinesSQL
		if r.Zones {
			lines += divisionZoneLinesSQL
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE div_lines ON COMMIT DROP AS `+lines, kinds); err != nil {
			return translate(err, "division lines")
		}
		if _, err := tx.Exec(ctx, `
CREATE TEMP TABLE div_blocks ON COMMIT DROP AS
WITH noded AS (
	SELECT ST_Union(geom) AS geom FROM (
		SELECT geom FROM div_lines WHERE NOT ST_IsEmpty(geom)
		UNION ALL SELECT ST_Boundary(geom) FROM div_region) l
), faces AS (
	SELECT (ST_Dump(ST_Polygonize(geom))).geom AS geom FROM noded
)
SELECT (row_number() OVER (ORDER BY ST_XMin(f.geom), ST_YMin(f.geom), ST_XMax(f.geom), ST_YMax(f.geom)))::int AS id, f.geom
FROM faces f, div_region g WHERE ST_Contains(g.geom, ST_PointOnSurface(f.geom));
CREATE INDEX ON div_blocks USING gist (geom)`); err != nil {
			return translate(err, "division blocks")
		}
		rows, err := tx.Query(ctx, `SELECT id, ST_AsEWKB(geom), ST_X(c), ST_Y(c) FROM (SELECT id, geom, ST_PointOnSurface(geom) AS c FROM div_blocks) b ORDER BY id`)
		if err != nil {
			return translate(err, "division blocks")
		}
		idx := map[int]int{}
		var id int
		var raw []byte
		var cx, cy float64
		if _, err := pgx.ForEachRow(rows, []any{&id, &raw, &cx, &cy}, func() error {
			mp, err := decodeMultiPolygon(raw)
			if err != nil {
				return err
			}
			out.Geoms[id] = mp
			idx[id] = len(out.Blocks)
			out.Blocks = append(out.Blocks, division.Block{ID: id, Bound: mp.Bound(), Centroid: orb.Point{cx, cy}})
			return nil
		}); err != nil {
			return translate(err, "division blocks")
		}
		var q string
		switch r.Count {
		case planning.People:
			q = `SELECT DISTINCT ON (h.id) b.id, ST_X(h.point), ST_Y(h.point),
	(SELECT count(*) FROM register_records p WHERE p.household_id = h.id)::int
FROM register_records h JOIN div_blocks b ON ST_Intersects(b.geom, h.point)
WHERE h.kind = 'household' ORDER BY h.id, b.id`
		case planning.Buildings:
			q = `SELECT DISTINCT ON (h.id) b.id, ST_X(h.point), ST_Y(h.point), 1
FROM register_records h JOIN div_blocks b ON ST_Intersects(b.geom, h.point)
WHERE h.kind = 'building' ORDER BY h.id, b.id`
		default:
			q = `SELECT DISTINCT ON (h.id) b.id, ST_X(h.point), ST_Y(h.point), 1
FROM register_records h JOIN div_blocks b ON ST_Intersects(b.geom, h.point)
WHERE h.kind = 'household' ORDER BY h.id, b.id`
		}
		rows, err = tx.Query(ctx, q)
		if err != nil {
			return translate(err, "division counts")
		}
		var w int
		if _, err := pgx.ForEachRow(rows, []any{&id, &cx, &cy, &w}, func() error {
			b := &out.Blocks[idx[id]]
			b.Points = append(b.Points, division.Point{P: orb.Point{cx, cy}, W: w})
			return nil
		}); err != nil {
			return translate(err, "division counts")
		}
		var rg, ln []byte
		if err := tx.QueryRow(ctx, `SELECT ST_AsEWKB(ST_Multi(geom)),
	(SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(coalesce(ST_Union(geom), 'SRID=4326;MULTILINESTRING EMPTY'::geometry), 2))) FROM div_lines)
FROM div_region`).Scan(&rg, &ln); err != nil {
			return translate(err, "division region")
		}
		if out.Region, err = decodeMultiPolygon(rg); err != nil {
			return err
		}
		out.Lines, err = decodeGeom(ln)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Assemble unions each grid's blocks and pieces (block ∩ rectangle) and
// measures it: spheroidal area and perimeter, the boundary inside the
// region and the part of it along the cutting lines (within 0.5 m); the
// audit is the region against the grids, pieces under sliverM2 ignored.
func (s *DivisionStore) Assemble(ctx context.Context, b *planning.Blocks, pieces []planning.Piece, n int, sliverM2 float64) ([]planning.Assembled, planning.Audit, error) {
	gs := make([]int32, len(pieces))
	geoms := make([][]byte, len(pieces))
	x0, y0, x1, y1 := make([]*float64, len(pieces)), make([]*float64, len(pieces)), make([]*float64, len(pieces)), make([]*float64, len(pieces))
	for i, p := range pieces {
		gs[i] = int32(p.Grid)
		g, err := encodeGeom(p.Block)
		if err != nil {
			return nil, planning.Audit{}, err
		}
		geoms[i] = g
		if p.Rect != nil {
			x0[i], y0[i], x1[i], y1[i] = &p.Rect.Min[0], &p.Rect.Min[1], &p.Rect.Max[0], &p.Rect.Max[1]
		}
	}
	region, err := encodeGeom(b.Region)
	if err != nil {
		return nil, planning.Audit{}, err
	}
	lines, err := encodeGeom(b.Lines)
	if err != nil {
		return nil, planning.Audit{}, err
	}
	out := make([]planning.Assembled, n)
	var audit planning.Audit
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
CREATE TEMP TABLE div_grids ON COMMIT DROP AS
WITH p AS (
	SELECT u.g, CASE WHEN u.x0 IS NULL THEN ST_GeomFromEWKB(u.b)
	            ELSE ST_CollectionExtract(ST_Intersection(ST_GeomFromEWKB(u.b), ST_MakeEnvelope(u.x0, u.y0, u.x1, u.y1, 4326)), 3) END AS geom
	FROM unnest($1::int[], $2::bytea[], $3::float8[], $4::float8[], $5::float8[], $6::float8[]) AS u(g, b, x0, y0, x1, y1)
)
SELECT g, ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)) AS geom FROM p GROUP BY g`, gs, geoms, x0, y0, x1, y1); err != nil {
			return translate(err, "division grids")
		}
		rows, err := tx.Query(ctx, `
WITH r AS (SELECT ST_GeomFromEWKB($1) AS geom, ST_Buffer(ST_GeomFromEWKB($2), 0.000005) AS lines),
m AS (
	SELECT d.g, d.geom, ST_Difference(ST_Boundary(d.geom), ST_Buffer(ST_Boundary(r.geom), 0.0000001)) AS inner_b, r.lines
	FROM div_grids d, r
)
SELECT g, ST_AsEWKB(geom), ST_Area(geom::geography), ST_Perimeter(geom::geography),
       coalesce(ST_Length(inner_b::geography), 0), coalesce(ST_Length(ST_Intersection(inner_b, lines)::geography), 0)
FROM m ORDER BY g`, region, lines)
		if err != nil {
			return translate(err, "division grids")
		}
		var g int
		var raw []byte
		var a planning.Assembled
		if _, err := pgx.ForEachRow(rows, []any{&g, &raw, &a.AreaM2, &a.PerimM, &a.InternalM, &a.RoadM}, func() error {
			mp, err := decodeMultiPolygon(raw)
			if err != nil {
				return err
			}
			a.Geometry = mp
			out[g] = a
			return nil
		}); err != nil {
			return translate(err, "division grids")
		}
		var regionArea float64
		err = tx.QueryRow(ctx, `
WITH r AS (SELECT ST_GeomFromEWKB($1) AS geom), u AS (SELECT ST_Union(geom) AS geom FROM div_grids),
pieces AS (
	SELECT 'gap' AS kind, (ST_Dump(ST_CollectionExtract(ST_Difference(r.geom, u.geom), 3))).geom FROM r, u
	UNION ALL
	SELECT 'outside', (ST_Dump(ST_CollectionExtract(ST_Difference(u.geom, r.geom), 3))).geom FROM r, u
	UNION ALL
	SELECT 'overlap', (ST_Dump(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3))).geom
	FROM div_grids a JOIN div_grids b ON a.g < b.g AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')
), areas AS (SELECT kind, ST_Area(geom::geography) AS a FROM pieces)
SELECT (SELECT ST_Area(geom::geography) FROM r),
       coalesce((SELECT sum(a) FROM areas WHERE kind = 'gap' AND a >= $2), 0),
       coalesce((SELECT sum(a) FROM areas WHERE kind = 'overlap' AND a >= $2), 0),
       coalesce((SELECT sum(a) FROM areas WHERE kind = 'outside' AND a >= $2), 0),
       coalesce((SELECT sum(a) FROM areas WHERE kind = 'gap'), 0)`, region, sliverM2).
			Scan(&regionArea, &audit.GapM2, &audit.OverlapM2, &audit.OutsideM2, &audit.Covered)
		if err != nil {
			return translate(err, "division audit")
		}
		audit.Covered = 1 - audit.Covered/regionArea
		return nil
	})
	if err != nil {
		return nil, planning.Audit{}, err
	}
	audit.Clean = audit.GapM2 == 0 && audit.OverlapM2 == 0 && audit.OutsideM2 == 0
	audit.GapM2, audit.OverlapM2, audit.OutsideM2 = math.Round(audit.GapM2*10)/10, math.Round(audit.OverlapM2*10)/10, math.Round(audit.OutsideM2*10)/10
	return out, audit, nil
}

// CreateProposal stores p and sets its id.
func (s *DivisionStore) CreateProposal(ctx context.Context, p *planning.Proposal) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	err = s.db.Pool.QueryRow(ctx, `INSERT INTO division_proposals (parent_code, parent_version, body, created_by, created_at)
VALUES ($1, $2, $3, $4, $5) RETURNING id`, p.Parent, p.ParentVersion, body, p.CreatedBy, p.CreatedAt).Scan(&p.ID)
	return translate(err, "division proposal")
}

// FindProposal returns the proposal id.
func (s *DivisionStore) FindProposal(ctx context.Context, id int64) (*planning.Proposal, error) {
	var body []byte
	var applied *time.Time
	err := s.db.Pool.QueryRow(ctx, `SELECT body, applied_at FROM division_proposals WHERE id = $1`, id).Scan(&body, &applied)
	if err != nil {
		return nil, translate(err, "division proposal")
	}
	var p planning.Proposal
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, err
	}
	p.ID, p.AppliedAt = id, applied
	return &p, nil
}

// MarkApplied records that proposal id was applied; once only.
func (s *DivisionStore) MarkApplied(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.db.exec(ctx, `UPDATE division_proposals SET applied_at = $2 WHERE id = $1 AND applied_at IS NULL`, id, at)
	if err != nil {
		return translate(err, "division proposal")
	}
	if tag.RowsAffected() == 0 {
		return errs.E(errs.Conflict, "proposal_applied", "proposal %d was applied already", id)
	}
	return nil
}
