package postgis

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/inbox"
	"github.com/gridd/gridd/internal/msg"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// InboxStore implements inbox.Store and inbox.SweepStore.
type InboxStore struct {
	db *DB
}

var (
	_ inbox.Store      = (*InboxStore)(nil)
	_ inbox.SweepStore = (*InboxStore)(nil)
)

// NewInboxStore returns the inbox store on db.
func NewInboxStore(db *DB) *InboxStore { return &InboxStore{db: db} }

// desk holds the SQL predicates of one kind of caller's to-do items over
// cases c (an open case), with @p the caller's scope, unit or grids, and
// @now the instant. A kind that does not apply is "false".
type desk struct {
	review, accept, handle, verify, escalated string
	param                                     func(inbox.Who) any
}

// centerOf is casework's isCenter in SQL for a center of subtree @p: a case
// in the subtree, or, once escalated, one escalated from strictly below @p
// (grid_chain holds the case's grid and its ancestors, escalated_from one
// of them).
const centerOf = `((c.escalation_level = 0 AND c.grid_chain @> ARRAY[@p::text])
  OR (c.escalation_level > 0 AND array_position(c.grid_chain, @p::text) < array_position(c.grid_chain, c.escalated_from)))`

// centerWaits are the statuses waiting for the center.
const centerWaits = `c.status IN ('reported', 'escalated', 'accepted', 'extension_requested', 'postponement_requested', 'handled')`

// escalatedMark: the clock job escalated the case's current stage.
const escalatedMark = `EXISTS (SELECT 1 FROM case_clock_marks m WHERE m.case_id = c.id AND m.kind = 'escalated'
  AND m.stage = c.stage AND m.stage_since = c.stage_since`

var (
	allCentersDesk = desk{review: centerWaits, accept: "false", handle: "false", verify: `c.status = 'verifying'`,
		escalated: `(c.status = 'escalated' OR ` + escalatedMark + `))`, param: func(inbox.Who) any { return nil }}
	centerDesk = desk{review: `(` + centerWaits + ` AND ` + centerOf + `)`, accept: "false", handle: "false",
		verify:    `(c.status = 'verifying' AND ` + centerOf + `)`,
		escalated: `((c.status = 'escalated' AND ` + centerOf + `) OR ` + escalatedMark + ` AND m.to_scope = @p::text))`,
		param:     func(w inbox.Who) any { return w.CenterScope }}
	unitDesk = desk{review: "false", accept: `(c.status = 'dispatched' AND c.lead_unit = @p::text)`,
		handle: `(c.status = 'handling' AND c.lead_unit = @p::text)`, verify: "false",
		escalated: escalatedMark + ` AND m.to_unit = @p::text)`, param: func(w inbox.Who) any { return w.Unit }}
	workerDesk = desk{review: "false", accept: "false", handle: "false",
		verify: `(c.status = 'verifying' AND c.grid_chain && @p::text[])`, escalated: "false",
		param: func(w inbox.Who) any { return w.Grids }}
)

// deskOf picks w's predicates; nil for a caller without a desk (viewer).
func deskOf(w inbox.Who) *desk {
	switch {
	case w.AllCenters:
		return &allCentersDesk
	case w.CenterScope != "":
		return &centerDesk
	case w.Unit != "":
		return &unitDesk
	case w.Grids != nil:
		return &workerDesk
	}
	return nil
}

func (d *desk) acts() string {
	return `(` + d.review + ` OR ` + d.accept + ` OR ` + d.handle + ` OR ` + d.verify + `)`
}

const openCase = `c.status NOT IN ('rejected', 'closed', 'merged')`

// Counts counts the caller's items by kind and its unread notifications in
// one statement.
func (s *InboxStore) Counts(ctx context.Context, w inbox.Who, now time.Time) (inbox.Counts, error) {
	var c inbox.Counts
	d := deskOf(w)
	if d == nil {
		err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, w.UserID).Scan(&c.Unread)
		return c, translate(err, "inbox")
	}
	q := `SELECT count(*) FILTER (WHERE ` + d.review + `), count(*) FILTER (WHERE ` + d.accept + `),
  count(*) FILTER (WHERE ` + d.handle + `), count(*) FILTER (WHERE ` + d.verify + `),
  count(*) FILTER (WHERE ` + d.acts() + ` AND c.due_at <= @now), count(*) FILTER (WHERE ` + d.escalated + `),
  (SELECT count(*) FROM notifications n WHERE n.user_id = @user AND n.read_at IS NULL)
FROM cases c WHERE ` + openCase + ` AND (` + d.acts() + ` OR ` + d.escalated + `)`
	err := s.db.Pool.QueryRow(ctx, q, pgx.NamedArgs{"now": now, "user": w.UserID, "p": d.param(w)}).
		Scan(&c.ToReview, &c.ToAccept, &c.ToHandle, &c.ToVerify, &c.Overdue, &c.Escalated, &c.Unread)
	return c, translate(err, "inbox")
}

// Items lists the caller's items, the earliest deadline first.
func (s *InboxStore) Items(ctx context.Context, w inbox.Who, now time.Time, limit int) ([]inbox.Item, error) {
	out := []inbox.Item{}
	d := deskOf(w)
	if d == nil {
		return out, nil
	}
	q := `SELECT CASE WHEN ` + d.review + ` THEN 'to_review' WHEN ` + d.accept + ` THEN 'to_accept'
  WHEN ` + d.handle + ` THEN 'to_handle' WHEN ` + d.verify + ` THEN 'to_verify' ELSE 'escalated' END,
  ` + d.escalated + `, c.id, c.number, c.status, coalesce(c.stage, ''), c.due_at, c.warn_at, c.category_code, coalesce(c.grid_code, '')
FROM cases c WHERE ` + openCase + ` AND (` + d.acts() + ` OR ` + d.escalated + `)
ORDER BY c.due_at NULLS LAST, c.id LIMIT @limit`
	rows, err := s.db.Pool.Query(ctx, q, pgx.NamedArgs{"p": d.param(w), "limit": limit})
	if err != nil {
		return nil, translate(err, "inbox items")
	}
	defer rows.Close()
	for rows.Next() {
		var it inbox.Item
		var kind, status, stage string
		var warn *time.Time
		if err := rows.Scan(&kind, &it.Escalated, &it.CaseID, &it.Number, &status, &stage, &it.StageDue, &warn, &it.Category, &it.GridCode); err != nil {
			return nil, err
		}
		it.Kind, it.Status, it.Stage = inbox.Kind(kind), casework.Status(status), casework.Stage(stage)
		c := casework.Case{Status: it.Status, DueAt: it.StageDue, WarnAt: warn}
		it.DeadlineState = c.DeadlineState(now)
		out = append(out, it)
	}
	return out, translate(rows.Err(), "inbox items")
}

// Notifications lists the user's notifications, newest first.
func (s *InboxStore) Notifications(ctx context.Context, userID int64, limit int) ([]inbox.Notification, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT id, user_id, kind, coalesce(case_id, 0), msg_key, args, dedup_key, created_at, read_at
FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, translate(err, "notifications")
	}
	defer rows.Close()
	out := []inbox.Notification{}
	for rows.Next() {
		var n inbox.Notification
		var kind, key string
		var args []byte
		if err := rows.Scan(&n.ID, &n.UserID, &kind, &n.CaseID, &key, &args, &n.DedupKey, &n.CreatedAt, &n.ReadAt); err != nil {
			return nil, err
		}
		n.Kind, n.Key = inbox.NoteKind(kind), msg.Key(key)
		if n.Args, err = decodeArgs(args); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, translate(rows.Err(), "notifications")
}

// decodeArgs reads message arguments back with their integers as integers
// (for %d).
func decodeArgs(b []byte) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	for i, v := range raw {
		if n, ok := v.(json.Number); ok {
			if k, err := n.Int64(); err == nil {
				raw[i] = k
			} else if f, err := n.Float64(); err == nil {
				raw[i] = f
			}
		}
	}
	return raw, nil
}

// MarkRead marks the user's notification read (the first time counts).
func (s *InboxStore) MarkRead(ctx context.Context, userID, id int64, at time.Time) error {
	tag, err := s.db.exec(ctx, `UPDATE notifications SET read_at = coalesce(read_at, $3) WHERE id = $1 AND user_id = $2`, id, userID, at)
	if err != nil {
		return translate(err, "notification")
	}
	if tag.RowsAffected() == 0 {
		return errs.NotFoundf("notification %d not found", id)
	}
	return nil
}

// insertNotifications inserts notes in tx, skipping those a user already
// has under the same dedup key; it returns how many it added.
func insertNotifications(ctx context.Context, tx pgx.Tx, notes []inbox.Notification) (int, error) {
	if len(notes) == 0 {
		return 0, nil
	}
	b := &pgx.Batch{}
	added := 0
	for _, n := range notes {
		args := n.Args
		if args == nil {
			args = []any{}
		}
		b.Queue(`INSERT INTO notifications (user_id, kind, case_id, msg_key, args, dedup_key, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, dedup_key) DO NOTHING`,
			n.UserID, string(n.Kind), nullID(n.CaseID), string(n.Key), args, n.DedupKey, n.CreatedAt).Exec(func(tag pgconn.CommandTag) error {
			added += int(tag.RowsAffected())
			return nil
		})
	}
	return added, translate(tx.SendBatch(ctx, b).Close(), "notifications")
}

// SaveNotifications inserts notes (skipping duplicates) in one transaction.
func (s *InboxStore) SaveNotifications(ctx context.Context, notes []inbox.Notification) (int, error) {
	var n int
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = insertNotifications(ctx, tx, notes)
		return err
	})
	return n, err
}

// clockCases selects open cases with a stage clock for the clock job.
func (s *InboxStore) clockCases(ctx context.Context, where string, args ...any) ([]*casework.Case, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+caseColumns+caseFrom+` WHERE `+openCase+` AND `+where, args...)
	if err != nil {
		return nil, translate(err, "cases")
	}
	defer rows.Close()
	out := []*casework.Case{}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, translate(rows.Err(), "cases")
}

// UnstagedCases are open cases written before stage clocks existed.
func (s *InboxStore) UnstagedCases(ctx context.Context, limit int) ([]*casework.Case, error) {
	return s.clockCases(ctx, `c.stage IS NULL ORDER BY c.id LIMIT $1`, limit)
}

// SaveClock writes c's stage clock (derived data: the version stays).
func (s *InboxStore) SaveClock(ctx context.Context, c *casework.Case) error {
	_, err := s.db.exec(ctx, `UPDATE cases SET review_due = $2, verify_due = $3, stage = $4, stage_since = $5, due_at = $6,
  warn_at = $7, remind_at = $8 WHERE id = $1`, c.ID, c.ReviewDue, c.VerifyDue, nullIfEmpty(string(c.Stage)), c.StageSince, c.DueAt, c.WarnAt, c.RemindAt)
	return translate(err, "case clock")
}

// DueReminders are open cases whose reminder is due and not yet sent in
// their stage (the partial index cases_open_remind finds them).
func (s *InboxStore) DueReminders(ctx context.Context, now time.Time, limit int) ([]*casework.Case, error) {
	return s.clockCases(ctx, `c.remind_at IS NOT NULL AND c.remind_at <= $1 AND c.due_at > $1 AND c.stage_since IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM case_clock_marks m WHERE m.case_id = c.id AND m.kind = 'due_soon' AND m.stage = c.stage AND m.stage_since = c.stage_since)
ORDER BY c.remind_at, c.id LIMIT $2`, now, limit)
}

// OverdueCases are open cases past their deadline not yet marked overdue
// in their stage (the partial index cases_open_due finds them).
func (s *InboxStore) OverdueCases(ctx context.Context, now time.Time, limit int) ([]*casework.Case, error) {
	return s.clockCases(ctx, `c.due_at IS NOT NULL AND c.due_at <= $1 AND c.stage_since IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM case_clock_marks m WHERE m.case_id = c.id AND m.kind = 'overdue' AND m.stage = c.stage AND m.stage_since = c.stage_since)
ORDER BY c.due_at, c.id LIMIT $2`, now, limit)
}

// CenterScopes are the scopes of the enabled scoped centers.
func (s *InboxStore) CenterScopes(ctx context.Context) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT DISTINCT scope_code FROM users
WHERE role = 'center' AND NOT disabled AND scope_code IS NOT NULL AND scope_code <> '' ORDER BY 1`)
	if err != nil {
		return nil, translate(err, "centers")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, translate(err, "centers")
}

// Users returns the enabled centers of scopes, departments of units and users ids.
func (s *InboxStore) Users(ctx context.Context, scopes, units []string, ids []int64) ([]int64, error) {
	if scopes == nil {
		scopes = []string{}
	}
	if units == nil {
		units = []string{}
	}
	if ids == nil {
		ids = []int64{}
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id FROM users WHERE NOT disabled
  AND ((role = 'center' AND scope_code = ANY($1)) OR (role = 'department' AND department_code = ANY($2)) OR id = ANY($3)) ORDER BY id`,
		scopes, units, ids)
	if err != nil {
		return nil, translate(err, "users")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return out, translate(err, "users")
}

// insertMark writes m unless it exists; it reports whether it did.
func insertMark(ctx context.Context, tx pgx.Tx, m inbox.Mark) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO case_clock_marks (case_id, kind, stage, stage_since, at, to_scope, to_unit)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		m.CaseID, string(m.Kind), string(m.Stage), m.StageSince, m.At, nullIfEmpty(m.ToScope), nullIfEmpty(m.ToUnit))
	if err != nil {
		return false, translate(err, "clock mark")
	}
	return tag.RowsAffected() == 1, nil
}

// errSkip rolls back a clock write that lost to another instance or to a
// person acting on the case meanwhile.
var errSkip = errors.New("skip")

// RecordReminder writes the reminder's mark, notifications and event at once.
func (s *InboxStore) RecordReminder(ctx context.Context, m inbox.Mark, notes []inbox.Notification, ev events.Event) (bool, error) {
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if ok, err := insertMark(ctx, tx, m); err != nil || !ok {
			return cmp.Or(err, errSkip)
		}
		if _, err := insertNotifications(ctx, tx, notes); err != nil {
			return err
		}
		return translate(insertEvent(ctx, tx, ev), "event")
	})
	if errors.Is(err, errSkip) {
		return false, nil
	}
	return err == nil, err
}

// RecordOverdue writes an overdue case's mark, escalation, notifications
// and events at once; the escalation's case update is refused (and
// everything rolled back) if the case moved on since it was read.
func (s *InboxStore) RecordOverdue(ctx context.Context, w inbox.OverdueWrite) (bool, error) {
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if ok, err := insertMark(ctx, tx, w.Overdue); err != nil || !ok {
			return cmp.Or(err, errSkip)
		}
		if c := w.Case; c != nil {
			tag, err := tx.Exec(ctx, `
UPDATE cases SET version = version + 1, status = $3, escalated_from = $4, escalation_level = $5, review_due = $6, due_at = $7,
  stage = $8, stage_since = $9, warn_at = $10, remind_at = $11, updated_at = $12, escalated_units = $13
WHERE id = $1 AND version = $2`, c.ID, w.Prev, string(c.Status), nullIfEmpty(c.EscalatedFrom), c.EscalationLevel, c.ReviewDue, c.DueAt,
				nullIfEmpty(string(c.Stage)), c.StageSince, c.WarnAt, c.RemindAt, c.UpdatedAt, escalatedUnits(c))
			if err != nil {
				return translate(err, "case "+c.Number)
			}
			if tag.RowsAffected() == 0 {
				return errSkip
			}
			c.Version = w.Prev + 1
			if w.Timeline != nil {
				if err := appendEvents(ctx, tx, []*casework.Event{w.Timeline}); err != nil {
					return err
				}
			}
		}
		if w.Escalated != nil {
			if _, err := insertMark(ctx, tx, *w.Escalated); err != nil {
				return err
			}
		}
		if _, err := insertNotifications(ctx, tx, w.Notes); err != nil {
			return err
		}
		for _, e := range w.Events {
			if err := insertEvent(ctx, tx, e); err != nil {
				return translate(err, "event")
			}
		}
		return notifyLayer(ctx, tx, "cases")
	})
	if errors.Is(err, errSkip) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

func escalatedUnits(c *casework.Case) []string {
	if c.EscalatedUnits == nil {
		return []string{}
	}
	return c.EscalatedUnits
}

// DigestCounts returns each unit's digest counts at now, with its users.
func (s *InboxStore) DigestCounts(ctx context.Context, now time.Time) ([]inbox.UnitDigest, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT d.code,
  coalesce((SELECT array_agg(u.id ORDER BY u.id) FROM users u WHERE u.role = 'department' AND u.department_code = d.code AND NOT u.disabled), '{}'),
  count(c.id) FILTER (WHERE c.dispatched_at > $1::timestamptz - interval '24 hours' AND c.dispatched_at <= $1),
  count(c.id) FILTER (WHERE c.stage IN ('accept', 'handle') AND c.due_at <= $1),
  count(c.id) FILTER (WHERE c.stage IN ('accept', 'handle') AND c.remind_at <= $1 AND c.due_at > $1)
FROM departments d LEFT JOIN cases c ON c.lead_unit = d.code AND `+openCase+`
GROUP BY d.code ORDER BY d.code`, now)
	if err != nil {
		return nil, translate(err, "digest")
	}
	defer rows.Close()
	var out []inbox.UnitDigest
	for rows.Next() {
		var u inbox.UnitDigest
		if err := rows.Scan(&u.Unit, &u.Users, &u.New, &u.Overdue, &u.DueSoon); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, translate(rows.Err(), "digest")
}

// NotifyMentions notifies the users named as @username in timeline
// comments made in [since, now] who may read the case (admins; centers and
// viewers over its grid; its units; its grid worker), once per comment and
// user, never the author. The partial index case_events_mentions finds the
// comments.
func (s *InboxStore) NotifyMentions(ctx context.Context, since, now time.Time) (int, error) {
	tag, err := s.db.exec(ctx, `
INSERT INTO notifications (user_id, kind, case_id, msg_key, args, dedup_key, created_at)
SELECT DISTINCT u.id, 'mention', c.id, $3, jsonb_build_array(e.actor_name, c.number), 'mention:' || e.id, $2::timestamptz
FROM case_events e
CROSS JOIN LATERAL regexp_matches(e.comment, '@([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)', 'g') AS m
JOIN users u ON u.username = m[1] AND NOT u.disabled AND u.id IS DISTINCT FROM e.actor_id
JOIN cases c ON c.id = e.case_id
WHERE e.comment LIKE '%@%' AND e.at >= $1 AND e.at <= $2
  AND (u.role = 'admin'
    OR (u.role IN ('center', 'viewer') AND (coalesce(u.scope_code, '') = '' OR u.scope_code = ANY(c.grid_chain)))
    OR (u.role = 'department' AND (u.department_code = c.lead_unit OR u.department_code = ANY(c.co_units)))
    OR u.id = c.worker_id)
ON CONFLICT (user_id, dedup_key) DO NOTHING`, since, now, string(msg.InboxMention))
	if err != nil {
		return 0, translate(err, "mentions")
	}
	return int(tag.RowsAffected()), nil
}

// LightsChanged reports whether an open case's light changed since the last
// call (and bumps the cases layer for the tile caches), recording now.
func (s *InboxStore) LightsChanged(ctx context.Context, now time.Time) (bool, error) {
	var changed bool
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO clock_runs (id, last_at) VALUES (1, $1) ON CONFLICT DO NOTHING`, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			changed = true
			return notifyLayer(ctx, tx, "cases")
		}
		err = tx.QueryRow(ctx, `
WITH r AS (SELECT last_at FROM clock_runs WHERE id = 1 FOR UPDATE),
u AS (UPDATE clock_runs SET last_at = greatest(last_at, $1) WHERE id = 1)
SELECT EXISTS (SELECT 1 FROM cases c, r WHERE `+openCase+`
  AND ((c.warn_at > r.last_at AND c.warn_at <= $1) OR (c.due_at > r.last_at AND c.due_at <= $1)))`, now).Scan(&changed)
		if err != nil || !changed {
			return err
		}
		return notifyLayer(ctx, tx, "cases")
	})
	if err != nil {
		return false, translate(err, "clock run")
	}
	return changed, nil
}
