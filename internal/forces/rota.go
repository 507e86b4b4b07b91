// Package forces is what gridd keeps of the other grid forces beyond their
// reports (P4 六(四)(五), P1 五.2): the community police rota. Volunteers,
// informants, police and liaisons log in with their own roles
// (internal/people) and report through the case intake with their role as
// the source (internal/casework); a volunteer rates the handling of its
// own reports (the rate action).
//
// The rota: shifts per community and day, each a police officer. The
// plan's norm (9 officers per community, 3 per shift) is a configurable
// Norms value the rota is checked against: a day that breaks it is flagged,
// not refused — a real rota bends around leave and emergencies.
package forces

import (
	"context"
	"fmt"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
)

// Norms are the staffing norms a rota is checked against.
type Norms struct {
	OfficersPerCommunity int `json:"officers_per_community"` // distinct officers on the rota in the period (9)
	ShiftsPerDay         int `json:"shifts_per_day"`         // numbered 1..ShiftsPerDay (3)
	PerShift             int `json:"per_shift"`              // officers per shift (3)
}

// DefaultNorms are the plan's: 9 officers per community, three shifts of 3.
func DefaultNorms() Norms { return Norms{OfficersPerCommunity: 9, ShiftsPerDay: 3, PerShift: 3} }

// Shift is one officer on one shift of one day in a community.
type Shift struct {
	ID        int64     `json:"id"`
	Community string    `json:"community"`
	Date      time.Time `json:"-"` // civil date (UTC midnight)
	Shift     int       `json:"shift"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Flag is a breach of the norms.
type Flag struct {
	Reason string `json:"reason"` // officers_below_norm | shift_understaffed | shift_overstaffed
	Date   string `json:"date,omitempty"`
	Shift  int    `json:"shift,omitempty"`
	Count  int    `json:"count"`
	Want   int    `json:"want"`
}

// Rota is a community's shifts in a period with the norms' flags.
type Rota struct {
	Community string  `json:"community"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	Norms     Norms   `json:"norms"`
	Shifts    []Shift `json:"shifts"`
	Officers  int     `json:"officers"`
	Flags     []Flag  `json:"flags"`
}

// Store keeps the rota.
type Store interface {
	CreateShift(ctx context.Context, s *Shift) error
	FindShift(ctx context.Context, id int64) (*Shift, error)
	DeleteShift(ctx context.Context, id int64) error
	// FindShifts returns community's shifts in [from, to], by date and shift.
	FindShifts(ctx context.Context, community string, from, to time.Time) ([]Shift, error)
}

// Grids is the registry tree as the rota needs it.
type Grids interface {
	auth.Hierarchy
	Has(code string) bool
}

// Service keeps the police rota. The center (in scope) keeps it; the
// center, viewers in scope and the community's own police read it.
type Service struct {
	Store  Store
	People people.Store
	Tree   func() Grids
	Norms  Norms
	Now    func() time.Time
}

// ShiftOf returns the civil date (00:00 UTC) and the shift number
// (1..ShiftsPerDay) holding t in Asia/Shanghai. The rota names shifts by
// number only; gridd cuts the day into ShiftsPerDay equal spans from
// midnight (three shifts: 00:00–08:00, 08:00–16:00, 16:00–24:00), each
// span holding its start and not its end.
func (n Norms) ShiftOf(t time.Time) (time.Time, int) {
	l := t.In(workday.Shanghai())
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	per := n.ShiftsPerDay
	if per < 1 {
		per = 1
	}
	return day, l.Hour()*per/24 + 1
}

// ShiftAt returns the number of the rostered shift the police officer u
// was on at t on the rota of its community (u.ScopeCode), or 0 when it
// was on none. Someone other than a community police officer is on none.
func (s *Service) ShiftAt(ctx context.Context, u *people.User, t time.Time) (int, error) {
	if u.Role != people.RolePolice || u.ScopeCode == "" {
		return 0, nil
	}
	day, n := s.Norms.ShiftOf(t)
	shifts, err := s.Store.FindShifts(ctx, u.ScopeCode, day, day)
	if err != nil {
		return 0, err
	}
	for _, sh := range shifts {
		if sh.UserID == u.ID && sh.Shift == n {
			return n, nil
		}
	}
	return 0, nil
}

// MaxRotaDays bounds a rota read.
const MaxRotaDays = 62

func (s *Service) canRead(p *auth.Principal, community string) bool {
	switch p.Role() {
	case people.RoleAdmin, people.RoleCenter, people.RoleViewer:
		return p.CanReadGrid(s.Tree(), community)
	case people.RolePolice:
		return p.User.ScopeCode != "" && (community == p.User.ScopeCode || s.Tree().IsWithin(community, p.User.ScopeCode))
	}
	return false
}

func (s *Service) canEdit(p *auth.Principal, community string) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	if !p.CanReadGrid(s.Tree(), community) {
		return errs.Forbiddenf("community %s is outside your scope", community)
	}
	return nil
}

// AddShift puts the police officer username on shift of date in community.
func (s *Service) AddShift(ctx context.Context, p *auth.Principal, community string, date time.Time, shift int, username string) (*Shift, error) {
	if community == "" || !s.Tree().Has(community) {
		return nil, errs.Invalidf("community", "unknown_grid", "want the code of a current grid (the community), got %q", community)
	}
	if err := s.canEdit(p, community); err != nil {
		return nil, err
	}
	if shift < 1 || shift > s.Norms.ShiftsPerDay {
		return nil, errs.Invalidf("shift", "invalid_shift", "want a shift number from 1 to %d, got %d", s.Norms.ShiftsPerDay, shift)
	}
	u, err := s.People.FindUserByUsername(ctx, username)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.Invalidf("username", "unknown_user", "no user %q", username)
	}
	if err != nil {
		return nil, err
	}
	if u.Role != people.RolePolice {
		return nil, errs.Invalidf("username", "not_police", "user %q has role %s; the rota takes community police (role police)", username, u.Role)
	}
	sh := &Shift{Community: community, Date: date, Shift: shift, UserID: u.ID, Username: u.Username, Name: u.Name}
	if err := s.Store.CreateShift(ctx, sh); err != nil {
		return nil, err
	}
	return sh, nil
}

// RemoveShift takes a shift off the rota.
func (s *Service) RemoveShift(ctx context.Context, p *auth.Principal, id int64) error {
	sh, err := s.Store.FindShift(ctx, id)
	if err != nil {
		return err
	}
	if err := s.canEdit(p, sh.Community); err != nil {
		return err
	}
	return s.Store.DeleteShift(ctx, id)
}

// Rota returns community's rota for [from, to] checked against the norms.
func (s *Service) Rota(ctx context.Context, p *auth.Principal, community string, from, to time.Time) (*Rota, error) {
	if community == "" || !s.Tree().Has(community) {
		return nil, errs.Invalidf("community", "unknown_grid", "want the code of a current grid (the community), got %q", community)
	}
	if to.Before(from) || to.Sub(from) > MaxRotaDays*24*time.Hour {
		return nil, errs.Invalidf("to", "invalid_range", "want from <= to, at most %d days", MaxRotaDays)
	}
	if !s.canRead(p, community) {
		return nil, errs.Forbiddenf("community %s is outside your scope", community)
	}
	shifts, err := s.Store.FindShifts(ctx, community, from, to)
	if err != nil {
		return nil, err
	}
	r := &Rota{Community: community, From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Norms: s.Norms, Shifts: shifts, Flags: []Flag{}}
	if r.Shifts == nil {
		r.Shifts = []Shift{}
	}
	r.Officers, r.Flags = Check(s.Norms, shifts, from, to)
	return r, nil
}

// Check counts the distinct officers of shifts and flags every shift of
// every day in [from, to] staffed otherwise than the norm, and a rota with
// fewer officers than the norm.
func Check(n Norms, shifts []Shift, from, to time.Time) (int, []Flag) {
	type slot struct {
		day   string
		shift int
	}
	count := map[slot]int{}
	officers := map[int64]bool{}
	for _, sh := range shifts {
		count[slot{sh.Date.Format("2006-01-02"), sh.Shift}]++
		officers[sh.UserID] = true
	}
	flags := []Flag{}
	if len(officers) < n.OfficersPerCommunity {
		flags = append(flags, Flag{Reason: "officers_below_norm", Count: len(officers), Want: n.OfficersPerCommunity})
	}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		day := d.Format("2006-01-02")
		for k := 1; k <= n.ShiftsPerDay; k++ {
			c := count[slot{day, k}]
			switch {
			case c < n.PerShift:
				flags = append(flags, Flag{Reason: "shift_understaffed", Date: day, Shift: k, Count: c, Want: n.PerShift})
			case c > n.PerShift:
				flags = append(flags, Flag{Reason: "shift_overstaffed", Date: day, Shift: k, Count: c, Want: n.PerShift})
			}
		}
	}
	return len(officers), flags
}

// String describes a shift for logs.
func (sh Shift) String() string {
	return fmt.Sprintf("%s %s shift %d: %s", sh.Community, sh.Date.Format("2006-01-02"), sh.Shift, sh.Username)
}
