package postgis

import (
	"context"
	"fmt"

	"github.com/gridd/gridd/internal/layers"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// LayerStore keeps the routing layers: zones (polygons such as the
// town-seat area) and roads (lines such as main roads).
type LayerStore struct{ db *DB }

// NewLayerStore returns the layer store on db.
func NewLayerStore(db *DB) *LayerStore { return &LayerStore{db: db} }

// CreateZone inserts a zone polygon.
func (s *LayerStore) CreateZone(ctx context.Context, code, name, kind string, geom orb.MultiPolygon) error {
	b, err := encodeGeom(geom)
	if err != nil {
		return err
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO zones (code, name, kind, geom) VALUES ($1, $2, $3, $4::geometry)`, code, name, kind, b); err != nil {
			return translateWrite(err, "zone "+code)
		}
		return bumpLayer(ctx, tx, "zones")
	})
}

// CreateRoad inserts a road line.
func (s *LayerStore) CreateRoad(ctx context.Context, code, name, kind string, geom orb.LineString) error {
	b, err := encodeGeom(geom)
	if err != nil {
		return err
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO roads (code, name, kind, geom) VALUES ($1, $2, $3, $4::geometry)`, code, name, kind, b); err != nil {
			return translateWrite(err, "road "+code)
		}
		return bumpLayer(ctx, tx, "roads")
	})
}

var _ layers.Store = (*LayerStore)(nil)

// ReplaceLayer replaces every zone or road section in one transaction and
// bumps the layer's revision (the routing copy in memory follows it).
func (s *LayerStore) ReplaceLayer(ctx context.Context, layer layers.Layer, items []layers.Item) error {
	rows := make([][]any, len(items))
	for i, it := range items {
		b, err := encodeGeom(it.Geom)
		if err != nil {
			return err
		}
		rows[i] = []any{it.Code, it.Name, it.Kind, nullIfEmpty(it.Unit), b}
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		// The table name comes from the checked list, not from input.
		table := map[layers.Layer]string{layers.Zones: "zones", layers.Roads: "roads"}[layer]
		if table == "" {
			return fmt.Errorf("replace layer: unknown layer %q", layer)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+table); err != nil {
			return translate(err, string(layer))
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, []string{"code", "name", "kind", "unit_code", "geom"}, pgx.CopyFromRows(rows)); err != nil {
			return translate(err, string(layer))
		}
		return bumpLayer(ctx, tx, table)
	})
}

// FindLayer returns the zones or road sections ordered by code.
func (s *LayerStore) FindLayer(ctx context.Context, layer layers.Layer) ([]layers.Item, error) {
	q := `SELECT code, name, kind, coalesce(unit_code, ''), ST_AsEWKB(geom) FROM zones ORDER BY code`
	if layer == layers.Roads {
		q = `SELECT code, name, kind, coalesce(unit_code, ''), ST_AsEWKB(geom) FROM roads ORDER BY code`
	}
	rows, err := s.db.Pool.Query(ctx, q)
	if err != nil {
		return nil, translate(err, string(layer))
	}
	out := []layers.Item{}
	var it layers.Item
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&it.Code, &it.Name, &it.Kind, &it.Unit, &raw}, func() error {
		g, err := decodeGeom(raw)
		if err != nil {
			return err
		}
		it.Geom = g
		out = append(out, it)
		return nil
	})
	return out, translate(err, string(layer))
}

// UnitCodes lists the department codes.
func (s *LayerStore) UnitCodes(ctx context.Context) ([]string, error) {
	var codes []string
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM departments`).Scan(&codes)
	return codes, translate(err, "departments")
}

// RuleReferences lists the zone codes and road kinds routing rules name.
func (s *LayerStore) RuleReferences(ctx context.Context) ([]string, []string, error) {
	var zones, kinds []string
	err := s.db.Pool.QueryRow(ctx, `SELECT
  coalesce((SELECT array_agg(DISTINCT zone_code) FROM routing_rules WHERE zone_code IS NOT NULL), '{}'),
  coalesce((SELECT array_agg(DISTINCT road_kind) FROM routing_rules WHERE road_kind IS NOT NULL), '{}')`).Scan(&zones, &kinds)
	return zones, kinds, translate(err, "routing rules")
}
