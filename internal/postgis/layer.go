package postgis

import (
	"context"

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
			return translate(err, "zone "+code)
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
			return translate(err, "road "+code)
		}
		return bumpLayer(ctx, tx, "roads")
	})
}
