package postgis

import (
	"context"
	"fmt"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/webhook"
	"github.com/jackc/pgx/v5"
)

// WebhookStore implements webhook.Store and the relay's outbox.
type WebhookStore struct {
	db *DB
}

var _ webhook.Store = (*WebhookStore)(nil)

// NewWebhookStore returns the webhook store on db.
func NewWebhookStore(db *DB) *WebhookStore { return &WebhookStore{db: db} }

const webhookColumns = `id, url, kinds, coalesce(grid_code, ''), secret, coalesce(created_by, 0), created_at, since_event`

func scanWebhook(row pgx.Row) (*webhook.Subscription, error) {
	var s webhook.Subscription
	err := row.Scan(&s.ID, &s.URL, &s.Kinds, &s.GridCode, &s.Secret, &s.CreatedBy, &s.CreatedAt, &s.SinceEvent)
	return &s, err
}

// CreateWebhook stores s; events already committed are not for it.
func (s *WebhookStore) CreateWebhook(ctx context.Context, w *webhook.Subscription) error {
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO webhooks (url, kinds, grid_code, secret, created_by, created_at, since_event)
VALUES ($1, $2, $3, $4, $5, $6, (SELECT coalesce(max(id), 0) FROM events))
RETURNING id, created_at, since_event`,
		w.URL, w.Kinds, nullIfEmpty(w.GridCode), w.Secret, nullID(w.CreatedBy), s.db.Now()).Scan(&w.ID, &w.CreatedAt, &w.SinceEvent)
	return translate(err, "webhook")
}

// FindWebhooks returns every subscription, oldest first.
func (s *WebhookStore) FindWebhooks(ctx context.Context) ([]*webhook.Subscription, error) {
	return findWebhooks(ctx, s.db.Pool)
}

func findWebhooks(ctx context.Context, q querier) ([]*webhook.Subscription, error) {
	rows, err := q.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, translate(err, "webhooks")
	}
	defer rows.Close()
	out := []*webhook.Subscription{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, translate(rows.Err(), "webhooks")
}

// AnyWebhooks reports whether some subscription exists.
func (s *WebhookStore) AnyWebhooks(ctx context.Context) (bool, error) {
	var any bool
	err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks)`).Scan(&any)
	return any, translate(err, "webhooks")
}

// FindWebhook returns subscription id, or NotFound.
func (s *WebhookStore) FindWebhook(ctx context.Context, id int64) (*webhook.Subscription, error) {
	w, err := scanWebhook(s.db.Pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	return w, translate(err, fmt.Sprintf("webhook %d", id))
}

// DeleteWebhook deletes subscription id and its deliveries (their pending
// jobs then find nothing to send).
func (s *WebhookStore) DeleteWebhook(ctx context.Context, id int64) error {
	tag, err := s.db.exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return translate(err, "webhook")
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("webhook %d not found", id)
	}
	return nil
}

// FindDeliveries returns a subscription's deliveries, newest first.
func (s *WebhookStore) FindDeliveries(ctx context.Context, webhookID int64, f webhook.DeliveryFilter) ([]*webhook.Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	const cols = `d.id, d.webhook_id, d.event_id, e.kind, d.status, d.attempts, d.last_error, d.last_status, d.created_at, d.updated_at
FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`
	var rows pgx.Rows
	var err error
	if f.Status != nil {
		rows, err = s.db.Pool.Query(ctx, `SELECT `+cols+` WHERE d.webhook_id = $1 AND d.status = $2 ORDER BY d.id DESC LIMIT $3`, webhookID, *f.Status, limit)
	} else {
		rows, err = s.db.Pool.Query(ctx, `SELECT `+cols+` WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2`, webhookID, limit)
	}
	if err != nil {
		return nil, translate(err, "webhook deliveries")
	}
	defer rows.Close()
	out := []*webhook.Delivery{}
	for rows.Next() {
		var d webhook.Delivery
		var kind string
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &kind, &d.Status, &d.Attempts, &d.LastError, &d.LastStatus, &d.CreatedAt, &d.UpdatedAt); err != nil {
			return nil, err
		}
		d.Kind = events.Kind(kind)
		out = append(out, &d)
	}
	return out, translate(rows.Err(), "webhook deliveries")
}

// Relay moves the outbox forward by up to limit final events after the
// relay's cursor: in one transaction it records a delivery for each
// subscription that match accepts, hands the new deliveries to enqueue
// (which inserts their jobs in tx) and advances the cursor — so a
// committed event gets its deliveries exactly when the cursor passes it.
// Concurrent relays (several instances) take turns on an advisory lock.
// It returns how many events it read.
func (s *WebhookStore) Relay(ctx context.Context, limit int, match func(*webhook.Subscription, events.Event) bool,
	enqueue func(ctx context.Context, tx pgx.Tx, ds []*webhook.Delivery) error) (int, error) {
	var n int
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		// An advisory lock takes no transaction id, so the horizon read
		// below is not held back by this transaction itself.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('webhook_relay'))`); err != nil {
			return err
		}
		var cur events.Position
		if err := tx.QueryRow(ctx, `SELECT xid, event_id FROM webhook_relay WHERE id = 1`).Scan(&cur.XID, &cur.ID); err != nil {
			return err
		}
		evs, _, err := eventsAfter(ctx, tx, cur, limit)
		if err != nil || len(evs) == 0 {
			return err
		}
		n = len(evs)
		subs, err := findWebhooks(ctx, tx)
		if err != nil {
			return err
		}
		var hooks, evIDs []int64
		kinds := map[int64]events.Kind{}
		for _, e := range evs {
			for _, sub := range subs {
				if match(sub, e) {
					hooks, evIDs = append(hooks, sub.ID), append(evIDs, e.ID)
					kinds[e.ID] = e.Kind
				}
			}
		}
		if len(hooks) > 0 {
			rows, err := tx.Query(ctx, `
INSERT INTO webhook_deliveries (webhook_id, event_id, created_at, updated_at)
SELECT w, e, $3, $3 FROM unnest($1::bigint[], $2::bigint[]) AS x(w, e)
ON CONFLICT (webhook_id, event_id) DO NOTHING
RETURNING id, webhook_id, event_id, status, created_at`, hooks, evIDs, s.db.Now())
			if err != nil {
				return err
			}
			var ds []*webhook.Delivery
			for rows.Next() {
				d := &webhook.Delivery{}
				if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Status, &d.CreatedAt); err != nil {
					rows.Close()
					return err
				}
				d.Kind = kinds[d.EventID]
				ds = append(ds, d)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if err := enqueue(ctx, tx, ds); err != nil {
				return err
			}
		}
		last := evs[len(evs)-1].Pos()
		_, err = tx.Exec(ctx, `UPDATE webhook_relay SET xid = $1, event_id = $2 WHERE id = 1`, last.XID, last.ID)
		return err
	})
	return n, translate(err, "webhook relay")
}

// FindDelivery returns delivery id with its subscription and event, or
// NotFound (its subscription was deleted).
func (s *WebhookStore) FindDelivery(ctx context.Context, id int64) (*webhook.Delivery, *webhook.Subscription, events.Event, error) {
	var d webhook.Delivery
	var sub webhook.Subscription
	var e events.Event
	var kind string
	err := s.db.Pool.QueryRow(ctx, `
SELECT d.id, d.webhook_id, d.event_id, d.status, d.attempts,
       w.id, w.url, w.kinds, coalesce(w.grid_code, ''), w.secret,
       `+eventColumns+`
FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
WHERE d.id = $1`, id).Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Status, &d.Attempts,
		&sub.ID, &sub.URL, &sub.Kinds, &sub.GridCode, &sub.Secret,
		&e.ID, &e.XID, &kind, &e.Object, &e.ObjectID, &e.GridCode, &e.UnitCodes, &e.UserIDs, &e.Data, &e.At)
	e.Kind = events.Kind(kind)
	d.Kind = e.Kind
	return &d, &sub, e, translate(err, fmt.Sprintf("webhook delivery %d", id))
}

// RecordAttempt stores the outcome of a delivery's attempt.
func (s *WebhookStore) RecordAttempt(ctx context.Context, id int64, status string, attempts int, lastErr string, lastStatus int) error {
	var code *int
	if lastStatus != 0 {
		code = &lastStatus
	}
	_, err := s.db.exec(ctx, `
UPDATE webhook_deliveries SET status = $2, attempts = $3, last_error = $4, last_status = coalesce($5, last_status), updated_at = $6
WHERE id = $1`, id, status, attempts, lastErr, code, s.db.Now())
	return translate(err, "webhook delivery")
}
