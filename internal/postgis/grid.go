package postgis

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registry"
	"github.com/jackc/pgx/v5"
)

// GridStore implements registry.Store.
type GridStore struct{ db *DB }

var _ registry.Store = (*GridStore)(nil)

// NewGridStore returns the grid store on db.
func NewGridStore(db *DB) *GridStore { return &GridStore{db: db} }

// validAt is the condition "version alias is the one valid at asOf", or the
// current version when asOf is nil, with its parameter added to a.
func validAt(a *sqlArgs, alias string, asOf *time.Time) string {
	if asOf == nil {
		return alias + ".valid_to IS NULL"
	}
	t := a.add(*asOf) + "::timestamptz"
	return alias + ".valid_from <= " + t + " AND (" + alias + ".valid_to IS NULL OR " + alias + ".valid_to > " + t + ")"
}

const gridColumns = `g.code, g.name, g.level, coalesce(g.parent_code, ''), g.geom, g.area_m2,
	g.version, g.valid_from, g.valid_to, g.households, g.population`

func scanGrid(row pgx.Row) (*registry.Grid, error) {
	var g registry.Grid
	var geom []byte
	if err := row.Scan(&g.Code, &g.Name, &g.Level, &g.ParentCode, &geom, &g.AreaM2,
		&g.Version, &g.ValidFrom, &g.ValidTo, &g.Households, &g.Population); err != nil {
		return nil, err
	}
	mp, err := decodeMultiPolygon(geom)
	if err != nil {
		return nil, err
	}
	g.Geometry = mp
	return &g, nil
}

// FindGridByCode returns the version of code valid at asOf (current when nil).
func (s *GridStore) FindGridByCode(ctx context.Context, code string, asOf *time.Time) (*registry.Grid, error) {
	a := &sqlArgs{}
	q := `SELECT ` + gridColumns + ` FROM grid_versions g WHERE g.code = ` + a.add(code) + ` AND ` + validAt(a, "g", asOf)
	g, err := scanGrid(s.db.Pool.QueryRow(ctx, q, a.vals...))
	if err != nil {
		return nil, translate(err, "grid "+code)
	}
	return g, nil
}

// FindGrids returns grids matching f ordered by code, at most f.Limit.
func (s *GridStore) FindGrids(ctx context.Context, f registry.GridFilter) ([]*registry.Grid, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	a := &sqlArgs{}
	w := []string{validAt(a, "g", f.AsOf)}
	if f.Level != nil {
		w = append(w, "g.level = "+a.add(*f.Level))
	}
	if f.Parent != nil {
		w = append(w, "g.parent_code = "+a.add(*f.Parent))
	}
	if f.BBox != nil {
		w = append(w, "g.geom && ST_MakeEnvelope("+a.add(f.BBox.Min[0])+", "+a.add(f.BBox.Min[1])+", "+
			a.add(f.BBox.Max[0])+", "+a.add(f.BBox.Max[1])+", 4326)")
	}
	if f.Within != nil {
		// The subtree of the versions valid at the same instant.
		w = append(w, `g.code IN (WITH RECURSIVE scope AS (
	SELECT s.code FROM grid_versions s WHERE s.code = ANY(`+a.add(f.Within)+`::text[]) AND `+validAt(a, "s", f.AsOf)+`
	UNION
	SELECT s.code FROM grid_versions s JOIN scope ON s.parent_code = scope.code WHERE `+validAt(a, "s", f.AsOf)+`
) SELECT code FROM scope)`)
	}
	w = append(w, "g.code > "+a.add(f.Cursor))
	rows, err := s.db.Pool.Query(ctx, `SELECT `+gridColumns+` FROM grid_versions g
WHERE `+and(w)+`
ORDER BY g.code
LIMIT `+a.add(limit), a.vals...)
	if err != nil {
		return nil, translate(err, "grids")
	}
	defer rows.Close()
	var out []*registry.Grid
	for rows.Next() {
		g, err := scanGrid(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, translate(rows.Err(), "grids")
}

// HouseholdShifts counts each grid's households now (assigned to its code)
// and within its given geometry.
func (s *GridStore) HouseholdShifts(ctx context.Context, grids []*registry.Grid) ([]registry.HouseholdShift, error) {
	codes := make([]string, len(grids))
	geoms := make([][]byte, len(grids))
	for i, g := range grids {
		b, err := encodeGeom(g.Geometry)
		if err != nil {
			return nil, err
		}
		codes[i], geoms[i] = g.Code, b
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT u.code,
       (SELECT count(*) FROM register_records r WHERE r.kind = 'household' AND r.grid_code = u.code)::int,
       (SELECT count(*) FROM register_records r WHERE r.kind = 'household' AND ST_Intersects(ST_GeomFromEWKB(u.g), r.point))::int
FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS u(code, g, n) ORDER BY u.n`, codes, geoms)
	if err != nil {
		return nil, translate(err, "household shifts")
	}
	out := []registry.HouseholdShift{}
	var h registry.HouseholdShift
	_, err = pgx.ForEachRow(rows, []any{&h.Code, &h.Before, &h.After}, func() error {
		out = append(out, h)
		return nil
	})
	return out, translate(err, "household shifts")
}

// FindGridCodes returns every code that ever had parent as its parent.
func (s *GridStore) FindGridCodes(ctx context.Context, parent string) ([]string, error) {
	var codes []string
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT code ORDER BY code), '{}') FROM grid_versions WHERE parent_code = $1`, parent).Scan(&codes)
	return codes, translate(err, "grids under "+parent)
}

// GridAncestors returns the chain from the root down to code's parent.
func (s *GridStore) GridAncestors(ctx context.Context, code string, asOf *time.Time) ([]*registry.Grid, error) {
	var chain []*registry.Grid
	cur := code
	for depth := 0; depth < 32; depth++ {
		g, err := s.FindGridByCode(ctx, cur, asOf)
		if err != nil {
			if errs.Is(err, errs.NotFound) && depth > 0 {
				break
			}
			return nil, err
		}
		if depth > 0 {
			chain = append([]*registry.Grid{g}, chain...)
		}
		if g.ParentCode == "" {
			break
		}
		cur = g.ParentCode
	}
	return chain, nil
}

// ImportGrids creates new grids and versions changed ones in one
// transaction: all or nothing.
func (s *GridStore) ImportGrids(ctx context.Context, grids []*registry.Grid, at time.Time, check registry.TopologyCheck) (registry.ImportCounts, error) {
	var c registry.ImportCounts
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if check != nil {
			if err := lockTopology(ctx, tx); err != nil {
				return err
			}
			if err := guardTopology(ctx, tx, grids, nil, check); err != nil {
				return err
			}
		}
		var changed []*registry.Grid
		for _, g := range grids {
			res, err := upsertGrid(ctx, tx, g, at, nil)
			if err != nil {
				return err
			}
			switch res {
			case created:
				c.Created++
			case versioned:
				c.Versioned++
			default:
				c.Unchanged++
			}
			if res != unchanged {
				changed = append(changed, g)
			}
		}
		if c.Created+c.Versioned > 0 {
			if err := insertEvents(ctx, tx, gridEvents(changed)); err != nil {
				return err
			}
			return bumpLayer(ctx, tx, "grids")
		}
		return nil
	})
	return c, err
}

type upsertResult int

const (
	unchanged upsertResult = iota
	created
	versioned
)

// upsertGrid writes g as a new grid or a new version of the current one.
// When wantVersion is set it must match the current version.
func upsertGrid(ctx context.Context, tx pgx.Tx, g *registry.Grid, at time.Time, wantVersion *int) (upsertResult, error) {
	geom, err := encodeGeom(g.Geometry)
	if err != nil {
		return 0, err
	}
	// Serialise writers of one code: after the lock, this statement's
	// snapshot sees the version the previous writer committed.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('grid:' || $1))`, g.Code); err != nil {
		return 0, translate(err, "grid "+g.Code)
	}
	var id int64
	var version int
	var same bool
	var validFrom time.Time
	err = tx.QueryRow(ctx, `
SELECT id, version, valid_from,
       name = $2 AND level = $3 AND coalesce(parent_code, '') = $4 AND ST_Equals(geom, $5::geometry)
         AND households = $6 AND population = $7
FROM grid_versions WHERE code = $1 AND valid_to IS NULL FOR UPDATE`,
		g.Code, g.Name, g.Level, g.ParentCode, geom, g.Households, g.Population).Scan(&id, &version, &validFrom, &same)
	switch {
	case err == pgx.ErrNoRows:
		if wantVersion != nil {
			return 0, errs.NotFoundf("grid %s not found", g.Code)
		}
		// A code that ended earlier continues its version numbering.
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM grid_versions WHERE code = $1`, g.Code).Scan(&version); err != nil {
			return 0, translateWrite(err, "grid "+g.Code)
		}
	case err != nil:
		return 0, translateWrite(err, "grid "+g.Code)
	default:
		if wantVersion != nil && *wantVersion != version {
			return 0, errs.E(errs.Conflict, "version_mismatch",
				"grid %s is at version %d, not %d", g.Code, version, *wantVersion)
		}
		if same {
			g.Version = version
			return unchanged, nil
		}
		if !at.After(validFrom) {
			at = validFrom.Add(time.Microsecond)
		}
		if _, err := tx.Exec(ctx, `UPDATE grid_versions SET valid_to = $2 WHERE id = $1`, id, at); err != nil {
			return 0, translateWrite(err, "grid "+g.Code)
		}
	}
	var parent *string
	if g.ParentCode != "" {
		parent = &g.ParentCode
	}
	err = tx.QueryRow(ctx, `
INSERT INTO grid_versions (code, name, level, parent_code, geom, area_m2, households, population, version, valid_from)
VALUES ($1, $2, $3, $4, $5::geometry, ST_Area($5::geometry::geography), $6, $7, $8, $9)
RETURNING area_m2, version, valid_from`,
		g.Code, g.Name, g.Level, parent, geom, g.Households, g.Population, version+1, at).Scan(&g.AreaM2, &g.Version, &g.ValidFrom)
	if err != nil {
		return 0, translateWrite(err, "grid "+g.Code)
	}
	if g.Version == 1 {
		return created, nil
	}
	return versioned, nil
}

// UpdateGrid applies upd as a new version of code.
func (s *GridStore) UpdateGrid(ctx context.Context, code string, upd registry.GridUpdate, at time.Time, check registry.TopologyCheck) (*registry.Grid, error) {
	var out *registry.Grid
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if check != nil {
			if err := lockTopology(ctx, tx); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('grid:' || $1))`, code); err != nil {
			return translate(err, "grid "+code)
		}
		q := `SELECT ` + gridColumns + ` FROM grid_versions g WHERE g.code = $1 AND g.valid_to IS NULL FOR UPDATE`
		g, err := scanGrid(tx.QueryRow(ctx, q, code))
		if err != nil {
			return translate(err, "grid "+code)
		}
		if upd.Name != nil {
			g.Name = *upd.Name
		}
		if upd.ParentCode != nil {
			g.ParentCode = *upd.ParentCode
		}
		if upd.Geometry != nil {
			g.Geometry = *upd.Geometry
		}
		if upd.Version != nil && *upd.Version != g.Version {
			return errs.E(errs.Conflict, "version_mismatch", "grid %s is at version %d, not %d", code, g.Version, *upd.Version)
		}
		if upd.Geometry != nil || upd.ParentCode != nil {
			if err := guardTopology(ctx, tx, []*registry.Grid{g}, nil, check); err != nil {
				return err
			}
		}
		res, err := upsertGrid(ctx, tx, g, at, upd.Version)
		if err != nil {
			return err
		}
		if res != unchanged {
			if err := insertEvents(ctx, tx, gridEvents([]*registry.Grid{g})); err != nil {
				return err
			}
			if err := bumpLayer(ctx, tx, "grids"); err != nil {
				return err
			}
		}
		out = g
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EditGrids writes the grids of a multi-grid edit in one transaction: the
// topology lock, every version check, the guard on the result as a whole,
// the carry-over to the successors of ended grids, then the writes. Any failure rolls everything back.
func (s *GridStore) EditGrids(ctx context.Context, writes []registry.GridWrite, at time.Time, check registry.TopologyCheck) ([]registry.CarryOver, error) {
	var plan []registry.CarryOver
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := lockTopology(ctx, tx); err != nil {
			return err
		}
		var grids []*registry.Grid
		var ended []string
		for _, w := range writes {
			var version int
			err := tx.QueryRow(ctx, `SELECT version FROM grid_versions WHERE code = $1 AND valid_to IS NULL`, w.Grid.Code).Scan(&version)
			switch {
			case err == pgx.ErrNoRows && w.Want == 0:
			case err == pgx.ErrNoRows:
				return errs.NotFoundf("grid %s not found", w.Grid.Code)
			case err != nil:
				return translate(err, "grid "+w.Grid.Code)
			case w.Want == 0:
				return errs.E(errs.Conflict, "grid_exists", "grid %s already exists (version %d)", w.Grid.Code, version)
			case version != w.Want:
				return errs.E(errs.Conflict, "version_mismatch", "grid %s is at version %d, not %d", w.Grid.Code, version, w.Want)
			}
			if w.End {
				ended = append(ended, w.Grid.Code)
			} else {
				grids = append(grids, w.Grid)
			}
		}
		if err := guardTopology(ctx, tx, grids, ended, check); err != nil {
			return err
		}
		var err error
		if plan, err = planCarryOver(ctx, tx, writes, at); err != nil {
			return err
		}
		if err := applyCarryOver(ctx, tx, writes, plan, at); err != nil {
			return err
		}
		for _, w := range writes {
			if w.End {
				if err := endGrid(ctx, tx, w.Grid.Code, at); err != nil {
					return err
				}
				continue
			}
			var want *int
			if w.Want > 0 {
				want = &w.Want
			}
			if _, err := upsertGrid(ctx, tx, w.Grid, at, want); err != nil {
				return err
			}
		}
		written := make([]*registry.Grid, len(writes))
		for i, w := range writes {
			written[i] = w.Grid
		}
		if err := insertEvents(ctx, tx, gridEvents(written)); err != nil {
			return err
		}
		return bumpLayer(ctx, tx, "grids")
	})
	if err != nil {
		return nil, err
	}
	return plan, nil
}

// endGrid closes the current version of code without a successor, and the
// assignments of people to it. A grid with current children cannot end.
func endGrid(ctx context.Context, tx pgx.Tx, code string, at time.Time) error {
	var kids int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM grid_versions WHERE parent_code = $1 AND valid_to IS NULL`, code).Scan(&kids); err != nil {
		return translate(err, "grid "+code)
	}
	if kids > 0 {
		return errs.E(errs.Unprocessable, "grid_has_children", "grid %s has %d current children; end or move them first", code, kids)
	}
	if _, err := tx.Exec(ctx, `UPDATE grid_versions SET valid_to = greatest($2, valid_from + interval '1 microsecond')
WHERE code = $1 AND valid_to IS NULL`, code, at); err != nil {
		return translate(err, "grid "+code)
	}
	// Its people's assignments end the same day (Shanghai); those that had
	// not begun yet are withdrawn.
	if _, err := tx.Exec(ctx, `DELETE FROM grid_assignments WHERE grid_code = $1 AND valid_from >= ($2::timestamptz AT TIME ZONE 'Asia/Shanghai')::date`, code, at); err != nil {
		return translate(err, "assignments of grid "+code)
	}
	_, err := tx.Exec(ctx, `UPDATE grid_assignments SET valid_to = ($2::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
WHERE grid_code = $1 AND (valid_to IS NULL OR valid_to > ($2::timestamptz AT TIME ZONE 'Asia/Shanghai')::date)`, code, at)
	return translate(err, "assignments of grid "+code)
}
