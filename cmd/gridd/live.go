package main

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/jobs"
	"github.com/gridd/gridd/internal/live"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/webhook"
	"github.com/riverqueue/river"
)

// liveParts are the event stream's and the webhooks' pieces of the app.
type liveParts struct {
	events       *postgis.EventStore
	live         *live.Hub
	webhookStore *postgis.WebhookStore
	webhooks     *webhook.Service
	sender       *webhook.Sender
	// relayWaker inserts relay jobs (an insert-only River client: any
	// instance working jobs runs them).
	relayWaker      *jobs.Client
	webhookAttempts int
	webhookBackoff  func(attempt int) time.Duration
}

// eventKinds are the kinds one may subscribe a webhook to.
var eventKinds = []events.Kind{events.CaseCreated, events.CaseChanged, events.CaseOverdue, events.CaseEscalated,
	events.CaseClosed, events.CaseReturned, events.CaseDueSoon, events.GridEdited, events.PatrolDayUpdate}

func (a *app) openLive(c Config) error {
	a.events = postgis.NewEventStore(a.db)
	a.webhookStore = postgis.NewWebhookStore(a.db)
	guard := &webhook.Guard{AllowPrivate: c.WebhookAllowPrivate}
	a.webhooks = &webhook.Service{Store: a.webhookStore, Guard: guard, Kinds: eventKinds,
		Tree: func() webhook.Hierarchy { return a.locator.Tree() }}
	a.sender = webhook.NewSender(guard, a.db.Now)
	a.webhookAttempts = c.WebhookAttempts
	if a.webhookAttempts <= 0 {
		a.webhookAttempts = 8
	}
	a.webhookBackoff = c.WebhookBackoff
	waker, err := jobs.New(a.db.Pool, jobs.Config{ID: c.InstanceID, Log: a.log})
	if err != nil {
		return err
	}
	a.relayWaker = waker
	a.live = live.New(a.events, func() casework.Hierarchy { return a.locator.Tree() }, live.Config{Log: a.log, OnEvents: a.wakeRelay})
	return nil
}

// wakeRelay asks for a relay run after new events up to last, when some
// webhook exists (the periodic run catches up otherwise).
func (a *app) wakeRelay(last events.Position) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if any, err := a.webhookStore.AnyWebhooks(ctx); err != nil || !any {
		return
	}
	if _, err := a.relayWaker.Insert(ctx, webhookRelayArgs{UpTo: last.ID}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
		a.log.Warn("wake webhook relay", "err", err)
	}
}

func (a *app) closeLive() {
	if a.live != nil {
		a.live.Close()
	}
}
