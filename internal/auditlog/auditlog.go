// Package auditlog is the service-wide audit trail: every write, every
// sensitive read and every login attempt becomes one Entry.
//
// The log is append-only and hash-chained. Each entry stores the hash of
// the entry before it (PrevHash) and its own Hash =
// sha256(PrevHash || Canonical(entry)) (keyed: see LinkHash), so editing, deleting or reordering
// a stored entry — even by a database superuser who disables the
// append-only trigger — breaks the chain, and Verify reports where.
// Appending a forged entry at the end, or cutting entries off the end,
// is only detectable against a head hash recorded outside the database
// (Verify's expectHead); operators should note the head printed by
// `gridd audit verify-log` periodically.
//
// Entries are written unsealed, with their change and without waiting for
// each other: an entry carries its own MAC (EntryMAC) but no link. A
// sealer (Sealer.Seal; one at a time across instances) links the
// committed entries into the chain shortly after, in the order it finds
// them, numbering them by Seal; the chain's order is the seal order.
// Verification seals what is committed first, then reports the entries
// still unsealed (committed after that, or refused by the sealer because
// their MAC does not verify: forged).
//
// Retention: entries are never deleted by gridd. The plans require at
// least 180 days; gridd keeps everything, and there is deliberately no
// deletion function (a deletion would have to re-anchor the chain).
package auditlog

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Actions recorded.
const (
	ActionWrite       = "write"        // a non-GET request
	ActionLogin       = "login"        // a successful login
	ActionLoginFailed = "login_failed" // a refused login
	ActionRead        = "read"         // a sensitive read (personal data, masked)
	ActionUnmask      = "unmask"       // a read of unmasked protected fields
)

// RetentionDays is the minimum retention the plans require; gridd never
// deletes audit entries, so it keeps at least this long.
const RetentionDays = 180

// Entry is one audit record.
type Entry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	ActorID   int64     `json:"actor_id,omitempty"`
	Actor     string    `json:"actor"` // username, or the attempted one for logins
	Role      string    `json:"role,omitempty"`
	Action    string    `json:"action"`
	Method    string    `json:"method,omitempty"`
	Route     string    `json:"route,omitempty"`
	Path      string    `json:"path,omitempty"`
	Status    int       `json:"status,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Object    string    `json:"object,omitempty"` // e.g. "keyperson:12", "grid:370114001001001"
	GridCode  string    `json:"grid_code,omitempty"`
	Reason    string    `json:"reason,omitempty"` // the stated reason of a sensitive read
	// Seal is the entry's position in the chain (1, 2, …); 0 while the
	// entry is not sealed yet, and PrevHash and Hash are then nil.
	Seal     int64  `json:"seal,omitempty"`
	PrevHash []byte `json:"prev_hash"`
	Hash     []byte `json:"hash"`
	// MAC is the entry's own hash (EntryMAC), written with it: the sealer
	// links only entries whose MAC verifies.
	MAC []byte `json:"-"`
}

// Genesis is the PrevHash of the first entry.
var Genesis = make([]byte, sha256.Size)

// canonical is the hashed content of an entry: fixed field order, the
// instant in UTC at microsecond precision (what PostgreSQL stores).
type canonical struct {
	ID        int64  `json:"id"`
	At        string `json:"at"`
	ActorID   int64  `json:"actor_id"`
	Actor     string `json:"actor"`
	Role      string `json:"role"`
	Action    string `json:"action"`
	Method    string `json:"method"`
	Route     string `json:"route"`
	Path      string `json:"path"`
	Status    int    `json:"status"`
	RequestID string `json:"request_id"`
	Object    string `json:"object"`
	GridCode  string `json:"grid_code"`
	Reason    string `json:"reason"`
}

// Canonical returns the bytes of e that the chain hashes (everything but
// the hashes themselves).
func Canonical(e *Entry) []byte {
	c := canonical{ID: e.ID, At: e.At.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z"),
		ActorID: e.ActorID, Actor: e.Actor, Role: e.Role, Action: e.Action, Method: e.Method, Route: e.Route,
		Path: e.Path, Status: e.Status, RequestID: e.RequestID, Object: e.Object, GridCode: e.GridCode, Reason: e.Reason}
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // strings and integers always marshal
	}
	return b
}

// ChainHash returns sha256(prev || Canonical(e)).
func ChainHash(prev []byte, e *Entry) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(Canonical(e))
	return h.Sum(nil)
}

// Store appends entries and reads them back in chain order.
type Store interface {
	// Append assigns the entries their IDs and MACs and stores them in one
	// durable commit (sealed later when the store is a Sealer).
	Append(ctx context.Context, es ...*Entry) error
	// Scan calls fn for every sealed entry in chain order.
	Scan(ctx context.Context, fn func(*Entry) error) error
	// FindEntries returns entries matching f, newest first.
	FindEntries(ctx context.Context, f Filter) ([]*Entry, error)
}

// Filter selects entries; empty fields do not filter.
type Filter struct {
	Actor  string
	Action string
	Object string
	Limit  int
}

// Log records entries with the service clock.
//
// Concurrent Records share commits (group commit): the first caller to
// find no append in flight appends every entry waiting at that moment in
// one transaction, and the others wait for the append that carries theirs.
// Each caller still returns only once its entry is durable, but the chain's
// lock and the commit's flush are paid once per batch rather than once per
// request.
type Log struct {
	Store Store
	Now   func() time.Time

	mu       sync.Mutex
	waiting  []*pending
	appender bool // an append is in flight
}

type pending struct {
	e    *Entry
	done chan error
}

// maxBatch bounds the entries appended in one transaction.
const maxBatch = 256

// FindEntries returns entries matching f, newest first.
func (l *Log) FindEntries(ctx context.Context, f Filter) ([]*Entry, error) {
	return l.Store.FindEntries(ctx, f)
}

// Record stamps e with the current time (unless set) and appends it.
func (l *Log) Record(ctx context.Context, e *Entry) error {
	if e.At.IsZero() {
		now := time.Now
		if l.Now != nil {
			now = l.Now
		}
		e.At = now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if e.Action == "" {
		return fmt.Errorf("audit entry without action")
	}
	p := &pending{e: e, done: make(chan error, 1)}
	l.mu.Lock()
	l.waiting = append(l.waiting, p)
	lead := !l.appender
	l.appender = true
	l.mu.Unlock()
	if lead {
		l.appendWaiting(ctx)
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// appendWaiting appends one batch of waiting entries (the caller's among
// them), then hands the rest, if any, to a new appender, so that no caller
// keeps appending for others under sustained load.
func (l *Log) appendWaiting(ctx context.Context) {
	l.mu.Lock()
	n := min(len(l.waiting), maxBatch)
	batch := l.waiting[:n:n]
	l.waiting = l.waiting[n:]
	l.mu.Unlock()
	es := make([]*Entry, n)
	for i, p := range batch {
		es[i] = p.e
	}
	err := l.Store.Append(context.WithoutCancel(ctx), es...)
	for _, p := range batch {
		p.done <- err
	}
	l.mu.Lock()
	more := len(l.waiting) > 0
	l.appender = more
	l.mu.Unlock()
	if more {
		go l.appendWaiting(context.WithoutCancel(ctx))
	}
}

// Break is one place where the chain does not verify.
type Break struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"` // "prev_hash_mismatch" or "content_altered"
	Detail string `json:"detail"`
}

// Report is the result of Verify.
type Report struct {
	Entries int    `json:"entries"` // sealed entries (the chain)
	Head    string `json:"head"`    // hex hash of the last entry ("" when empty)
	LastID  int64  `json:"last_id"`
	// Unsealed counts the entries not in the chain after the seal that
	// verification ran first: committed since, or refused by the sealer
	// (those are also Breaks).
	Unsealed int     `json:"unsealed"`
	OK       bool    `json:"ok"`
	Breaks   []Break `json:"breaks"`
}

// Verify walks the whole chain of plain (unkeyed) links. A row whose
// content was edited fails its own hash; a deleted or reordered row fails
// the next row's prev_hash. When expectHead is not empty, the chain must
// contain an entry with that hash (a head noted earlier outside the
// database), which detects a rewritten chain or a cut-off tail. VerifyWith
// also checks keyed links and a signed checkpoint.
func Verify(ctx context.Context, st Store, expectHead string) (*Report, error) {
	return VerifyWith(ctx, st, VerifyOptions{ExpectHead: expectHead})
}
