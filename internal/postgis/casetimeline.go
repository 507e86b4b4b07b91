package postgis

import (
	"context"
	"encoding/json"

	"github.com/gridd/gridd/internal/casework"
	"github.com/jackc/pgx/v5"
)

// appendEvents inserts timeline entries in one round trip. The table is
// append-only: a trigger refuses UPDATE and DELETE.
func appendEvents(ctx context.Context, tx pgx.Tx, events []*casework.Event) error {
	if len(events) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, e := range events {
		data, err := json.Marshal(e.Data)
		if err != nil {
			return err
		}
		if e.Data == nil {
			data = []byte("{}")
		}
		att := e.Attachments
		if att == nil {
			att = []int64{}
		}
		b.Queue(`INSERT INTO case_events (case_id, action, from_status, to_status, actor_id, actor_name, at, comment, attachments, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			e.CaseID, string(e.Action), string(e.FromStatus), string(e.ToStatus), nullID(e.ActorID), e.ActorName, e.At,
			e.Comment, att, data).QueryRow(func(row pgx.Row) error { return row.Scan(&e.ID) })
	}
	return translate(tx.SendBatch(ctx, b).Close(), "case timeline")
}

// FindTimeline returns a case's timeline in order.
func (s *CaseStore) FindTimeline(ctx context.Context, id int64) ([]*casework.Event, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT id, case_id, action, from_status, to_status, coalesce(actor_id, 0), actor_name, at, comment, attachments, data
FROM case_events WHERE case_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, translate(err, "case timeline")
	}
	defer rows.Close()
	out := []*casework.Event{}
	for rows.Next() {
		var e casework.Event
		var action, from, to string
		var data []byte
		if err := rows.Scan(&e.ID, &e.CaseID, &action, &from, &to, &e.ActorID, &e.ActorName, &e.At, &e.Comment, &e.Attachments, &data); err != nil {
			return nil, err
		}
		e.Action, e.FromStatus, e.ToStatus = casework.Action(action), casework.Status(from), casework.Status(to)
		if err := json.Unmarshal(data, &e.Data); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, translate(rows.Err(), "case timeline")
}

// FindStatusNotes returns each case's last timeline entry among actions.
func (s *CaseStore) FindStatusNotes(ctx context.Context, ids []int64, actions []casework.Action) (map[int64]*casework.Event, error) {
	acts := make([]string, len(actions))
	for i, a := range actions {
		acts[i] = string(a)
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT DISTINCT ON (case_id) id, case_id, action, at, comment
FROM case_events WHERE case_id = ANY($1) AND action = ANY($2)
ORDER BY case_id, id DESC`, ids, acts)
	if err != nil {
		return nil, translate(err, "case timeline")
	}
	defer rows.Close()
	out := map[int64]*casework.Event{}
	for rows.Next() {
		var e casework.Event
		var action string
		if err := rows.Scan(&e.ID, &e.CaseID, &action, &e.At, &e.Comment); err != nil {
			return nil, err
		}
		e.Action = casework.Action(action)
		out[e.CaseID] = &e
	}
	return out, translate(rows.Err(), "case timeline")
}
