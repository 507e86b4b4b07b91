package registers

import (
	"context"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// Access decides who may read and write register records and key-person
// files, and records sensitive reads — answered and refused — in the
// audit log. The services own it so that no handler or command can reach
// personal data around it.
//
// Reads: admin and department-less roles with no scope read everything;
// a center or viewer reads its scope, a worker its own grids. A record
// outside every grid is visible only to callers without a scope. Personal
// registers (people, key persons) are refused to viewers and departments.
// Writes: admin anywhere, a center in its scope, a worker in its grids.
type Access struct {
	// Tree returns the current grid hierarchy.
	Tree func() auth.Hierarchy
	// Audit records sensitive reads; nil refuses them (no audit, no read).
	Audit auditlog.Recorder
}

// personalRoles may read personal registers.
var personalRoles = []people.Role{people.RoleAdmin, people.RoleCenter, people.RoleWorker}

// CanRead reports whether p may read a record of grid ("" = outside every
// grid).
func (a *Access) CanRead(p *auth.Principal, grid string) bool {
	if p.GridScope() == nil {
		return true
	}
	return grid != "" && p.CanReadGrid(a.Tree(), grid)
}

// CanWrite returns who may write records of a grid as p.
func (a *Access) CanWrite(p *auth.Principal) CanWrite {
	return func(grid string) bool {
		switch p.Role() {
		case people.RoleAdmin:
			return true
		case people.RoleCenter:
			return a.CanRead(p, grid)
		case people.RoleWorker:
			return grid != "" && p.CanReadGrid(a.Tree(), grid)
		}
		return false
	}
}

// requireWriter refuses roles that never write records.
func requireWriter(p *auth.Principal) error {
	return p.RequireRole(personalRoles...)
}

// audit records a sensitive read of object by p: status 200 answered,
// 403 refused.
func (a *Access) audit(ctx context.Context, p *auth.Principal, action, object, grid, reason string, status int) error {
	if a.Audit == nil {
		return errs.E(errs.Internal, "audit_unavailable", "the audit log is not configured")
	}
	actor := auditlog.Actor{ID: p.User.ID, Username: p.User.Username, Role: string(p.User.Role)}
	return a.Audit.Record(ctx, auditlog.Access(ctx, actor, action, object, grid, reason, status))
}

// refuse records a refused sensitive read and returns refusal (or the
// audit failure, which must not be swallowed).
func (a *Access) refuse(ctx context.Context, p *auth.Principal, action, object, grid string, refusal error) error {
	if err := a.audit(ctx, p, action, object, grid, "", 403); err != nil {
		return err
	}
	return refusal
}

// requirePersonal refuses p personal registers unless its role needs
// them; the refusal is audited.
func (a *Access) requirePersonal(ctx context.Context, p *auth.Principal, action, object string) error {
	if err := p.RequireRole(personalRoles...); err != nil {
		return a.refuse(ctx, p, action, object, "", err)
	}
	return nil
}

// ScopeFilter narrows f to what p may read and checks an explicit grid.
func (a *Access) scopeGrid(p *auth.Principal, grid *string) ([]string, error) {
	if grid != nil && *grid != "" && !p.CanReadGrid(a.Tree(), *grid) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", *grid)
	}
	return p.GridScope(), nil
}
