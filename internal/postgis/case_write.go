package postgis

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/casework"
	"github.com/jackc/pgx/v5"
)

// Case intake's statement: one or many reports, set by set.
//
// createCasesSQL writes the reports given as one JSON array ($1, one
// caseRow each, in report order) with one statement, whatever their
// number: a group of reports (case_group.go) costs one statement's
// start-up, plan and constraint set-up, not one per report.

// caseRow is one report as createCasesSQL reads it (jsonb_to_recordset:
// its JSON names are the columns of caseRowColumns). Times are to the
// microsecond, as PostgreSQL keeps them (truncated, as pgx sends times).
type caseRow struct {
	N           int              `json:"n"`  // report order in the statement
	ID          *int64           `json:"id"` // drawn ahead; nil: the next of cases_id_seq
	Number      *string          `json:"number"`
	Category    string           `json:"category"`
	Description string           `json:"description"`
	Source      string           `json:"source"`
	Lon         float64          `json:"lon"`
	Lat         float64          `json:"lat"`
	ReportedAt  time.Time        `json:"reported_at"`
	ReporterID  int64            `json:"reporter"`
	GridCode    *string          `json:"grid_code"`
	GridChain   []string         `json:"grid_chain"`
	Day         string           `json:"day"` // the worker's day (YYYY-MM-DD)
	RuleID      *int64           `json:"rule"`
	Lead        *string          `json:"lead"`
	Co          []string         `json:"co"`
	RadiusM     float64          `json:"radius"`
	Since       time.Time        `json:"since"`
	Status      string           `json:"status"`
	OnSite      bool             `json:"on_site"`
	AcceptedAt  *time.Time       `json:"accepted_at"`
	HandledAt   *time.Time       `json:"handled_at"`
	ClosedAt    *time.Time       `json:"closed_at"`
	OnTime      *bool            `json:"on_time"`
	Pauses      []casework.Pause `json:"pauses"`
	CreatedAt   time.Time        `json:"created_at"`
	ReviewDue   *time.Time       `json:"review_due"`
	Stage       *string          `json:"stage"`
	StageSince  *time.Time       `json:"stage_since"`
	WarnAt      *time.Time       `json:"warn_at"`
	RemindAt    *time.Time       `json:"remind_at"`
	DueAt       *time.Time       `json:"due_at"`
	KeyUser     *int64           `json:"key_user"`
	Key         *string          `json:"key"`
	KeyHash     *string          `json:"key_hash"` // bytea input (\x and hex)
	KeyAt       time.Time        `json:"key_at"`
	Events      []timelineRow    `json:"events"`    // the timeline, in order
	Photos      []int64          `json:"photos"`    // upload ids to attach
	Published   []eventRow       `json:"published"` // publishedRows
	Month       string           `json:"month"`     // the number's month (YYYY-MM)
	Seq         string           `json:"seq"`       // its sequence (caseNumberSeq)
	entry       *auditlog.Entry  // the request's audit entry, written only with the case
	out         *caseResult      // where the case's row is read into
}

// timelineRow is one event of a report's timeline in caseRow.
type timelineRow struct {
	Action      string         `json:"action"`
	From        string         `json:"from_status"`
	To          string         `json:"to_status"`
	ActorID     *int64         `json:"actor_id"`
	ActorName   string         `json:"actor_name"`
	At          time.Time      `json:"at"`
	Comment     string         `json:"comment"`
	Attachments []int64        `json:"attachments"`
	Data        map[string]any `json:"data"`
}

// caseRowColumns declares caseRow's JSON fields to jsonb_to_recordset.
const caseRowColumns = `n int, id bigint, number text, category text, description text, source text, lon float8, lat float8,
	reported_at timestamptz, reporter bigint, grid_code text, grid_chain text[], day date, rule bigint, lead text, co text[],
	radius float8, since timestamptz, status text, on_site bool, accepted_at timestamptz, handled_at timestamptz,
	closed_at timestamptz, on_time bool, pauses jsonb, created_at timestamptz, review_due timestamptz, stage text,
	stage_since timestamptz, warn_at timestamptz, remind_at timestamptz, due_at timestamptz, key_user bigint, key text,
	key_hash bytea, key_at timestamptz, events jsonb, photos bigint[], published jsonb, month text, seq text`

// caseResult is what the write returns of a case: its id, number, worker
// (0: none), duplicates and the ids of its timeline's events.
type caseResult struct {
	ID         int64
	Number     string
	WorkerID   int64
	Duplicates []int64
	EventIDs   []int64
}

// usec is t to the microsecond (truncated), nil for nil.
func usec(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.Truncate(time.Microsecond)
	return &u
}

// byteaInput is b as bytea's text input, nil for nil.
func byteaInput(b []byte) *string {
	if b == nil {
		return nil
	}
	s := `\x` + hex.EncodeToString(b)
	return &s
}

// Each report's look-ups (its key, its worker, its duplicates, its photos)
// go through an index, whatever the plan's estimate of the reports'
// number: a key by a LATERAL ... LIMIT 1 (no hash of the whole key table),
// the photos by their ids as one array (uploads_pkey).
//
// createCasesSQL inserts, in report order, each report of $1 whose
// idempotency key is not taken (a report under a taken key writes
// nothing and draws no number), with its id (drawn ahead, else the next
// of cases_id_seq) and number (given, else the next of its month's
// sequence, which CreateCase makes sure exists; over 999,999 the statement
// fails with case_numbers_exhausted); then each case's key, timeline,
// published events and photos' attachment (every photo must be an
// unattached upload of its reporter, or the statement fails with
// unknown_upload). For each case it looks up what intake decides nothing
// on: the grid's worker on the report's day and the duplicate candidates
// among the cases committed before the statement (duplicateCandidates)
// and the reports before it in $1. Two reports of $1 under one key fail
// the statement on the key (writeGroup keeps them apart). With audit, the
// request's audit entries ($2–$16, auditArgs) are written with their
// cases: an entry whose case (its object) was not written is not either. It returns, in report order,
// each written case's order in $1, id, number, worker, duplicates and
// event ids.
func createCasesSQL(audit bool) string {
	q := `
WITH r AS (
	SELECT r.* FROM jsonb_to_recordset($1::jsonb) AS r(` + caseRowColumns + `)
	LEFT JOIN LATERAL (SELECT true AS taken FROM idempotency_keys k WHERE k.user_id = r.key_user AND k.key = r.key LIMIT 1) t ON true
	WHERE t.taken IS NULL
	ORDER BY r.n
), w AS (
	SELECT r.*, coalesce(r.id, nextval('cases_id_seq')) AS cid,
	       CASE WHEN r.number IS NULL THEN nextval(r.seq::regclass) END AS seqno,
	       ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) AS pt
	FROM r
), c AS (
	INSERT INTO cases (id, number, category_code, description, source, geom, reported_at, reporter_id, grid_code, grid_chain,
	  worker_id, suggested_rule_id, suggested_lead, suggested_co, duplicates, status, resolved_on_site,
	  accepted_at, handled_at, closed_at, handled_on_time, pauses, created_at, updated_at,
	  review_due, stage, stage_since, warn_at, remind_at, due_at)
	SELECT w.cid,
	  coalesce(w.number, CASE WHEN w.seqno <= 999999 THEN w.month || '-' || lpad(w.seqno::text, 6, '0') ELSE gridd_fail('case_numbers_exhausted')::text END),
	  w.category, w.description, w.source, w.pt, w.reported_at, w.reporter, w.grid_code, w.grid_chain,
	  (SELECT user_id FROM grid_assignments
	   WHERE grid_code = w.grid_code AND grid_role = 'worker' AND valid_from <= w.day AND (valid_to IS NULL OR valid_to > w.day)
	   ORDER BY valid_from, id LIMIT 1),
	  w.rule, w.lead, w.co,
	  ARRAY(SELECT x.id FROM (` + duplicateCandidates("w.category", "w.lon", "w.lat", "w.since", "w.radius") + `
	        UNION ALL
	        SELECT o.cid, ST_Distance(o.pt::geography, w.pt::geography, false) FROM w o
	        WHERE o.n < w.n AND o.category = w.category AND o.status NOT IN ('rejected', 'closed', 'merged') AND o.reported_at >= w.since
	          AND ST_DWithin(o.pt::geography, w.pt::geography, w.radius)) x
	        ORDER BY x.distance, x.id LIMIT 20),
	  w.status, w.on_site, w.accepted_at, w.handled_at, w.closed_at, w.on_time, w.pauses, w.created_at, w.created_at,
	  w.review_due, w.stage, w.stage_since, w.warn_at, w.remind_at, w.due_at
	FROM w
	ORDER BY w.n
	RETURNING id, number, coalesce(worker_id, 0) AS worker_id, duplicates
), k AS (
	INSERT INTO idempotency_keys (user_id, key, request_hash, created_at, case_id)
	SELECT w.key_user, w.key, w.key_hash, w.key_at, c.id FROM c JOIN w ON w.cid = c.id WHERE w.key_user IS NOT NULL
), e AS (
	INSERT INTO case_events (case_id, action, from_status, to_status, actor_id, actor_name, at, comment, attachments, data)
	SELECT c.id, x.action, x.from_status, x.to_status, x.actor_id, x.actor_name, x.at, x.comment,
	       ARRAY(SELECT jsonb_array_elements_text(x.attachments)::bigint), x.data
	FROM c JOIN w ON w.cid = c.id,
	     ROWS FROM (jsonb_to_recordset(w.events) AS (action text, from_status text, to_status text, actor_id bigint,
	     actor_name text, at timestamptz, comment text, attachments jsonb, data jsonb))
	     WITH ORDINALITY AS x(action, from_status, to_status, actor_id, actor_name, at, comment, attachments, data, n)
	ORDER BY w.n, x.n
	RETURNING id, case_id
), a AS (
	UPDATE uploads u SET case_id = p.cid
	FROM (SELECT c.id AS cid, w.reporter, unnest(w.photos) AS id FROM c JOIN w ON w.cid = c.id) p
	WHERE u.id = ANY(ARRAY(SELECT unnest(w.photos) FROM w)) AND u.id = p.id AND u.owner_id = p.reporter AND u.case_id IS NULL
	RETURNING u.id
), v AS (
	INSERT INTO events (kind, object, object_id, grid_code, unit_codes, user_ids, data)
	SELECT x.kind, x.object, c.id::text, nullif(x.grid_code, ''), ARRAY(SELECT jsonb_array_elements_text(x.unit_codes)),
	       ARRAY(SELECT jsonb_array_elements_text(x.user_ids)::bigint), x.data || jsonb_build_object('id', c.id, 'number', c.number)
	FROM c JOIN w ON w.cid = c.id,
	     ROWS FROM (jsonb_to_recordset(w.published) AS (kind text, object text, grid_code text, unit_codes jsonb, user_ids jsonb, data jsonb))
	     WITH ORDINALITY AS x(kind, object, grid_code, unit_codes, user_ids, data, n)
	ORDER BY w.n, x.n
)`
	if audit {
		q += `, au AS (` + auditInsertSQL(2) + `
	WHERE ae.object IN (SELECT 'case:' || c.id FROM c)
)`
	}
	return q + `
SELECT w.n, c.id, c.number, c.worker_id, c.duplicates,
       (SELECT coalesce(array_agg(e.id ORDER BY e.id), '{}') FROM e WHERE e.case_id = c.id)
FROM c JOIN w ON w.cid = c.id
WHERE CASE WHEN (SELECT count(*) FROM a) = (SELECT coalesce(sum(cardinality(w.photos)), 0) FROM w) THEN true
           ELSE gridd_fail('unknown_upload') IS NULL END
ORDER BY w.n`
}

var (
	createCasesPlainSQL = createCasesSQL(false)
	createCasesAuditSQL = createCasesSQL(true)
)

// writeCases writes rows (their N their order in it) with their audit
// entries (those not nil) in one statement on q, reading each written
// case into its row's out. It returns, for each row, whether its case was
// written (false: its idempotency key was taken).
func (s *CaseStore) writeCases(ctx context.Context, q querier, rows []*caseRow) ([]bool, error) {
	var entries []*auditlog.Entry
	for i, r := range rows {
		r.N = i
		if r.entry != nil {
			entries = append(entries, r.entry)
		}
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	sql, args := createCasesPlainSQL, []any{doc}
	if len(entries) > 0 {
		ids, err := s.db.auditIDs.take(ctx, s.db.Pool, len(entries), false)
		if err != nil {
			return nil, err
		}
		sql, args = createCasesAuditSQL, append(args, auditArgs(s.db.AuditKey, entries, ids)...)
	}
	res, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	written := make([]bool, len(rows))
	var n int
	var out caseResult
	_, err = pgx.ForEachRow(res, []any{&n, &out.ID, &out.Number, &out.WorkerID, &out.Duplicates, &out.EventIDs}, func() error {
		written[n] = true
		*rows[n].out = out
		return nil
	})
	return written, err
}
