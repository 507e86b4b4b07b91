package patrol

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// Who may reach patrol data: a worker its own track; admin and center any
// worker's (a center within its scope); a viewer reads (never uploads)
// tracks of workers in its scope. The patrol audit and the per-grid
// measure options are for admin, center and viewer (options are set by
// admin and center), each within its scope.

// Worker resolves the worker named username and checks that p may upload
// (write) or read its track.
func (s *Service) Worker(ctx context.Context, p *auth.Principal, username string, write bool) (*people.User, error) {
	if username == "" {
		return nil, errs.Invalidf("worker", "worker_required", "name the worker (its username)")
	}
	if p.User != nil && username == p.User.Username {
		// One's own track: the caller's user is in memory (the principal).
		if p.User.Role != people.RoleWorker {
			return nil, errs.E(errs.Unprocessable, "not_a_worker", "user %s is not a grid worker", username)
		}
		return p.User, nil
	}
	u, err := s.People.FindUserByUsername(ctx, username)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			if p.Role() == people.RoleWorker && p.User.Username != username {
				return nil, errs.Forbiddenf("a worker may only upload or read its own track")
			}
			return nil, errs.NotFoundf("worker %s not found", username)
		}
		return nil, err
	}
	if u.ID == p.User.ID {
		if u.Role != people.RoleWorker {
			return nil, errs.E(errs.Unprocessable, "not_a_worker", "user %s is not a grid worker", username)
		}
		return u, nil
	}
	switch p.Role() {
	case people.RoleAdmin:
	case people.RoleCenter:
	case people.RoleViewer:
		if write {
			return nil, errs.Forbiddenf("role viewer may not upload tracks")
		}
	default:
		return nil, errs.Forbiddenf("a %s may only upload or read its own track", p.Role())
	}
	if u.Role != people.RoleWorker {
		return nil, errs.E(errs.Unprocessable, "not_a_worker", "user %s is not a grid worker", username)
	}
	if p.GridScope() != nil {
		on := civil(s.now().In(s.Loc))
		role := people.GridWorker
		as, err := s.People.FindAssignments(ctx, people.AssignmentFilter{UserID: &u.ID, Role: &role, On: &on})
		if err != nil {
			return nil, err
		}
		ok := false
		for _, a := range as {
			ok = ok || p.CanReadGrid(s.Tree(), a.GridCode)
		}
		if !ok {
			return nil, errs.Forbiddenf("worker %s works outside your scope", username)
		}
	}
	return u, nil
}

// AuditFor runs the monthly coverage audit of parent for p (admin,
// center, viewer). Without a parent a scoped caller audits its one scope
// root.
func (s *Service) AuditFor(ctx context.Context, p *auth.Principal, month time.Time, parent string, opt AuditOptions) (*Audit, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer); err != nil {
		return nil, err
	}
	if parent == "" {
		if scope := p.GridScope(); scope != nil {
			if len(scope) != 1 {
				return nil, errs.Invalidf("parent", "parent_required", "name the grid to audit (parent=CODE)")
			}
			parent = scope[0]
		}
	}
	if parent != "" && !p.CanReadGrid(s.Tree(), parent) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", parent)
	}
	return s.Audit(ctx, month, parent, opt)
}

// GridOptionsFor returns the measure options of the grids p may read
// (admin, center, viewer).
func (s *Service) GridOptionsFor(ctx context.Context, p *auth.Principal) ([]GridOption, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer); err != nil {
		return nil, err
	}
	m, err := s.GridOptions(ctx)
	if err != nil {
		return nil, err
	}
	var out []GridOption
	for _, o := range m {
		if p.CanReadGrid(s.Tree(), o.GridCode) {
			out = append(out, o)
		}
	}
	return out, nil
}

// SetGridOptionFor sets a grid's measure option as p (admin, or a center
// over the grid) and returns the stored option.
func (s *Service) SetGridOptionFor(ctx context.Context, p *auth.Principal, o GridOption) (GridOption, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return GridOption{}, err
	}
	if !p.CanReadGrid(s.Tree(), o.GridCode) {
		return GridOption{}, errs.Forbiddenf("grid %s is outside your scope", o.GridCode)
	}
	o.UpdatedBy = p.User.ID
	if err := s.SetGridOption(ctx, o); err != nil {
		return GridOption{}, err
	}
	m, err := s.GridOptions(ctx)
	if err != nil {
		return GridOption{}, err
	}
	return m[o.GridCode], nil
}
