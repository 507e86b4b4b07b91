// Package worklog is the daily grid log (网格日志): a worker's day assembled
// from what the day recorded — patrol, the cases it reported, the visits
// and the verifications it made (and the inspections, through the
// Inspections hook) — plus the notes the worker writes and submits once per
// day. Days are civil days in Asia/Shanghai; an entry first submitted after
// its day ended (24:00) is late, and stays late when amended.
package worklog

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/idem"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
)

// MaxNotes bounds an entry's notes.
const MaxNotes = 4000

// Patrol is the day's patrol.
type Patrol struct {
	Seconds    float64
	DistanceM  float64
	Patrolled  bool // the daily minimum was met
	MinSeconds float64
}

// CaseItem is a case reported or verified on the day.
type CaseItem struct {
	ID       int64
	Number   string
	Category string
	At       time.Time
	Action   string // verify_pass, verify_fail (verifications)
	Status   string
}

// VisitItem is a visit made on the day.
type VisitItem struct {
	ID         int64
	TargetKind string
	TargetID   int64
	TargetName string
	At         time.Time
	OnSite     bool
}

// Item is a generic entry a hook adds (inspections).
type Item struct {
	ID      int64
	Kind    string
	Title   string
	At      time.Time
	Outcome string
}

// Entry is what the worker submitted for a day.
type Entry struct {
	UserID      int64
	Day         workday.Date
	Notes       string
	Late        bool
	SubmittedAt time.Time
	UpdatedAt   time.Time
	Version     int
}

// Day is a worker's assembled day.
type Day struct {
	Worker        people.User
	Date          workday.Date
	Patrol        *Patrol
	Reports       []CaseItem
	Verifications []CaseItem
	Visits        []VisitItem
	Inspections   []Item
	Entry         *Entry // nil until submitted
	// Deadline is when an entry for the day becomes late.
	Deadline time.Time
}

// Store is what the log needs from the database.
type Store interface {
	// DayCases returns the cases userID reported and verified in [from, to).
	DayCases(ctx context.Context, userID int64, from, to time.Time) (reports, verifications []CaseItem, err error)
	DayVisits(ctx context.Context, userID int64, day workday.Date) ([]VisitItem, error)
	FindEntry(ctx context.Context, userID int64, day workday.Date) (*Entry, error)
	// CreateEntry stores e; Conflict when the day already has an entry,
	// unless that entry was last written under key (a retry): then e is
	// filled from it and replayed is true, with its stored request hash.
	CreateEntry(ctx context.Context, e *Entry, key string, hash []byte) (replayed bool, stored []byte, err error)
	// UpdateEntry replaces the notes when the stored version is
	// e.Version-1 (Conflict otherwise, NotFound without an entry); a
	// retry under the key of the last write replays as CreateEntry.
	UpdateEntry(ctx context.Context, e *Entry, key string, hash []byte) (replayed bool, stored []byte, err error)
}

// Service assembles and stores daily logs.
type Service struct {
	Store  Store
	People people.Store
	Tree   func() auth.Hierarchy
	// Patrol returns the day's patrol (nil: no patrol section).
	Patrol func(ctx context.Context, userID int64, day time.Time) (*Patrol, error)
	// Inspections returns the day's inspections, once the inspection
	// duty (issue 18) stores them; nil: the section stays empty.
	Inspections func(ctx context.Context, userID int64, day workday.Date) ([]Item, error)
	Now         func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// target resolves whose log the caller asks for and checks access: a worker
// its own only; a center, viewer or admin a user who held a grid in its
// scope on the day (department: 403).
func (s *Service) target(ctx context.Context, p *auth.Principal, username string, day workday.Date) (*people.User, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker); err != nil {
		return nil, err
	}
	if username == "" || username == p.User.Username {
		if p.User.Role == people.RoleWorker || username != "" {
			return p.User, nil
		}
		return nil, errs.Invalidf("worker", "worker_required", "name the worker whose log to read (?worker=USERNAME)")
	}
	if p.User.Role == people.RoleWorker {
		return nil, errs.Forbiddenf("a worker reads only its own log")
	}
	u, err := s.People.FindUserByUsername(ctx, username)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.NotFoundf("no user %q", username)
		}
		return nil, err
	}
	if p.GridScope() == nil {
		return u, nil
	}
	on := day.Start()
	as, err := s.People.FindAssignments(ctx, people.AssignmentFilter{UserID: &u.ID, On: &on})
	if err != nil {
		return nil, err
	}
	h := s.Tree()
	for _, a := range as {
		if p.CanReadGrid(h, a.GridCode) {
			return u, nil
		}
	}
	return nil, errs.Forbiddenf("%s held no grid in your scope on %s", username, day)
}

func (s *Service) parseDay(v string) (workday.Date, error) {
	today := workday.DateOf(s.now())
	if v == "" {
		return today, nil
	}
	d, err := workday.ParseDate(v)
	if err != nil {
		return d, errs.Invalidf("date", "invalid_date", "want a date YYYY-MM-DD, got %q", v)
	}
	if d.After(today) {
		return d, errs.Invalidf("date", "date_in_future", "%s has not begun yet (today is %s, Asia/Shanghai)", d, today)
	}
	return d, nil
}

// Get assembles a worker's day ("" date: today; "" worker: the caller).
func (s *Service) Get(ctx context.Context, p *auth.Principal, username, date string) (*Day, error) {
	day, err := s.parseDay(date)
	if err != nil {
		return nil, err
	}
	u, err := s.target(ctx, p, username, day)
	if err != nil {
		return nil, err
	}
	d := &Day{Worker: *u, Date: day, Deadline: day.End()}
	d.Worker.PasswordHash = ""
	if s.Patrol != nil {
		if d.Patrol, err = s.Patrol(ctx, u.ID, day.Start()); err != nil {
			return nil, fmt.Errorf("worklog patrol: %w", err)
		}
	}
	if d.Reports, d.Verifications, err = s.Store.DayCases(ctx, u.ID, day.Start(), day.End()); err != nil {
		return nil, err
	}
	if d.Visits, err = s.Store.DayVisits(ctx, u.ID, day); err != nil {
		return nil, err
	}
	d.Inspections = []Item{}
	if s.Inspections != nil {
		if d.Inspections, err = s.Inspections(ctx, u.ID, day); err != nil {
			return nil, fmt.Errorf("worklog inspections: %w", err)
		}
	}
	e, err := s.Store.FindEntry(ctx, u.ID, day)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return nil, err
	default:
		d.Entry = e
	}
	return d, nil
}

// Submission is a worker's notes for a day.
type Submission struct {
	Date    string // YYYY-MM-DD; "" = today
	Notes   string
	Version int // for Amend: the version read (If-Match)
}

func (s *Service) checkSubmission(p *auth.Principal, in Submission) (workday.Date, string, error) {
	if err := p.RequireRole(people.RoleWorker); err != nil {
		return workday.Date{}, "", errs.Forbiddenf("only a grid worker submits its own daily log")
	}
	day, err := s.parseDay(in.Date)
	if err != nil {
		return day, "", err
	}
	notes := strings.TrimSpace(in.Notes)
	if notes == "" {
		return day, "", errs.Invalidf("notes", "notes_required", "write what the day held (the log's notes)")
	}
	if utf8.RuneCountInString(notes) > MaxNotes {
		return day, "", errs.Invalidf("notes", "notes_too_long", "at most %d characters", MaxNotes)
	}
	return day, notes, nil
}

// Submit stores the caller's entry for a day, once: a second submission
// of the same day is a Conflict (amend it with Amend). The entry is late
// when submitted after its day ended. With key (Idempotency-Key) a retry
// answers with the entry stored (replayed true).
func (s *Service) Submit(ctx context.Context, p *auth.Principal, in Submission, key string) (*Entry, bool, error) {
	day, notes, err := s.checkSubmission(p, in)
	if err != nil {
		return nil, false, err
	}
	now := s.now()
	e := &Entry{UserID: p.User.ID, Day: day, Notes: notes, Late: !now.Before(day.End()), SubmittedAt: now, UpdatedAt: now, Version: 1}
	replayed, err := idem.Once(key, in, func(hash []byte) (bool, []byte, error) { return s.Store.CreateEntry(ctx, e, key, hash) })
	if err != nil {
		return nil, false, err
	}
	return e, replayed, nil
}

// Amend replaces the notes of the caller's submitted entry; in.Version is
// the version read (a stale one is a Conflict). Lateness is kept from the
// first submission. With key (Idempotency-Key) a retry of the last
// amendment answers with the entry stored (replayed true), not a Conflict.
func (s *Service) Amend(ctx context.Context, p *auth.Principal, in Submission, key string) (*Entry, bool, error) {
	day, notes, err := s.checkSubmission(p, in)
	if err != nil {
		return nil, false, err
	}
	if in.Version < 1 {
		return nil, false, errs.Invalidf("If-Match", "if_match_required", "send If-Match with the entry's version (its ETag) to amend it")
	}
	e := &Entry{UserID: p.User.ID, Day: day, Notes: notes, UpdatedAt: s.now(), Version: in.Version + 1}
	replayed, err := idem.Once(key, in, func(hash []byte) (bool, []byte, error) { return s.Store.UpdateEntry(ctx, e, key, hash) })
	if err != nil {
		return nil, false, err
	}
	return e, replayed, nil
}
