package postgis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
	"github.com/jackc/pgx/v5"
)

// AssessmentStore implements assessment.Store over the records it owns
// (migration 00007) and, read-only, the stored results of Patrols
// (patrol_months, patrol_days) and Cases (cases, case_categories,
// case_events).
type AssessmentStore struct{ db *DB }

var _ assessment.Store = (*AssessmentStore)(nil)

// NewAssessmentStore returns the assessment store on db.
func NewAssessmentStore(db *DB) *AssessmentStore { return &AssessmentStore{db: db} }

func assessmentDay(t time.Time) string { return t.In(workday.Shanghai()).Format("2006-01-02") }

// Evidence gathers the month's evidence. Workers are the users holding a
// grid-worker assignment on any day of the month; their street is the
// root of their first grid's chain.
func (s *AssessmentStore) Evidence(ctx context.Context, p assessment.Period, r *assessment.Rubric) (*assessment.Evidence, error) {
	ev := &assessment.Evidence{Month: p.Month}
	from, to := assessmentDay(p.From), assessmentDay(p.To)
	if err := s.workers(ctx, ev, from, to); err != nil {
		return nil, err
	}
	if len(ev.Workers) == 0 {
		return ev, nil
	}
	ids := make([]int64, len(ev.Workers))
	for i, w := range ev.Workers {
		ids[i] = w.ID
	}
	steps := []struct {
		what string
		fn   func() error
	}{
		{"patrol months", func() error { return s.patrols(ctx, ev, ids, from) }},
		{"calls", func() error { return s.calls(ctx, ev, ids, p) }},
		{"surveys", func() error { return s.surveys(ctx, ev, ids, from, to) }},
		{"findings", func() error { return s.findings(ctx, ev, ids, from, to) }},
		{"work orders", func() error { return s.workOrders(ctx, ev, ids, p) }},
		{"backward tracing", func() error { return s.missed(ctx, ev, ids, p, r.Backtrace) }},
		{"absences", func() error { return s.absences(ctx, ev, ids, from, to) }}, // leave.go
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			return nil, translate(err, "assessment "+st.what)
		}
	}
	return ev, nil
}

func (s *AssessmentStore) workers(ctx context.Context, ev *assessment.Evidence, from, to string) error {
	rows, err := s.db.Pool.Query(ctx, `
WITH RECURSIVE a AS (
    SELECT DISTINCT u.id, u.username, u.name, ga.grid_code
    FROM grid_assignments ga JOIN users u ON u.id = ga.user_id
    WHERE ga.grid_role = 'worker' AND ga.valid_from < $2::date AND (ga.valid_to IS NULL OR ga.valid_to > $1::date)
), up AS (
    SELECT g.code AS start, g.code, g.parent_code, g.name, 0 AS depth
    FROM grid_versions g WHERE g.valid_to IS NULL AND g.code IN (SELECT grid_code FROM a)
    UNION ALL
    SELECT up.start, p.code, p.parent_code, p.name, up.depth + 1
    FROM up JOIN grid_versions p ON p.code = up.parent_code AND p.valid_to IS NULL
    WHERE up.depth < 20
)
SELECT a.id, a.username, a.name, a.grid_code, coalesce(r.code, ''), coalesce(r.name, '')
FROM a LEFT JOIN LATERAL (
    SELECT code, name FROM up WHERE up.start = a.grid_code AND up.parent_code IS NULL LIMIT 1
) r ON true
ORDER BY a.id, a.grid_code`, from, to)
	if err != nil {
		return translate(err, "assessment workers")
	}
	defer rows.Close()
	var cur *assessment.Worker
	for rows.Next() {
		var w assessment.Worker
		var grid string
		if err := rows.Scan(&w.ID, &w.Username, &w.Name, &grid, &w.Street, &w.StreetName); err != nil {
			return err
		}
		if cur == nil || cur.ID != w.ID {
			ev.Workers = append(ev.Workers, w)
			cur = &ev.Workers[len(ev.Workers)-1]
		}
		cur.Grids = append(cur.Grids, grid)
	}
	return translate(rows.Err(), "assessment workers")
}

// patrols reads the stored monthly patrol results and the assessed days
// without a completed patrol (days_under of the patrol audit, by date).
func (s *AssessmentStore) patrols(ctx context.Context, ev *assessment.Evidence, ids []int64, month string) error {
	rows, err := s.db.Pool.Query(ctx, `
SELECT worker_id, grid_code, days, coverage, coverage_met FROM patrol_months
WHERE month = $1::date AND worker_id = ANY($2) ORDER BY worker_id, grid_code`, month, ids)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p assessment.PatrolMonth
		if err := rows.Scan(&p.WorkerID, &p.GridCode, &p.Days, &p.Coverage, &p.CoverageMet); err != nil {
			rows.Close()
			return err
		}
		ev.Patrols = append(ev.Patrols, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.Pool.Query(ctx, `
SELECT pm.worker_id, to_char($1::date + k, 'YYYY-MM-DD'), coalesce(pd.patrol_s, 0)
FROM (SELECT worker_id, max(days) AS days FROM patrol_months
      WHERE month = $1::date AND worker_id = ANY($2) GROUP BY worker_id) pm
CROSS JOIN LATERAL generate_series(0, pm.days - 1) k
LEFT JOIN patrol_days pd ON pd.worker_id = pm.worker_id AND pd.day = $1::date + k
WHERE NOT coalesce(pd.patrolled, false)
ORDER BY pm.worker_id, k`, month, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d assessment.ShortDay
		if err := rows.Scan(&d.WorkerID, &d.Date, &d.PatrolSeconds); err != nil {
			return err
		}
		ev.ShortDays = append(ev.ShortDays, d)
	}
	return rows.Err()
}

func (s *AssessmentStore) calls(ctx context.Context, ev *assessment.Evidence, ids []int64, p assessment.Period) error {
	rows, err := s.db.Pool.Query(ctx, `
SELECT id, worker_id, called_at, answered, note FROM assessment_calls
WHERE called_at >= $1 AND called_at < $2 AND worker_id = ANY($3) ORDER BY id`, p.From, p.To, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c assessment.Call
		if err := rows.Scan(&c.ID, &c.WorkerID, &c.At, &c.Answered, &c.Note); err != nil {
			return err
		}
		ev.Calls = append(ev.Calls, c)
	}
	return rows.Err()
}

func (s *AssessmentStore) surveys(ctx context.Context, ev *assessment.Evidence, ids []int64, from, to string) error {
	rows, err := s.db.Pool.Query(ctx, `
SELECT id, worker_id, to_char(surveyed_on, 'YYYY-MM-DD'), households, satisfied, note FROM assessment_surveys
WHERE surveyed_on >= $1::date AND surveyed_on < $2::date AND worker_id = ANY($3) ORDER BY id`, from, to, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v assessment.Survey
		if err := rows.Scan(&v.ID, &v.WorkerID, &v.Date, &v.Households, &v.Satisfied, &v.Note); err != nil {
			return err
		}
		ev.Surveys = append(ev.Surveys, v)
	}
	return rows.Err()
}

func (s *AssessmentStore) findings(ctx context.Context, ev *assessment.Evidence, ids []int64, from, to string) error {
	rows, err := s.db.Pool.Query(ctx, `
SELECT id, worker_id, kind, to_char(found_on, 'YYYY-MM-DD'), coalesce(case_number, ''), note FROM assessment_findings
WHERE found_on >= $1::date AND found_on < $2::date AND worker_id = ANY($3) ORDER BY id`, from, to, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f assessment.Finding
		var kind string
		if err := rows.Scan(&f.ID, &f.WorkerID, &kind, &f.Date, &f.CaseNumber, &f.Note); err != nil {
			return err
		}
		f.Kind = assessment.FindingKind(kind)
		ev.Findings = append(ev.Findings, f)
	}
	return rows.Err()
}

// workOrders: the worker's own app reports of the month with their
// category's points. Qualified: accepted (立案) or resolved on site; not
// qualified: rejected (退回); pending otherwise. Duplicates merged into
// another case are left out (neither points nor pass rate).
func (s *AssessmentStore) workOrders(ctx context.Context, ev *assessment.Evidence, ids []int64, p assessment.Period) error {
	rows, err := s.db.Pool.Query(ctx, `
SELECT c.number, c.reporter_id, c.category_code, c.reported_at, k.points::float8,
       CASE WHEN c.status = 'rejected' THEN false
            WHEN c.accepted_at IS NOT NULL OR c.resolved_on_site THEN true END
FROM cases c JOIN case_categories k ON k.code = c.category_code
WHERE c.source = 'worker_app' AND c.status <> 'merged'
  AND c.reported_at >= $1 AND c.reported_at < $2 AND c.reporter_id = ANY($3)
ORDER BY c.number`, p.From, p.To, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o assessment.WorkOrder
		if err := rows.Scan(&o.CaseNumber, &o.WorkerID, &o.Category, &o.ReportedAt, &o.Points, &o.Qualified); err != nil {
			return err
		}
		ev.WorkOrders = append(ev.WorkOrders, o)
	}
	return rows.Err()
}

// missed is the backward-tracing join: a case of the month from one of
// the configured sources, verified (accepted by the center, not rejected
// or merged), lying inside a grid (the grid version valid when it was
// reported) whose worker — assigned on the report's day — had not
// reported a case of the same category within radius_m in the window_days
// before it (own app reports, any status but rejected).
func (s *AssessmentStore) missed(ctx context.Context, ev *assessment.Evidence, ids []int64, p assessment.Period, bt assessment.BacktraceRules) error {
	rows, err := s.db.Pool.Query(ctx, `
SELECT DISTINCT c.number, ga.user_id, c.category_code, c.source, c.reported_at, g.code
FROM cases c
JOIN grid_versions g ON g.valid_from <= c.reported_at AND (g.valid_to IS NULL OR g.valid_to > c.reported_at)
                    AND ST_Intersects(g.geom, c.geom)
JOIN grid_assignments ga ON ga.grid_code = g.code AND ga.grid_role = 'worker'
                        AND ga.valid_from <= (c.reported_at AT TIME ZONE 'Asia/Shanghai')::date
                        AND (ga.valid_to IS NULL OR ga.valid_to > (c.reported_at AT TIME ZONE 'Asia/Shanghai')::date)
WHERE c.source = ANY($3) AND c.reported_at >= $1 AND c.reported_at < $2
  AND c.accepted_at IS NOT NULL AND c.status NOT IN ('rejected', 'merged')
  AND ga.user_id = ANY($4)
  AND NOT EXISTS (
      SELECT 1 FROM cases o
      WHERE o.reporter_id = ga.user_id AND o.source = 'worker_app' AND o.status <> 'rejected'
        AND o.category_code = c.category_code
        AND o.reported_at <= c.reported_at AND o.reported_at > c.reported_at - make_interval(days => $5)
        AND ST_DWithin(o.geom::geography, c.geom::geography, $6))
ORDER BY c.number, ga.user_id`, p.From, p.To, bt.Sources, ids, bt.WindowDays, bt.RadiusM)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m assessment.Missed
		if err := rows.Scan(&m.CaseNumber, &m.WorkerID, &m.Category, &m.Source, &m.ReportedAt, &m.GridCode); err != nil {
			return err
		}
		ev.Missed = append(ev.Missed, m)
	}
	return rows.Err()
}

// DepartmentFigures: per unit, from the case timeline and the cases: the
// dispatches (派遣) to it in the month, its handling feedbacks in the month
// and how many came before the handling deadline, its returns (退回: not
// its responsibility) and the failed verifications of its cases (返工) in
// the month.
func (s *AssessmentStore) DepartmentFigures(ctx context.Context, p assessment.Period) ([]assessment.DepartmentFigure, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT d.code, d.name,
  (SELECT count(*) FROM case_events e
    WHERE e.action = 'dispatch' AND e.data->>'unit' = d.code AND e.at >= $1 AND e.at < $2),
  (SELECT count(*) FROM cases c WHERE c.lead_unit = d.code AND c.handled_at >= $1 AND c.handled_at < $2),
  (SELECT count(*) FROM cases c WHERE c.lead_unit = d.code AND c.handled_at >= $1 AND c.handled_at < $2 AND c.handled_on_time),
  (SELECT count(*) FROM case_events e
    WHERE e.action = 'return' AND e.data->>'unit' = d.code AND e.at >= $1 AND e.at < $2),
  (SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id
    WHERE e.action = 'verify_fail' AND c.lead_unit = d.code AND e.at >= $1 AND e.at < $2)
FROM departments d ORDER BY d.code`, p.From, p.To)
	if err != nil {
		return nil, translate(err, "department figures")
	}
	defer rows.Close()
	out := []assessment.DepartmentFigure{}
	for rows.Next() {
		var d assessment.DepartmentFigure
		if err := rows.Scan(&d.Unit, &d.Name, &d.Dispatched, &d.Handled, &d.OnTime, &d.Returns, &d.Reworks); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	assessment.FinishDepartments(out)
	return out, translate(rows.Err(), "department figures")
}

func (s *AssessmentStore) scanRun(row pgx.Row) (*assessment.Run, error) {
	var r assessment.Run
	var rubric, results, deps, diff []byte
	var by *int64
	if err := row.Scan(&r.Month, &r.Version, &r.RubricVersion, &rubric, &results, &deps, &r.Digest, &diff, &by, &r.CreatedAt); err != nil {
		return nil, err
	}
	if by != nil {
		r.CreatedBy = *by
	}
	for _, x := range []struct {
		b []byte
		v any
	}{{rubric, &r.Rubric}, {results, &r.Results}, {deps, &r.Departments}, {diff, &r.Diff}} {
		if err := json.Unmarshal(x.b, x.v); err != nil {
			return nil, fmt.Errorf("decode assessment run %s v%d: %w", r.Month, r.Version, err)
		}
	}
	return &r, nil
}

const runColumns = `month, version, rubric_version, rubric, results, departments, digest, diff, created_by, created_at`

// LatestRun returns the highest version of month.
func (s *AssessmentStore) LatestRun(ctx context.Context, month string) (*assessment.Run, error) {
	r, err := s.scanRun(s.db.Pool.QueryRow(ctx, `SELECT `+runColumns+` FROM assessment_runs WHERE month = $1 ORDER BY version DESC LIMIT 1`, month))
	return r, translate(err, "assessment of "+month)
}

// FindRun returns one version of month.
func (s *AssessmentStore) FindRun(ctx context.Context, month string, version int) (*assessment.Run, error) {
	r, err := s.scanRun(s.db.Pool.QueryRow(ctx, `SELECT `+runColumns+` FROM assessment_runs WHERE month = $1 AND version = $2`, month, version))
	return r, translate(err, fmt.Sprintf("assessment of %s version %d", month, version))
}

// InsertRun stores run and, the first time it is used, its rubric version.
// A rubric version whose stored document differs is a conflict: a version
// names one document forever.
func (s *AssessmentStore) InsertRun(ctx context.Context, run *assessment.Run) error {
	rubric, err := json.Marshal(run.Rubric)
	if err != nil {
		return err
	}
	results, err := json.Marshal(run.Results)
	if err != nil {
		return err
	}
	deps, err := json.Marshal(run.Departments)
	if err != nil {
		return err
	}
	diff, err := json.Marshal(run.Diff)
	if err != nil {
		return err
	}
	var by *int64
	if run.CreatedBy != 0 {
		by = &run.CreatedBy
	}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('assessment ' || $1))`, run.Month); err != nil {
			return err
		}
		var same bool
		err := tx.QueryRow(ctx, `
INSERT INTO assessment_rubrics (version, rubric, created_at) VALUES ($1, $2, $3)
ON CONFLICT (version) DO UPDATE SET version = EXCLUDED.version
RETURNING rubric = $2::jsonb`, run.RubricVersion, rubric, run.CreatedAt).Scan(&same)
		if err != nil {
			return err
		}
		if !same {
			return errs.Conflictf("rubric_version_reused", "rubric version %s is stored with a different document; give the changed rubric a new version", run.RubricVersion)
		}
		var latest int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM assessment_runs WHERE month = $1`, run.Month).Scan(&latest); err != nil {
			return err
		}
		if latest != run.Version-1 {
			return errs.Conflictf("assessment_version_taken", "assessment of %s version %d was stored concurrently", run.Month, run.Version)
		}
		_, err = tx.Exec(ctx, `
INSERT INTO assessment_runs (month, version, rubric_version, rubric, results, departments, digest, diff, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			run.Month, run.Version, run.RubricVersion, rubric, results, deps, run.Digest, diff, by, run.CreatedAt)
		return err
	})
	if e, ok := errs.As(err); ok {
		return e
	}
	return translate(err, "assessment run")
}

// CreateCall stores a supervisory call.
func (s *AssessmentStore) CreateCall(ctx context.Context, c *assessment.Call, by int64) error {
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO assessment_calls (worker_id, called_at, answered, note, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.WorkerID, c.At, c.Answered, c.Note, by, s.db.Now()).Scan(&c.ID)
	return translate(err, "supervisory call")
}

// CreateSurvey stores a satisfaction survey.
func (s *AssessmentStore) CreateSurvey(ctx context.Context, v *assessment.Survey, by int64) error {
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO assessment_surveys (worker_id, surveyed_on, households, satisfied, note, created_by, created_at)
VALUES ($1, $2::date, $3, $4, $5, $6, $7) RETURNING id`, v.WorkerID, v.Date, v.Households, v.Satisfied, v.Note, by, s.db.Now()).Scan(&v.ID)
	return translate(err, "survey")
}

// CreateFinding stores a finding.
func (s *AssessmentStore) CreateFinding(ctx context.Context, f *assessment.Finding, by int64) error {
	var cn *string
	if f.CaseNumber != "" {
		cn = &f.CaseNumber
	}
	err := s.db.Pool.QueryRow(ctx, `
INSERT INTO assessment_findings (worker_id, kind, found_on, case_number, note, created_by, created_at)
VALUES ($1, $2, $3::date, $4, $5, $6, $7) RETURNING id`, f.WorkerID, string(f.Kind), f.Date, cn, f.Note, by, s.db.Now()).Scan(&f.ID)
	return translate(err, "finding")
}

// AssessmentStore hands out the assessment store on the layer store's
// database, so the demo loader can add the demo month's records.
func (s *LayerStore) AssessmentStore() assessment.Store { return NewAssessmentStore(s.db) }
