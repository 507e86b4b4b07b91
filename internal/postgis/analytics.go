package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// AnalyticsStore reads case counts for the analytics and keeps the cases'
// H3 cells (cases.h3_cell, migration 00019).
type AnalyticsStore struct{ db *DB }

// NewAnalyticsStore returns the analytics store on db.
func NewAnalyticsStore(db *DB) *AnalyticsStore { return &AnalyticsStore{db: db} }

var _ analytics.Store = (*AnalyticsStore)(nil)

// CasesWithoutCell returns up to limit cases above afterID lacking a
// stored cell, by id (the primary key's range bounds the scan).
func (s *AnalyticsStore) CasesWithoutCell(ctx context.Context, afterID int64, limit int) ([]analytics.CasePoint, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT c.id, ST_X(c.geom), ST_Y(c.geom) FROM cases c
WHERE c.id > $1 AND c.h3_cell IS NULL
ORDER BY c.id
LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, translate(err, "cases")
	}
	defer rows.Close()
	var out []analytics.CasePoint
	for rows.Next() {
		var p analytics.CasePoint
		if err := rows.Scan(&p.ID, &p.Location[0], &p.Location[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, translate(rows.Err(), "cases")
}

// MaxCaseID returns the highest case id (0: none).
func (s *AnalyticsStore) MaxCaseID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM cases`).Scan(&id)
	return id, translate(err, "cases")
}

// SaveCaseCells stores the cells of cases; a case that has one keeps it
// (a concurrent backfill wrote the same value). It does not bump the
// case's version: the cell is derived from the location, not an edit.
func (s *AnalyticsStore) SaveCaseCells(ctx context.Context, ids []int64, cells []h3.Cell) error {
	cs := make([]int64, len(cells))
	for i, c := range cells {
		cs[i] = int64(c)
	}
	_, err := s.db.exec(ctx, `UPDATE cases c SET h3_cell = u.cell
FROM unnest($1::bigint[], $2::bigint[]) AS u(id, cell) WHERE c.id = u.id AND c.h3_cell IS NULL`, ids, cs)
	return translate(err, "case cells")
}

// CountCases counts q's cases per cell at q.Resolution, month (Asia/Shanghai)
// and, with q.ByCategory, category. The stored res-10 cells are turned into
// their parents with two bit masks (analytics.ParentMask) inside the GROUP
// BY, so that a district's million cases come back as a few thousand rows.
// The WHERE clause holds only the filters q gives. Months are grouped as
// timestamps (date_trunc is cheaper than formatting a million rows) and
// formatted here.
func (s *AnalyticsStore) CountCases(ctx context.Context, q analytics.CountQuery) ([]analytics.CellCount, error) {
	res := q.Resolution
	if res == 0 || res > analytics.StoredResolution {
		res = analytics.StoredResolution
	}
	clear, set := analytics.ParentMask(res)
	args := []any{q.From, q.To, clear, set}
	where := []string{"c.reported_at >= $1", "c.reported_at < $2", "c.status NOT IN ('merged', 'rejected')"}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.Category != nil {
		if len(*q.Category) == 2 {
			where = append(where, "c.category_code IN (SELECT code FROM case_categories WHERE parent_code = "+arg(*q.Category)+")")
		} else {
			where = append(where, "c.category_code = "+arg(*q.Category))
		}
	}
	if q.Parent != nil {
		where = append(where, "c.grid_chain @> ARRAY["+arg(*q.Parent)+"::text]")
	}
	if q.ScopeGrids != nil {
		where = append(where, "c.grid_chain && "+arg(q.ScopeGrids)+"::text[]")
	}
	if q.ScopeUnit != nil {
		u := arg(*q.ScopeUnit)
		where = append(where, "(c.lead_unit = "+u+" OR "+u+" = ANY(c.co_units) OR "+u+" = ANY(c.escalated_units))")
	}
	category := "''"
	if q.ByCategory {
		category = "c.category_code"
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT (c.h3_cell & $3) | $4, date_trunc('month', c.reported_at AT TIME ZONE 'Asia/Shanghai'), `+category+`, count(*)
FROM cases c
WHERE `+strings.Join(where, " AND ")+` AND c.h3_cell IS NOT NULL
GROUP BY 1, 2, 3`, args...)
	if err != nil {
		return nil, translate(err, "case counts")
	}
	defer rows.Close()
	var out []analytics.CellCount
	for rows.Next() {
		var cell int64
		var month time.Time
		var c analytics.CellCount
		if err := rows.Scan(&cell, &month, &c.Category, &c.N); err != nil {
			return nil, err
		}
		c.Cell, c.Month = h3.Cell(cell), month.Format("2006-01")
		out = append(out, c)
	}
	return out, translate(rows.Err(), "case counts")
}

// StudyArea returns the polygons of the current grids roots, or of the
// top-level grids when roots is nil.
func (s *AnalyticsStore) StudyArea(ctx context.Context, roots []string) (orb.MultiPolygon, error) {
	sql := `SELECT geom FROM grid_versions WHERE valid_to IS NULL AND code = ANY($1)`
	args := []any{roots}
	if roots == nil {
		sql = `SELECT geom FROM grid_versions WHERE valid_to IS NULL
  AND level = (SELECT min(level) FROM grid_versions WHERE valid_to IS NULL)`
		args = nil
	}
	return queryPolygons(ctx, s.db, "grids", sql, args...)
}

// queryPolygons runs a query of multipolygon geometries and returns their
// polygons as one multipolygon (a study area).
func queryPolygons(ctx context.Context, db *DB, what, sql string, args ...any) (orb.MultiPolygon, error) {
	rows, err := db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err, what)
	}
	defer rows.Close()
	var out orb.MultiPolygon
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		g, err := decodeGeom(b)
		if err != nil {
			return nil, err
		}
		if mp, ok := g.(orb.MultiPolygon); ok {
			out = append(out, mp...)
		}
	}
	return out, translate(rows.Err(), what)
}
