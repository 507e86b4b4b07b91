package postgis

import (
	"context"

	"github.com/gridd/gridd/internal/events"
	"github.com/jackc/pgx/v5"
)

// insertEvent writes e in tx, so that it commits with the change it reports.
func insertEvent(ctx context.Context, tx pgx.Tx, e events.Event) error {
	units, users := e.UnitCodes, e.UserIDs
	if units == nil {
		units = []string{}
	}
	if users == nil {
		users = []int64{}
	}
	data := e.Data
	if data == nil {
		data = map[string]any{}
	}
	var grid *string
	if e.GridCode != "" {
		grid = &e.GridCode
	}
	_, err := tx.Exec(ctx, `INSERT INTO events (kind, object, object_id, grid_code, unit_codes, user_ids, data)
VALUES ($1, $2, $3, $4, $5, $6, $7)`, string(e.Kind), e.Object, e.ObjectID, grid, units, users, data)
	return err
}
