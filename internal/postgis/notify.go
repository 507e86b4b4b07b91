package postgis

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// eventsChannel wakes the instances' event hubs (live.Hub) when events
// commit; the payload is empty, a hub reads the table (and polls it anyway).
const eventsChannel = "gridd_events"

// note is one notification: a channel and its payload.
type note struct{ channel, payload string }

// notifyAfterCommit asks for a notification once tx commits.
//
// A transaction that runs NOTIFY holds PostgreSQL's notification-queue
// lock from its pre-commit to its end, which includes the commit's WAL
// flush: every notifying transaction of the cluster commits after the
// previous one has reached the disk, and group commit is lost (measured:
// 16 clients inserting one row each, durable, ~3,960 commits/s without,
// ~990–1,350 with a NOTIFY). The busy writes (case intake, patrol
// uploads, case actions) therefore notify after their commit: db.tx hands
// the notes of its transaction to the notifier, which sends them
// coalesced from one goroutine, in transactions that write nothing.
//
// The cost is a window between the commit and the notification: an
// instance that dies in it leaves the others' busy-layer tokens unchanged
// until the next write of that layer or until some instance (re)connects
// its layer listener, which announces the busy layers (ListenLayers); the
// event hubs poll the table anyway. Outside db.tx (a transaction that is
// not a layerTx) the notification is sent in the transaction, as before.
func notifyAfterCommit(ctx context.Context, tx pgx.Tx, channel, payload string) error {
	if lt, ok := tx.(*layerTx); ok {
		lt.notes = append(lt.notes, note{channel, payload})
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload)
	return err
}

// notifier sends the notes of committed transactions: one sender at a
// time, each round sending everything noted meanwhile, once.
type notifier struct {
	mu      sync.Mutex
	pending map[note]bool
	sending bool
}

// send queues ns and starts a sender unless one runs.
func (n *notifier) send(db *DB, ns []note) {
	if len(ns) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.pending == nil {
		n.pending = map[note]bool{}
	}
	for _, x := range ns {
		n.pending[x] = true
	}
	if !n.sending {
		n.sending = true
		go n.drain(db)
	}
}

// notifyLinger is the pause after a round before the next: it bounds the
// notifying transactions of a busy instance to ~200/s (each is a
// transaction the database counts) at the cost of up to 5 ms of latency
// for a note made during the pause; the first note of a quiet instance is
// sent at once.
const notifyLinger = 5 * time.Millisecond

// drain sends rounds until nothing is pending.
func (n *notifier) drain(db *DB) {
	for first := true; ; first = false {
		if !first {
			time.Sleep(notifyLinger)
		}
		n.mu.Lock()
		if len(n.pending) == 0 {
			n.sending = false
			n.mu.Unlock()
			return
		}
		channels := make([]string, 0, len(n.pending))
		payloads := make([]string, 0, len(n.pending))
		for x := range n.pending {
			channels = append(channels, x.channel)
			payloads = append(payloads, x.payload)
		}
		clear(n.pending)
		n.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// An error means the database is away or the pool closed: the
		// listeners lose their connections too, and on reconnecting
		// start from the database (and announce the busy layers).
		_, _ = db.Pool.Exec(ctx, `SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS n(c, p)`, channels, payloads)
		cancel()
	}
}
