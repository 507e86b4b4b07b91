package postgis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/registry"

	"github.com/gridd/gridd/internal/layers"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// LayerStore keeps the routing layers: zones (polygons such as the
// town-seat area) and roads (lines such as main roads).
type LayerStore struct{ db *DB }

// NewLayerStore returns the layer store on db.
func NewLayerStore(db *DB) *LayerStore { return &LayerStore{db: db} }

// CreateZone inserts a zone polygon valid from at (version 1).
func (s *LayerStore) CreateZone(ctx context.Context, code, name, kind string, geom orb.MultiPolygon, at time.Time) error {
	b, err := encodeGeom(geom)
	if err != nil {
		return err
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO zones (code, name, kind, geom, valid_from) VALUES ($1, $2, $3, $4::geometry, $5)`, code, name, kind, b, at); err != nil {
			return translateWrite(err, "zone "+code)
		}
		return bumpLayer(ctx, tx, "zones")
	})
}

// CreateRoad inserts a road line valid from at (version 1).
func (s *LayerStore) CreateRoad(ctx context.Context, code, name, kind string, geom orb.LineString, at time.Time) error {
	b, err := encodeGeom(geom)
	if err != nil {
		return err
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO roads (code, name, kind, geom, valid_from) VALUES ($1, $2, $3, $4::geometry, $5)`, code, name, kind, b, at); err != nil {
			return translateWrite(err, "road "+code)
		}
		return bumpLayer(ctx, tx, "roads")
	})
}

var _ layers.Store = (*LayerStore)(nil)

// layerTable maps a layer to its table; SQL takes table names only from here.
var layerTable = map[layers.Layer]string{layers.Zones: "zones", layers.Roads: "roads"}

// ReplaceLayer replaces every zone or road section in one transaction at
// at, keeping history: an item whose name, kind, unit and geometry the
// file leaves equal keeps its row and version; a changed or removed one
// moves to layer_versions ending at at; a changed or new one is written
// with the next version (a code that ended earlier continues its
// numbering). The layer's revision is bumped (the routing copy in memory
// follows it).
func (s *LayerStore) ReplaceLayer(ctx context.Context, layer layers.Layer, items []layers.Item, at time.Time) (layers.Changes, error) {
	var ch layers.Changes
	table := layerTable[layer]
	if table == "" {
		return ch, fmt.Errorf("replace layer: unknown layer %q", layer)
	}
	rows := make([][]any, len(items))
	for i, it := range items {
		b, err := encodeGeom(it.Geom)
		if err != nil {
			return ch, err
		}
		rows[i] = []any{it.Code, it.Name, it.Kind, nullIfEmpty(it.Unit), b}
	}
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		ch = layers.Changes{}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE layer_incoming (code text, name text, kind text, unit_code text, geom bytea) ON COMMIT DROP`); err != nil {
			return translate(err, string(layer))
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"layer_incoming"}, []string{"code", "name", "kind", "unit_code", "geom"}, pgx.CopyFromRows(rows)); err != nil {
			return translate(err, string(layer))
		}
		// Every version begins after the one before it.
		if err := tx.QueryRow(ctx, `SELECT greatest($1::timestamptz, (SELECT max(valid_from) + interval '1 microsecond' FROM `+table+`))`, at).Scan(&at); err != nil {
			return translate(err, string(layer))
		}
		// The rows that end: removed, or changed in any attribute.
		err := tx.QueryRow(ctx, `
WITH ended AS (
	DELETE FROM `+table+` t
	WHERE NOT EXISTS (SELECT 1 FROM layer_incoming i WHERE i.code = t.code AND i.name = t.name AND i.kind = t.kind
	                  AND i.unit_code IS NOT DISTINCT FROM t.unit_code AND ST_Equals(ST_GeomFromEWKB(i.geom), t.geom))
	RETURNING t.*
), kept AS (
	INSERT INTO layer_versions (layer, code, name, kind, unit_code, geom, version, valid_from, valid_to)
	SELECT $1, code, name, kind, unit_code, geom, version, valid_from, $2 FROM ended
	RETURNING code
)
SELECT (SELECT count(*) FROM kept WHERE code NOT IN (SELECT code FROM layer_incoming))::int,
       (SELECT count(*) FROM kept WHERE code IN (SELECT code FROM layer_incoming))::int`, string(layer), at).Scan(&ch.Removed, &ch.Changed)
		if err != nil {
			return translate(err, string(layer))
		}
		tag, err := tx.Exec(ctx, `
INSERT INTO `+table+` (code, name, kind, unit_code, geom, version, valid_from)
SELECT i.code, i.name, i.kind, i.unit_code, ST_GeomFromEWKB(i.geom),
       coalesce((SELECT max(v.version) FROM layer_versions v WHERE v.layer = $1 AND v.code = i.code), 0) + 1, $2
FROM layer_incoming i WHERE NOT EXISTS (SELECT 1 FROM `+table+` t WHERE t.code = i.code)`, string(layer), at)
		if err != nil {
			return translate(err, string(layer))
		}
		ch.Added = int(tag.RowsAffected()) - ch.Changed
		ch.Unchanged = len(items) - int(tag.RowsAffected())
		if tag.RowsAffected() == 0 && ch.Removed == 0 {
			return nil
		}
		return bumpLayer(ctx, tx, table)
	})
	return ch, err
}

// layerAtSQL selects a layer's items valid at $1: the current rows begun
// by then and the ended versions valid then. %[1]s is the table, %[2]s
// the layer name's parameter.
const layerAtSQL = `SELECT code, name, kind, unit_code, geom, version, valid_from FROM %[1]s WHERE valid_from <= $1
UNION ALL
SELECT code, name, kind, unit_code, geom, version, valid_from FROM layer_versions
WHERE layer = %[2]s AND valid_from <= $1 AND valid_to > $1`

// FindLayer returns the zones or road sections ordered by code, as of at
// (nil: the current rows).
func (s *LayerStore) FindLayer(ctx context.Context, layer layers.Layer, at *time.Time) ([]layers.Item, error) {
	table := layerTable[layer]
	if table == "" {
		return nil, fmt.Errorf("find layer: unknown layer %q", layer)
	}
	q := `SELECT code, name, kind, coalesce(unit_code, ''), ST_AsEWKB(geom), version, valid_from FROM ` + table + ` ORDER BY code`
	args := []any{}
	if at != nil {
		q = `SELECT code, name, kind, coalesce(unit_code, ''), ST_AsEWKB(geom), version, valid_from FROM (` +
			fmt.Sprintf(layerAtSQL, table, "$2") + `) l ORDER BY code`
		args = []any{*at, string(layer)}
	}
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, string(layer))
	}
	out := []layers.Item{}
	var it layers.Item
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&it.Code, &it.Name, &it.Kind, &it.Unit, &raw, &it.Version, &it.ValidFrom}, func() error {
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

// LayerHistory compares the layer as of from and to: the items whose
// version differs, with the area (zones) or length (roads) of each side.
func (s *LayerStore) LayerHistory(ctx context.Context, layer layers.Layer, from, to time.Time) ([]layers.Change, error) {
	table := layerTable[layer]
	if table == "" {
		return nil, fmt.Errorf("layer history: unknown layer %q", layer)
	}
	size := "ST_Area(%s::geography)"
	if layer == layers.Roads {
		size = "ST_Length(%s::geography)"
	}
	atFrom := fmt.Sprintf(layerAtSQL, table, "$3")
	atTo := strings.ReplaceAll(atFrom, "$1", "$2")
	q := `WITH a AS (` + atFrom + `), b AS (` + atTo + `)
SELECT coalesce(a.code, b.code),
       a.code IS NOT NULL, coalesce(a.name, ''), coalesce(a.kind, ''), coalesce(a.unit_code, ''), ST_AsEWKB(a.geom), coalesce(a.version, 0), a.valid_from, coalesce(` + fmt.Sprintf(size, "a.geom") + `, 0),
       b.code IS NOT NULL, coalesce(b.name, ''), coalesce(b.kind, ''), coalesce(b.unit_code, ''), ST_AsEWKB(b.geom), coalesce(b.version, 0), b.valid_from, coalesce(` + fmt.Sprintf(size, "b.geom") + `, 0)
FROM a FULL JOIN b ON a.code = b.code
WHERE a.version IS DISTINCT FROM b.version
ORDER BY 1`
	rows, err := s.db.Pool.Query(ctx, q, from, to, string(layer))
	if err != nil {
		return nil, translate(err, string(layer)+" history")
	}
	out := []layers.Change{}
	for rows.Next() {
		var c layers.Change
		var hasA, hasB bool
		var a, b layers.Item
		var ga, gb []byte
		var fa, fb *time.Time
		if err := rows.Scan(&c.Code, &hasA, &a.Name, &a.Kind, &a.Unit, &ga, &a.Version, &fa, &c.SizeFrom,
			&hasB, &b.Name, &b.Kind, &b.Unit, &gb, &b.Version, &fb, &c.SizeTo); err != nil {
			rows.Close()
			return nil, translate(err, string(layer)+" history")
		}
		for _, side := range []struct {
			has  bool
			it   *layers.Item
			raw  []byte
			from *time.Time
			dst  **layers.Item
		}{{hasA, &a, ga, fa, &c.Before}, {hasB, &b, gb, fb, &c.After}} {
			if !side.has {
				continue
			}
			g, err := decodeGeom(side.raw)
			if err != nil {
				rows.Close()
				return nil, err
			}
			side.it.Code, side.it.Geom, side.it.ValidFrom = c.Code, g, *side.from
			*side.dst = side.it
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
	return out, translate(rows.Err(), string(layer)+" history")
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
