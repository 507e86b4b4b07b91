package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// MaxEdits bounds the grids of one multi-grid edit.
const MaxEdits = 500

// EditInput is one grid of a multi-grid edit (POST /api/v1/grids/edits).
type EditInput struct {
	// Code of an existing grid; "" creates a grid under ParentCode, numbered
	// like an import (west→east, north→south after the siblings' codes); a
	// code with Version 0 creates the grid with that code.
	Code string
	// Version is the grid's current version (its ETag); required for an
	// existing grid.
	Version    int
	Name       *string
	ParentCode string // for a new grid
	Geometry   *orb.MultiPolygon
	// End ends the grid (a merge): no new version; its area must be covered
	// by the other edits unless gaps are accepted.
	End bool
}

// EditRequest is a multi-grid edit: saved atomically, checked by the
// topology guard on the result as a whole.
type EditRequest struct {
	Edits      []EditInput
	AcceptGaps bool
	// DryRun checks versions and topology and writes nothing.
	DryRun bool
	CRS    crs.System
	// CanEdit is asked for each existing grid's code and each new grid's
	// parent code.
	CanEdit func(code string) bool
}

// EditResult is what an edit did, or would do on a dry run.
type EditResult struct {
	DryRun   bool
	Grids    []*Grid // the new versions (on a dry run: as they would be, unnumbered versions 0)
	Ended    []string
	Topology TopologyVerdict
	// Households is, on a dry run, each written grid's households now and
	// within its new geometry (new grids count none now).
	Households []HouseholdShift
	// CarryOver is what moves from ended grids to their successors (on a
	// dry run: what would move).
	CarryOver []CarryOver
}

// Edit validates and saves several grids in one transaction. One stale
// version refuses the whole edit (409 version_mismatch) and nothing is
// saved; so does the topology guard (see guard.go).
func (s *Service) Edit(ctx context.Context, req EditRequest) (*EditResult, error) {
	if len(req.Edits) == 0 {
		return nil, errs.Invalidf("edits", "edits_required", "send at least one edit")
	}
	if len(req.Edits) > MaxEdits {
		return nil, errs.E(errs.TooLarge, "too_many_edits", "at most %d grids per edit, got %d", MaxEdits, len(req.Edits))
	}
	var probs []errs.Field
	bad := func(i int, field, reason, format string, args ...any) {
		probs = append(probs, errs.Field{Field: fmt.Sprintf("edits[%d].%s", i, field), Index: &i, Reason: reason, Detail: fmt.Sprintf(format, args...)})
	}
	seen := map[string]bool{}
	writes := make([]GridWrite, len(req.Edits))
	var fresh []Feature
	siblings := map[string][]string{}
	for i, e := range req.Edits {
		if e.Geometry != nil {
			norm, gp := ValidateGeometry(toWGS84(req.CRS, *e.Geometry), s.Limits)
			for _, p := range gp {
				p.Field = fmt.Sprintf("edits[%d].%s", i, p.Field)
				p.Index = &i
				probs = append(probs, p)
			}
			if len(gp) > 0 {
				continue
			}
			e.Geometry = &norm
		}
		if e.Name != nil && *e.Name == "" {
			bad(i, "name", "name_required", "the name must not be empty")
			continue
		}
		if e.Code != "" && e.Version == 0 && !e.End {
			_, err := s.Store.FindGridByCode(ctx, e.Code, nil)
			if err == nil {
				bad(i, "version", "version_required", "grid %s exists: send its current version (its ETag)", e.Code)
				continue
			}
			if !errs.Is(err, errs.NotFound) {
				return nil, err
			}
		}
		if e.Code == "" || (e.Version == 0 && !e.End) {
			if e.End || e.Version != 0 {
				bad(i, "code", "code_required", "ending or versioning a grid needs its code")
				continue
			}
			if e.ParentCode == "" || e.Geometry == nil || e.Name == nil {
				bad(i, "parent_code", "new_grid_incomplete", "a new grid needs parent_code, name and geometry")
				continue
			}
			if req.CanEdit != nil && !req.CanEdit(e.ParentCode) {
				return nil, errs.Forbiddenf("you may not edit grids under %s", e.ParentCode)
			}
			p, err := s.Store.FindGridByCode(ctx, e.ParentCode, nil)
			if errs.Is(err, errs.NotFound) {
				bad(i, "parent_code", "parent_not_found", "parent grid %s does not exist", e.ParentCode)
				continue
			}
			if err != nil {
				return nil, err
			}
			if _, ok := siblings[p.Code]; !ok {
				codes, err := s.Store.FindGridCodes(ctx, p.Code)
				if err != nil {
					return nil, err
				}
				siblings[p.Code] = codes
			}
			g := &Grid{Code: e.Code, Name: *e.Name, Level: p.Level + 1, ParentCode: p.Code, Geometry: *e.Geometry}
			writes[i] = GridWrite{Grid: g}
			if e.Code != "" {
				if seen[e.Code] {
					bad(i, "code", "duplicate_code", "grid %s is edited twice", e.Code)
					continue
				}
				seen[e.Code] = true
				if err := ValidateParentCode(e.Code, g.Level, p.Code, p.Level); err != nil {
					bad(i, "code", "code_parent_mismatch", "%s", detail(err))
				}
				continue
			}
			fresh = append(fresh, Feature{Index: i, Name: g.Name, Level: g.Level, ParentCode: g.ParentCode, Geometry: g.Geometry})
			continue
		}
		if seen[e.Code] {
			bad(i, "code", "duplicate_code", "grid %s is edited twice", e.Code)
			continue
		}
		seen[e.Code] = true
		if e.Version < 1 {
			bad(i, "version", "version_required", "send the grid's current version (its ETag)")
			continue
		}
		if req.CanEdit != nil && !req.CanEdit(e.Code) {
			return nil, errs.Forbiddenf("you may not edit grid %s", e.Code)
		}
		cur, err := s.Store.FindGridByCode(ctx, e.Code, nil)
		if err != nil {
			return nil, err
		}
		g := *cur
		if e.Name != nil {
			g.Name = *e.Name
		}
		if e.Geometry != nil {
			g.Geometry = *e.Geometry
		}
		if e.End && (e.Geometry != nil || e.Name != nil) {
			bad(i, "end", "end_with_changes", "a grid that ends takes no new name or geometry")
			continue
		}
		writes[i] = GridWrite{Grid: &g, Want: e.Version, End: e.End}
	}
	if len(probs) > 0 {
		e := errs.E(errs.Invalid, "invalid_edits", "%d problems in the edit (first %s: %s)", len(probs), probs[0].Field, probs[0].Detail)
		e.Fields = probs
		return nil, e
	}
	if len(fresh) > 0 {
		if err := NumberCodes(fresh, siblings); err != nil {
			return nil, err
		}
		for _, f := range fresh {
			writes[f.Index].Grid.Code = f.Code
		}
	}
	res := &EditResult{DryRun: req.DryRun, Ended: []string{}}
	for _, w := range writes {
		if w.End {
			res.Ended = append(res.Ended, w.Grid.Code)
		} else {
			res.Grids = append(res.Grids, w.Grid)
		}
	}
	slices.Sort(res.Ended)
	gopts := GuardOptions{AcceptGaps: req.AcceptGaps}
	if req.DryRun {
		v, err := s.dryRun(gopts, func(check TopologyCheck) error {
			_, err := s.Store.EditGrids(ctx, writes, s.now(), check)
			return err
		})
		if err != nil {
			return nil, err
		}
		res.Topology = *v
		if res.Households, err = s.Store.HouseholdShifts(ctx, res.Grids); err != nil {
			return nil, err
		}
		if res.CarryOver, err = s.Store.PlanCarryOver(ctx, writes, s.now()); err != nil {
			return nil, err
		}
		return res, nil
	}
	var verdict TopologyVerdict
	carried, err := s.Store.EditGrids(ctx, writes, s.now(), func(pieces []TopologyPiece) error {
		verdict = Judge(pieces, gopts)
		return verdict.Err(gopts.AcceptGaps)
	})
	if err != nil {
		return nil, err
	}
	res.Topology = verdict
	res.CarryOver = carried
	s.changed(ctx)
	return res, nil
}
