// Package inbox is what each user has to do and what they were told: the
// to-do items derived from the cases in the caller's scope (to review, to
// accept, to handle, to verify, overdue, escalated to me) with their counts,
// and the stored notifications (reminders, overdue and escalation notices,
// daily digests, mentions). The clock job (Clock.Sweep) writes the
// notifications, the reminders' and escalations' events and the automatic
// escalations of overdue cases.
package inbox

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/people"
)

// Kind is a kind of to-do item.
type Kind string

const (
	ToReview  Kind = "to_review" // the center: review, dispatch, decide on requests, send to verification
	ToAccept  Kind = "to_accept" // the unit: accept a dispatched case
	ToHandle  Kind = "to_handle" // the unit: handle an accepted case
	ToVerify  Kind = "to_verify" // the grid worker (or the center): verify the handling
	Overdue   Kind = "overdue"   // any of the caller's items past its stage's deadline
	Escalated Kind = "escalated" // cases escalated to the caller's level
)

// Counts are the caller's to-do counts by kind and its unread notifications.
type Counts struct {
	ToReview  int `json:"to_review"`
	ToAccept  int `json:"to_accept"`
	ToHandle  int `json:"to_handle"`
	ToVerify  int `json:"to_verify"`
	Overdue   int `json:"overdue"`
	Escalated int `json:"escalated"`
	Unread    int `json:"unread"`
}

// Item is one case on the caller's desk.
type Item struct {
	Kind          Kind                   `json:"kind"`
	CaseID        int64                  `json:"case_id"`
	Number        string                 `json:"number"`
	Status        casework.Status        `json:"status"`
	Stage         casework.Stage         `json:"stage"`
	StageDue      *time.Time             `json:"stage_due"`
	DeadlineState casework.DeadlineState `json:"deadline_state,omitempty"`
	Category      string                 `json:"category"`
	GridCode      string                 `json:"grid_code,omitempty"`
	Escalated     bool                   `json:"escalated"`
}

// NoteKind is a kind of stored notification.
type NoteKind string

const (
	NoteDueSoon   NoteKind = "due_soon"
	NoteOverdue   NoteKind = "overdue"
	NoteEscalated NoteKind = "escalated"
	NoteDigest    NoteKind = "digest"
	NoteMention   NoteKind = "mention"
	NoteLicence   NoteKind = "licence" // a business licence expiring soon (internal/inspection)
)

// Notification is a stored notice to one user; its text is Key rendered
// with Args in the reader's language.
type Notification struct {
	ID        int64
	UserID    int64
	Kind      NoteKind
	CaseID    int64 // 0: none (a digest)
	Key       msg.Key
	Args      []any
	DedupKey  string // once per user and key
	CreatedAt time.Time
	ReadAt    *time.Time
}

// Who is the caller's desk as the store queries it. Exactly one of the
// role parts applies; the service derives it from the principal.
type Who struct {
	UserID int64
	// AllCenters: the caller acts as every center (admin, or a center of
	// the whole registry); CenterScope: a center of that subtree.
	AllCenters  bool
	CenterScope string
	// Unit: a department's unit.
	Unit string
	// Grids: a grid worker's grids (verification).
	Grids []string
}

// Store is what the inbox needs from the database.
type Store interface {
	// Counts counts the caller's items by kind and its unread notifications in one query.
	Counts(ctx context.Context, w Who, now time.Time) (Counts, error)
	// Items lists the caller's items, the earliest deadline first.
	Items(ctx context.Context, w Who, now time.Time, limit int) ([]Item, error)
	// Notifications lists the user's notifications, newest first.
	Notifications(ctx context.Context, userID int64, limit int) ([]Notification, error)
	// MarkRead marks the user's notification id read at at (NotFound if
	// it is not theirs); marking again keeps the first time.
	MarkRead(ctx context.Context, userID, id int64, at time.Time) error
}

// Service serves the inbox.
type Service struct {
	Store Store
	Now   func() time.Time
}

// Inbox is what GET /api/v1/inbox answers.
type Inbox struct {
	Counts        Counts
	Items         []Item
	Notifications []Notification
}

// MaxItems bounds the items and the notifications listed.
const MaxItems = 100

// WhoOf derives p's desk: admins and centers review (in their subtree),
// departments accept and handle their unit's cases, workers verify in
// their grids; viewers have no desk.
func WhoOf(p *auth.Principal) Who {
	w := Who{UserID: p.User.ID}
	switch p.Role() {
	case people.RoleAdmin:
		w.AllCenters = true
	case people.RoleCenter:
		if p.User.ScopeCode == "" {
			w.AllCenters = true
		} else {
			w.CenterScope = p.User.ScopeCode
		}
	case people.RoleDepartment:
		w.Unit = p.User.DepartmentCode
	case people.RoleWorker:
		w.Grids = p.GridScope()
		if w.Grids == nil {
			w.Grids = []string{}
		}
	}
	return w
}

// Get returns p's counts, items (at most limit, 1..MaxItems) and notifications.
func (s *Service) Get(ctx context.Context, p *auth.Principal, limit int) (*Inbox, error) {
	if limit <= 0 || limit > MaxItems {
		limit = MaxItems
	}
	now := s.Now()
	w := WhoOf(p)
	counts, err := s.Store.Counts(ctx, w, now)
	if err != nil {
		return nil, err
	}
	items, err := s.Store.Items(ctx, w, now, limit)
	if err != nil {
		return nil, err
	}
	notes, err := s.Store.Notifications(ctx, p.User.ID, limit)
	if err != nil {
		return nil, err
	}
	return &Inbox{Counts: counts, Items: items, Notifications: notes}, nil
}

// MarkRead marks p's notification id read.
func (s *Service) MarkRead(ctx context.Context, p *auth.Principal, id int64) error {
	return s.Store.MarkRead(ctx, p.User.ID, id, s.Now())
}
