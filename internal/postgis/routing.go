package postgis

import (
	"context"
	"fmt"
	"strings"

	"github.com/gridd/gridd/internal/casework"
	"github.com/jackc/pgx/v5"
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

// routingLayerNames are the layers routing reads (sorted): their
// layer_revisions tokens make its version.
var routingLayerNames = []string{"roads", "zones"}

// routingVersion is the routing layers' version in tokens (revisions).
func routingVersion(tokens map[string]string) string {
	var b strings.Builder
	for _, l := range routingLayerNames {
		t, ok := tokens[l]
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l + "=" + t)
	}
	return b.String()
}

// RoutingVersion returns the version of the zones and roads: from the
// layer revisions held in memory while this instance listens for their
// changes (revisions), so that intake reads no table for it. A change made
// on another instance is seen once its notification arrives.
func (s *CaseStore) RoutingVersion(ctx context.Context) (string, error) {
	tokens, err := s.db.revisions(ctx)
	if err != nil {
		return "", err
	}
	return routingVersion(tokens), nil
}

// RoutingLayers reads the zones and roads and their version in one
// snapshot.
func (s *CaseStore) RoutingLayers(ctx context.Context) (*casework.RoutingLayers, error) {
	l := &casework.RoutingLayers{}
	err := pgx.BeginTxFunc(ctx, s.db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		tokens, err := readRevisions(ctx, tx)
		if err != nil {
			return err
		}
		l.Version = routingVersion(tokens)
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

// IntakeFacts gives the routing layers' version (RoutingVersion) and the
// new case's id, drawn in blocks (idBlock): no round trip on the hot path.
// What the case stores but intake decides nothing on (duplicates, the
// grid's worker, the number) its write looks up (CreateCase).
func (s *CaseStore) IntakeFacts(ctx context.Context) (casework.IntakeFacts, error) {
	v, err := s.RoutingVersion(ctx)
	if err != nil {
		return casework.IntakeFacts{}, err
	}
	ids, err := s.db.caseIDs.take(ctx, s.db.Pool, 1, false)
	if err != nil {
		return casework.IntakeFacts{}, err
	}
	return casework.IntakeFacts{LayersVersion: v, CaseID: ids[0]}, nil
}
