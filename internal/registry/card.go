package registry

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
)

// Card is one grid with what its page shows: the parent chain, the people
// assigned on the day, and (for the current version) the register counts.
type Card struct {
	Grid    *Grid
	Parents []*Grid
	People  []*people.Assignment
	Counts  any // the register counts of the grid; nil when not asked or as of a past time
}

// CardSources are what a card reads besides the grids.
type CardSources struct {
	People interface {
		FindAssignments(ctx context.Context, f people.AssignmentFilter) ([]*people.Assignment, error)
	}
	// Counts returns a grid's register counts (nil: none shown).
	Counts func(ctx context.Context, code string) (any, error)
	// Tree returns the current grid hierarchy (access checks).
	Tree func() auth.Hierarchy
}

// Card returns grid code as of at (nil: now) if p may read it.
func (s *Service) Card(ctx context.Context, p *auth.Principal, code string, at *time.Time) (*Card, error) {
	if !p.CanReadGrid(s.Cards.Tree(), code) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", code)
	}
	g, err := s.Store.FindGridByCode(ctx, code, at)
	if err != nil {
		return nil, err
	}
	chain, err := s.Store.GridAncestors(ctx, code, at)
	if err != nil {
		return nil, err
	}
	on := s.Now()
	if at != nil {
		on = *at
	}
	on = on.In(workday.Shanghai())
	day := time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
	as, err := s.Cards.People.FindAssignments(ctx, people.AssignmentFilter{GridCode: &code, On: &day})
	if err != nil {
		return nil, err
	}
	c := &Card{Grid: g, Parents: chain, People: as}
	if s.Cards.Counts != nil && at == nil {
		if c.Counts, err = s.Cards.Counts(ctx, code); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Children returns the children of grid code as of at (nil: now) if p
// may read it; NotFound when there is no such grid then.
func (s *Service) Children(ctx context.Context, p *auth.Principal, code string, at *time.Time) ([]*Grid, error) {
	if !p.CanReadGrid(s.Cards.Tree(), code) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", code)
	}
	if _, err := s.Store.FindGridByCode(ctx, code, at); err != nil {
		return nil, err
	}
	return s.Store.FindGrids(ctx, GridFilter{Parent: &code, AsOf: at, Limit: 100000})
}
