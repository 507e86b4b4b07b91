// Package responsibility is 包户到人: each household, business or place of a
// grid is answered for by one member of the grid's "1+N" team over a span of
// dates, and anyone may ask who answers for an address or a point. The
// public answer is deliberately small: the grid (code and name), the name of
// the grid's worker, the name of the team member who answers for the
// address when one is assigned, and for each the contact the district chose
// to publish (none unless published) — never a phone number from the
// registers, an ID number, a household or any other record.
//
// Spans are civil dates in Asia/Shanghai, ValidTo exclusive. A target has
// one responsible member at a time: a new assignment starting after the
// start of an open-ended one ends that one on its first day (a hand-over);
// any other overlap is a Conflict.
package responsibility

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
)

// TargetKinds are the register kinds a team member may answer for.
var TargetKinds = []string{"household", "business", "place"}

// Target is a register record someone may answer for.
type Target struct {
	Kind     string
	ID       int64
	Name     string
	Address  string
	GridCode string // "" = outside every grid
	Point    *orb.Point
}

// Assignment is one member answering for one target over [ValidFrom, ValidTo).
type Assignment struct {
	ID            int64
	TargetKind    string
	TargetID      int64
	TargetName    string
	TargetAddress string
	GridCode      string
	UserID        int64
	Username      string
	Name          string
	ValidFrom     workday.Date
	ValidTo       *workday.Date
	CreatedBy     int64
	CreatedAt     time.Time
}

// Input is a new assignment as a client sends it.
type Input struct {
	TargetKind string
	TargetID   int64
	Username   string
	ValidFrom  string // YYYY-MM-DD; "" = today
	ValidTo    string // YYYY-MM-DD, exclusive; "" = open-ended
}

// Filter selects assignments; nil fields do not filter.
type Filter struct {
	GridCodes []string // the targets' grids (nil: any)
	UserID    *int64
	On        *workday.Date // valid on that date
}

// AddressMatch is a register record found by its address, with who
// answers for it on the day asked (ResponsibleID 0: nobody assigned).
type AddressMatch struct {
	GridCode      string
	ResponsibleID int64
}

// Store is what this package needs from the database.
type Store interface {
	// FindTarget returns a household, business or place, or NotFound.
	FindTarget(ctx context.Context, kind string, id int64) (*Target, error)
	// CreateResponsibility stores a, ending an open-ended earlier one of
	// the same target on a.ValidFrom; Conflict on any other overlap.
	CreateResponsibility(ctx context.Context, a *Assignment) error
	FindResponsibilities(ctx context.Context, f Filter) ([]*Assignment, error)
	// FindByAddress lists the located records whose address equals
	// address (after collapsing white space), with who answers on day.
	FindByAddress(ctx context.Context, address string, day workday.Date) ([]AddressMatch, error)
	// PublicContact returns the contact published for a user ("" when none).
	PublicContact(ctx context.Context, userID int64) (string, error)
	// SetPublicContact publishes contact for a user ("" withdraws it).
	SetPublicContact(ctx context.Context, userID int64, contact string, by int64) error
}

// Hierarchy answers subtree questions (the grid tree).
type Hierarchy = auth.Hierarchy

// Service assigns responsibilities and answers the public lookup.
type Service struct {
	Store  Store
	People people.Store
	Tree   func() Hierarchy
	// Locate returns the basic grid containing pt ("" when none) with its name.
	Locate func(ctx context.Context, pt orb.Point) (code, name string, err error)
	// GridName returns a grid's name.
	GridName func(ctx context.Context, code string) (string, error)
	Now      func() time.Time
}

func (s *Service) today() workday.Date {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return workday.DateOf(now())
}

func parseDate(field, v string) (workday.Date, error) {
	d, err := workday.ParseDate(v)
	if err != nil {
		return d, errs.Invalidf(field, "invalid_date", "want a date YYYY-MM-DD, got %q", v)
	}
	return d, nil
}

func validKind(k string) bool {
	for _, t := range TargetKinds {
		if t == k {
			return true
		}
	}
	return false
}

// Assign makes a team member of the target's grid answer for it. Admin,
// or a center whose scope holds the target's grid.
func (s *Service) Assign(ctx context.Context, p *auth.Principal, in Input) (*Assignment, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	var bad []errs.Field
	if !validKind(in.TargetKind) {
		bad = append(bad, errs.Field{Field: "target.kind", Reason: "invalid_target_kind", Detail: "want household, business or place"})
	}
	if in.TargetID <= 0 {
		bad = append(bad, errs.Field{Field: "target.id", Reason: "invalid_id", Detail: "want the register record's positive id"})
	}
	if strings.TrimSpace(in.Username) == "" {
		bad = append(bad, errs.Field{Field: "username", Reason: "username_required", Detail: "name the team member who answers for the target"})
	}
	from := s.today()
	if in.ValidFrom != "" {
		d, err := parseDate("valid_from", in.ValidFrom)
		if err != nil {
			bad = append(bad, err.(*errs.Error).Fields...)
		}
		from = d
	}
	var to *workday.Date
	if in.ValidTo != "" {
		d, err := parseDate("valid_to", in.ValidTo)
		if err != nil {
			bad = append(bad, err.(*errs.Error).Fields...)
		} else if from.IsValid() && !d.After(from) {
			bad = append(bad, errs.Field{Field: "valid_to", Reason: "invalid_span", Detail: "valid_to (exclusive) must come after valid_from"})
		} else {
			to = &d
		}
	}
	if len(bad) > 0 {
		return nil, errs.E(errs.Invalid, "invalid_responsibility", "%s: %s", bad[0].Field, bad[0].Detail).WithFields(bad...)
	}
	t, err := s.Store.FindTarget(ctx, in.TargetKind, in.TargetID)
	if err != nil {
		return nil, err
	}
	if t.GridCode == "" {
		return nil, errs.E(errs.Unprocessable, "target_outside_grids", "%s %d lies outside every grid: correct its location first", t.Kind, t.ID).
			WithFields(errs.Field{Field: "target.id", Reason: "target_outside_grids", Detail: "the record is not in any grid"})
	}
	if !p.CanReadGrid(s.Tree(), t.GridCode) {
		return nil, errs.Forbiddenf("%s %d lies in grid %s, outside your scope", t.Kind, t.ID, t.GridCode)
	}
	u, err := s.People.FindUserByUsername(ctx, in.Username)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.Invalidf("username", "unknown_user", "no user %q", in.Username)
		}
		return nil, err
	}
	day := from.Start()
	as, err := s.People.FindAssignments(ctx, people.AssignmentFilter{GridCode: &t.GridCode, UserID: &u.ID, On: &day})
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, errs.E(errs.Unprocessable, "not_team_member", "%s is not on the team of grid %s on %s: assign them to the grid first", u.Username, t.GridCode, from).
			WithFields(errs.Field{Field: "username", Reason: "not_team_member", Detail: "want a member of the target grid's 1+N team on valid_from"})
	}
	a := &Assignment{TargetKind: t.Kind, TargetID: t.ID, TargetName: t.Name, TargetAddress: t.Address, GridCode: t.GridCode,
		UserID: u.ID, Username: u.Username, Name: u.Name, ValidFrom: from, ValidTo: to, CreatedBy: p.User.ID}
	if err := s.Store.CreateResponsibility(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// List returns the assignments the caller may read: a worker those of its
// grids, a center those of its subtree (department: 403).
func (s *Service) List(ctx context.Context, p *auth.Principal, grid, username string, on *workday.Date) ([]*Assignment, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker); err != nil {
		return nil, err
	}
	f := Filter{On: on}
	h := s.Tree()
	if grid != "" {
		if !p.CanReadGrid(h, grid) {
			return nil, errs.Forbiddenf("grid %s is outside your scope", grid)
		}
	}
	if username != "" {
		u, err := s.People.FindUserByUsername(ctx, username)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return nil, errs.Invalidf("worker", "unknown_user", "no user %q", username)
			}
			return nil, err
		}
		f.UserID = &u.ID
	}
	rows, err := s.Store.FindResponsibilities(ctx, f)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, a := range rows {
		if grid != "" && a.GridCode != grid && !h.IsWithin(a.GridCode, grid) {
			continue
		}
		if p.CanReadGrid(h, a.GridCode) {
			out = append(out, a)
		}
	}
	return out, nil
}

// SetPublicContact publishes (or, with "", withdraws) the contact shown
// for a user by the public lookup: admin, or a center whose scope holds one
// of the user's grids today.
func (s *Service) SetPublicContact(ctx context.Context, p *auth.Principal, username, contact string) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	contact = strings.TrimSpace(contact)
	if utf8.RuneCountInString(contact) > 100 {
		return errs.Invalidf("contact", "contact_too_long", "at most 100 characters")
	}
	u, err := s.People.FindUserByUsername(ctx, username)
	if err != nil {
		return err
	}
	if p.User.Role != people.RoleAdmin {
		day := s.today().Start()
		as, err := s.People.FindAssignments(ctx, people.AssignmentFilter{UserID: &u.ID, On: &day})
		if err != nil {
			return err
		}
		ok := false
		for _, a := range as {
			ok = ok || p.CanReadGrid(s.Tree(), a.GridCode)
		}
		if !ok {
			return errs.Forbiddenf("%s holds no grid in your scope", username)
		}
	}
	return s.Store.SetPublicContact(ctx, u.ID, contact, p.User.ID)
}

// Person is a name with its published contact ("" when none).
type Person struct {
	Name    string
	Contact string
}

// Answer is the public lookup's whole answer.
type Answer struct {
	GridCode string
	GridName string
	Worker   *Person // the grid's worker (网格员) today; nil when none
	// Responsible is the team member answering for the address (address
	// lookups only; nil when nobody is assigned).
	Responsible *Person
}

// MaxAddress bounds an address asked for.
const MaxAddress = 200

// NormalizeAddress collapses white space; addresses are compared in this form.
func NormalizeAddress(a string) string { return strings.Join(strings.Fields(a), " ") }

// WhoAnswersAt answers for a point (WGS84).
func (s *Service) WhoAnswersAt(ctx context.Context, pt orb.Point) (*Answer, error) {
	code, name, err := s.Locate(ctx, pt)
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, errs.NotFoundf("no grid covers this point")
	}
	a := &Answer{GridCode: code, GridName: name}
	a.Worker, err = s.gridWorker(ctx, code)
	return a, err
}

// WhoAnswersFor answers for an address as recorded in the registers
// (compared after collapsing white space). An address found in more than
// one grid is Unprocessable: the caller should ask by point.
func (s *Service) WhoAnswersFor(ctx context.Context, address string) (*Answer, error) {
	address = NormalizeAddress(address)
	if address == "" {
		return nil, errs.Invalidf("address", "address_required", "give an address or lon and lat")
	}
	if utf8.RuneCountInString(address) > MaxAddress {
		return nil, errs.Invalidf("address", "address_too_long", "at most %d characters", MaxAddress)
	}
	ms, err := s.Store.FindByAddress(ctx, address, s.today())
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, errs.NotFoundf("no record has this address")
	}
	var resp int64
	for _, m := range ms {
		if m.GridCode != ms[0].GridCode {
			return nil, errs.E(errs.Unprocessable, "address_ambiguous", "this address is recorded in more than one grid: ask by point (lon, lat)").
				WithFields(errs.Field{Field: "address", Reason: "address_ambiguous", Detail: "ask by lon and lat instead"})
		}
		if m.ResponsibleID != 0 {
			if resp != 0 && resp != m.ResponsibleID {
				resp = -1
			} else if resp == 0 {
				resp = m.ResponsibleID
			}
		}
	}
	a := &Answer{GridCode: ms[0].GridCode}
	if a.GridName, err = s.GridName(ctx, a.GridCode); err != nil {
		return nil, err
	}
	if a.Worker, err = s.gridWorker(ctx, a.GridCode); err != nil {
		return nil, err
	}
	if resp > 0 {
		if a.Responsible, err = s.person(ctx, resp); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (s *Service) gridWorker(ctx context.Context, code string) (*Person, error) {
	day := s.today().Start()
	role := people.GridWorker
	as, err := s.People.FindAssignments(ctx, people.AssignmentFilter{GridCode: &code, Role: &role, On: &day})
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return s.person(ctx, as[0].UserID)
}

func (s *Service) person(ctx context.Context, userID int64) (*Person, error) {
	u, err := s.People.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	c, err := s.Store.PublicContact(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &Person{Name: u.Name, Contact: c}, nil
}
