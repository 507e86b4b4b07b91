// Package attendance records the grid workers' leave and rest days (P5
// 六(一)1) and their approval by the center. Approved days reach the
// monthly assessment (internal/assessment Absence): a day of approved
// leave never counts against the daily patrol minimum, a rest day does
// not when the rubric counts rostered days (AttendanceRules.CountedDays).
package attendance

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/idem"
	"github.com/gridd/gridd/internal/people"
)

// Kinds of absence.
const (
	KindLeave = "leave" // 请假
	KindRest  = "rest"  // 轮休 / 休息日
)

// Statuses of a request.
const (
	Pending  = "pending"
	Approved = "approved"
	Rejected = "rejected"
)

// MaxDays bounds one request.
const MaxDays = 92

// Leave is a request for leave or rest days, [From, To] inclusive.
type Leave struct {
	ID        int64
	UserID    int64
	Username  string
	Name      string
	Kind      string
	From, To  time.Time // civil dates
	Reason    string
	Status    string
	Version   int
	DecidedBy *int64
	DecidedAt *time.Time
	CreatedBy int64
	CreatedAt time.Time
}

// Filter selects requests.
type Filter struct {
	UserID     *int64
	ScopeGrids []string // workers assigned under these roots; nil: all
	Status     string
	From, To   *time.Time // overlapping [From, To]
}

// Store keeps requests.
type Store interface {
	// CreateLeave stores l. With key, a request already stored by the same
	// creator under key is returned instead (replayed true) with its hash.
	CreateLeave(ctx context.Context, l *Leave, key string, hash []byte) (replayed bool, storedHash []byte, err error)
	FindLeave(ctx context.Context, id int64) (*Leave, error)
	FindLeaves(ctx context.Context, f Filter) ([]*Leave, error)
	// DecideLeave sets status if the request is still at version; a
	// request changed meanwhile is a Conflict.
	DecideLeave(ctx context.Context, l *Leave, version int) error
	// InScope reports whether user holds a grid assignment under one of
	// the roots (today).
	InScope(ctx context.Context, userID int64, roots []string) (bool, error)
}

// Service records and decides requests. A grid worker asks for itself;
// the center (admin, center in scope) records for a worker and approves or
// rejects.
type Service struct {
	Store  Store
	People people.Store
	Now    func() time.Time
}

// Request is a request as submitted.
type Request struct {
	Username string `json:"username"` // the worker; empty: the caller
	Kind     string `json:"kind"`
	From     string `json:"from"`
	To       string `json:"to"`
	Reason   string `json:"reason"`
}

func (s *Service) centerFor(ctx context.Context, p *auth.Principal, userID int64) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	scope := p.GridScope()
	if scope == nil {
		return nil
	}
	ok, err := s.Store.InScope(ctx, userID, scope)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Forbiddenf("that worker's grids are outside your scope")
	}
	return nil
}

// Ask records a request (pending). With key (Idempotency-Key) a retry
// returns the request stored first (replayed true); the same key with
// another body is Unprocessable.
func (s *Service) Ask(ctx context.Context, p *auth.Principal, in Request, key string) (*Leave, bool, error) {
	var l *Leave
	replayed, err := idem.Once(key, in, func(hash []byte) (bool, []byte, error) {
		var err error
		if l, err = s.ask(ctx, p, in); err != nil {
			return false, nil, err
		}
		return s.Store.CreateLeave(ctx, l, key, hash)
	})
	if err != nil {
		return nil, false, err
	}
	return l, replayed, nil
}

func (s *Service) ask(ctx context.Context, p *auth.Principal, in Request) (*Leave, error) {
	var bad []errs.Field
	add := func(f, reason, detail string) {
		bad = append(bad, errs.Field{Field: f, Reason: reason, Detail: detail})
	}
	if !slices.Contains([]string{KindLeave, KindRest}, in.Kind) {
		add("kind", "invalid_kind", "want leave or rest")
	}
	from, err1 := time.Parse("2006-01-02", in.From)
	if err1 != nil {
		add("from", "invalid_date", "want YYYY-MM-DD")
	}
	to, err2 := time.Parse("2006-01-02", in.To)
	if err2 != nil {
		add("to", "invalid_date", "want YYYY-MM-DD")
	}
	if err1 == nil && err2 == nil && (to.Before(from) || to.Sub(from) >= MaxDays*24*time.Hour) {
		add("to", "invalid_range", "want from <= to, at most 92 days")
	}
	if utf8.RuneCountInString(in.Reason) > 500 {
		add("reason", "reason_too_long", "at most 500 characters")
	}
	var u *people.User
	switch {
	case in.Username == "" || in.Username == p.User.Username:
		if err := p.RequireRole(people.RoleWorker); err != nil {
			return nil, errs.Invalidf("username", "username_required", "name the worker the leave is for")
		}
		u = p.User
	default:
		var err error
		u, err = s.People.FindUserByUsername(ctx, in.Username)
		if errs.Is(err, errs.NotFound) {
			add("username", "unknown_user", "no such user")
		} else if err != nil {
			return nil, err
		} else if err := s.centerFor(ctx, p, u.ID); err != nil {
			return nil, err
		}
	}
	if len(bad) > 0 {
		return nil, errs.E(errs.Invalid, bad[0].Reason, "%s: %s", bad[0].Field, bad[0].Detail).WithFields(bad...)
	}
	return &Leave{UserID: u.ID, Username: u.Username, Name: u.Name, Kind: in.Kind, From: from, To: to, Reason: in.Reason, Status: Pending,
		Version: 1, CreatedBy: p.User.ID}, nil
}

// Decide approves or rejects request id at version (If-Match).
func (s *Service) Decide(ctx context.Context, p *auth.Principal, id int64, version int, approve bool) (*Leave, error) {
	l, err := s.Store.FindLeave(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.centerFor(ctx, p, l.UserID); err != nil {
		return nil, err
	}
	if l.Status != Pending {
		return nil, errs.Conflictf("already_decided", "request %d is already %s", id, l.Status)
	}
	if l.Version != version {
		return nil, errs.Conflictf("version_mismatch", "request %d is at version %d, not %d", id, l.Version, version)
	}
	now := s.Now()
	l.Status = Rejected
	if approve {
		l.Status = Approved
	}
	l.DecidedBy, l.DecidedAt = &p.User.ID, &now
	if err := s.Store.DecideLeave(ctx, l, version); err != nil {
		return nil, err
	}
	return l, nil
}

// List returns the requests p may read: a worker its own, the center those
// of the workers in its scope.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]*Leave, error) {
	switch p.Role() {
	case people.RoleWorker:
		id := p.User.ID
		f.UserID = &id
	case people.RoleAdmin, people.RoleCenter:
		f.ScopeGrids = p.GridScope()
	default:
		return nil, errs.Forbiddenf("role %s keeps no leave", p.Role())
	}
	if f.Status != "" && !slices.Contains([]string{Pending, Approved, Rejected}, f.Status) {
		return nil, errs.Invalidf("status", "invalid_status", "want pending, approved or rejected")
	}
	return s.Store.FindLeaves(ctx, f)
}
