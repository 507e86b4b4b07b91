package main

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/inbox"
	"github.com/riverqueue/river"
)

// clockSweepArgs is the stage clocks' periodic job: one sweep of
// everything due (internal/inbox Clock.Sweep) at the app's clock.
type clockSweepArgs struct{}

func (clockSweepArgs) Kind() string { return "clock_sweep" }

// clockSweepWorker runs the sweep at the injected clock's now.
type clockSweepWorker struct {
	river.WorkerDefaults[clockSweepArgs]
	a *app
}

func (w *clockSweepWorker) Work(ctx context.Context, j *river.Job[clockSweepArgs]) error {
	res, err := w.a.clock.Sweep(ctx, w.a.db.Now())
	if err != nil {
		return err
	}
	if res != (inbox.SweepResult{}) {
		w.a.log.Info("clock sweep", "backfilled", res.Backfilled, "reminded", res.Reminded, "overdue", res.Overdue,
			"escalated", res.Escalated, "digests", res.Digests, "mentions", res.Mentions, "lights_changed", res.LightsChanged)
	}
	return nil
}

// Timeout: a sweep over a large backlog (after a long outage) may take a while.
func (w *clockSweepWorker) Timeout(*river.Job[clockSweepArgs]) time.Duration { return 10 * time.Minute }

// clockJobs registers the clock sweep, run every ClockEvery (default a
// minute) and on start, so that a run missed while every instance was down
// is made as soon as one returns. Only River's leader enqueues it, and a
// unique key per period keeps a leader change from enqueuing it twice;
// should two sweeps still overlap, the clock marks make each reminder and
// escalation happen once.
func clockJobs(a *app, w *river.Workers) []*river.PeriodicJob {
	river.AddWorker(w, &clockSweepWorker{a: a})
	every := a.clockEvery
	if every <= 0 {
		every = time.Minute
	}
	period := max(every, time.Second) // River's least unique period
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) {
			return clockSweepArgs{}, &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: period}}
		}, &river.PeriodicJobOpts{RunOnStart: true})}
}
