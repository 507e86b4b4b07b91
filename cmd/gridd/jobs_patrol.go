package main

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// patrolMonthsAhead is how many months after the current one have their
// patrol_points partition made in advance.
const patrolMonthsAhead = 2

// patrolPartitionsArgs is the job that creates the patrol_points
// partitions of this month and the next patrolMonthsAhead, so that intake
// never waits on a CREATE TABLE at a month's turn.
type patrolPartitionsArgs struct{}

func (patrolPartitionsArgs) Kind() string { return "patrol_partitions" }

type patrolPartitionsWorker struct {
	river.WorkerDefaults[patrolPartitionsArgs]
	a *app
}

func (w *patrolPartitionsWorker) Work(ctx context.Context, _ *river.Job[patrolPartitionsArgs]) error {
	_, err := w.a.patrolStore.EnsureMonthsAhead(ctx, w.a.db.Now(), patrolMonthsAhead)
	return err
}

// patrolSettleArgs is the job that computes the patrol days touched by
// the fixes that arrived since its last run (patrol.Service.Settle).
type patrolSettleArgs struct{}

func (patrolSettleArgs) Kind() string { return "patrol_settle" }

type patrolSettleWorker struct {
	river.WorkerDefaults[patrolSettleArgs]
	a *app
}

func (w *patrolSettleWorker) Work(ctx context.Context, _ *river.Job[patrolSettleArgs]) error {
	n, err := w.a.patrols.Settle(ctx)
	if n > 0 {
		w.a.log.Info("patrol days settled", "days", n)
	}
	return err
}

func (w *patrolSettleWorker) Timeout(*river.Job[patrolSettleArgs]) time.Duration {
	return 30 * time.Minute
}

// patrolJobs registers the partition job (every 6 hours and on start) and
// the settle job (every PatrolSettleEvery; none when negative). As with
// the clock sweep, only River's leader enqueues them, once per period.
func patrolJobs(a *app, w *river.Workers) []*river.PeriodicJob {
	river.AddWorker(w, &patrolPartitionsWorker{a: a})
	river.AddWorker(w, &patrolSettleWorker{a: a})
	const partitionsEvery = 6 * time.Hour
	out := []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(partitionsEvery),
		func() (river.JobArgs, *river.InsertOpts) {
			return patrolPartitionsArgs{}, &river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByPeriod: partitionsEvery}}
		}, &river.PeriodicJobOpts{RunOnStart: true})}
	every := a.patrolSettleEvery
	if every == 0 {
		every = 5 * time.Minute
	}
	if every > 0 {
		period := max(every, time.Second)
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) {
				return patrolSettleArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: period}}
			}, nil))
	}
	return out
}
