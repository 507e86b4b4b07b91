package postgis_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/workday"
)

// TestPatrolGroupCommit: uploads that wait while the group transaction
// runs are written together, in one transaction, with each request's
// audit entry; a fix sent by two uploads of the group is stored once and
// counted for the first; when an upload makes the shared transaction
// fail, each upload is tried by itself, so only the one at fault fails;
// a group with uploads sent again counts each upload's new fixes.
func TestPatrolGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	sh := workday.Shanghai()
	var workers []int64
	for i := range 6 {
		workers = append(workers, newWorker(t, db, fmt.Sprintf("gw%d", i)))
	}
	store := postgis.NewPatrolStore(db, sh)
	store.Group = 1
	day := time.Date(2026, 12, 3, 9, 0, 0, 0, sh)

	type upload struct {
		worker int64
		fixes  []patrol.Fix
		p      *auditlog.Pending
		stored int
		err    error
	}
	// Upload k of a worker: fixes k and k+1 of its track (each fix but
	// the ends is sent twice).
	mk := func(worker int64, k int) *upload {
		u := &upload{worker: worker, p: auditlog.NewPending(&auditlog.Entry{At: day, Action: auditlog.ActionWrite, Actor: fmt.Sprint(worker), Route: "/api/v1/patrols/points"}, nil)}
		for _, i := range []int{k, k + 1} {
			u.fixes = append(u.fixes, patrol.Fix{T: day.Add(time.Duration(i) * 5 * time.Second), Lon: 117.53, Lat: 36.70, AccuracyM: 5, ReceivedAt: day})
		}
		return u
	}
	send := func(us []*upload) *sync.WaitGroup {
		var wg sync.WaitGroup
		for _, u := range us {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u.stored, u.err = store.InsertFixes(auditlog.WithPending(ctx, u.p), u.worker, u.fixes, sh)
			}()
		}
		return &wg
	}
	run := func(first *upload, rest []*upload) {
		t.Helper()
		queueBehindLock(t, db, "patrol_dirty_days", func() *sync.WaitGroup { return send([]*upload{first}) },
			func() *sync.WaitGroup { return send(rest) }, func() bool { return postgis.QueuedForTest(store) == len(rest) })
	}

	// Phase 1: 18 uploads of 6 workers queue behind the first.
	var all []*upload
	for k := range 3 {
		for _, w := range workers {
			all = append(all, mk(w, k))
		}
	}
	first := mk(workers[0], 10)
	run(first, all)
	total := first.stored
	for _, u := range append([]*upload{first}, all...) {
		if u.err != nil {
			t.Fatalf("upload of worker %d: %v", u.worker, u.err)
		}
		if !u.p.Written() {
			t.Errorf("upload of worker %d: audit entry not written with it", u.worker)
		}
	}
	for _, u := range all {
		total += u.stored
	}
	var rows, xacts, dirty, entries int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT xmin::text) FROM patrol_points`).Scan(&rows, &xacts); err != nil {
		t.Fatal(err)
	}
	// Each worker's track: fixes 0..3, and worker 0's 10..11.
	if want := 6*4 + 2; rows != want || total != want {
		t.Errorf("%d fixes stored, %d counted by the uploads; want %d", rows, total, want)
	}
	if xacts != 2 {
		t.Errorf("fixes written by %d transactions; want 2 (the first upload, then the other 18 together)", xacts)
	}
	_ = db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM patrol_dirty_days), (SELECT count(*) FROM audit_log)`).Scan(&dirty, &entries)
	if dirty != 6 || entries != 19 {
		t.Errorf("%d dirty days (want 6), %d audit entries (want 19)", dirty, entries)
	}

	// Phase 2: an upload of a worker that does not exist fails the shared
	// transaction; each is then written by itself.
	var more []*upload
	for _, w := range workers {
		more = append(more, mk(w, 20))
	}
	bad := mk(999999, 20)
	more = append(more, bad)
	run(mk(workers[1], 30), more)
	for _, u := range more {
		switch {
		case u == bad:
			if !errs.Is(u.err, errs.Invalid) || u.p.Written() {
				t.Errorf("upload of a missing worker: %v (entry written: %v)", u.err, u.p.Written())
			}
		case u.err != nil || u.stored != 2 || !u.p.Written():
			t.Errorf("upload of worker %d beside the bad one: %d stored, %v, entry written %v", u.worker, u.stored, u.err, u.p.Written())
		}
	}

	// Phase 3: three workers send again an upload already stored (fixes 2
	// and 3), three send new fixes. The group's INSERT stores fewer fixes
	// than it was given, so the group is written again returning what it
	// stored: the repeats count 0 and leave their days' marks alone, the
	// new ones count 2 and mark theirs, and every upload's audit entry is
	// written once, all in one transaction.
	seqs := func() map[int64]int64 {
		out := map[int64]int64{}
		rows, err := db.Pool.Query(ctx, `SELECT worker_id, seq FROM patrol_dirty_days`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var w, seq int64
			if err := rows.Scan(&w, &seq); err != nil {
				t.Fatal(err)
			}
			out[w] = seq
		}
		return out
	}
	before := seqs()
	var entriesBefore int
	_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&entriesBefore)
	var again []*upload
	for i, w := range workers {
		if i < 3 {
			again = append(again, mk(w, 2))
		} else {
			again = append(again, mk(w, 50))
		}
	}
	run(mk(workers[5], 40), again)
	after := seqs()
	for i, u := range again {
		want := 2
		if i < 3 {
			want = 0
		}
		if u.err != nil || u.stored != want || !u.p.Written() {
			t.Errorf("upload %d of worker %d: %d stored (want %d), %v, entry written %v", i, u.worker, u.stored, want, u.err, u.p.Written())
		}
		if moved := after[u.worker] != before[u.worker]; moved != (i >= 3) {
			t.Errorf("upload %d of worker %d: day mark moved %v (seq %d → %d)", i, u.worker, moved, before[u.worker], after[u.worker])
		}
	}
	var newXacts, entriesAfter int
	_ = db.Pool.QueryRow(ctx, `SELECT count(DISTINCT xmin::text) FROM patrol_points WHERE t >= $1`, day.Add(50*5*time.Second)).Scan(&newXacts)
	_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&entriesAfter)
	if newXacts != 1 || entriesAfter-entriesBefore != len(again)+1 {
		t.Errorf("new fixes written by %d transactions (want 1); %d audit entries written (want %d)", newXacts, entriesAfter-entriesBefore, len(again)+1)
	}
}

// TestPatrolPartitionConcurrentFirstFixes: the first fixes of a month
// arriving at once on two instances (two stores) create its partition
// once, and every upload is stored (each store had first found the
// partition missing, then waited for the other to create it).
func TestPatrolPartitionConcurrentFirstFixes(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	sh := workday.Shanghai()
	worker := newWorker(t, db, "pw")
	stores := []*postgis.PatrolStore{postgis.NewPatrolStore(db, sh), postgis.NewPatrolStore(db, sh)}
	month := time.Date(2027, 2, 1, 0, 0, 0, 0, sh)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f := patrol.Fix{T: month.Add(time.Duration(i) * time.Minute), Lon: 117.53, Lat: 36.70, ReceivedAt: month}
			if _, err := stores[i%2].InsertFixes(ctx, worker, []patrol.Fix{f}, sh); err != nil {
				errc <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("first fixes of a month: %v", err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM patrol_points_y2027m02`).Scan(&n); err != nil || n != 16 {
		t.Errorf("the month's partition holds %d fixes (%v); want 16", n, err)
	}
}

// newPatrolFixture returns a test database, its patrol store (days in
// Asia/Shanghai) and a worker with username name.
func newPatrolFixture(t *testing.T, name string) (*postgis.DB, *postgis.PatrolStore, int64) {
	t.Helper()
	db := dbtest.New(t)
	return db, postgis.NewPatrolStore(db, workday.Shanghai()), newWorker(t, db, name)
}

// newWorker inserts a grid worker with username name and returns its id.
func newWorker(t *testing.T, db *postgis.DB, name string) int64 {
	t.Helper()
	var id int64
	if err := db.Pool.QueryRow(context.Background(), `INSERT INTO users (username, name, role, password_hash) VALUES ($1, $1, 'worker', 'x') RETURNING id`,
		name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// queueBehindLock holds a group commit's writer while the rest of the
// writes queue: it sends the first write (sendFirst) while table is
// locked, so that its transaction (the only writer) waits on the lock;
// sends the rest and waits until queued says they wait for a writer; then
// releases the lock and waits for every write.
func queueBehindLock(t *testing.T, db *postgis.DB, table string, sendFirst, sendRest func() *sync.WaitGroup, queued func() bool) {
	t.Helper()
	ctx := context.Background()
	lock, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `LOCK TABLE `+table+` IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	wg1 := sendFirst()
	waitFor(t, func() bool {
		var n int
		_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE relation = $1::regclass AND NOT granted`, table).Scan(&n)
		return n > 0
	})
	wg := sendRest()
	waitFor(t, queued)
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg1.Wait()
	wg.Wait()
}
