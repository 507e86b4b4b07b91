package main

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// licenceReminderArgs is the daily job that puts licence expiry reminders
// in the grid workers' inboxes (internal/inspection RemindLicences).
type licenceReminderArgs struct{}

func (licenceReminderArgs) Kind() string { return "licence_reminders" }

type licenceReminderWorker struct {
	river.WorkerDefaults[licenceReminderArgs]
	a *app
}

func (w *licenceReminderWorker) Work(ctx context.Context, _ *river.Job[licenceReminderArgs]) error {
	n, err := w.a.inspections.RemindLicences(ctx, w.a.clock.Store, w.a.db.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		w.a.log.Info("licence reminders", "added", n)
	}
	return nil
}

// dutyJobs registers the licence reminders: hourly and on start (each
// reminder is stored once per worker, licence and expiry date, so running
// more often than daily adds nothing twice).
func dutyJobs(a *app, w *river.Workers) []*river.PeriodicJob {
	river.AddWorker(w, &licenceReminderWorker{a: a})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return licenceReminderArgs{}, &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
		}, &river.PeriodicJobOpts{RunOnStart: true})}
}
