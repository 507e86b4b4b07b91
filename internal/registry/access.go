package registry

import (
	"context"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/spatial/crs"
)

// Who may change grids: admin anywhere (new roots included), a center
// under its scope (auth.Principal.CanEditGrids). The methods below take
// the caller and apply that rule; the plain Import, Edit and Update are
// for commands run by the operator.

// RequirePlanner refuses p unless it may import, edit or plan grids under
// code ("" for a new root).
func (s *Service) RequirePlanner(p *auth.Principal, code string) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	if !p.CanEditGrids(s.Cards.Tree(), code) {
		return errs.Forbiddenf("you may not edit or plan grids under %s", code)
	}
	return nil
}

// CanEdit returns p's grid-editing rule (asked for a parent or grid code).
func (s *Service) CanEdit(p *auth.Principal) func(string) bool {
	t := s.Cards.Tree()
	return func(code string) bool { return p.CanEditGrids(t, code) }
}

// ImportFor imports grids as p: every feature's parent must be one p may
// edit.
func (s *Service) ImportFor(ctx context.Context, p *auth.Principal, data []byte, opts ImportOptions) (*ImportReport, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	opts.CanEdit = s.CanEdit(p)
	return s.Import(ctx, data, opts)
}

// EditFor applies a multi-grid edit as p.
func (s *Service) EditFor(ctx context.Context, p *auth.Principal, req EditRequest) (*EditResult, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	req.CanEdit = s.CanEdit(p)
	return s.Edit(ctx, req)
}

// UpdateFor changes grid code as p, who must be allowed to edit it and,
// when it moves, its new parent.
func (s *Service) UpdateFor(ctx context.Context, p *auth.Principal, code string, upd GridUpdate, sys crs.System, gopts GuardOptions) (*Grid, error) {
	can := s.CanEdit(p)
	if !can(code) {
		return nil, errs.Forbiddenf("you may not edit grid %s", code)
	}
	if upd.ParentCode != nil && !can(*upd.ParentCode) {
		return nil, errs.Forbiddenf("you may not move grid %s under %s", code, *upd.ParentCode)
	}
	return s.Update(ctx, code, upd, sys, gopts)
}

// CarveFor carves a new grid out of req.Code as p.
func (s *Service) CarveFor(ctx context.Context, p *auth.Principal, req CarveRequest) (*EditResult, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	req.CanEdit = s.CanEdit(p)
	return s.Carve(ctx, req)
}
