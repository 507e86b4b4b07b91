package postgis

import (
	"context"
	"encoding/json"

	"github.com/gridd/gridd/internal/events"
	"github.com/jackc/pgx/v5"
)

// insertEvent writes e in tx, so that it commits with the change it
// reports, and wakes the event hubs once it has (notifyAfterCommit).
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
	if err != nil {
		return err
	}
	return notifyAfterCommit(ctx, tx, eventsChannel, "")
}

// insertEvents writes es in tx in one round trip.
func insertEvents(ctx context.Context, tx pgx.Tx, es []events.Event) error {
	if len(es) == 0 {
		return nil
	}
	rows, err := json.Marshal(publishedRows(es))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO events (kind, object, object_id, grid_code, unit_codes, user_ids, data)
SELECT x.kind, x.object, x.object_id, nullif(x.grid_code, ''), ARRAY(SELECT jsonb_array_elements_text(x.unit_codes)),
       ARRAY(SELECT jsonb_array_elements_text(x.user_ids)::bigint), x.data
FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (kind text, object text, object_id text, grid_code text, unit_codes jsonb, user_ids jsonb, data jsonb))
     WITH ORDINALITY AS x(kind, object, object_id, grid_code, unit_codes, user_ids, data, n)
ORDER BY x.n`, string(rows))
	if err != nil {
		return err
	}
	return notifyAfterCommit(ctx, tx, eventsChannel, "")
}

// eventRow is an event as a JSON record for jsonb_to_recordset.
type eventRow struct {
	Kind      string         `json:"kind"`
	Object    string         `json:"object"`
	ObjectID  string         `json:"object_id"`
	GridCode  string         `json:"grid_code"`
	UnitCodes []string       `json:"unit_codes"`
	UserIDs   []int64        `json:"user_ids"`
	Data      map[string]any `json:"data"`
}

// publishedRows turns es into rows with empty lists and objects, not nulls.
func publishedRows(es []events.Event) []eventRow {
	out := make([]eventRow, len(es))
	for i, e := range es {
		r := eventRow{Kind: string(e.Kind), Object: e.Object, ObjectID: e.ObjectID, GridCode: e.GridCode,
			UnitCodes: e.UnitCodes, UserIDs: e.UserIDs, Data: e.Data}
		if r.UnitCodes == nil {
			r.UnitCodes = []string{}
		}
		if r.UserIDs == nil {
			r.UserIDs = []int64{}
		}
		if r.Data == nil {
			r.Data = map[string]any{}
		}
		out[i] = r
	}
	return out
}
