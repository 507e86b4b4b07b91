package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/registry"
)

// GridHistory compares the versions valid at f.From and f.To. The WHERE
// clause holds only the filters given. The scope subtree follows the
// parent links valid at either instant.
func (s *GridStore) GridHistory(ctx context.Context, f registry.HistoryFilter, limit int) ([]registry.GridChange, error) {
	args := []any{f.From, f.To}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	at := func(n int) string {
		return fmt.Sprintf("g.valid_from <= $%d AND (g.valid_to IS NULL OR g.valid_to > $%d)", n, n)
	}
	var cond []string
	with := "WITH "
	if f.Parent != nil {
		cond = append(cond, "g.parent_code = "+arg(*f.Parent))
	}
	if f.Level != nil {
		cond = append(cond, "g.level = "+arg(*f.Level))
	}
	if f.Within != nil {
		w := arg(f.Within)
		with = `WITH RECURSIVE scope AS (
	SELECT g.code FROM grid_versions g WHERE g.code = ANY(` + w + `) AND ((` + at(1) + `) OR (` + at(2) + `))
	UNION
	SELECT g.code FROM grid_versions g JOIN scope ON g.parent_code = scope.code WHERE (` + at(1) + `) OR (` + at(2) + `)
), `
		cond = append(cond, "g.code IN (SELECT code FROM scope)")
	}
	extra := ""
	if len(cond) > 0 {
		extra = " AND " + strings.Join(cond, " AND ")
	}
	q := with + `a AS (SELECT g.* FROM grid_versions g WHERE ` + at(1) + extra + `),
b AS (SELECT g.* FROM grid_versions g WHERE ` + at(2) + extra + `)
SELECT coalesce(a.code, b.code),
       a.code IS NOT NULL, a.code, a.name, a.level, coalesce(a.parent_code, ''), a.geom, a.area_m2, a.version, a.valid_from, a.valid_to, a.households, a.population,
       b.code IS NOT NULL, b.code, b.name, b.level, coalesce(b.parent_code, ''), b.geom, b.area_m2, b.version, b.valid_from, b.valid_to, b.households, b.population,
       coalesce(a.code IS NOT NULL AND b.code IS NOT NULL AND NOT ST_Equals(a.geom, b.geom), false),
       CASE WHEN a.code IS NOT NULL AND b.code IS NOT NULL THEN coalesce(ST_Area(ST_Difference(b.geom, a.geom)::geography), 0) ELSE 0 END,
       CASE WHEN a.code IS NOT NULL AND b.code IS NOT NULL THEN coalesce(ST_Area(ST_Difference(a.geom, b.geom)::geography), 0) ELSE 0 END
FROM a FULL JOIN b ON a.code = b.code
WHERE a.version IS DISTINCT FROM b.version
ORDER BY 1
LIMIT ` + arg(limit)
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "grid history")
	}
	out := []registry.GridChange{}
	for rows.Next() {
		var c registry.GridChange
		var hasA, hasB bool
		var ca, cb gridScan
		if err := rows.Scan(&c.Code, &hasA, ca.dest()[0], ca.dest()[1], ca.dest()[2], ca.dest()[3], ca.dest()[4], ca.dest()[5], ca.dest()[6], ca.dest()[7], ca.dest()[8], ca.dest()[9], ca.dest()[10],
			&hasB, cb.dest()[0], cb.dest()[1], cb.dest()[2], cb.dest()[3], cb.dest()[4], cb.dest()[5], cb.dest()[6], cb.dest()[7], cb.dest()[8], cb.dest()[9], cb.dest()[10],
			&c.GeometryChanged, &c.GainedM2, &c.LostM2); err != nil {
			rows.Close()
			return nil, translate(err, "grid history")
		}
		if hasA {
			if c.Before, err = ca.grid(); err != nil {
				rows.Close()
				return nil, err
			}
		}
		if hasB {
			if c.After, err = cb.grid(); err != nil {
				rows.Close()
				return nil, err
			}
		}
		switch {
		case !hasA:
			c.Change = registry.ChangeAdded
		case !hasB:
			c.Change = registry.ChangeRemoved
		default:
			c.Change = registry.ChangeChanged
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "grid history")
}

// gridScan holds the nullable columns of one side of a FULL JOIN of grids.
type gridScan struct {
	code, name, parent     *string
	level, version         *int
	households, population *int
	geom                   []byte
	area                   *float64
	from, to               *time.Time
	ptrs                   []any
}

func (g *gridScan) dest() []any {
	if g.ptrs == nil {
		g.ptrs = []any{&g.code, &g.name, &g.level, &g.parent, &g.geom, &g.area, &g.version, &g.from, &g.to, &g.households, &g.population}
	}
	return g.ptrs
}

func (g *gridScan) grid() (*registry.Grid, error) {
	mp, err := decodeMultiPolygon(g.geom)
	if err != nil {
		return nil, err
	}
	return &registry.Grid{Code: *g.code, Name: *g.name, Level: *g.level, ParentCode: *g.parent, Geometry: mp, AreaM2: *g.area,
		Version: *g.version, ValidFrom: *g.from, ValidTo: g.to, Households: *g.households, Population: *g.population}, nil
}
