package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gridd/gridd/internal/jobs"
	"github.com/riverqueue/river"
)

// jobSet registers one area's background job kinds on w and returns its
// periodic jobs. Each area (deadline clocks, webhooks, …) adds its set to
// jobSets.
type jobSet func(a *app, w *river.Workers) []*river.PeriodicJob

// jobSets are every background job kind gridd works.
var jobSets = []jobSet{clockJobs, webhookJobs, dutyJobs, patrolJobs, auditJobs}

// startJobs builds the River client with every job set and starts working
// jobs until ctx ends; the returned stop drains running jobs. With no job
// kinds registered it does nothing.
func (a *app) startJobs(ctx context.Context, c Config) (stop func(), err error) {
	w := river.NewWorkers()
	var periodic []*river.PeriodicJob
	for _, set := range jobSets {
		periodic = append(periodic, set(a, w)...)
	}
	if len(jobSets) == 0 {
		return func() {}, nil
	}
	client, err := jobs.New(a.db.Pool, jobs.Config{ID: c.InstanceID, Log: a.log, Workers: w, Periodic: periodic, FetchPollInterval: c.JobPoll})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	a.jobs = client
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(sctx)
	}, nil
}
