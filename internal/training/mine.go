package training

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/people"
)

// MySession is one session as its attendee sees it.
type MySession struct {
	ID       int64    `json:"id"`
	Title    string   `json:"title"`
	Date     string   `json:"date"`
	Hours    float64  `json:"hours"`
	PassMark float64  `json:"pass_mark"`
	Attended bool     `json:"attended"`
	Score    *float64 `json:"score"`
	Passed   bool     `json:"passed"`
}

// MyMeeting is one meeting as a member of the grid staff sees it.
type MyMeeting struct {
	Meeting  *Meeting
	Attended bool // the caller is among the attendees
}

// Mine is the caller's own training record and meetings.
type Mine struct {
	Sessions []MySession
	// HoursYear and HoursQuarter are the hours of the sessions attended in
	// the current calendar year and quarter (Asia/Shanghai); SessionsMonth
	// counts the sessions attended this month (P5: twice a month).
	HoursYear, HoursQuarter float64
	SessionsMonth           int
	// Retrain is set while the caller must retrain.
	Retrain  *Retrain
	Meetings []MyMeeting
}

// Mine returns p's sessions with attendance, hours, scores and whether it
// must retrain, and its meetings: those it attended and, for a grid
// worker, those held for its grids. Every signed-in user may read its own.
func (s *Service) Mine(ctx context.Context, p *auth.Principal) (*Mine, error) {
	ss, err := s.Store.FindUserSessions(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	var scope []string
	if p.Role() == people.RoleWorker {
		scope = p.GridScope()
	}
	ms, err := s.Store.FindUserMeetings(ctx, p.User.ID, scope)
	if err != nil {
		return nil, err
	}
	now := s.Now().In(s.Loc)
	quarter := (int(now.Month()) - 1) / 3
	out := &Mine{Sessions: make([]MySession, 0, len(ss)), Meetings: make([]MyMeeting, 0, len(ms))}
	for i := len(ss) - 1; i >= 0; i-- { // newest first
		se := ss[i]
		for _, a := range se.Attendees {
			if a.UserID != p.User.ID {
				continue
			}
			out.Sessions = append(out.Sessions, MySession{ID: se.ID, Title: se.Title, Date: se.Date.Format(time.DateOnly), Hours: se.Hours,
				PassMark: se.PassMark, Attended: a.Attended, Score: a.Score, Passed: se.Passed(a)})
			if !a.Attended || se.Date.Year() != now.Year() {
				continue
			}
			out.HoursYear += se.Hours
			if (int(se.Date.Month())-1)/3 == quarter {
				out.HoursQuarter += se.Hours
			}
			if se.Date.Month() == now.Month() {
				out.SessionsMonth++
			}
		}
	}
	for _, r := range MustRetrain(ss) {
		if r.UserID == p.User.ID {
			out.Retrain = &r
		}
	}
	for _, m := range ms {
		mm := MyMeeting{Meeting: m}
		for _, a := range m.Attendees {
			mm.Attended = mm.Attended || a.UserID == p.User.ID
		}
		out.Meetings = append(out.Meetings, mm)
	}
	return out, nil
}
