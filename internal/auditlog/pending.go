package auditlog

import (
	"context"
	"sync"
)

// Pending is the audit entry of one write request, carried in its
// context so that the store writes it in the transaction of the change:
// no entry, no change. The first transaction of the request that changes
// something takes it (Take) and appends it before committing; the request
// then needs no entry of its own. A request whose transactions all failed
// or changed nothing (a refused write) still has its entry open, and the
// HTTP layer records it after the answer, with the answer's status.
//
// An entry written with its change cannot know the answer yet: its Status
// is 0. The change committed, so the answer was a success unless sending
// it failed.
type Pending struct {
	mu      sync.Mutex
	e       *Entry
	prepare func(*Entry)
	state   int // pendingOpen, pendingTaken, pendingWritten
}

const (
	pendingOpen = iota
	pendingTaken
	pendingWritten
)

type pendingKey struct{}

// NewPending returns the pending entry e; prepare (may be nil) completes
// it when a transaction takes it (the actor, route and object known by
// then).
func NewPending(e *Entry, prepare func(*Entry)) *Pending {
	return &Pending{e: e, prepare: prepare}
}

// WithPending returns ctx carrying p.
func WithPending(ctx context.Context, p *Pending) context.Context {
	return context.WithValue(ctx, pendingKey{}, p)
}

// PendingFrom returns the pending entry ctx carries, if any.
func PendingFrom(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	return p
}

// NoteObject names the object a write touches and its grid (grid may be
// empty) on ctx's pending entry, for the store that learns it inside the
// transaction (e.g. the id of a created row). Without a pending entry, or
// once it was written, it does nothing.
func NoteObject(ctx context.Context, object, grid string) {
	p := PendingFrom(ctx)
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == pendingOpen {
		p.e.Object = object
		if grid != "" {
			p.e.GridCode = grid
		}
	}
}

// Take hands the entry to a transaction that is about to commit a change;
// nil when another transaction has it or wrote it. The taker must call
// Done.
func (p *Pending) Take() *Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != pendingOpen {
		return nil
	}
	p.state = pendingTaken
	if p.prepare != nil {
		p.prepare(p.e)
	}
	p.e.Status = 0
	return p.e
}

// Done tells whether the taken entry was committed; if not, it is open
// again (for a later transaction or the HTTP layer).
func (p *Pending) Done(committed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if committed {
		p.state = pendingWritten
	} else {
		p.state = pendingOpen
		p.e.ID, p.e.PrevHash, p.e.Hash = 0, nil, nil
	}
}

// Written reports whether the entry was committed with a change.
func (p *Pending) Written() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == pendingWritten
}

// Entry returns the entry (to record it after the answer when it was not
// written with a change).
func (p *Pending) Entry() *Entry { return p.e }
