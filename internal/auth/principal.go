package auth

import (
	"slices"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// Principal is an authenticated user with what it may reach.
type Principal struct {
	User *people.User
	// Grids are a worker's grids today (as worker or head).
	Grids []string

	scope  []string // GridScope, derived once by the service
	scoped bool
}

// Role returns the principal's role.
func (p *Principal) Role() people.Role { return p.User.Role }

// GridScope returns the roots of the grid subtrees p may read; nil means
// every grid. A worker's scope is its own grids; a department reads all
// grids (it is sent work anywhere). A principal from the service (and its
// cache) carries it derived once; one built by hand derives it per call.
func (p *Principal) GridScope() []string {
	if p.scoped {
		return p.scope
	}
	return p.gridScope()
}

func (p *Principal) gridScope() []string {
	switch p.User.Role {
	case people.RoleAdmin, people.RoleDepartment:
		return nil
	case people.RoleCenter, people.RoleViewer:
		if p.User.ScopeCode == "" {
			return nil
		}
		return []string{p.User.ScopeCode}
	case people.RoleWorker:
		if p.Grids == nil {
			return []string{}
		}
		return p.Grids
	}
	return []string{}
}

// CanReadGrid reports whether p may read grid code.
func (p *Principal) CanReadGrid(h Hierarchy, code string) bool {
	scope := p.GridScope()
	if scope == nil {
		return true
	}
	for _, root := range scope {
		if code == root || h.IsWithin(code, root) {
			return true
		}
	}
	return false
}

// CanEditGrids reports whether p may import or edit grids under code
// ("" for a new root).
func (p *Principal) CanEditGrids(h Hierarchy, code string) bool {
	switch p.User.Role {
	case people.RoleAdmin:
		return true
	case people.RoleCenter:
		return code != "" && p.CanReadGrid(h, code)
	}
	return false
}

// RequireRole returns Forbidden unless p has one of roles.
func (p *Principal) RequireRole(roles ...people.Role) error {
	if slices.Contains(roles, p.User.Role) {
		return nil
	}
	return errs.Forbiddenf("role %s may not do this", p.User.Role)
}

// Operator is the principal of a command run on the server by its
// operator (gridd's CLI, the demo loader): an admin named "operator", with
// no user row. Services apply their rules to it like to anyone else.
func Operator() *Principal {
	return &Principal{User: &people.User{Role: people.RoleAdmin, Username: "operator", Name: "operator"}}
}
