package postgis

import (
	"context"
	"errors"

	"github.com/gridd/gridd/internal/casework"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
)

// FindRules returns the routing rules in order.
func (s *CaseStore) FindRules(ctx context.Context) ([]*casework.Rule, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT id, position, name, category_code, pred_kind, coalesce(zone_code, ''), coalesce(road_kind, ''),
  coalesce(distance_m, 0), grid_codes, lead_unit, co_units
FROM routing_rules ORDER BY position`)
	if err != nil {
		return nil, translate(err, "routing rules")
	}
	defer rows.Close()
	out := []*casework.Rule{}
	for rows.Next() {
		var r casework.Rule
		p := &r.Predicate
		if err := rows.Scan(&r.ID, &r.Position, &r.Name, &r.Category, &p.Kind, &p.Zone, &p.RoadKind, &p.DistanceM, &p.Grids,
			&r.LeadUnit, &r.CoUnits); err != nil {
			return nil, err
		}
		if len(p.Grids) == 0 {
			p.Grids = nil
		}
		out = append(out, &r)
	}
	return out, translate(rows.Err(), "routing rules")
}

// ReplaceRules replaces the whole rule list in one transaction and sets the rules' ids.
func (s *CaseStore) ReplaceRules(ctx context.Context, rules []*casework.Rule) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM routing_rules`); err != nil {
			return translate(err, "routing rules")
		}
		for _, r := range rules {
			p := r.Predicate
			grids := p.Grids
			if grids == nil {
				grids = []string{}
			}
			var dist *float64
			if p.Kind == casework.PredNearRoad {
				dist = &p.DistanceM
			}
			co := r.CoUnits
			if co == nil {
				co = []string{}
			}
			err := tx.QueryRow(ctx, `
INSERT INTO routing_rules (position, name, category_code, pred_kind, zone_code, road_kind, distance_m, grid_codes, lead_unit, co_units)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
				r.Position, r.Name, r.Category, p.Kind, nullIfEmpty(p.Zone), nullIfEmpty(p.RoadKind), dist, grids, r.LeadUnit, co).Scan(&r.ID)
			if err != nil {
				return translate(err, "routing rule "+r.Name)
			}
		}
		return nil
	})
}

// RoutingFacts returns the zones containing p and the nearest road of each
// kind with its geodesic distance in metres.
func (s *CaseStore) RoutingFacts(ctx context.Context, p orb.Point) (casework.Facts, error) {
	f := casework.Facts{Roads: map[string]casework.RoadDistance{}}
	b := &pgx.Batch{}
	queueFacts(b, p, &f)
	err := s.db.Pool.SendBatch(ctx, b).Close()
	return f, translate(err, "routing facts")
}

func queueFacts(b *pgx.Batch, p orb.Point, f *casework.Facts) {
	b.Queue(`SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM zones WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`,
		p[0], p[1]).QueryRow(func(row pgx.Row) error { return row.Scan(&f.Zones) })
	// The nearest road of each kind is picked by distance on the sphere
	// (several times cheaper), and only its distance is measured on the
	// spheroid.
	b.Queue(`
SELECT kind, code, name, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography) FROM (
	SELECT DISTINCT ON (kind) kind, code, name, geom FROM roads
	ORDER BY kind, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, false), code
) nearest`, p[0], p[1]).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var kind string
			var rd casework.RoadDistance
			if err := rows.Scan(&kind, &rd.Code, &rd.Name, &rd.DistanceM); err != nil {
				return err
			}
			f.Roads[kind] = rd
		}
		return rows.Err()
	})
}

// LayerNames lists the zone codes and road kinds.
func (s *CaseStore) LayerNames(ctx context.Context) ([]string, []string, error) {
	var zones, kinds []string
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce((SELECT array_agg(code ORDER BY code) FROM zones), '{}'),
  coalesce((SELECT array_agg(DISTINCT kind) FROM roads), '{}')`).Scan(&zones, &kinds)
	return zones, kinds, translate(err, "layers")
}

// FindCategories returns the taxonomy, big classes before their small classes.
func (s *CaseStore) FindCategories(ctx context.Context) ([]*casework.Category, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT code, coalesce(parent_code, ''), name, name_en, points::float8, accept_days, handle_days, verify_days, active
FROM case_categories ORDER BY code`)
	if err != nil {
		return nil, translate(err, "categories")
	}
	defer rows.Close()
	out := []*casework.Category{}
	for rows.Next() {
		var c casework.Category
		if err := rows.Scan(&c.Code, &c.Parent, &c.Name, &c.NameEN, &c.Points, &c.Rule.AcceptDays, &c.Rule.HandleDays,
			&c.Rule.VerifyDays, &c.Active); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, translate(rows.Err(), "categories")
}

// SaveCategory inserts or updates a category.
func (s *CaseStore) SaveCategory(ctx context.Context, c *casework.Category) error {
	_, err := s.db.Pool.Exec(ctx, `
INSERT INTO case_categories (code, parent_code, name, name_en, points, accept_days, handle_days, verify_days, active)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (code) DO UPDATE SET name = $3, name_en = $4, points = $5, accept_days = $6, handle_days = $7,
  verify_days = $8, active = $9`,
		c.Code, nullIfEmpty(c.Parent), c.Name, c.NameEN, c.Points, c.Rule.AcceptDays, c.Rule.HandleDays, c.Rule.VerifyDays, c.Active)
	return translate(err, "category "+c.Code)
}

// IntakeFacts batches RoutingFacts, FindDuplicates and the grid's worker
// on the day into one round trip.
func (s *CaseStore) IntakeFacts(ctx context.Context, q casework.IntakeQuery) (casework.IntakeFacts, error) {
	out := casework.IntakeFacts{Facts: casework.Facts{Roads: map[string]casework.RoadDistance{}}}
	p := q.Point
	b := &pgx.Batch{}
	queueFacts(b, p, &out.Facts)
	b.Queue(duplicatesSQL, q.Category, p[0], p[1], q.Since, q.RadiusM).Query(func(rows pgx.Rows) error {
		var err error
		out.Duplicates, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	if q.GridCode != "" {
		// As people.FindAssignments orders them: the first worker by start.
		b.Queue(`
SELECT user_id FROM grid_assignments
WHERE grid_code = $1 AND grid_role = 'worker' AND valid_from <= $2::date AND (valid_to IS NULL OR valid_to > $2::date)
ORDER BY valid_from, id LIMIT 1`, q.GridCode, q.Day).Query(func(rows pgx.Rows) error {
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if len(ids) > 0 {
				out.WorkerID = ids[0]
			}
			return err
		})
	}
	if q.Key != "" {
		b.Queue(`SELECT coalesce(case_id, 0), request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2`, q.KeyUser, q.Key).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					if err := rows.Scan(&out.KeyCaseID, &out.KeyHash); err != nil {
						return err
					}
				}
				return rows.Err()
			})
	}
	var n int64
	if seq, ok := caseNumberSeq(q.NumberMonth); ok {
		b.Queue(`SELECT nextval($1::regclass)`, seq).QueryRow(func(row pgx.Row) error { return row.Scan(&n) })
	}
	err := s.db.Pool.SendBatch(ctx, b).Close()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" && q.NumberMonth != "" {
		// The month's first case: its number sequence does not exist yet;
		// ask again without it (CreateCase creates it).
		q.NumberMonth = ""
		return s.IntakeFacts(ctx, q)
	}
	if err != nil {
		return out, translate(err, "intake facts")
	}
	if n > 0 {
		if out.Number, err = formatCaseNumber(q.NumberMonth, n); err != nil {
			return out, err
		}
	}
	return out, nil
}
