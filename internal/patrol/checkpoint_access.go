package patrol

import (
	"context"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// Who may reach the checkpoint layer (关键点位): everyone but departments
// reads the checkpoints of the grids it may read (a caller with a scope
// never those outside every grid); admin and the center (within its scope)
// create, edit and delete them; only an admin places one outside every grid.

func (s *Service) canReadCheckpoint(p *auth.Principal, c *Checkpoint) bool {
	if p.Role() == people.RoleDepartment {
		return false
	}
	if p.GridScope() == nil {
		return true
	}
	return c.GridCode != "" && p.CanReadGrid(s.Tree(), c.GridCode)
}

// CheckpointsFor lists the checkpoints p may read.
func (s *Service) CheckpointsFor(ctx context.Context, p *auth.Principal) ([]*Checkpoint, error) {
	if p.Role() == people.RoleDepartment {
		return nil, errs.Forbiddenf("role department may not read checkpoints")
	}
	all, err := s.Store.FindCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	out := []*Checkpoint{}
	for _, c := range all {
		if s.canReadCheckpoint(p, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// CheckpointFor returns checkpoint id when p may read it.
func (s *Service) CheckpointFor(ctx context.Context, p *auth.Principal, id int64) (*Checkpoint, error) {
	c, err := s.Store.FindCheckpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.canReadCheckpoint(p, c) {
		return nil, errs.Forbiddenf("checkpoint %d is outside your scope", id)
	}
	return c, nil
}

// mayPlace refuses p placing a checkpoint in grid ("" outside every grid).
func (s *Service) mayPlace(p *auth.Principal, grid string) error {
	if p.CanEditGrids(s.Tree(), grid) {
		return nil
	}
	if grid == "" {
		return errs.E(errs.Forbidden, "outside_grids", "the point is outside every grid; only an admin may place it there")
	}
	return errs.Forbiddenf("grid %s is outside your scope", grid)
}

// editable returns checkpoint id when p may edit it.
func (s *Service) editable(ctx context.Context, p *auth.Principal, id int64) (*Checkpoint, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	old, err := s.CheckpointFor(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !p.CanEditGrids(s.Tree(), old.GridCode) {
		return nil, errs.Forbiddenf("checkpoint %d is outside your scope", old.ID)
	}
	return old, nil
}

// CreateCheckpoint stores c (its grid found by the caller) as p.
func (s *Service) CreateCheckpoint(ctx context.Context, p *auth.Principal, c *Checkpoint) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	if err := s.mayPlace(p, c.GridCode); err != nil {
		return err
	}
	return s.Store.CreateCheckpoint(ctx, c)
}

// UpdateCheckpoint replaces checkpoint id by c as p: p must be allowed to
// edit both where it was and where it goes.
func (s *Service) UpdateCheckpoint(ctx context.Context, p *auth.Principal, id int64, c *Checkpoint) error {
	old, err := s.editable(ctx, p, id)
	if err != nil {
		return err
	}
	if err := s.mayPlace(p, c.GridCode); err != nil {
		return err
	}
	c.ID = old.ID
	return s.Store.UpdateCheckpoint(ctx, c)
}

// DeleteCheckpoint removes checkpoint id as p.
func (s *Service) DeleteCheckpoint(ctx context.Context, p *auth.Principal, id int64) error {
	c, err := s.editable(ctx, p, id)
	if err != nil {
		return err
	}
	return s.Store.DeleteCheckpoint(ctx, c.ID)
}
