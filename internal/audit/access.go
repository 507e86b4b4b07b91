package audit

import (
	"context"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// AuditFor runs the topology audit of parent for p: admin, center and
// viewer, within their scope. Without a parent a scoped caller audits its
// one scope root. tree is the current grid hierarchy.
func (t *Topology) AuditFor(ctx context.Context, p *auth.Principal, tree auth.Hierarchy, parent string, sliverM2 float64) (*TopologyReport, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer); err != nil {
		return nil, err
	}
	if parent == "" {
		if scope := p.GridScope(); scope != nil {
			if len(scope) != 1 {
				return nil, errs.Invalidf("parent", "parent_required", "name the parent grid to audit")
			}
			parent = scope[0]
		}
	}
	if parent != "" && !p.CanReadGrid(tree, parent) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", parent)
	}
	return t.Audit(ctx, parent, sliverM2)
}
