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

// MeetingIn is a meeting as submitted.
type MeetingIn struct {
	Kind      string   `json:"kind"`
	Date      string   `json:"date"`
	Grid      string   `json:"grid"`
	Title     string   `json:"title"`
	Minutes   string   `json:"minutes"`
	Attendees []string `json:"attendees"` // usernames
}

// MaxMinutes bounds the minutes.
const MaxMinutes = 20000

// RecordMeeting stores a meeting. The center records any kind in its
// scope; a grid worker records its own grid's party-group and grid
// meetings. With key (Idempotency-Key) a retry returns the meeting stored
// first (replayed true); the key with another body is Unprocessable.
func (s *Service) RecordMeeting(ctx context.Context, p *auth.Principal, in MeetingIn, key string) (*Meeting, bool, error) {
	m, err := s.checkMeeting(ctx, p, in)
	if err != nil {
		return nil, false, err
	}
	replayed, err := idem.Once(key, in, func(hash []byte) (bool, []byte, error) { return s.Store.CreateMeeting(ctx, m, key, hash) })
	if err != nil {
		return nil, false, err
	}
	return m, replayed, nil
}

func (s *Service) checkMeeting(ctx context.Context, p *auth.Principal, in MeetingIn) (*Meeting, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleWorker); err != nil {
		return nil, err
	}
	var f fields
	if !slices.Contains(MeetingKinds, in.Kind) {
		f.add("kind", "invalid_kind", "want party_group (weekly), grid (weekly) or dispatch (monthly)")
	}
	day := parseDay(&f, "date", in.Date)
	if utf8.RuneCountInString(in.Title) > 200 {
		f.add("title", "title_too_long", "at most 200 characters")
	}
	if utf8.RuneCountInString(in.Minutes) > MaxMinutes {
		f.add("minutes", "minutes_too_long", fmt.Sprintf("at most %d characters", MaxMinutes))
	}
	if len(in.Attendees) == 0 || len(in.Attendees) > 500 {
		f.add("attendees", "attendees_required", "list who attended (1–500 usernames)")
	}
	if in.Grid == "" && (p.Role() == people.RoleWorker || p.GridScope() != nil) {
		f.add("grid", "grid_required", "name the grid the meeting was held for")
	}
	if p.Role() == people.RoleWorker && in.Kind == "dispatch" {
		return nil, errs.Forbiddenf("the dispatch meeting is recorded by the center")
	}
	if in.Grid != "" && !p.CanReadGrid(s.Tree(), in.Grid) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", in.Grid)
	}
	raw := make([]AttendeeIn, len(in.Attendees))
	for i, u := range in.Attendees {
		raw[i] = AttendeeIn{Username: u, Attended: true}
	}
	at := s.attendees(ctx, &f, raw, "attendees")
	if err := f.err(); err != nil {
		return nil, err
	}
	return &Meeting{Kind: in.Kind, Date: day, GridCode: in.Grid, Title: strings.TrimSpace(in.Title), Minutes: in.Minutes, Attendees: at, CreatedBy: p.User.ID}, nil
}

func (s *Service) meetingScope(p *auth.Principal) ([]string, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker); err != nil {
		return nil, err
	}
	return p.GridScope(), nil
}

// Meetings lists the meetings in p's scope.
func (s *Service) Meetings(ctx context.Context, p *auth.Principal, kind string, from, to *time.Time) ([]*Meeting, error) {
	scope, err := s.meetingScope(p)
	if err != nil {
		return nil, err
	}
	if kind != "" && !slices.Contains(MeetingKinds, kind) {
		return nil, errs.Invalidf("kind", "invalid_kind", "want party_group, grid or dispatch, got %q", kind)
	}
	return s.Store.FindMeetings(ctx, scope, kind, from, to)
}

// Meeting returns one meeting p may read.
func (s *Service) Meeting(ctx context.Context, p *auth.Principal, id int64) (*Meeting, error) {
	scope, err := s.meetingScope(p)
	if err != nil {
		return nil, err
	}
	m, err := s.Store.FindMeeting(ctx, id)
	if err != nil {
		return nil, err
	}
	if scope != nil && (m.GridCode == "" || !p.CanReadGrid(s.Tree(), m.GridCode)) {
		return nil, errs.Forbiddenf("meeting %d is outside your scope", id)
	}
	return m, nil
}

// Pack is a meeting with last week's figures.
type Pack struct {
	Meeting *Meeting
	// Week is the ISO week before the meeting's (YYYY-Www), From/To its
	// bounds; ByUnit and ByVillage are its case figures in p's scope.
	Week      string
	From, To  time.Time
	ByUnit    *casework.Stats
	ByVillage *casework.Stats
	// Retrain is who must retrain (center and viewer only).
	Retrain []Retrain
}

// MeetingPack returns meeting id with the figures of the week before it.
func (s *Service) MeetingPack(ctx context.Context, p *auth.Principal, id int64) (*Pack, error) {
	m, err := s.Meeting(ctx, p, id)
	if err != nil {
		return nil, err
	}
	d := time.Date(m.Date.Year(), m.Date.Month(), m.Date.Day(), 0, 0, 0, 0, s.Loc)
	monday := d.AddDate(0, 0, -((int(d.Weekday())+6)%7)-7)
	y, w := monday.ISOWeek()
	pk := &Pack{Meeting: m, Week: fmt.Sprintf("%04d-W%02d", y, w), From: monday, To: monday.AddDate(0, 0, 7)}
	if pk.ByUnit, err = s.Cases.Stats(ctx, p, pk.From, pk.To, "unit"); err != nil {
		return nil, err
	}
	if pk.ByVillage, err = s.Cases.Stats(ctx, p, pk.From, pk.To, "village"); err != nil {
		return nil, err
	}
	if p.Role() != people.RoleWorker {
		if pk.Retrain, err = s.RetrainList(ctx, p); err != nil {
			return nil, err
		}
	}
	return pk, nil
}
