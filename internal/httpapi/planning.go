package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/planning"
	"github.com/paulmach/orb/geojson"
)

// registerPlanningRoutes:
//
//	POST /api/v1/grids/{code}/division-proposals             propose a division (target, min, max, count, road_kinds, zones, keep_existing)
//	GET  /api/v1/grids/{code}/division-proposals/{id}        the proposal as a FeatureCollection
//	POST /api/v1/grids/{code}/division-proposals/{id}/apply  apply it (If-Match: the parent's version)
func (s *Server) registerPlanningRoutes(r chi.Router) {
	if s.Planning == nil {
		return
	}
	r.Post("/grids/{code}/division-proposals", s.h(s.proposeDivision))
	r.Get("/grids/{code}/division-proposals/{id}", s.h(s.getDivisionProposal))
	r.Post("/grids/{code}/division-proposals/{id}/apply", s.h(s.applyDivisionProposal))
}

type proposalRequest struct {
	Target       int      `json:"target"`
	Min          int      `json:"min"`
	Max          int      `json:"max"`
	Count        string   `json:"count"`
	RoadKinds    []string `json:"road_kinds"`
	Zones        bool     `json:"zones"`
	KeepExisting bool     `json:"keep_existing"`
}

type proposalCollection struct {
	Type          string             `json:"type"`
	ID            int64              `json:"id"`
	ParentCode    string             `json:"parent_code"`
	ParentVersion int                `json:"parent_version"`
	Request       planning.Request   `json:"request"`
	Audit         planning.Audit     `json:"audit"`
	InBounds      bool               `json:"in_bounds"`
	RoadShare     float64            `json:"road_share"`
	Ends          []string           `json:"ends"`
	CreatedBy     string             `json:"created_by"`
	CreatedAt     string             `json:"created_at"`
	AppliedAt     *string            `json:"applied_at"`
	Features      []*geojson.Feature `json:"features"`
}

func proposalJSON(p *planning.Proposal) proposalCollection {
	c := proposalCollection{Type: "FeatureCollection", ID: p.ID, ParentCode: p.Parent, ParentVersion: p.ParentVersion, Request: p.Request,
		Audit: p.Audit, InBounds: p.InBounds, RoadShare: p.RoadShare, Ends: p.Ends, CreatedBy: p.CreatedBy,
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339), Features: []*geojson.Feature{}}
	if p.AppliedAt != nil {
		a := p.AppliedAt.UTC().Format(time.RFC3339)
		c.AppliedAt = &a
	}
	for _, g := range p.Grids {
		f := geojson.NewFeature(g.Geometry)
		f.ID = g.Code
		f.Properties = geojson.Properties{"code": g.Code, "name": g.Name, string(p.Request.Count): g.Count, "count": g.Count,
			"area_m2": g.AreaM2, "compactness": g.Compactness, "road_share": g.RoadShare, "parts": g.Parts,
			"split_block": g.SplitBlock, "replaces": g.Replaces}
		c.Features = append(c.Features, f)
	}
	return c
}

func (s *Server) proposeDivision(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	var req proposalRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.Planning.ProposeFor(r.Context(), principal(r), planning.Request{Parent: code, Target: req.Target, Min: req.Min, Max: req.Max,
		Count: planning.Count(req.Count), RoadKinds: req.RoadKinds, Zones: req.Zones, KeepExisting: req.KeepExisting})
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/grids/%s/division-proposals/%d", code, p.ID))
	s.writeJSON(w, r, http.StatusCreated, "application/geo+json", proposalJSON(p))
	return nil
}

func proposalID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id < 1 {
		return 0, errs.Invalidf("id", "invalid_id", "want a proposal id, got %q", chi.URLParam(r, "id"))
	}
	return id, nil
}

func (s *Server) getDivisionProposal(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	p, err := s.Planning.FindFor(r.Context(), principal(r), code, id)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", proposalJSON(p))
	return nil
}

func (s *Server) applyDivisionProposal(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	ver, err := ifMatchVersion(r, "send If-Match with the parent grid's current version (its ETag)")
	if err != nil {
		return err
	}
	res, err := s.Planning.ApplyFor(r.Context(), principal(r), code, id, ver)
	if err != nil {
		return err
	}
	out := gridEditsResponse{DryRun: false, Ended: res.Ended, Topology: res.Topology,
		Grids: featureCollection{Type: "FeatureCollection", Features: []*geojson.Feature{}}}
	for _, g := range res.Grids {
		out.Grids.Features = append(out.Grids.Features, gridFeature(g))
	}
	out.Grids.NumberReturned = len(out.Grids.Features)
	s.writeJSON(w, r, http.StatusOK, "application/json", out)
	return nil
}
