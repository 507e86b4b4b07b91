package planning

import (
	"context"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/registry"
)

// Division proposals are for those who may edit grids under the parent
// (registry.Service.RequirePlanner: admin, or a center over it).

// ProposeFor computes and stores a proposal for r.Parent as p.
func (s *Service) ProposeFor(ctx context.Context, p *auth.Principal, r Request) (*Proposal, error) {
	if err := s.Registry.RequirePlanner(p, r.Parent); err != nil {
		return nil, err
	}
	return s.Propose(ctx, r, p.User.Username, nil)
}

// FindFor returns proposal id of parent as p.
func (s *Service) FindFor(ctx context.Context, p *auth.Principal, parent string, id int64) (*Proposal, error) {
	if err := s.Registry.RequirePlanner(p, parent); err != nil {
		return nil, err
	}
	return s.Find(ctx, id, func(pc string) bool { return pc == parent })
}

// ApplyFor applies proposal id of parent as p (see Apply).
func (s *Service) ApplyFor(ctx context.Context, p *auth.Principal, parent string, id int64, ifMatch int) (*registry.EditResult, error) {
	if err := s.Registry.RequirePlanner(p, parent); err != nil {
		return nil, err
	}
	return s.Apply(ctx, id, parent, ifMatch, s.Registry.CanEdit(p))
}
