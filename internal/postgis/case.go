package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
)

// CaseStore implements casework.Store.
type CaseStore struct {
	db *DB
	// Group is how many transactions write case reports at once (group
	// commit, case_group.go); 0: each report its own.
	Group int
	group groupQueue[*caseJob]
	// numberSeqs holds the months (YYYY-MM) whose number sequence is
	// known to exist (ensureNumberSeq).
	numberSeqs sync.Map
}

var _ casework.Store = (*CaseStore)(nil)

// NewCaseStore returns the case store on db.
func NewCaseStore(db *DB) *CaseStore { return &CaseStore{db: db} }

const caseColumns = `c.id, c.number, c.version, c.category_code, k.name, c.description, c.source, ST_X(c.geom), ST_Y(c.geom),
	c.reported_at, c.reporter_id, coalesce(u.name, ''), coalesce(c.grid_code, ''), c.grid_chain, coalesce(c.worker_id, 0),
	coalesce(c.suggested_rule_id, 0), coalesce(c.suggested_lead, ''), c.suggested_co, c.duplicates,
	c.status, c.emergency, c.resolved_on_site, coalesce(c.escalated_from, ''), c.escalation_level,
	coalesce(c.lead_unit, ''), c.co_units, coalesce(c.merged_into, 0), c.rework_count, c.reject_reason,
	c.accepted_at, c.dispatched_at, c.handle_start, c.handled_at, c.closed_at, c.accept_due, c.handle_due,
	c.verify_due, c.due_at, c.extension_days, c.pending_days, c.pauses, c.ever_postponed, c.handled_on_time,
	c.rating, c.rating_comment, c.created_at, c.updated_at, c.review_due, coalesce(c.stage, ''), c.stage_since, c.warn_at, c.remind_at, c.escalated_units,
	coalesce((SELECT d.name FROM departments d WHERE d.code = c.lead_unit), ''),
	coalesce((SELECT array_agg(p.id ORDER BY p.id) FROM uploads p WHERE p.case_id = c.id), '{}')`

const caseFrom = ` FROM cases c JOIN case_categories k ON k.code = c.category_code LEFT JOIN users u ON u.id = c.reporter_id`

func scanCase(row pgx.Row, extra ...any) (*casework.Case, error) {
	var c casework.Case
	var lon, lat float64
	var source, status string
	var pauses []byte
	var stage string
	dest := []any{&c.ID, &c.Number, &c.Version, &c.Category, &c.CategoryName, &c.Description, &source, &lon, &lat,
		&c.ReportedAt, &c.ReporterID, &c.ReporterName, &c.GridCode, &c.GridChain, &c.WorkerID,
		&c.SuggestedRuleID, &c.SuggestedLead, &c.SuggestedCo, &c.Duplicates,
		&status, &c.Emergency, &c.ResolvedOnSite, &c.EscalatedFrom, &c.EscalationLevel,
		&c.LeadUnit, &c.CoUnits, &c.MergedInto, &c.ReworkCount, &c.RejectReason,
		&c.AcceptedAt, &c.DispatchedAt, &c.HandleStart, &c.HandledAt, &c.ClosedAt, &c.AcceptDue, &c.HandleDue,
		&c.VerifyDue, &c.DueAt, &c.ExtensionDays, &c.PendingDays, &pauses, &c.EverPostponed, &c.HandledOnTime,
		&c.Rating, &c.RatingComment, &c.CreatedAt, &c.UpdatedAt, &c.ReviewDue, &stage, &c.StageSince, &c.WarnAt, &c.RemindAt, &c.EscalatedUnits, &c.LeadUnitName, &c.Photos}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	c.Source = casework.Source(source)
	c.Status = casework.Status(status)
	c.Stage = casework.Stage(stage)
	c.Location = orb.Point{lon, lat}
	if err := json.Unmarshal(pauses, &c.Pauses); err != nil {
		return nil, fmt.Errorf("case %d pauses: %w", c.ID, err)
	}
	return &c, nil
}

// FindCase returns the case (without its timeline) or NotFound.
func (s *CaseStore) FindCase(ctx context.Context, id int64) (*casework.Case, error) {
	c, err := scanCase(s.db.Pool.QueryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.id = $1`, id))
	return c, translate(err, fmt.Sprintf("case %d", id))
}

// FindIdempotency returns the case created under key, or NotFound.
func (s *CaseStore) FindIdempotency(ctx context.Context, userID int64, key string) (int64, []byte, error) {
	var id int64
	var hash []byte
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(case_id, 0), request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
		userID, key).Scan(&id, &hash)
	return id, hash, translate(err, "idempotency key")
}

// PurgeIdempotencyKeys deletes keys created before before (keep at least 7 days).
func (s *CaseStore) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.db.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, before)
	return tag.RowsAffected(), translate(err, "idempotency keys")
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// CreateCase writes the case, its number, worker and duplicates, its
// timeline, its idempotency key and its photos' attachment in one
// statement (createCasesSQL): atomic without a transaction's extra round
// trips, which on a loaded 2-core host cost more than the writes.
// A request's audit entry goes with it: in the same statement when the
// case's id was drawn ahead (c.ID, createWithAudit), else in a transaction
// (db.tx).
// A key already used returns its case instead (a concurrent holder of the
// same key makes this statement fail on the key's primary key once the
// holder commits; the holder's case is returned then).
func (s *CaseStore) CreateCase(ctx context.Context, c *casework.Case, events []*casework.Event, key *casework.IdemKey, q casework.IntakeQuery) (int64, []byte, error) {
	row, err := newCaseRow(c, events, key, q, s.db.Now())
	if err != nil {
		return 0, nil, err
	}
	if c.Number == "" {
		if err := s.ensureNumberSeq(ctx, q.NumberMonth, row.Seq); err != nil {
			return 0, nil, err
		}
	}
	var out caseResult
	row.out = &out
	one := func(on querier) error {
		written, err := s.writeCases(ctx, on, []*caseRow{row})
		if err == nil && !written[0] {
			err = pgx.ErrNoRows
		}
		return err
	}
	if p := auditlog.PendingFrom(ctx); p != nil && c.ID != 0 {
		err = s.createWithAudit(ctx, p, c, row)
	} else if p != nil {
		// A request's case commits with its audit entry (db.tx).
		err = s.db.tx(ctx, func(tx pgx.Tx) error {
			if err := one(tx); err != nil {
				return err
			}
			auditlog.NoteObject(ctx, "case:"+strconv.FormatInt(out.ID, 10), c.GridCode)
			if err := notifyAfterCommit(ctx, tx, eventsChannel, ""); err != nil {
				return err
			}
			return notifyLayer(ctx, tx, "cases")
		})
	} else {
		if err = one(s.db.Pool); err == nil {
			s.noteCreated()
		}
	}
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
	case errors.Is(err, pgx.ErrNoRows) && key != nil, errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "idempotency_keys_pkey":
		// The key was taken before us, or by a concurrent request that
		// committed while we waited on it.
		return s.FindIdempotency(ctx, key.UserID, key.Key)
	case errors.As(err, &pgErr) && pgErr.Code == "P0001" && pgErr.Message == "unknown_upload":
		return 0, nil, errs.Invalidf("photos", "unknown_upload", "every photo must be an upload id of yours that belongs to no other case (POST /api/v1/uploads)")
	case errors.As(err, &pgErr) && pgErr.Code == "P0001" && pgErr.Message == "case_numbers_exhausted":
		return 0, nil, fmt.Errorf("case number: more than 999999 cases in %s", q.NumberMonth)
	case errors.As(err, &pgErr) && pgErr.Code == "42P01":
		// The month's number sequence is gone (dropped by hand): the
		// next report of the month creates it again.
		s.numberSeqs.Delete(q.NumberMonth)
		return 0, nil, translate(err, "case number")
	default:
		return 0, nil, translate(err, "case")
	}
	c.ID, c.Number, c.WorkerID, c.Duplicates = out.ID, out.Number, out.WorkerID, out.Duplicates
	for i, e := range events {
		e.CaseID = c.ID
		if i < len(out.EventIDs) {
			e.ID = out.EventIDs[i]
		}
	}
	return 0, nil, nil
}

// newCaseRow is the report of c (its timeline events, its key, what its
// write looks up q) as createCasesSQL reads it; now is its key's time.
func newCaseRow(c *casework.Case, events []*casework.Event, key *casework.IdemKey, q casework.IntakeQuery, now time.Time) (*caseRow, error) {
	seq, ok := caseNumberSeq(q.NumberMonth)
	if !ok {
		return nil, fmt.Errorf("case number: bad month %q", q.NumberMonth)
	}
	pauses := c.Pauses
	if pauses == nil {
		pauses = []casework.Pause{}
	}
	timeline := make([]timelineRow, len(events))
	for i, e := range events {
		data, att := e.Data, e.Attachments
		if data == nil {
			data = map[string]any{}
		}
		if att == nil {
			att = []int64{}
		}
		timeline[i] = timelineRow{string(e.Action), string(e.FromStatus), string(e.ToStatus), nullID(e.ActorID), e.ActorName, *usec(&e.At), e.Comment, att, data}
	}
	r := &caseRow{ID: nullID(c.ID), Number: nullIfEmpty(c.Number), Category: c.Category, Description: c.Description,
		Source: string(c.Source), Lon: c.Location[0], Lat: c.Location[1], ReportedAt: *usec(&c.ReportedAt), ReporterID: c.ReporterID,
		GridCode: nullIfEmpty(c.GridCode), GridChain: c.GridChain, Day: q.Day.Format(time.DateOnly),
		RuleID: nullID(c.SuggestedRuleID), Lead: nullIfEmpty(c.SuggestedLead), Co: c.SuggestedCo,
		RadiusM: q.RadiusM, Since: *usec(&q.Since), Status: string(c.Status), OnSite: c.ResolvedOnSite,
		AcceptedAt: usec(c.AcceptedAt), HandledAt: usec(c.HandledAt), ClosedAt: usec(c.ClosedAt), OnTime: c.HandledOnTime,
		Pauses: pauses, CreatedAt: *usec(&c.CreatedAt), ReviewDue: usec(c.ReviewDue), Stage: nullIfEmpty(string(c.Stage)),
		StageSince: usec(c.StageSince), WarnAt: usec(c.WarnAt), RemindAt: usec(c.RemindAt), DueAt: usec(c.DueAt),
		KeyAt: *usec(&now), Events: timeline, Photos: c.Photos, Published: publishedRows(casework.Published(c, events)), Month: q.NumberMonth, Seq: seq}
	if r.GridChain == nil {
		r.GridChain = []string{}
	}
	if r.Co == nil {
		r.Co = []string{}
	}
	if r.Photos == nil {
		r.Photos = []int64{}
	}
	if key != nil {
		r.KeyUser, r.Key, r.KeyHash = &key.UserID, &key.Key, byteaInput(key.Hash)
	}
	return r, nil
}

// noteCreated tells this instance's layer revisions and every instance
// (after the commit) that a case was created outside db.tx.
func (s *CaseStore) noteCreated() {
	s.db.revs.changed([]string{"cases"})
	s.db.notes.send(s.db, []note{{layersChannel, "cases"}, {eventsChannel, ""}})
}

// ensureNumberSeq makes sure the number sequence seq of month
// (case_numbers_YYYYMM) exists, creating it on the month's first case;
// this instance remembers the months it has seen. The write takes the
// case's number from it (createCasesSQL): a sequence hands out numbers
// without locking anything, so concurrent intakes never wait on each
// other there; its WAL reaches the disk with the case's own durable
// commit, so a number is never handed out twice; a number whose case then
// fails to commit is skipped (numbers may have gaps).
func (s *CaseStore) ensureNumberSeq(ctx context.Context, month, seq string) error {
	if _, ok := s.numberSeqs.Load(month); ok {
		return nil
	}
	var exists bool
	err := s.db.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, seq).Scan(&exists)
	if err == nil && !exists {
		// Not db.tx: the sequence is not the request's change (its audit
		// entry goes with the case).
		err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
			// Start after the numbers already given (the counter of
			// earlier versions, or cases numbered some other way).
			var start int64
			if err := tx.QueryRow(ctx, `
SELECT 1 + greatest(
  coalesce((SELECT n FROM case_counters WHERE month = $1), 0),
  coalesce((SELECT max(substr(number, 9)::bigint) FROM cases WHERE number LIKE $1 || '-%'), 0)),
  pg_advisory_xact_lock(hashtext('case_numbers'))`, month).Scan(&start, new(any)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `CREATE SEQUENCE IF NOT EXISTS `+pgx.Identifier{seq}.Sanitize()+` START WITH `+strconv.FormatInt(start, 10))
			return err
		})
	}
	if err != nil {
		return translate(err, "case number")
	}
	s.numberSeqs.Store(month, struct{}{})
	return nil
}

// caseNumberSeq names the number sequence of month (YYYY-MM).
func caseNumberSeq(month string) (string, bool) {
	if len(month) != 7 || month[4] != '-' {
		return "", false
	}
	return "case_numbers_" + month[:4] + month[5:], true
}

// attach links uploads of owner not yet attached to case id.
func attach(ctx context.Context, tx pgx.Tx, caseID, owner int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	tag, err := tx.Exec(ctx, `UPDATE uploads SET case_id = $1 WHERE id = ANY($2) AND owner_id = $3 AND (case_id IS NULL OR case_id = $1)`, caseID, ids, owner)
	if err != nil {
		return translate(err, "uploads")
	}
	if int(tag.RowsAffected()) != len(ids) {
		return errs.Invalidf("photos", "unknown_upload", "every photo must be an upload id of yours that belongs to no other case (POST /api/v1/uploads)")
	}
	return nil
}

// UpdateCase writes c if its version is still prev and appends events.
func (s *CaseStore) UpdateCase(ctx context.Context, c *casework.Case, prev int, events []*casework.Event) error {
	pauses, err := json.Marshal(c.Pauses)
	if err != nil {
		return err
	}
	if c.Pauses == nil {
		pauses = []byte("[]")
	}
	if c.CoUnits == nil {
		c.CoUnits = []string{}
	}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
UPDATE cases SET version = version + 1, status = $3, emergency = $4, escalated_from = $5, escalation_level = $6,
  lead_unit = $7, co_units = $8, merged_into = $9, rework_count = $10, reject_reason = $11, accepted_at = $12,
  dispatched_at = $13, handle_start = $14, handled_at = $15, closed_at = $16, accept_due = $17, handle_due = $18,
  verify_due = $19, due_at = $20, extension_days = $21, pending_days = $22, pauses = $23, ever_postponed = $24,
  handled_on_time = $25, rating = $26, rating_comment = $27, updated_at = $28,
  review_due = $29, stage = $30, stage_since = $31, warn_at = $32, remind_at = $33
WHERE id = $1 AND version = $2`,
			c.ID, prev, string(c.Status), c.Emergency, nullIfEmpty(c.EscalatedFrom), c.EscalationLevel,
			nullIfEmpty(c.LeadUnit), c.CoUnits, nullID(c.MergedInto), c.ReworkCount, c.RejectReason, c.AcceptedAt,
			c.DispatchedAt, c.HandleStart, c.HandledAt, c.ClosedAt, c.AcceptDue, c.HandleDue,
			c.VerifyDue, c.DueAt, c.ExtensionDays, c.PendingDays, pauses, c.EverPostponed,
			c.HandledOnTime, c.Rating, c.RatingComment, c.UpdatedAt,
			c.ReviewDue, nullIfEmpty(string(c.Stage)), c.StageSince, c.WarnAt, c.RemindAt)
		if err != nil {
			return translate(err, "case "+c.Number)
		}
		if tag.RowsAffected() == 0 {
			return errs.Conflictf("stale_version", "case %s was changed concurrently (version %d is stale): reload it and retry", c.Number, prev)
		}
		if err := appendEvents(ctx, tx, events); err != nil {
			return err
		}
		if err := insertEvents(ctx, tx, casework.Published(c, events)); err != nil {
			return err
		}
		for _, e := range events {
			if err := attach(ctx, tx, e.CaseID, e.ActorID, e.Attachments); err != nil {
				return err
			}
		}
		return notifyLayer(ctx, tx, "cases")
	})
	return err
}

// FindEventByKey returns the case and action of the event actorID
// appended under key (index case_events_idempotency), or NotFound.
func (s *CaseStore) FindEventByKey(ctx context.Context, actorID int64, key string) (int64, casework.Action, error) {
	var id int64
	var action string
	err := s.db.Pool.QueryRow(ctx, `
SELECT case_id, action FROM case_events
WHERE actor_id = $1 AND data->>'idempotency_key' = $2 AND data ? 'idempotency_key'
ORDER BY id LIMIT 1`, actorID, key).Scan(&id, &action)
	if err != nil {
		return 0, "", translate(err, "idempotency key")
	}
	return id, casework.Action(action), nil
}

// FindCases returns the cases matching f, newest first, and the total
// count, in one statement (one snapshot): the count is an uncorrelated
// sub-select over the same conditions, run once.
func (s *CaseStore) FindCases(ctx context.Context, f casework.CaseFilter) ([]*casework.Case, int, error) {
	now := f.Now
	if now.IsZero() {
		now = s.db.Now()
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var a sqlArgs
	where, err := caseWhere(f, now, &a)
	if err != nil {
		return nil, 0, err
	}
	page, order, err := caseOrder(f.Sort, f.After, &a)
	if err != nil {
		return nil, 0, err
	}
	pageWhere := where
	if page != "" {
		pageWhere += "\n  AND " + page
	}
	count := `(SELECT count(*) FROM cases c WHERE ` + where + `)`
	if f.NoTotal {
		count = `0`
	}
	sql := `SELECT ` + caseColumns + `, ` + count + caseFrom + `
WHERE ` + pageWhere + `
ORDER BY ` + order + `
LIMIT ` + a.add(limit) + ` OFFSET ` + a.add(f.Offset)
	rows, err := s.db.reader(ctx).Query(ctx, sql, a.vals...)
	if err != nil {
		return nil, 0, translate(err, "cases")
	}
	defer rows.Close()
	out := []*casework.Case{}
	total := 0
	for rows.Next() {
		c, err := scanCase(rows, &total)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, translate(err, "cases")
	}
	if len(out) == 0 && f.Offset > 0 && !f.NoTotal {
		// Past the last page: no row carried the count.
		if total, err = s.CountCases(ctx, f); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// SummarizeCases counts the cases matching f per status and overdue at
// f.Now in one statement.
func (s *CaseStore) SummarizeCases(ctx context.Context, f casework.CaseFilter) (*casework.CaseSummary, error) {
	now := f.Now
	if now.IsZero() {
		now = s.db.Now()
	}
	var a sqlArgs
	where, err := caseWhere(f, now, &a)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.reader(ctx).Query(ctx, `SELECT c.status, count(*), count(*) FILTER (WHERE `+openCase+` AND c.due_at <= `+a.add(now)+`::timestamptz)
FROM cases c WHERE `+where+`
GROUP BY c.status`, a.vals...)
	if err != nil {
		return nil, translate(err, "cases")
	}
	defer rows.Close()
	out := &casework.CaseSummary{ByStatus: map[casework.Status]int{}}
	for rows.Next() {
		var st string
		var n, overdue int
		if err := rows.Scan(&st, &n, &overdue); err != nil {
			return nil, translate(err, "cases")
		}
		out.ByStatus[casework.Status(st)] = n
		out.Total += n
		out.Overdue += overdue
	}
	return out, translate(rows.Err(), "cases")
}

// CountCases counts the cases matching f (its Limit and Offset ignored).
func (s *CaseStore) CountCases(ctx context.Context, f casework.CaseFilter) (int, error) {
	now := f.Now
	if now.IsZero() {
		now = s.db.Now()
	}
	var a sqlArgs
	where, err := caseWhere(f, now, &a)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.reader(ctx).QueryRow(ctx, `SELECT count(*) FROM cases c WHERE `+where, a.vals...).Scan(&n); err != nil {
		return 0, translate(err, "cases")
	}
	return n, nil
}

// duplicateCandidates is the duplicate search of a new case: the open
// cases of the category cat reported since since within radius metres of
// (lon, lat), nearest first, at most 20, with their ids and distances (its
// arguments name its parameters or columns). The bounding-box prefilter
// (a generous superset of the radius in degrees) lets the planner use the
// GiST index cases_open_duplicates however many cases were reported
// recently; ST_DWithin on geography is exact.
func duplicateCandidates(cat, lon, lat, since, radius string) string {
	pt := `ST_SetSRID(ST_MakePoint(` + lon + `, ` + lat + `), 4326)`
	return `
(SELECT d.id, ST_Distance(d.geom::geography, ` + pt + `::geography, false) AS distance FROM cases d
WHERE d.category_code = ` + cat + ` AND d.status NOT IN ('rejected', 'closed', 'merged') AND d.reported_at >= ` + since + `
  AND d.geom && ST_Expand(` + pt + `, 1.2 * ` + radius + ` / (111000 * cos(radians(least(abs(` + lat + `), 89)))), 1.2 * ` + radius + ` / 110000)
  AND ST_DWithin(d.geom::geography, ` + pt + `::geography, ` + radius + `)
ORDER BY 2, 1
LIMIT 20)`
}

// CaseStores hands out the case store on the layer store's database, so
// that the demo loader (which receives the layer store) can add its
// routing table and cases.
func (s *LayerStore) CaseStores() (casework.Store, casework.UploadStore) {
	cs := NewCaseStore(s.db)
	return cs, cs
}
