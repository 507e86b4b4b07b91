package postgis

import (
	"context"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/events"
	"github.com/jackc/pgx/v5"
)

// EventStore reads the event log (table events) for the live stream and
// the webhook relay.
type EventStore struct {
	db *DB
}

// NewEventStore returns the event reader on db.
func NewEventStore(db *DB) *EventStore { return &EventStore{db: db} }

// horizonSQL is the oldest transaction id still running (or the next one):
// an event written by a transaction older than it is final.
const horizonSQL = `(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`

const eventColumns = `e.id, e.xid, e.kind, e.object, e.object_id, coalesce(e.grid_code, ''), e.unit_codes, e.user_ids, e.data, e.at`

// EventsAfter returns up to limit final events after position after, in
// position order, and whether committed events wait behind a transaction
// still running (pending: ask again soon).
func (s *EventStore) EventsAfter(ctx context.Context, after events.Position, limit int) ([]events.Event, bool, error) {
	return eventsAfter(ctx, s.db.Pool, after, limit)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func eventsAfter(ctx context.Context, q querier, after events.Position, limit int) ([]events.Event, bool, error) {
	rows, err := q.Query(ctx, `
WITH h AS (SELECT `+horizonSQL+` AS x)
SELECT `+eventColumns+`, false FROM events e, h
WHERE (e.xid, e.id) > ($1, $2) AND e.xid < h.x
UNION ALL
SELECT 0, 0, '', '', '', '', '{}', '{}', '{}', now(), true FROM h WHERE EXISTS (SELECT 1 FROM events p WHERE p.xid >= h.x)
ORDER BY 2, 1
LIMIT $3`, after.XID, after.ID, limit+1)
	if err != nil {
		return nil, false, translate(err, "events")
	}
	defer rows.Close()
	var out []events.Event
	pending := false
	for rows.Next() {
		var e events.Event
		var kind string
		var marker bool
		if err := rows.Scan(&e.ID, &e.XID, &kind, &e.Object, &e.ObjectID, &e.GridCode, &e.UnitCodes, &e.UserIDs, &e.Data, &e.At, &marker); err != nil {
			return nil, false, err
		}
		if marker {
			pending = true
			continue
		}
		e.Kind = events.Kind(kind)
		out = append(out, e)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, pending, translate(rows.Err(), "events")
}

// Head returns the position of the last final event ((0, 0) when none).
func (s *EventStore) Head(ctx context.Context) (events.Position, error) {
	var p events.Position
	err := s.db.Pool.QueryRow(ctx, `
SELECT e.xid, e.id FROM events e WHERE e.xid < `+horizonSQL+` ORDER BY e.xid DESC, e.id DESC LIMIT 1`).Scan(&p.XID, &p.ID)
	if err == pgx.ErrNoRows {
		return events.Position{}, nil
	}
	return p, translate(err, "events")
}

// PositionOf returns event id's position, or NotFound.
func (s *EventStore) PositionOf(ctx context.Context, id int64) (events.Position, error) {
	p := events.Position{ID: id}
	err := s.db.Pool.QueryRow(ctx, `SELECT xid FROM events WHERE id = $1`, id).Scan(&p.XID)
	if err == pgx.ErrNoRows {
		return p, errs.NotFoundf("event %d", id)
	}
	return p, translate(err, "events")
}

// Listen listens on gridd_events (see DB.Listen) and calls notify once
// listening (anything committed while not listening) and for each
// notification, until ctx ends or the connection fails.
func (s *EventStore) Listen(ctx context.Context, notify func()) error {
	return s.db.Listen(ctx, "gridd_events", notify, func(string) { notify() })
}
