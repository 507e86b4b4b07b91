package postgis

import (
	"context"
	"errors"
	"fmt"

	"github.com/gridd/gridd/internal/casework"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
)

// FindRules returns the routing rules in order.
func (s *CaseStore) FindRules(ctx context.Context) ([]*casework.Rule, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT id, position, name, category_code, pred_kind, coalesce(zone_code, ''), coalesce(road_kind, ''),
  coalesce(distance_m, 0), grid_codes, coalesce(lead_unit, ''), co_units, coalesce(upper_unit, '')
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
			&r.LeadUnit, &r.CoUnits, &r.UpperUnit); err != nil {
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
			if p.Kind == casework.PredNearRoad || p.Kind == casework.PredResponsible {
				dist = &p.DistanceM
			}
			co := r.CoUnits
			if co == nil {
				co = []string{}
			}
			err := tx.QueryRow(ctx, `
INSERT INTO routing_rules (position, name, category_code, pred_kind, zone_code, road_kind, distance_m, grid_codes, lead_unit, co_units, upper_unit)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
				r.Position, r.Name, r.Category, p.Kind, nullIfEmpty(p.Zone), nullIfEmpty(p.RoadKind), dist, grids, nullIfEmpty(r.LeadUnit), co, nullIfEmpty(r.UpperUnit)).Scan(&r.ID)
			if err != nil {
				return translate(err, "routing rule "+r.Name)
			}
		}
		return nil
	})
}

// routingVersionSQL is the version of the routing layers: their
// layer_revisions entries (the timestamps keep it distinct across a
// rebuilt database).
const routingVersionSQL = `
SELECT string_agg(layer || '=' || revision || '.' || (extract(epoch FROM changed_at) * 1000000)::bigint, ',' ORDER BY layer)
FROM layer_revisions WHERE layer IN ('zones', 'roads')`

// RoutingVersion returns the version of the zones and roads.
func (s *CaseStore) RoutingVersion(ctx context.Context) (string, error) {
	var v string
	err := s.db.Pool.QueryRow(ctx, routingVersionSQL).Scan(&v)
	return v, translate(err, "routing layers")
}

// RoutingLayers reads the zones and roads and their version in one
// snapshot.
func (s *CaseStore) RoutingLayers(ctx context.Context) (*casework.RoutingLayers, error) {
	l := &casework.RoutingLayers{}
	err := pgx.BeginTxFunc(ctx, s.db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, routingVersionSQL).Scan(&l.Version); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT code, name, coalesce(unit_code, ''), ST_AsEWKB(geom) FROM zones ORDER BY code`)
		if err != nil {
			return err
		}
		var code, name, unit string
		var raw []byte
		if _, err := pgx.ForEachRow(rows, []any{&code, &name, &unit, &raw}, func() error {
			mp, err := decodeMultiPolygon(raw)
			if err != nil {
				return err
			}
			l.Zones = append(l.Zones, casework.ZoneShape{Code: code, Name: name, Unit: unit, Geom: mp})
			return nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT code, name, kind, coalesce(unit_code, ''), ST_AsEWKB(geom) FROM roads ORDER BY code`)
		if err != nil {
			return err
		}
		var kind string
		_, err = pgx.ForEachRow(rows, []any{&code, &name, &kind, &unit, &raw}, func() error {
			g, err := decodeGeom(raw)
			if err != nil {
				return err
			}
			ls, ok := g.(orb.LineString)
			if !ok {
				return fmt.Errorf("road %s: %T, want a LineString", code, g)
			}
			l.Roads = append(l.Roads, casework.RoadShape{Code: code, Name: name, Kind: kind, Unit: unit, Geom: ls})
			return nil
		})
		return err
	})
	return l, translate(err, "routing layers")
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
	_, err := s.db.exec(ctx, `
INSERT INTO case_categories (code, parent_code, name, name_en, points, accept_days, handle_days, verify_days, active)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (code) DO UPDATE SET name = $3, name_en = $4, points = $5, accept_days = $6, handle_days = $7,
  verify_days = $8, active = $9`,
		c.Code, nullIfEmpty(c.Parent), c.Name, c.NameEN, c.Points, c.Rule.AcceptDays, c.Rule.HandleDays, c.Rule.VerifyDays, c.Active)
	return translate(err, "category "+c.Code)
}

// IntakeFacts batches the routing layers' version, the duplicate search, the
// grid's worker on the day, the idempotency key's case, the new case's id
// and the next case number into one round trip.
func (s *CaseStore) IntakeFacts(ctx context.Context, q casework.IntakeQuery) (casework.IntakeFacts, error) {
	out := casework.IntakeFacts{}
	p := q.Point
	b := &pgx.Batch{}
	b.Queue(routingVersionSQL).QueryRow(func(row pgx.Row) error { return row.Scan(&out.LayersVersion) })
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
	b.Queue(`SELECT nextval('cases_id_seq')`).QueryRow(func(row pgx.Row) error { return row.Scan(&out.CaseID) })
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
