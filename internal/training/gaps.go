package training

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// SessionsPerMonth is P5's norm: training twice a month (每月开展2次).
const SessionsPerMonth = 2

// WeeklyMeetingKinds are the meetings held every week for a grid (P1
// 三(五)3): the party-group meeting and the grid meeting.
var WeeklyMeetingKinds = []string{"party_group", "grid"}

// WorkerShort is a grid worker who attended fewer than SessionsPerMonth
// training sessions in the month.
type WorkerShort struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Grids    []string `json:"grids"`
	Sessions int      `json:"sessions"` // sessions attended in the month
	Want     int      `json:"want"`
}

// WeekWithoutMeeting is a grid and an ISO week in which a weekly meeting
// was not held; Missing lists the kinds not held.
type WeekWithoutMeeting struct {
	Grid    string   `json:"grid"`
	Week    string   `json:"week"` // YYYY-Www
	From    string   `json:"from"` // Monday
	To      string   `json:"to"`   // Sunday
	Missing []string `json:"missing"`
}

// Gaps is what the training and meeting norms flag in one month.
type Gaps struct {
	Month string
	// Complete is false while the month has not ended: the session
	// counts are so far, and only the weeks already ended are judged.
	Complete            bool
	WorkersShort        []WorkerShort
	WeeksWithoutMeeting []WeekWithoutMeeting
}

// GridWorker is a grid worker with the grids it is assigned to.
type GridWorker struct {
	UserID   int64
	Username string
	Name     string
	Grids    []string
}

// MonthGaps applies the norms to a month (month: its first day, a civil
// date at 00:00 UTC; today: the civil date of now). Sessions count when
// the worker attended and the session's date is in the month. A week
// belongs to the month holding its Thursday (the ISO rule, so each week
// is judged in exactly one month) and is judged once its Sunday is before
// today; a grid's week is flagged for each weekly kind with no meeting
// for that grid dated Monday to Sunday.
func MonthGaps(month, today time.Time, workers []GridWorker, sessions []*Session, meetings []*Meeting) *Gaps {
	next := month.AddDate(0, 1, 0)
	g := &Gaps{Month: month.Format("2006-01"), Complete: !today.Before(next), WorkersShort: []WorkerShort{}, WeeksWithoutMeeting: []WeekWithoutMeeting{}}
	attended := map[int64]int{}
	for _, se := range sessions {
		if se.Date.Before(month) || !se.Date.Before(next) {
			continue
		}
		for _, a := range se.Attendees {
			if a.Attended {
				attended[a.UserID]++
			}
		}
	}
	grids := map[string]bool{}
	for _, w := range workers {
		for _, c := range w.Grids {
			grids[c] = true
		}
		if n := attended[w.UserID]; n < SessionsPerMonth {
			g.WorkersShort = append(g.WorkersShort, WorkerShort{Username: w.Username, Name: w.Name, Grids: w.Grids, Sessions: n, Want: SessionsPerMonth})
		}
	}
	slices.SortFunc(g.WorkersShort, func(a, b WorkerShort) int { return strings.Compare(a.Username, b.Username) })
	held := map[string]bool{} // grid|kind|monday
	for _, m := range meetings {
		held[m.GridCode+"|"+m.Kind+"|"+mondayOf(m.Date).Format(time.DateOnly)] = true
	}
	codes := make([]string, 0, len(grids))
	for c := range grids {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, mon := range MonthWeeks(month) {
		sun := mon.AddDate(0, 0, 6)
		if !sun.Before(today) {
			continue
		}
		y, w := mon.ISOWeek()
		for _, c := range codes {
			var missing []string
			for _, k := range WeeklyMeetingKinds {
				if !held[c+"|"+k+"|"+mon.Format(time.DateOnly)] {
					missing = append(missing, k)
				}
			}
			if missing != nil {
				g.WeeksWithoutMeeting = append(g.WeeksWithoutMeeting, WeekWithoutMeeting{Grid: c, Week: fmt.Sprintf("%04d-W%02d", y, w),
					From: mon.Format(time.DateOnly), To: sun.Format(time.DateOnly), Missing: missing})
			}
		}
	}
	return g
}

// MonthWeeks returns the Mondays of the ISO weeks whose Thursday falls in
// the month beginning on month.
func MonthWeeks(month time.Time) []time.Time {
	var out []time.Time
	for mon := mondayOf(month); ; mon = mon.AddDate(0, 0, 7) {
		thu := mon.AddDate(0, 0, 3)
		if thu.Month() != month.Month() && thu.After(month) {
			return out
		}
		if thu.Month() == month.Month() {
			out = append(out, mon)
		}
	}
}

func mondayOf(d time.Time) time.Time {
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// ParseMonth reads a month=YYYY-MM value as its first day (00:00 UTC).
func ParseMonth(v string) (time.Time, error) {
	m, err := time.Parse("2006-01", v)
	if err != nil {
		return time.Time{}, errs.Invalidf("month", "invalid_month", "want month=YYYY-MM, got %q", v)
	}
	return m, nil
}

// Gaps flags, for month ("" = this month, Asia/Shanghai), the grid
// workers in p's scope who attended fewer than two training sessions and
// the weeks in which a grid of theirs held no party-group or grid meeting.
// The center, admin and viewers read their subtree (the workers assigned
// to a grid in it); a grid worker reads only itself and its own grids.
// A month after the current one is Invalid.
func (s *Service) Gaps(ctx context.Context, p *auth.Principal, month string) (*Gaps, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker); err != nil {
		return nil, err
	}
	now := s.Now().In(s.Loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	if month != "" {
		m, err := ParseMonth(month)
		if err != nil {
			return nil, err
		}
		if m.After(first) {
			return nil, errs.Invalidf("month", "month_in_future", "want this month or an earlier one, got %s", month)
		}
		first = m
	}
	last := first.AddDate(0, 1, -1)
	// Who the month's workers are: the worker assignments valid on its
	// last day, or today in the current month.
	on := last
	if today.Before(on) {
		on = today
	}
	role := people.GridWorker
	f := people.AssignmentFilter{Role: &role, On: &on}
	if p.Role() == people.RoleWorker {
		f.UserID = &p.User.ID
	}
	as, err := s.People.FindAssignments(ctx, f)
	if err != nil {
		return nil, err
	}
	byUser := map[int64]*GridWorker{}
	var workers []GridWorker
	var order []int64
	tree := s.Tree()
	for _, a := range as {
		if !p.CanReadGrid(tree, a.GridCode) {
			continue
		}
		w := byUser[a.UserID]
		if w == nil {
			w = &GridWorker{UserID: a.UserID, Username: a.Username, Name: a.Name}
			byUser[a.UserID] = w
			order = append(order, a.UserID)
		}
		if !slices.Contains(w.Grids, a.GridCode) {
			w.Grids = append(w.Grids, a.GridCode)
		}
	}
	for _, id := range order {
		slices.Sort(byUser[id].Grids)
		workers = append(workers, *byUser[id])
	}
	sessions, err := s.Store.FindSessions(ctx, nil, &first, &last)
	if err != nil {
		return nil, err
	}
	var meetings []*Meeting
	if weeks := MonthWeeks(first); len(weeks) > 0 {
		from, to := weeks[0], weeks[len(weeks)-1].AddDate(0, 0, 6)
		if meetings, err = s.Store.FindMeetingDays(ctx, p.GridScope(), WeeklyMeetingKinds, from, to); err != nil {
			return nil, err
		}
	}
	return MonthGaps(first, today, workers, sessions, meetings), nil
}
