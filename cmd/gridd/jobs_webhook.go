package main

import (
	"context"
	"errors"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/webhook"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// webhookRelayEvery is the relay's periodic run: the catch-up when no
// instance was awake to be notified (and the first run at start, for what
// was committed while gridd was down).
const webhookRelayEvery = 10 * time.Second

// webhookJobs: the outbox relay (periodic, and woken by each instance's
// event hub) and the deliveries.
func webhookJobs(a *app, w *river.Workers) []*river.PeriodicJob {
	river.AddWorker(w, &webhookRelayWorker{a: a})
	river.AddWorker(w, &webhookDeliveryWorker{a: a})
	a.live.Start() // its notifications wake the relay
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(webhookRelayEvery),
		func() (river.JobArgs, *river.InsertOpts) { return webhookRelayArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// webhookRelayArgs: a relay run; UpTo (the newest event id seen by the
// waking hub) only tells wake-ups apart, so that one inserted while a run
// is going is not dropped as a duplicate of it.
type webhookRelayArgs struct {
	UpTo int64 `json:"up_to"`
}

func (webhookRelayArgs) Kind() string { return "webhook_relay" }

type webhookRelayWorker struct {
	river.WorkerDefaults[webhookRelayArgs]
	a *app
}

// Work moves the outbox until no final event is left after its cursor.
func (w *webhookRelayWorker) Work(ctx context.Context, job *river.Job[webhookRelayArgs]) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	tree := w.a.locator.Tree()
	match := func(s *webhook.Subscription, e events.Event) bool { return webhook.Matches(s, tree, e) }
	enqueue := func(ctx context.Context, tx pgx.Tx, ds []*webhook.Delivery) error {
		params := make([]river.InsertManyParams, len(ds))
		for i, d := range ds {
			params[i] = river.InsertManyParams{Args: webhookDeliveryArgs{DeliveryID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID},
				InsertOpts: &river.InsertOpts{MaxAttempts: w.a.webhookAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}}
		}
		_, err := client.InsertManyTx(ctx, tx, params)
		return err
	}
	const batch = 500
	for {
		n, err := w.a.webhookStore.Relay(ctx, batch, match, enqueue)
		if err != nil || n < batch {
			return err
		}
	}
}

// webhookDeliveryArgs: one delivery, unique per subscription and event.
type webhookDeliveryArgs struct {
	DeliveryID int64 `json:"delivery_id"`
	WebhookID  int64 `json:"webhook_id" river:"unique"`
	EventID    int64 `json:"event_id" river:"unique"`
}

func (webhookDeliveryArgs) Kind() string { return "webhook_delivery" }

type webhookDeliveryWorker struct {
	river.WorkerDefaults[webhookDeliveryArgs]
	a *app
}

// Work sends the delivery and records the attempt; a failure is returned
// to River, which retries until the last attempt (then it is dead).
func (w *webhookDeliveryWorker) Work(ctx context.Context, job *river.Job[webhookDeliveryArgs]) error {
	d, sub, e, err := w.a.webhookStore.FindDelivery(ctx, job.Args.DeliveryID)
	if errs.Is(err, errs.NotFound) {
		return nil // the subscription was deleted
	}
	if err != nil {
		return err
	}
	code, sendErr := w.a.sender.Send(ctx, sub, d, e)
	status, msg := webhook.StatusDelivered, ""
	if sendErr != nil {
		status, msg = webhook.StatusRetrying, sendErr.Error()
		if job.Attempt >= job.MaxAttempts {
			status = webhook.StatusDead
		}
	}
	// Record with a context of its own: a timed-out attempt still counts.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.a.webhookStore.RecordAttempt(rctx, d.ID, status, job.Attempt, msg, code); err != nil {
		return errors.Join(sendErr, err)
	}
	return sendErr
}

// NextRetry spaces retries by the configured backoff (zero: River's).
func (w *webhookDeliveryWorker) NextRetry(job *river.Job[webhookDeliveryArgs]) time.Time {
	if w.a.webhookBackoff == nil {
		return time.Time{}
	}
	return time.Now().Add(w.a.webhookBackoff(job.Attempt))
}

// Timeout bounds one attempt (the sender's own timeouts are shorter).
func (w *webhookDeliveryWorker) Timeout(*river.Job[webhookDeliveryArgs]) time.Duration {
	return 30 * time.Second
}
