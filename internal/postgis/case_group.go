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
// request's audit entry in one statement (createCasesSQL): one round
// trip, no BEGIN or COMMIT of its own. With Group > 0 the reports of
// concurrent requests also share their statement and commit: at most
// Group writers run at once, and a report that arrives while they all run
// waits for the next one, which writes every report waiting then (up to
// groupMaxCases) with one statement — one implicit transaction, one round
// trip, one durable commit, and one statement's fixed cost (start-up,
// constraint and index set-up) for all of them. Alone, a report is
// written at once by itself, as before. Each request is answered after
// its commit.
//
// If a shared statement fails (one report's photos are not the
// reporter's, a concurrent holder of a key committed), nothing of it is
// kept and each of its reports is written again by itself, so that a
// report is refused only for its own fault. A report whose idempotency
// key was taken before inserts nothing (the statement returns no row for
// it), and one under the key of an earlier report of its group is written
// after the group: neither changes anything for the others.

// groupMaxCases bounds the reports of one shared statement.
const groupMaxCases = 64

// caseJob is one case report waiting for its commit.
type caseJob struct {
	groupState
	row    *caseRow
	noRows bool // the statement inserted nothing (the key was taken)
	err    error
}

// createWithAudit writes the case of row (its id c.ID drawn ahead) with
// the request's audit entry p, which names it, in one statement, alone or
// in a group. It returns pgx.ErrNoRows when the case's idempotency key
// was taken (nothing written). The entry's id comes from the block drawn
// ahead (auditIDs; writeCases).
func (s *CaseStore) createWithAudit(ctx context.Context, p *auditlog.Pending, c *casework.Case, row *caseRow) error {
	auditlog.NoteObject(ctx, "case:"+strconv.FormatInt(c.ID, 10), c.GridCode)
	row.entry = p.Take()
	job := &caseJob{groupState: newGroupState(ctx), row: row}
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
	if row.entry != nil {
		p.Done(inserted)
	}
	if err != nil {
		return err
	}
	if !inserted {
		return pgx.ErrNoRows
	}
	s.noteCreated()
	if row.entry != nil {
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
	out := job.row.out
	job.noRows = false
	return s.db.Pool.QueryRow(job.ctx, `SELECT c.id, c.number, coalesce(c.worker_id, 0), c.duplicates,
  array(SELECT e.id FROM case_events e WHERE e.case_id = c.id ORDER BY e.id)
FROM cases c WHERE c.id = $1`, id).Scan(&out.ID, &out.Number, &out.WorkerID, &out.Duplicates, &out.EventIDs) == nil
}

// writeOne writes job's report by itself (its own implicit transaction).
func (s *CaseStore) writeOne(job *caseJob) error {
	written, err := s.writeCases(job.ctx, s.db.Pool, []*caseRow{job.row})
	job.noRows = err == nil && !written[0]
	return err
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

// writeGroup writes the reports of jobs with one statement (writeCases),
// one implicit transaction: a failing report fails the whole, and nothing
// of it is kept. Its context is its own, bounded by groupTimeout
// (patrol_group.go): one request ending must not fail the others.
func (s *CaseStore) writeGroup(jobs []*caseJob) error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	// A report under a key that an earlier report of the group holds is
	// written by itself after the group's commit: it finds the key taken
	// and answers with that report's case, and the group does not fail on
	// the key for it (a phone resending a report that timed out).
	type userKey struct {
		user int64
		key  string
	}
	held := map[userKey]bool{}
	var group, later []*caseJob
	var rows []*caseRow
	for _, j := range jobs {
		if r := j.row; r.KeyUser != nil {
			k := userKey{*r.KeyUser, *r.Key}
			if held[k] {
				later = append(later, j)
				continue
			}
			held[k] = true
		}
		group, rows = append(group, j), append(rows, j.row)
	}
	// An error that is not the server's refusal (the connection broke)
	// leaves the commit's outcome unknown: each report is then written
	// again by itself. One that was committed is not stored twice: with an
	// idempotency key it finds its key taken and answers with its case;
	// without one it finds its id (drawn ahead) taken and answers with
	// the case of that id (committedMeanwhile).
	written, err := s.writeCases(ctx, s.db.Pool, rows)
	if err != nil {
		return err
	}
	for i, j := range group {
		j.noRows = !written[i]
	}
	for _, j := range later {
		j.err = s.writeOne(j)
	}
	return nil
}
