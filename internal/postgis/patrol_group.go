package postgis

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Group commit of patrol uploads.
//
// A small upload costs the database far more per upload than per fix:
// three statements, their round trips and a commit, whatever the batch
// size (BENCHMARKS.md, "Patrol storage at city scale"). With Group > 0 the
// uploads of concurrent requests are written together: at most Group
// transactions run at once, and an upload that arrives while they all
// run waits for the next one, which takes every upload waiting then (up
// to groupMaxUploads). Alone, an upload commits by itself at once, as
// before; under load the uploads share one INSERT of their fixes, one
// mark of their dirty days, one INSERT of their requests' audit entries
// and one durable commit. Each request is answered after that commit.
//
// If a shared transaction fails, each of its uploads is tried again by
// itself, so that an upload is refused only for its own fault.

// groupMaxUploads bounds the uploads of one shared transaction, and
// groupMaxFixes its fixes.
const (
	groupMaxUploads = 64
	groupMaxFixes   = 4096
)

// fixJob is one upload waiting for its group's commit.
type fixJob struct {
	groupState
	workerID int64
	fixes    []patrol.Fix
	stored   int
	err      error
}

// submit queues job for a group transaction (groupQueue.submit) and
// returns its result.
func (s *PatrolStore) submit(job *fixJob) (int, error) {
	if err := s.group.submit(job, s.Group, s.runGroups); err != nil {
		return 0, err
	}
	return job.stored, job.err
}

// runGroups writes groups of queued uploads until the queue is empty: a
// batch is at most groupMaxUploads uploads of at most groupMaxFixes fixes
// (the first whatever its size).
func (s *PatrolStore) runGroups() {
	s.group.run(func(q []*fixJob) int {
		n, fixes := 0, 0
		for n < len(q) && n < groupMaxUploads && (n == 0 || fixes+len(q[n].fixes) <= groupMaxFixes) {
			fixes += len(q[n].fixes)
			n++
		}
		return n
	}, s.insertGroup, func(j *fixJob) {
		j.stored, j.err = s.insertOne(j.ctx, j.workerID, j.fixes)
	})
}

// groupTimeout bounds a shared transaction (its requests' contexts do not:
// one request ending must not fail the others).
const groupTimeout = 30 * time.Second

// insertGroup writes the uploads of jobs in one transaction with their
// requests' audit entries, and sets each job's count of new fixes (a fix
// sent twice in the group counts for the first upload that has it).
//
// The INSERT is a plain one, returning nothing: unless a phone sends
// again what was already stored, it stores every fix of the group, so
// each job stored all of its own and their days are known. When a fix
// was stored before, the INSERT fails on the primary key, and the
// transaction is rolled back and written again with ON CONFLICT DO
// NOTHING, returning the fixes it stored. ON CONFLICT looks each fix up
// in the index before inserting it (and takes a speculative insertion
// lock), and returning every fix sends a row back per fix: without them
// the city month's intake took a third less of PostgreSQL's CPU
// (BENCHMARKS.md, "The city month: days written set by set, patrol
// intake by a plain INSERT").
func (s *PatrolStore) insertGroup(jobs []*fixJob) error {
	g := newFixGroup(jobs)
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	written, err := s.writeGroup(ctx, g, false)
	if errors.Is(err, errResent) {
		written, err = s.writeGroup(ctx, g, true)
	}
	for _, p := range g.pendings {
		p.Done(err == nil && written)
	}
	if err != nil {
		return err
	}
	if written {
		s.db.noteAudit()
	}
	return nil
}

// errResent rolls back a group transaction whose INSERT met a fix
// already stored.
var errResent = errors.New("patrol group: fixes sent again")

// fixGroup is a group's fixes, once each, as the INSERT's arrays.
type fixGroup struct {
	jobs     []*fixJob
	owner    []int // the job of each fix
	workers  []int64
	ts, recv []time.Time
	lon, lat []float64
	acc, spd []float32
	pendings []*auditlog.Pending
	entries  []*auditlog.Entry
}

// newFixGroup lays out the fixes of jobs, leaving out a fix sent earlier
// in the group (by the same or an earlier upload).
func newFixGroup(jobs []*fixJob) *fixGroup {
	n := 0
	for _, j := range jobs {
		n += len(j.fixes)
	}
	g := &fixGroup{jobs: jobs, owner: make([]int, 0, n), workers: make([]int64, 0, n), ts: make([]time.Time, 0, n),
		recv: make([]time.Time, 0, n), lon: make([]float64, 0, n), lat: make([]float64, 0, n),
		acc: make([]float32, 0, n), spd: make([]float32, 0, n)}
	var seen map[fixKey]bool
	if mayRepeat(jobs) {
		seen = make(map[fixKey]bool, n)
	}
	for i, j := range jobs {
		for _, f := range j.fixes {
			if seen != nil {
				k := fixKey{j.workerID, f.T.UnixMicro()}
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			g.owner, g.workers, g.ts, g.recv = append(g.owner, i), append(g.workers, j.workerID), append(g.ts, f.T), append(g.recv, f.ReceivedAt)
			g.lon, g.lat = append(g.lon, f.Lon), append(g.lat, f.Lat)
			g.acc, g.spd = append(g.acc, float32(f.AccuracyM)), append(g.spd, float32(f.SpeedMps))
		}
		if p := auditlog.PendingFrom(j.ctx); p != nil {
			if e := p.Take(); e != nil {
				g.pendings, g.entries = append(g.pendings, p), append(g.entries, e)
			}
		}
	}
	return g
}

// fixKey is a fix's primary key: its worker and time (microseconds, as
// stored).
type fixKey struct{ worker, t int64 }

// mayRepeat reports whether a fix may occur twice among jobs: a worker
// with two uploads in the group, or an upload whose times do not
// increase (phones send their fixes in order, each once).
func mayRepeat(jobs []*fixJob) bool {
	workers := make(map[int64]bool, len(jobs))
	for _, j := range jobs {
		if workers[j.workerID] {
			return true
		}
		workers[j.workerID] = true
		for i := 1; i < len(j.fixes); i++ {
			if !j.fixes[i].T.After(j.fixes[i-1].T) {
				return true
			}
		}
	}
	return false
}

// writeGroup writes g in one transaction and reports whether it wrote the
// audit entries. Without returning, it fails with errResent when a fix
// was stored before.
func (s *PatrolStore) writeGroup(ctx context.Context, g *fixGroup, returning bool) (written bool, err error) {
	for _, j := range g.jobs {
		j.stored = 0
	}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		const insert = `
INSERT INTO patrol_points (worker_id, t, lon, lat, accuracy_m, speed_mps, received_at)
SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::timestamptz[])`
		args := []any{g.workers, g.ts, g.lon, g.lat, g.acc, g.spd, g.recv}
		days := dayMarks{loc: s.Loc}
		if !returning {
			if _, err := tx.Exec(ctx, insert, args...); err != nil {
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "23505" {
					return errResent
				}
				return err
			}
			for i, w := range g.workers {
				g.jobs[g.owner[i]].stored++
				days.add(w, g.ts[i])
			}
		} else {
			at := make(map[fixKey]int, len(g.ts))
			for i, w := range g.workers {
				at[fixKey{w, g.ts[i].UnixMicro()}] = i
			}
			rows, err := tx.Query(ctx, insert+`
ON CONFLICT (worker_id, t) DO NOTHING
RETURNING worker_id, t`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var w int64
				var t time.Time
				if err := rows.Scan(&w, &t); err != nil {
					rows.Close()
					return err
				}
				g.jobs[g.owner[at[fixKey{w, t.UnixMicro()}]]].stored++
				days.add(w, t)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if err := days.mark(ctx, tx); err != nil {
			return err
		}
		if len(g.entries) > 0 {
			written, err = s.db.appendAudit(ctx, tx, s.db.AuditKey, true, g.entries)
		}
		return err
	})
	return written, err
}

// dayMarks collects the civil days (in loc) of workers' fixes, computing
// a day once for the run of fixes that fall in it.
type dayMarks struct {
	loc      *time.Location
	days     map[int64]map[string]bool
	worker   int64 // the last fix's worker and day
	from, to time.Time
	day      string
}

func (m *dayMarks) add(worker int64, t time.Time) {
	inDay := !t.Before(m.from) && t.Before(m.to)
	if inDay && worker == m.worker && m.days != nil {
		return
	}
	if !inDay {
		d := t.In(m.loc)
		m.from = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, m.loc)
		m.to = m.from.AddDate(0, 0, 1)
		m.day = m.from.Format("2006-01-02")
	}
	m.worker = worker
	if m.days == nil {
		m.days = map[int64]map[string]bool{}
	}
	ds := m.days[worker]
	if ds == nil {
		ds = map[string]bool{}
		m.days[worker] = ds
	}
	ds[m.day] = true
}

// mark marks the collected days dirty (markDirtyMany), if any.
func (m *dayMarks) mark(ctx context.Context, tx pgx.Tx) error {
	if len(m.days) == 0 {
		return nil
	}
	return markDirtyMany(ctx, tx, m.days)
}

// markDirtyMany marks the days of several workers dirty and notes the
// patrols layer's change.
func markDirtyMany(ctx context.Context, tx pgx.Tx, days map[int64]map[string]bool) error {
	var workers []int64
	var list []string
	for w, ds := range days {
		for d := range ds {
			workers, list = append(workers, w), append(list, d)
		}
	}
	// A fixed order: concurrent groups lock the rows in the same order.
	idx := make([]int, len(workers))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		if workers[idx[a]] != workers[idx[b]] {
			return workers[idx[a]] < workers[idx[b]]
		}
		return list[idx[a]] < list[idx[b]]
	})
	ws, ls := make([]int64, len(idx)), make([]string, len(idx))
	for i, k := range idx {
		ws[i], ls[i] = workers[k], list[k]
	}
	if _, err := tx.Exec(ctx, `
INSERT INTO patrol_dirty_days (worker_id, day, seq)
SELECT u.w, u.d::date, nextval('patrol_dirty_seq') FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS u(w, d, n)
ORDER BY u.n
ON CONFLICT (worker_id, day) DO UPDATE SET seq = EXCLUDED.seq`, ws, ls); err != nil {
		return err
	}
	return notifyLayer(ctx, tx, "patrols")
}
