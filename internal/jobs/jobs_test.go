package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/jobs"
	"github.com/riverqueue/river"
)

type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	n *atomic.Int64
}

func (w *tickWorker) Work(ctx context.Context, j *river.Job[tickArgs]) error {
	w.n.Add(1)
	return nil
}

// TestPeriodicJobRunsOnceAcrossInstances starts two clients on one database,
// each scheduling the same periodic job to run on start: only the elected
// leader enqueues it, so it is worked exactly once.
func TestPeriodicJobRunsOnceAcrossInstances(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	var worked atomic.Int64
	start := func(id string) *jobs.Client {
		w := river.NewWorkers()
		river.AddWorker(w, &tickWorker{n: &worked})
		c, err := jobs.New(db.Pool, jobs.Config{ID: id, Workers: w, FetchPollInterval: 50 * time.Millisecond,
			Periodic: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
				func() (river.JobArgs, *river.InsertOpts) { return tickArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
		return c
	}
	start("a")
	start("b")
	deadline := time.Now().Add(30 * time.Second)
	for worked.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Give a second instance the time it would need to run it again.
	time.Sleep(2 * time.Second)
	var rows int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'test_tick'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if worked.Load() != 1 || rows != 1 {
		t.Fatalf("the periodic job was worked %d times from %d rows, want once", worked.Load(), rows)
	}
}
