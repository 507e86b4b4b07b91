// Package live streams gridd's events to the people allowed to see them
// (GET /api/v1/events) and wakes the webhook relay.
//
// One Hub per instance holds one LISTEN connection (channel gridd_events)
// and polls the event table as a fallback; each batch of new events it
// reads once and keeps in a ring that every stream on the instance reads
// from. A stream resuming from further back (Last-Event-ID) reads the
// table itself until it reaches the ring. Events are read in Position
// order and only once final (see events.Position), so a stream misses
// nothing even when transactions commit out of id order.
package live

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/people"
)

// Store reads the event log.
type Store interface {
	// EventsAfter returns up to limit final events after a position, in
	// order, and whether committed events wait behind a running transaction.
	EventsAfter(ctx context.Context, after events.Position, limit int) ([]events.Event, bool, error)
	// Head is the position of the last final event.
	Head(ctx context.Context) (events.Position, error)
	// PositionOf returns an event's position, or NotFound.
	PositionOf(ctx context.Context, id int64) (events.Position, error)
	// Listen calls notify on each notification until ctx ends or it fails.
	Listen(ctx context.Context, notify func()) error
}

// Config tunes a Hub; zero values take the defaults.
type Config struct {
	Poll      time.Duration // fallback polling of the table (default 2 s)
	Heartbeat time.Duration // comment line on an idle stream (default 20 s)
	Ring      int           // events kept in memory for streams (default 4096)
	Log       *slog.Logger
	// OnEvents is called (on the hub's goroutine) after each batch of new
	// events: the webhook relay's wake-up.
	OnEvents func(last events.Position)
}

// Hub fans the event log out to this instance's streams.
type Hub struct {
	store Store
	tree  func() casework.Hierarchy
	cfg   Config

	mu        sync.Mutex
	started   bool
	cancel    context.CancelFunc
	done      chan struct{}
	cursor    events.Position // the last position read
	ring      []events.Event  // events after ringStart, up to cursor
	ringStart events.Position
	wake      chan struct{} // closed when cursor advances
}

// New returns a hub over store; tree gives the grid hierarchy for access.
func New(store Store, tree func() casework.Hierarchy, cfg Config) *Hub {
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 20 * time.Second
	}
	if cfg.Ring <= 0 {
		cfg.Ring = 4096
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Hub{store: store, tree: tree, cfg: cfg, wake: make(chan struct{})}
}

// Start starts the hub's reader once; later calls do nothing. Streams
// start it themselves.
func (h *Hub) Start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started {
		return
	}
	h.started = true
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go h.run(ctx)
}

// Close stops the reader and waits for it.
func (h *Hub) Close() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (h *Hub) run(ctx context.Context) {
	defer close(h.done)
	notes := make(chan struct{}, 1)
	poke := func() {
		select {
		case notes <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			err := h.store.Listen(ctx, poke)
			if ctx.Err() != nil {
				return
			}
			h.cfg.Log.Warn("events: listen failed; polling until it reconnects", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	defer wg.Wait()
	for {
		head, err := h.store.Head(ctx)
		if err == nil {
			h.mu.Lock()
			h.cursor, h.ringStart = head, head
			close(h.wake)
			h.wake = make(chan struct{})
			h.mu.Unlock()
			break
		}
		h.cfg.Log.Warn("events: head", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(h.cfg.Poll):
		}
	}
	retry := time.Duration(0) // soon again: events wait behind a running transaction
	for {
		wait := h.cfg.Poll
		if retry > 0 && retry < wait {
			wait = retry
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-notes:
		case <-t.C:
		}
		t.Stop()
		pending, err := h.fetch(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			h.cfg.Log.Warn("events: read", "err", err)
			retry = 0
		case pending:
			retry = max(10*time.Millisecond, min(2*retry, h.cfg.Poll))
		default:
			retry = 0
		}
	}
}

// fetch reads every final event after the cursor into the ring.
func (h *Hub) fetch(ctx context.Context) (bool, error) {
	const batch = 1000
	var last *events.Position
	defer func() {
		if last != nil && h.cfg.OnEvents != nil {
			h.cfg.OnEvents(*last)
		}
	}()
	for {
		h.mu.Lock()
		cur := h.cursor
		h.mu.Unlock()
		evs, pending, err := h.store.EventsAfter(ctx, cur, batch)
		if err != nil {
			return false, err
		}
		if len(evs) > 0 {
			p := evs[len(evs)-1].Pos()
			last = &p
			h.mu.Lock()
			h.ring = append(h.ring, evs...)
			if over := len(h.ring) - h.cfg.Ring; over > 0 {
				h.ringStart = h.ring[over-1].Pos()
				h.ring = slices.Clone(h.ring[over:])
			}
			h.cursor = evs[len(evs)-1].Pos()
			close(h.wake)
			h.wake = make(chan struct{})
			h.mu.Unlock()
		}
		if len(evs) < batch {
			return pending, nil
		}
	}
}

// since returns the ring's events after cur (ok) or says the ring does not
// reach back to cur (!ok: read the table); wake is closed when more come.
func (h *Hub) since(cur events.Position) (evs []events.Event, ok bool, wake <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !cur.Less(h.cursor) {
		return nil, true, h.wake
	}
	if cur.Less(h.ringStart) {
		return nil, false, h.wake
	}
	i := sort.Search(len(h.ring), func(i int) bool { return cur.Less(h.ring[i].Pos()) })
	return slices.Clone(h.ring[i:]), true, h.wake
}

// Visible reports whether p may see e: the events addressed to p; an
// admin everything; otherwise the rule of reading the object — a case by
// casework.CanRead (a center or viewer its subtree and what was escalated
// from it, a department the cases naming its unit, a worker its grids), a
// grid by the principal's grid scope, a patrol day by a center's subtree.
func Visible(p *auth.Principal, h casework.Hierarchy, e events.Event) bool {
	if slices.Contains(e.UserIDs, p.User.ID) || p.Role() == people.RoleAdmin {
		return true
	}
	switch e.Object {
	case "case":
		return casework.CanReadEvent(p, h, e)
	case "grid":
		return e.GridCode != "" && p.CanReadGrid(h, e.GridCode)
	case "patrol_day":
		return p.Role() == people.RoleCenter && e.GridCode != "" && p.CanReadGrid(h, e.GridCode)
	}
	return false
}

// From resolves where a stream starts: after event lastID, or at the head
// (nil: from now on). An unknown id is Invalid.
func (h *Hub) From(ctx context.Context, lastID *int64) (events.Position, error) {
	h.Start()
	if lastID == nil {
		return h.store.Head(ctx)
	}
	if *lastID == 0 {
		return events.Position{}, nil
	}
	pos, err := h.store.PositionOf(ctx, *lastID)
	if errs.Is(err, errs.NotFound) {
		return pos, errs.Invalidf("last_event_id", "unknown_event", "no event %d: resume from an id this stream sent, or 0 for the whole log", *lastID)
	}
	return pos, err
}

// Sink receives a stream's events and heartbeats.
type Sink interface {
	Send(e events.Event) error
	Heartbeat() error
}

// Stream sends sink the events p may see after from, as they come, until
// ctx ends (nil) or the sink or the store fails.
func (h *Hub) Stream(ctx context.Context, p *auth.Principal, from events.Position, sink Sink) error {
	h.Start()
	hb := time.NewTicker(h.cfg.Heartbeat)
	defer hb.Stop()
	cur := from
	for {
		evs, ok, wake := h.since(cur)
		if !ok {
			var err error
			if evs, _, err = h.store.EventsAfter(ctx, cur, 500); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		if len(evs) > 0 {
			tree := h.tree()
			for _, e := range evs {
				cur = e.Pos()
				if Visible(p, tree, e) {
					if err := sink.Send(e); err != nil {
						return err
					}
				}
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-hb.C:
			if err := sink.Heartbeat(); err != nil {
				return err
			}
		}
	}
}

// Page returns up to limit events p may see after from (read from the
// table), and the position reached: the stream's catch-up as one answer
// for clients that poll.
func (h *Hub) Page(ctx context.Context, p *auth.Principal, from events.Position, limit int) ([]events.Event, error) {
	evs, _, err := h.store.EventsAfter(ctx, from, limit)
	if err != nil {
		return nil, err
	}
	tree := h.tree()
	out := []events.Event{}
	for _, e := range evs {
		if Visible(p, tree, e) {
			out = append(out, e)
		}
	}
	return out, nil
}
