// Package training keeps the grid staff's training sessions and meetings
// (P1 五.4: training every quarter, at least an hour, with an exam, retrained
// until passed; P5: twice a month; weekly party-group and grid meetings and
// the monthly dispatch meeting with attendance and minutes).
//
// Who must retrain: a person whose latest session (by date, then id) marks
// them missed (not attended) or failed (a score below the session's pass
// mark, or no score when the session has an exam) — until a later session
// where they attended and passed.
package training

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/idem"
	"github.com/gridd/gridd/internal/people"
)

// Attendee is one person expected at a session.
type Attendee struct {
	UserID   int64    `json:"user_id"`
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Attended bool     `json:"attended"`
	Score    *float64 `json:"score"`
}

// Session is one training session.
type Session struct {
	ID        int64
	Title     string
	Date      time.Time // civil date
	Hours     float64
	PassMark  float64
	ScopeCode string // the grid subtree it was held for; "" = everyone
	Attendees []Attendee
	CreatedBy int64
	CreatedAt time.Time
}

// Passed reports whether a attended s and passed its exam.
func (s *Session) Passed(a Attendee) bool {
	return a.Attended && a.Score != nil && *a.Score >= s.PassMark
}

// Retrain is one person who must retrain, with the session that says so.
type Retrain struct {
	UserID    int64    `json:"user_id"`
	Username  string   `json:"username"`
	Name      string   `json:"name"`
	Reason    string   `json:"reason"` // missed | failed
	SessionID int64    `json:"session_id"`
	Title     string   `json:"title"`
	Date      string   `json:"date"`
	Score     *float64 `json:"score"`
	PassMark  float64  `json:"pass_mark"`
}

// MeetingKinds are the meetings of the plans.
var MeetingKinds = []string{"party_group", "grid", "dispatch"} // weekly 党小组会, weekly 网格例会, monthly 调度会

// Meeting is one meeting with its attendees and minutes.
type Meeting struct {
	ID        int64
	Kind      string
	Date      time.Time // civil date
	GridCode  string
	Title     string
	Minutes   string
	Attendees []Attendee // Attended is true for each
	CreatedBy int64
	CreatedAt time.Time
}

// Store keeps sessions and meetings.
type Store interface {
	// CreateSession stores s. With key, a session the same creator stored
	// under key before is loaded into s instead (replayed true) and its
	// request hash returned.
	CreateSession(ctx context.Context, s *Session, key string, hash []byte) (replayed bool, storedHash []byte, err error)
	// FindSessions returns the sessions held in [from, to] (nil: open) for
	// the scope roots (nil: all; a session with no scope is everyone's),
	// by date, with their attendees.
	FindSessions(ctx context.Context, scope []string, from, to *time.Time) ([]*Session, error)
	// CreateMeeting stores m; with key as CreateSession.
	CreateMeeting(ctx context.Context, m *Meeting, key string, hash []byte) (replayed bool, storedHash []byte, err error)
	// FindUserSessions returns the sessions userID was expected at, by
	// date, each with userID's attendee row only.
	FindUserSessions(ctx context.Context, userID int64) ([]*Session, error)
	// FindUserMeetings returns, newest first, the meetings userID
	// attended and those held for the grids under scope (nil: none).
	FindUserMeetings(ctx context.Context, userID int64, scope []string) ([]*Meeting, error)
	FindMeeting(ctx context.Context, id int64) (*Meeting, error)
	FindMeetings(ctx context.Context, scope []string, kind string, from, to *time.Time) ([]*Meeting, error)
	// FindMeetingDays returns every meeting of kinds held in [from, to]
	// for the grids under scope (nil: all), unbounded in number, with its
	// kind, date and grid only (no minutes or attendees).
	FindMeetingDays(ctx context.Context, scope []string, kinds []string, from, to time.Time) ([]*Meeting, error)
}

// Cases gives last week's figures for the meeting pack.
type Cases interface {
	Stats(ctx context.Context, p *auth.Principal, from, to time.Time, groupBy string) (*casework.Stats, error)
}

// Service keeps training and meetings: the center (admin, center in scope)
// records them; viewers in scope read; a grid worker records and reads
// the meetings of its own grids.
type Service struct {
	Store  Store
	People people.Store
	Cases  Cases
	Tree   func() auth.Hierarchy
	Loc    *time.Location
	Now    func() time.Time
}

// AttendeeIn is an attendee as submitted.
type AttendeeIn struct {
	Username string   `json:"username"`
	Attended bool     `json:"attended"`
	Score    *float64 `json:"score"`
}

// SessionIn is a session as submitted.
type SessionIn struct {
	Title     string       `json:"title"`
	Date      string       `json:"date"`
	Hours     float64      `json:"hours"`
	PassMark  float64      `json:"pass_mark"`
	Scope     string       `json:"scope"`
	Attendees []AttendeeIn `json:"attendees"`
}

type fields struct{ bad []errs.Field }

func (f *fields) add(field, reason, detail string) {
	f.bad = append(f.bad, errs.Field{Field: field, Reason: reason, Detail: detail})
}

func (f *fields) err() error {
	if len(f.bad) == 0 {
		return nil
	}
	return errs.E(errs.Invalid, f.bad[0].Reason, "%s: %s", f.bad[0].Field, f.bad[0].Detail).WithFields(f.bad...)
}

func (s *Service) scopeOK(p *auth.Principal, code string) bool {
	if code == "" {
		return p.GridScope() == nil
	}
	return p.CanReadGrid(s.Tree(), code)
}

func parseDay(f *fields, field, v string) time.Time {
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		f.add(field, "invalid_date", fmt.Sprintf("want YYYY-MM-DD, got %q", v))
	}
	return d
}

// attendees resolves usernames; unknown or repeated ones are field errors.
func (s *Service) attendees(ctx context.Context, f *fields, in []AttendeeIn, field string) []Attendee {
	out := make([]Attendee, 0, len(in))
	seen := map[string]bool{}
	for i, a := range in {
		fl := fmt.Sprintf("%s[%d]", field, i)
		if seen[a.Username] {
			f.add(fl+".username", "duplicate_attendee", "each person once")
			continue
		}
		seen[a.Username] = true
		u, err := s.People.FindUserByUsername(ctx, a.Username)
		if err != nil {
			f.add(fl+".username", "unknown_user", fmt.Sprintf("no user %q", a.Username))
			continue
		}
		if a.Score != nil && (*a.Score < 0 || *a.Score > 1000) {
			f.add(fl+".score", "invalid_score", "want a score from 0 to 1000")
		}
		if a.Score != nil && !a.Attended {
			f.add(fl+".score", "score_without_attendance", "a person who missed the session has no score")
		}
		out = append(out, Attendee{UserID: u.ID, Username: u.Username, Name: u.Name, Attended: a.Attended, Score: a.Score})
	}
	return out
}

// RecordSession stores a training session with its attendance and scores.
// With key (Idempotency-Key) a retry returns the session stored first
// (replayed true); the key with another body is Unprocessable.
func (s *Service) RecordSession(ctx context.Context, p *auth.Principal, in SessionIn, key string) (*Session, bool, error) {
	se, err := s.checkSession(ctx, p, in)
	if err != nil {
		return nil, false, err
	}
	replayed, err := idem.Once(key, in, func(hash []byte) (bool, []byte, error) { return s.Store.CreateSession(ctx, se, key, hash) })
	if err != nil {
		return nil, false, err
	}
	return se, replayed, nil
}

func (s *Service) checkSession(ctx context.Context, p *auth.Principal, in SessionIn) (*Session, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	var f fields
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Title)); n == 0 || n > 200 {
		f.add("title", "title_required", "want a title of 1–200 characters")
	}
	day := parseDay(&f, "date", in.Date)
	if in.Hours <= 0 || in.Hours > 24 {
		f.add("hours", "invalid_hours", "want the session's length in hours, more than 0 and at most 24")
	}
	if in.PassMark < 0 || in.PassMark > 1000 {
		f.add("pass_mark", "invalid_pass_mark", "want the exam's pass mark from 0 to 1000")
	}
	if len(in.Attendees) == 0 || len(in.Attendees) > 2000 {
		f.add("attendees", "attendees_required", "list the people expected (1–2000), each attended or not, with a score")
	}
	if in.Scope != "" && !s.scopeOK(p, in.Scope) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", in.Scope)
	}
	if in.Scope == "" && !s.scopeOK(p, "") {
		f.add("scope", "scope_required", "name the grid (your scope or below) the session was held for")
	}
	at := s.attendees(ctx, &f, in.Attendees, "attendees")
	if err := f.err(); err != nil {
		return nil, err
	}
	return &Session{Title: strings.TrimSpace(in.Title), Date: day, Hours: in.Hours, PassMark: in.PassMark, ScopeCode: in.Scope,
		Attendees: at, CreatedBy: p.User.ID}, nil
}

func (s *Service) readScope(p *auth.Principal) ([]string, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer); err != nil {
		return nil, err
	}
	return p.GridScope(), nil
}

// Sessions lists the sessions in p's scope held in [from, to].
func (s *Service) Sessions(ctx context.Context, p *auth.Principal, from, to *time.Time) ([]*Session, error) {
	scope, err := s.readScope(p)
	if err != nil {
		return nil, err
	}
	return s.Store.FindSessions(ctx, scope, from, to)
}

// RetrainList lists who must retrain after the sessions in p's scope.
func (s *Service) RetrainList(ctx context.Context, p *auth.Principal) ([]Retrain, error) {
	scope, err := s.readScope(p)
	if err != nil {
		return nil, err
	}
	ss, err := s.Store.FindSessions(ctx, scope, nil, nil)
	if err != nil {
		return nil, err
	}
	return MustRetrain(ss), nil
}

// MustRetrain applies the rule to sessions: each person's latest session
// decides.
func MustRetrain(sessions []*Session) []Retrain {
	ss := slices.Clone(sessions)
	slices.SortStableFunc(ss, func(a, b *Session) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	last := map[int64]Retrain{}
	passed := map[int64]bool{}
	for _, se := range ss {
		for _, a := range se.Attendees {
			if se.Passed(a) {
				passed[a.UserID] = true
				delete(last, a.UserID)
				continue
			}
			passed[a.UserID] = false
			reason := "failed"
			if !a.Attended {
				reason = "missed"
			}
			last[a.UserID] = Retrain{UserID: a.UserID, Username: a.Username, Name: a.Name, Reason: reason, SessionID: se.ID,
				Title: se.Title, Date: se.Date.Format("2006-01-02"), Score: a.Score, PassMark: se.PassMark}
		}
	}
	out := make([]Retrain, 0, len(last))
	for _, r := range last {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Retrain) int { return strings.Compare(a.Username, b.Username) })
	return out
}
