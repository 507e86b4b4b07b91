// Package events is the vocabulary of what happened in gridd: an Event names
// its kind and object and carries what scopes it (the grid, the units, the
// users addressed), so that each reader — the live stream, webhooks, inboxes —
// delivers it only to those allowed to see it.
//
// Events are written by the stores in the same transaction as the change
// they report (table events, migration 00014): an event exists exactly when
// its change committed.
package events

import "time"

// Kind is what happened, "object.verb".
type Kind string

// The kinds gridd publishes.
const (
	CaseCreated     Kind = "case.created"
	CaseChanged     Kind = "case.changed" // a transition; Data["action"], Data["status"]
	CaseOverdue     Kind = "case.overdue"
	CaseEscalated   Kind = "case.escalated"
	CaseClosed      Kind = "case.closed"
	CaseReturned    Kind = "case.returned" // sent back to the reporter (rejected or verification failed)
	CaseDueSoon     Kind = "case.due_soon" // reminder one working day before a stage's deadline
	GridEdited      Kind = "grid.edited"
	PatrolDayUpdate Kind = "patrol.day_updated"
)

// Event is one thing that happened.
type Event struct {
	ID        int64          `json:"id"`
	Kind      Kind           `json:"kind"`
	Object    string         `json:"object"`    // case, grid, patrol_day
	ObjectID  string         `json:"object_id"` // the case id, the grid code, worker/day
	GridCode  string         `json:"grid_code,omitempty"`
	UnitCodes []string       `json:"unit_codes,omitempty"`
	UserIDs   []int64        `json:"user_ids,omitempty"`
	Data      map[string]any `json:"data,omitempty"`
	At        time.Time      `json:"at"`
	// XID is the writing transaction's id: readers deliver events in
	// Position order (migration 00015).
	XID int64 `json:"-"`
}

// Position is where an event stands in delivery order: by the writing
// transaction, then by id. Only events whose transaction is older than
// every running one are delivered, so an event that becomes visible later
// always lies after every position already delivered (ordering by id alone
// would skip an id taken before, but committed after, a higher one).
type Position struct {
	XID, ID int64
}

// Pos returns e's position.
func (e Event) Pos() Position { return Position{e.XID, e.ID} }

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	return p.XID < q.XID || p.XID == q.XID && p.ID < q.ID
}
