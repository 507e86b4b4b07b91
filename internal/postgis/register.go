package postgis

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registers"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// RegisterStore implements registers.Store.
type RegisterStore struct{ db *DB }

var _ registers.Store = (*RegisterStore)(nil)

// NewRegisterStore returns the register store on db.
func NewRegisterStore(db *DB) *RegisterStore { return &RegisterStore{db: db} }

// NextRecordIDs reserves n ids from the records' sequence.
func (s *RegisterStore) NextRecordIDs(ctx context.Context, n int) ([]int64, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT nextval(pg_get_serial_sequence('register_records', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, translate(err, "register ids")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, translate(err, "register ids")
}

func nullIfZero[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func recordArgs(r *registers.Record) ([]any, error) {
	var geom, point []byte
	var err error
	if r.Geometry != nil {
		if geom, err = encodeGeom(r.Geometry); err != nil {
			return nil, err
		}
	}
	if r.Point != nil {
		if point, err = encodeGeom(*r.Point); err != nil {
			return nil, err
		}
	}
	attrs, err := json.Marshal(r.Attrs)
	if err != nil {
		return nil, err
	}
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	return []any{r.ID, string(r.Kind), r.Name, r.Address, r.Category, geom, point, nullIfZero(r.GridCode), r.HouseholdID,
		r.Size, r.Phone, r.IDNumberEnc, r.IDNumberMask, tags, attrs, r.CreatedAt, r.UpdatedAt}, nil
}

// CreateRecords inserts the records in one transaction (COPY, so bulk
// imports are fast; geometry travels as EWKB in the binary format).
func (s *RegisterStore) CreateRecords(ctx context.Context, rs []*registers.Record) error {
	rows := make([][]any, len(rs))
	for i, r := range rs {
		args, err := recordArgs(r)
		if err != nil {
			return err
		}
		rows[i] = args
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"register_records"}, []string{"id", "kind", "name", "address", "category",
			"geom", "point", "grid_code", "household_id", "size", "phone", "id_number_enc", "id_number_mask", "tags", "attrs",
			"created_at", "updated_at"}, pgx.CopyFromRows(rows))
		return translateWrite(err, "register records")
	})
}

// UpdateRecord replaces a record's fields; the people of a moved
// household follow it to its grid.
func (s *RegisterStore) UpdateRecord(ctx context.Context, r *registers.Record) error {
	args, err := recordArgs(r)
	if err != nil {
		return err
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
UPDATE register_records SET name = $3, address = $4, category = $5, geom = $6::geometry, point = $7::geometry,
	grid_code = $8, household_id = $9, size = $10, phone = $11, id_number_enc = $12, id_number_mask = $13,
	tags = $14, attrs = $15, updated_at = $17
WHERE id = $1 AND kind = $2 AND $16::timestamptz IS NOT NULL`, args...)
		if err != nil {
			return translateWrite(err, string(r.Kind))
		}
		if tag.RowsAffected() == 0 {
			return errs.NotFoundf("%s %d not found", r.Kind, r.ID)
		}
		if r.Kind == registers.Household {
			_, err = tx.Exec(ctx, `UPDATE register_records SET grid_code = $2 WHERE household_id = $1`, r.ID, nullIfZero(r.GridCode))
		}
		return translate(err, "people of household")
	})
}

// DeleteRecord deletes a record; a household that still has people is a conflict.
func (s *RegisterStore) DeleteRecord(ctx context.Context, kind registers.Kind, id int64) error {
	tag, err := s.db.exec(ctx, `DELETE FROM register_records WHERE id = $1 AND kind = $2`, id, string(kind))
	if err != nil {
		if errs.Is(translate(err, ""), errs.Invalid) {
			return errs.Conflictf("household_has_people", "household %d still has people; delete or move them first", id)
		}
		return translate(err, string(kind))
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("%s %d not found", kind, id)
	}
	return nil
}

const recordColumns = `id, kind, name, address, category, geom, point, coalesce(grid_code, ''), household_id, size, phone,
	id_number_enc, id_number_mask, tags, attrs, created_at, updated_at`

func scanRecord(row pgx.Row) (*registers.Record, error) {
	var r registers.Record
	var kind string
	var geom, point, attrs []byte
	if err := row.Scan(&r.ID, &kind, &r.Name, &r.Address, &r.Category, &geom, &point, &r.GridCode, &r.HouseholdID, &r.Size,
		&r.Phone, &r.IDNumberEnc, &r.IDNumberMask, &r.Tags, &attrs, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return nil, err
	}
	r.Kind = registers.Kind(kind)
	var err error
	if r.Geometry, err = decodeGeom(geom); err != nil {
		return nil, err
	}
	if point != nil {
		g, err := decodeGeom(point)
		if err != nil {
			return nil, err
		}
		p := g.(orb.Point)
		r.Point = &p
	}
	if err := json.Unmarshal(attrs, &r.Attrs); err != nil {
		return nil, err
	}
	return &r, nil
}

// FindRecord returns one record of kind.
func (s *RegisterStore) FindRecord(ctx context.Context, kind registers.Kind, id int64) (*registers.Record, error) {
	r, err := scanRecord(s.db.Pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM register_records WHERE id = $1 AND kind = $2`, id, string(kind)))
	if err != nil {
		return nil, translate(err, string(kind))
	}
	return r, nil
}

// FindRecords returns a page of records (by id after f.After) and the
// total count matching f.
func (s *RegisterStore) FindRecords(ctx context.Context, f registers.Filter) ([]*registers.Record, int, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	a := &sqlArgs{}
	w := []string{"r.kind = " + a.add(string(f.Kind))}
	if f.Within != nil {
		w = append(w, gridScopeCondition(a, "r.grid_code", f.Within))
	}
	if f.GridCode != nil {
		w = append(w, "coalesce(r.grid_code, '') = "+a.add(*f.GridCode))
	}
	if f.Category != nil {
		w = append(w, "r.category = "+a.add(*f.Category))
	}
	if f.Tag != nil {
		w = append(w, a.add(*f.Tag)+" = ANY(r.tags)")
	}
	if f.Q != "" {
		q := a.add(f.Q)
		w = append(w, "(r.name ILIKE '%' || "+q+" || '%' OR r.address ILIKE '%' || "+q+" || '%')")
	}
	if f.BBox != nil {
		w = append(w, "r.point && ST_MakeEnvelope("+a.add(f.BBox.Min[0])+", "+a.add(f.BBox.Min[1])+", "+
			a.add(f.BBox.Max[0])+", "+a.add(f.BBox.Max[1])+", 4326)")
	}
	if f.HouseholdID != nil {
		w = append(w, "r.household_id = "+a.add(*f.HouseholdID))
	}
	cond := and(w)
	var total int
	if err := s.db.reader(ctx).QueryRow(ctx, `SELECT count(*) FROM register_records r WHERE `+cond, a.vals...).Scan(&total); err != nil {
		return nil, 0, translate(err, "registers")
	}
	rows, err := s.db.reader(ctx).Query(ctx, `SELECT `+recordColumns+` FROM register_records r WHERE `+cond+`
  AND r.id > `+a.add(f.After)+` ORDER BY r.id LIMIT `+a.add(limit), a.vals...)
	if err != nil {
		return nil, 0, translate(err, "registers")
	}
	defer rows.Close()
	var out []*registers.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, translate(rows.Err(), "registers")
}

// LocatedRecords lists every located record (not people) and key person with a point.
func (s *RegisterStore) LocatedRecords(ctx context.Context) ([]registers.Located, []registers.Located, error) {
	read := func(q string) ([]registers.Located, error) {
		rows, err := s.db.Pool.Query(ctx, q)
		if err != nil {
			return nil, translate(err, "located records")
		}
		defer rows.Close()
		var out []registers.Located
		for rows.Next() {
			var l registers.Located
			if err := rows.Scan(&l.ID, &l.Point[0], &l.Point[1], &l.GridCode); err != nil {
				return nil, err
			}
			out = append(out, l)
		}
		return out, translate(rows.Err(), "located records")
	}
	recs, err := read(`SELECT id, ST_X(point), ST_Y(point), coalesce(grid_code, '') FROM register_records WHERE point IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, nil, err
	}
	kps, err := read(`SELECT id, ST_X(point), ST_Y(point), coalesce(grid_code, '') FROM key_persons WHERE point IS NOT NULL ORDER BY id`)
	return recs, kps, err
}

// SetGrids moves records and key persons to new grids in one transaction;
// people follow their households. It rebuilds the per-grid counts, which
// also depend on the grid tree, even when nothing moves.
func (s *RegisterStore) SetGrids(ctx context.Context, records, keyPersons map[int64]string) error {
	split := func(m map[int64]string) ([]int64, []*string) {
		ids := make([]int64, 0, len(m))
		codes := make([]*string, 0, len(m))
		for id, c := range m {
			ids = append(ids, id)
			codes = append(codes, nullIfZero(c))
		}
		return ids, codes
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		ids, codes := split(records)
		if _, err := tx.Exec(ctx, `
UPDATE register_records r SET grid_code = u.code
FROM unnest($1::bigint[], $2::text[]) AS u(id, code) WHERE r.id = u.id`, ids, codes); err != nil {
			return translate(err, "register grids")
		}
		if _, err := tx.Exec(ctx, `
UPDATE register_records p SET grid_code = h.grid_code
FROM register_records h WHERE p.household_id = h.id AND h.id = ANY($1) AND p.grid_code IS DISTINCT FROM h.grid_code`, ids); err != nil {
			return translate(err, "register grids")
		}
		kids, kcodes := split(keyPersons)
		// A key person whose point left every grid keeps its grid: its
		// file must always have a responsible grid.
		_, err := tx.Exec(ctx, `
UPDATE key_persons k SET grid_code = u.code
FROM unnest($1::bigint[], $2::text[]) AS u(id, code) WHERE k.id = u.id AND u.code IS NOT NULL`, kids, kcodes)
		if err != nil {
			return translate(err, "key person grids")
		}
		// The grids may have been re-parented even where no record moved.
		_, err = tx.Exec(ctx, `SELECT rebuild_grid_register_counts()`)
		return translate(err, "register counts")
	})
}

// GridCounts counts the records of code's subtree, from the counts the
// register_records triggers keep (migration 00008).
func (s *RegisterStore) GridCounts(ctx context.Context, code string) (*registers.Counts, error) {
	var c registers.Counts
	err := s.db.Pool.QueryRow(ctx, `
SELECT coalesce(max(households), 0), coalesce(max(people), 0), coalesce(max(buildings), 0),
       coalesce(max(businesses), 0), coalesce(max(places), 0), coalesce(max(organisations), 0)
FROM grid_register_counts WHERE grid_code = $1`, code).
		Scan(&c.Households, &c.People, &c.Buildings, &c.Businesses, &c.Places, &c.Organisations)
	return &c, translate(err, "grid counts")
}

// CoverageRows returns per-grid totals for the subtree of parent ("" =
// all grids) and, for the whole registry, the records outside every grid.
func (s *RegisterStore) CoverageRows(ctx context.Context, parent string, on time.Time) ([]registers.GridCoverage, []registers.Outside, error) {
	day := time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
	a := &sqlArgs{}
	dayP := a.add(day)
	w := []string{"g.valid_to IS NULL"}
	if parent != "" {
		w = append(w, gridScopeCondition(a, "g.code", []string{parent}))
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT g.code, g.name, g.level, coalesce(g.parent_code, ''),
       NOT EXISTS (SELECT 1 FROM grid_versions c WHERE c.parent_code = g.code AND c.valid_to IS NULL),
       count(r.id) FILTER (WHERE r.kind = 'household'), count(r.id) FILTER (WHERE r.kind = 'person'),
       count(r.id) FILTER (WHERE r.kind NOT IN ('household', 'person')),
       g.households, g.population,
       (SELECT count(DISTINCT a.user_id) FROM grid_assignments a WHERE a.grid_code = g.code
          AND a.grid_role IN ('worker', 'head') AND a.valid_from <= `+dayP+` AND (a.valid_to IS NULL OR a.valid_to > `+dayP+`))
FROM grid_versions g LEFT JOIN register_records r ON r.grid_code = g.code
WHERE `+and(w)+`
GROUP BY g.code, g.name, g.level, g.parent_code, g.households, g.population
ORDER BY g.code`, a.vals...)
	if err != nil {
		return nil, nil, translate(err, "coverage")
	}
	var grids []registers.GridCoverage
	for rows.Next() {
		var g registers.GridCoverage
		if err := rows.Scan(&g.Code, &g.Name, &g.Level, &g.ParentCode, &g.Leaf, &g.Households, &g.People, &g.Others,
			&g.OfficialHouseholds, &g.OfficialPopulation, &g.Workers); err != nil {
			rows.Close()
			return nil, nil, err
		}
		grids = append(grids, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err, "coverage")
	}
	var outside []registers.Outside
	if parent == "" {
		rows, err := s.db.Pool.Query(ctx, `SELECT kind, id, name, ST_X(point), ST_Y(point) FROM register_records
WHERE grid_code IS NULL AND point IS NOT NULL ORDER BY id LIMIT 10000`)
		if err != nil {
			return nil, nil, translate(err, "coverage")
		}
		defer rows.Close()
		for rows.Next() {
			var o registers.Outside
			var kind string
			if err := rows.Scan(&kind, &o.ID, &o.Name, &o.Point[0], &o.Point[1]); err != nil {
				return nil, nil, err
			}
			o.Kind = registers.Kind(kind)
			outside = append(outside, o)
		}
		if err := rows.Err(); err != nil {
			return nil, nil, translate(err, "coverage")
		}
	}
	return grids, outside, nil
}
