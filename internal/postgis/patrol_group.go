package postgis

import (
	"context"
	"sort"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/jackc/pgx/v5"
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
func (s *PatrolStore) insertGroup(jobs []*fixJob) error {
	var (
		workers  []int64
		ts, recv []time.Time
		lon, lat []float64
		acc, spd []float32
		pendings []*auditlog.Pending
		entries  []*auditlog.Entry
		written  bool
	)
	for _, j := range jobs {
		for _, f := range j.fixes {
			workers, ts, lon, lat = append(workers, j.workerID), append(ts, f.T), append(lon, f.Lon), append(lat, f.Lat)
			acc, spd, recv = append(acc, float32(f.AccuracyM)), append(spd, float32(f.SpeedMps)), append(recv, f.ReceivedAt)
		}
		if p := auditlog.PendingFrom(j.ctx); p != nil {
			if e := p.Take(); e != nil {
				pendings, entries = append(pendings, p), append(entries, e)
			}
		}
	}
	type key struct {
		worker int64
		t      int64
	}
	stored := map[key]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
INSERT INTO patrol_points (worker_id, t, lon, lat, accuracy_m, speed_mps, received_at)
SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::timestamptz[])
ON CONFLICT (worker_id, t) DO NOTHING
RETURNING worker_id, t`, workers, ts, lon, lat, acc, spd, recv)
		if err != nil {
			return err
		}
		days := map[int64]map[string]bool{}
		for rows.Next() {
			var w int64
			var t time.Time
			if err := rows.Scan(&w, &t); err != nil {
				rows.Close()
				return err
			}
			stored[key{w, t.UnixMicro()}] = true
			if days[w] == nil {
				days[w] = map[string]bool{}
			}
			days[w][s.civilDay(t)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(stored) > 0 {
			if err := markDirtyMany(ctx, tx, days); err != nil {
				return err
			}
		}
		if len(entries) > 0 {
			written, err = s.db.appendAudit(ctx, tx, s.db.AuditKey, true, entries)
		}
		return err
	})
	for _, p := range pendings {
		p.Done(err == nil && written)
	}
	if err != nil {
		return err
	}
	if written {
		s.db.noteAudit()
	}
	for _, j := range jobs {
		n := 0
		for _, f := range j.fixes {
			k := key{j.workerID, f.T.UnixMicro()}
			if stored[k] {
				n++
				delete(stored, k)
			}
		}
		j.stored = n
	}
	return nil
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
