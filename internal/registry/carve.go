package registry

import (
	"context"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// CarveRequest carves a new grid out of an existing one: the polygon drawn
// inside grid Code becomes a new sibling (numbered like a split), and Code
// loses that area. Both are written as one multi-grid edit, so the
// topology guard, the version check and the carry-over apply unchanged.
type CarveRequest struct {
	Code     string
	Version  int // Code's current version (its ETag)
	Name     string
	Geometry orb.MultiPolygon
	CRS      crs.System
	DryRun   bool
	CanEdit  func(code string) bool
}

// CarveToleranceM2 is how much of the drawn polygon may lie outside the
// grid (a traced boundary a little off the grid's own): the part outside
// is left out. More is refused (422 carve_outside_grid).
const CarveToleranceM2 = 1.0

// Carve validates req and runs it as an edit of Code (the rest of its
// area) and a new grid (the drawn polygon clipped to Code). A polygon that
// leaves nothing of Code is refused (422 carve_whole_grid): rename the
// grid instead.
func (s *Service) Carve(ctx context.Context, req CarveRequest) (*EditResult, error) {
	if req.Name == "" {
		return nil, errs.Invalidf("name", "name_required", "name the new grid")
	}
	if req.Version < 1 {
		return nil, errs.Invalidf("version", "version_required", "send grid %s's current version (its ETag)", req.Code)
	}
	norm, probs := ValidateGeometry(toWGS84(req.CRS, req.Geometry), s.Limits)
	if len(probs) > 0 {
		e := errs.E(errs.Invalid, "invalid_geometry", "the carved polygon is not valid (first %s: %s)", probs[0].Field, probs[0].Detail)
		e.Fields = probs
		return nil, e
	}
	if req.CanEdit != nil && !req.CanEdit(req.Code) {
		return nil, errs.Forbiddenf("you may not edit grid %s", req.Code)
	}
	cur, err := s.Store.FindGridByCode(ctx, req.Code, nil)
	if err != nil {
		return nil, err
	}
	if cur.ParentCode == "" {
		return nil, errs.E(errs.Unprocessable, "carve_root", "grid %s has no parent: a carved grid would be a second root", req.Code)
	}
	c, err := s.Store.CarveGeometry(ctx, cur.Geometry, norm)
	if err != nil {
		return nil, err
	}
	if c.OutsideM2 > CarveToleranceM2 {
		return nil, errs.E(errs.Unprocessable, "carve_outside_grid", "%.0f m² of the polygon lie outside grid %s; draw it inside the grid", c.OutsideM2, req.Code).
			WithFields(errs.Field{Field: "geometry", Reason: "carve_outside_grid", Code: req.Code})
	}
	if len(c.Inside) == 0 {
		return nil, errs.E(errs.Unprocessable, "carve_empty", "the polygon covers none of grid %s", req.Code).
			WithFields(errs.Field{Field: "geometry", Reason: "carve_empty", Code: req.Code})
	}
	if len(c.Rest) == 0 {
		return nil, errs.E(errs.Unprocessable, "carve_whole_grid", "the polygon covers all of grid %s; rename the grid instead", req.Code).
			WithFields(errs.Field{Field: "geometry", Reason: "carve_whole_grid", Code: req.Code})
	}
	name := req.Name
	return s.Edit(ctx, EditRequest{DryRun: req.DryRun, CanEdit: req.CanEdit, Edits: []EditInput{
		{Code: req.Code, Version: req.Version, Geometry: &c.Rest},
		{ParentCode: cur.ParentCode, Name: &name, Geometry: &c.Inside},
	}})
}

// Carved is a grid's geometry split by a drawn polygon.
type Carved struct {
	Rest      orb.MultiPolygon // the grid less the polygon (empty: nothing left)
	Inside    orb.MultiPolygon // the polygon clipped to the grid
	OutsideM2 float64          // spheroidal area of the polygon outside the grid
}
