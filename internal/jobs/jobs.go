// Package jobs runs gridd's background work on River, a job queue kept in
// the gridd database itself: scheduled checks (deadline reminders, automatic
// escalation, digests) and deliveries (webhooks).
//
// Why River rather than goroutines and timers: its jobs are rows, so a job
// inserted in the same transaction as the change that caused it is done at
// least once even if gridd crashes right after the commit; failed jobs are
// retried with backoff and end as "discarded" with their errors kept; unique
// jobs are inserted once per key; and among several gridd instances on one
// database one is elected leader and alone enqueues the periodic jobs, so a
// scheduled run happens once, and a run missed while every instance was down
// is made when one returns (RunOnStart).
//
// River's tables are created by gridd's migrations (postgis.DB.Migrate).
// This package only builds the client; what the jobs do lives with their
// domain (a worker here calls a domain service, as an HTTP handler does).
package jobs

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// Client is the River client every gridd component inserts jobs through.
type Client = river.Client[pgx.Tx]

// Config is what a client works.
type Config struct {
	// ID names this instance in River's leader table and logs (default: River's).
	ID string
	// Log receives River's own logs (nil: discarded).
	Log *slog.Logger
	// Workers are the job kinds this instance works; nil or empty makes an
	// insert-only client (Start must not be called).
	Workers *river.Workers
	// Periodic are the scheduled jobs; only the leader enqueues them.
	Periodic []*river.PeriodicJob
	// MaxWorkers bounds concurrent jobs on this instance (default 8).
	MaxWorkers int
	// FetchPollInterval is how often an idle instance looks for jobs when no
	// notification arrives (default River's 1 s); tests shorten it.
	FetchPollInterval time.Duration
	// RetryPolicy spaces retries (nil: River's exponential backoff).
	RetryPolicy river.ClientRetryPolicy
}

// rescueStuckJobsAfter is how long a job may stay running before another
// instance takes it over.
const rescueStuckJobsAfter = 2 * time.Minute

// New builds a client on pool. Call Start to work jobs and Stop to drain.
func New(pool *pgxpool.Pool, c Config) (*Client, error) {
	if c.MaxWorkers <= 0 {
		c.MaxWorkers = 8
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := &river.Config{
		ID:                c.ID,
		Logger:            log,
		PeriodicJobs:      c.Periodic,
		FetchPollInterval: c.FetchPollInterval,
		RetryPolicy:       c.RetryPolicy,
		// A job left running by an instance that died (kill -9 during a
		// webhook delivery) is worked again after this, instead of River's
		// default hour; gridd's jobs finish within River's 1-minute job
		// timeout, so no live job is taken twice.
		RescueStuckJobsAfter: rescueStuckJobsAfter,
	}
	if c.FetchPollInterval > 0 && c.FetchPollInterval < 100*time.Millisecond {
		cfg.FetchCooldown = c.FetchPollInterval
	}
	if c.Workers != nil {
		cfg.Workers = c.Workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: c.MaxWorkers}}
	}
	return river.NewClient(riverpgxv5.New(pool), cfg)
}
