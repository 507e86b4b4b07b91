package postgis

import (
	"context"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/jackc/pgx/v5"
)

const checkpointColumns = `id, name, kind, ST_X(geom), ST_Y(geom), frequency, radius_m, coalesce(grid_code, ''), created_at, updated_at`

func scanCheckpoint(row pgx.Row) (*patrol.Checkpoint, error) {
	var c patrol.Checkpoint
	err := row.Scan(&c.ID, &c.Name, &c.Kind, &c.Lon, &c.Lat, &c.Frequency, &c.RadiusM, &c.GridCode, &c.CreatedAt, &c.UpdatedAt)
	return &c, err
}

func checkpointGrid(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateCheckpoint stores a new checkpoint and sets its id and times.
func (s *PatrolStore) CreateCheckpoint(ctx context.Context, c *patrol.Checkpoint) error {
	now := s.db.Now()
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
INSERT INTO checkpoints (name, kind, geom, frequency, radius_m, grid_code, created_at, updated_at)
VALUES ($1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, $7, $8, $8)
RETURNING id, created_at, updated_at`, c.Name, c.Kind, c.Lon, c.Lat, c.Frequency, c.RadiusM, checkpointGrid(c.GridCode), now).
			Scan(&c.ID, &c.CreatedAt, &c.UpdatedAt)
		if err != nil {
			return err
		}
		return bumpLayer(ctx, tx, "checkpoints")
	})
	return translate(err, "checkpoint")
}

// UpdateCheckpoint replaces a checkpoint's fields.
func (s *PatrolStore) UpdateCheckpoint(ctx context.Context, c *patrol.Checkpoint) error {
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
UPDATE checkpoints SET name = $2, kind = $3, geom = ST_SetSRID(ST_MakePoint($4, $5), 4326), frequency = $6,
  radius_m = $7, grid_code = $8, updated_at = $9
WHERE id = $1 RETURNING created_at, updated_at`, c.ID, c.Name, c.Kind, c.Lon, c.Lat, c.Frequency, c.RadiusM,
			checkpointGrid(c.GridCode), s.db.Now()).Scan(&c.CreatedAt, &c.UpdatedAt)
		if err != nil {
			return err
		}
		return bumpLayer(ctx, tx, "checkpoints")
	})
	return translate(err, "checkpoint")
}

// DeleteCheckpoint removes a checkpoint and its visits.
func (s *PatrolStore) DeleteCheckpoint(ctx context.Context, id int64) error {
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM checkpoints WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errs.NotFoundf("checkpoint %d not found", id)
		}
		return bumpLayer(ctx, tx, "checkpoints")
	})
	if errs.Is(err, errs.NotFound) {
		return err
	}
	return translate(err, "checkpoint")
}

// FindCheckpoint returns one checkpoint.
func (s *PatrolStore) FindCheckpoint(ctx context.Context, id int64) (*patrol.Checkpoint, error) {
	c, err := scanCheckpoint(s.db.Pool.QueryRow(ctx, `SELECT `+checkpointColumns+` FROM checkpoints WHERE id = $1`, id))
	if err != nil {
		return nil, translate(err, "checkpoint")
	}
	return c, nil
}

// FindCheckpoints returns every checkpoint, by id.
func (s *PatrolStore) FindCheckpoints(ctx context.Context) ([]*patrol.Checkpoint, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+checkpointColumns+` FROM checkpoints ORDER BY id`)
	if err != nil {
		return nil, translate(err, "checkpoints")
	}
	defer rows.Close()
	var out []*patrol.Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "checkpoints")
}
