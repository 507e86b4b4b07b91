package layers

import (
	"context"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/people"
)

// ImportFor replaces a routing layer as p (admin or center: the layers
// route cases everywhere).
func (s *Service) ImportFor(ctx context.Context, p *auth.Principal, layer Layer, data []byte, opts ImportOptions) (*ImportReport, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	return s.Import(ctx, layer, data, opts)
}
