package auth

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// Tree is the grid hierarchy the directory's rules need.
type Tree interface {
	Hierarchy
	Has(code string) bool
}

// Directory is the users, departments and grid assignments as a caller
// may read and change them: admin and center list users; admin creates
// users and departments; everyone lists departments; who may read a grid
// lists its assignments; admin, and the center within its scope, assign
// people; admin and center end assignments.
type Directory struct {
	Store people.Store
	Tree  func() Tree
}

// Users lists every user to p (admin, center).
func (d *Directory) Users(ctx context.Context, p *Principal) ([]*people.User, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	return d.Store.FindUsers(ctx)
}

// CreateUser stores u as p (admin), with password (when not empty) checked
// against the policy and hashed.
func (d *Directory) CreateUser(ctx context.Context, p *Principal, u *people.User, password string) error {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	if password != "" {
		if err := CheckPassword(password, u.Username, u.Name, u.Phone); err != nil {
			return err
		}
		h, err := DefaultHasher.Hash(password)
		if err != nil {
			return err
		}
		u.PasswordHash = h
	}
	if u.ScopeCode != "" && !d.Tree().Has(u.ScopeCode) {
		return errs.Invalidf("scope_code", "grid_not_found", "grid %s does not exist", u.ScopeCode)
	}
	return d.Store.CreateUser(ctx, u)
}

// Departments lists the departments (anyone signed in).
func (d *Directory) Departments(ctx context.Context, p *Principal) ([]*people.Department, error) {
	return d.Store.FindDepartments(ctx)
}

// CreateDepartment stores dep as p (admin).
func (d *Directory) CreateDepartment(ctx context.Context, p *Principal, dep *people.Department) error {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	return d.Store.CreateDepartment(ctx, dep)
}

// Assignments lists who held which role in grid code (on a date when
// f.On is set) to p, who must be able to read the grid.
func (d *Directory) Assignments(ctx context.Context, p *Principal, code string, on *time.Time) ([]*people.Assignment, error) {
	if !p.CanReadGrid(d.Tree(), code) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", code)
	}
	return d.Store.FindAssignments(ctx, people.AssignmentFilter{GridCode: &code, On: on})
}

// mayAssign refuses p assigning people in grid code (admin; a center in
// its scope), and a grid that does not exist.
func (d *Directory) mayAssign(p *Principal, code string) error {
	if !p.CanEditGrids(d.Tree(), code) {
		return errs.Forbiddenf("you may not assign people in grid %s", code)
	}
	if !d.Tree().Has(code) {
		return errs.NotFoundf("grid %s not found", code)
	}
	return nil
}

// Assign stores a (its grid, role and dates set) for the user named
// username as p.
func (d *Directory) Assign(ctx context.Context, p *Principal, username string, a *people.Assignment) error {
	if err := d.mayAssign(p, a.GridCode); err != nil {
		return err
	}
	u, err := d.Store.FindUserByUsername(ctx, username)
	if errs.Is(err, errs.NotFound) {
		return errs.Invalidf("username", "user_not_found", "user %q does not exist", username)
	}
	if err != nil {
		return err
	}
	a.UserID, a.Username, a.Name = u.ID, u.Username, u.Name
	return d.Store.CreateAssignment(ctx, a)
}

// EndAssignment ends assignment id on a date as p: admin, or a center
// whose scope holds the assignment's grid (one outside it is not found).
func (d *Directory) EndAssignment(ctx context.Context, p *Principal, id int64, on time.Time) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	found, err := d.Store.FindAssignments(ctx, people.AssignmentFilter{ID: &id})
	if err != nil {
		return err
	}
	if len(found) == 0 || !p.CanEditGrids(d.Tree(), found[0].GridCode) {
		return errs.NotFoundf("open assignment %d not found", id)
	}
	return d.Store.EndAssignment(ctx, id, on)
}
