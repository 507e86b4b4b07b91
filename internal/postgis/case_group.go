package postgis

import (
	"context"
	"errors"
	"strconv"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/casework"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Case intake's write: one statement, and group commit.
//
// A case report whose id was drawn ahead (IntakeFacts) is written with its
// request's audit entry in one statement (createCaseAuditSQL): one round
// trip, no BEGIN or COMMIT of its own. With Group > 0 the reports of
// concurrent requests also share their commit: at most Group writers run
// at once, and a report that arrives while they all run waits for the
// next one, which sends every report waiting then (up to groupMaxCases)
// as one pipeline of their statements and one Sync — one implicit
// transaction, one round trip, one durable commit. Alone, a report is
// written at once by itself, as before. Each request is answered after
// its commit.
//
// If a shared transaction fails (one report's photos are not the
// reporter's, a concurrent holder of the same idempotency key committed),
// nothing of it is kept and each of its reports is written again by
// itself, so that a report is refused only for its own fault. A report
// whose idempotency key was taken meanwhile inserts nothing (its
// statement returns no row): that changes nothing for the others.

// groupMaxCases bounds the reports of one shared transaction.
const groupMaxCases = 64

// caseJob is one case report's statement waiting for its commit.
type caseJob struct {
	groupState
	sql    string
	args   []any
	scan   func(pgx.Row) error
	noRows bool // the statement inserted nothing (the key was taken)
	err    error
}

// createWithAudit writes the case of args (createCaseSQL's; its id c.ID
// drawn ahead) with the request's audit entry p, which names it, in one
// statement, alone or in a group. It returns pgx.ErrNoRows when the
// case's idempotency key was taken (nothing written). The entry's id
// comes from the block drawn ahead (auditIDs), on the pool when the block
// is used up: this request holds no connection then.
func (s *CaseStore) createWithAudit(ctx context.Context, p *auditlog.Pending, c *casework.Case, args []any, scan func(pgx.Row) error) error {
	auditlog.NoteObject(ctx, "case:"+strconv.FormatInt(c.ID, 10), c.GridCode)
	e := p.Take()
	job := &caseJob{groupState: newGroupState(ctx), sql: createCaseSQL, args: args, scan: scan}
	if e != nil {
		ids, err := s.db.auditIDs.take(ctx, s.db.Pool, 1, false)
		if err != nil {
			p.Done(false)
			return err
		}
		job.sql = createCaseAuditSQL
		job.args = append(args, auditArgs(s.db.AuditKey, []*auditlog.Entry{e}, ids)...)
	}
	var err error
	if s.Group > 0 {
		err = s.submit(job)
	} else {
		err = s.writeOne(job)
	}
	if err != nil && s.committedMeanwhile(job, c.ID, err) {
		err = nil
	}
	inserted := err == nil && !job.noRows
	if e != nil {
		p.Done(inserted)
	}
	if err != nil {
		return err
	}
	if !inserted {
		return pgx.ErrNoRows
	}
	s.noteCreated()
	if e != nil {
		// No layer_revisions row changes with a case (a busy layer:
		// noteCreated), so the revisions held in memory stay fresh.
		s.db.noteAudit()
	}
	return nil
}

// committedMeanwhile tells whether job's case (id), whose write failed
// with err, was stored all the same, and if so reads its row into the job. The
// case's id was drawn ahead for this report alone, so a case with that id
// is this report, committed whole (the statement writes everything of it
// at once): by the write itself when the connection broke after the
// commit, before the answer came (err is then no refusal of the server);
// by its group's shared transaction when the group's outcome was unknown
// and the report, written again by itself, found its id taken.
func (s *CaseStore) committedMeanwhile(job *caseJob, id int64, err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !(pgErr.Code == "23505" && pgErr.ConstraintName == "cases_pkey") {
		return false // refused, nothing stored
	}
	if job.ctx.Err() != nil {
		return false // the request has ended: nobody waits for the answer
	}
	row := s.db.Pool.QueryRow(job.ctx, `SELECT c.id, c.number, coalesce(c.worker_id, 0), c.duplicates,
  array(SELECT e.id FROM case_events e WHERE e.case_id = c.id ORDER BY e.id)
FROM cases c WHERE c.id = $1`, id)
	job.noRows = false
	return job.scan(row) == nil
}

// scanJob reads job's row; no row (the key was taken) is not an error.
func scanJob(job *caseJob, row pgx.Row) error {
	err := job.scan(row)
	if errors.Is(err, pgx.ErrNoRows) {
		job.noRows = true
		return nil
	}
	return err
}

// writeOne runs job's statement by itself (its own implicit transaction).
func (s *CaseStore) writeOne(job *caseJob) error {
	return scanJob(job, s.db.Pool.QueryRow(job.ctx, job.sql, job.args...))
}

// submit queues job for a group writer (groupQueue.submit) and returns
// its result.
func (s *CaseStore) submit(job *caseJob) error {
	if err := s.group.submit(job, s.Group, s.runGroups); err != nil {
		return err
	}
	return job.err
}

// runGroups writes groups of queued reports until the queue is empty,
// at most groupMaxCases in one.
func (s *CaseStore) runGroups() {
	s.group.run(func(q []*caseJob) int { return min(len(q), groupMaxCases) }, s.writeGroup, func(j *caseJob) {
		j.noRows = false
		j.err = s.writeOne(j)
	})
}

// writeGroup sends the statements of jobs as one pipeline with one Sync:
// PostgreSQL runs them as one implicit transaction (a failing statement
// skips the rest and rolls back the whole) and answers after its commit.
// Its context is its own, bounded by groupTimeout (patrol_group.go): one
// request ending must not fail the others.
func (s *CaseStore) writeGroup(jobs []*caseJob) error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	b := &pgx.Batch{}
	for _, j := range jobs {
		b.Queue(j.sql, j.args...).QueryRow(func(row pgx.Row) error { return scanJob(j, row) })
	}
	// An error that is not the server's refusal (the connection broke)
	// leaves the commit's outcome unknown: each report is then written
	// again by itself. One that was committed is not stored twice: with an
	// idempotency key it finds its key taken and answers with its case;
	// without one it finds its id (drawn ahead) taken and answers with
	// the case of that id (committedMeanwhile).
	return s.db.Pool.SendBatch(ctx, b).Close()
}
