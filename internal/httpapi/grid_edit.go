package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registry"
	"github.com/paulmach/orb/geojson"
)

// registerGridEditRoutes:
//
//	POST /api/v1/grids/edits  several grids with their versions, saved atomically through the topology guard
//	                          ({"edits":[{code, version, name, parent_code, geometry, end}], accept_gaps, dry_run, crs})
//	POST /api/v1/grids/{code}/carve  a polygon drawn inside the grid becomes a new sibling; the grid loses that area
//	                          ({version, name, geometry, crs, dry_run}; answered like an edit)
func (s *Server) registerGridEditRoutes(r chi.Router) {
	r.Post("/grids/edits", s.h(s.editGrids))
	r.Post("/grids/{code}/carve", s.h(s.carveGrid))
}

type gridEditJSON struct {
	Code       string           `json:"code"`
	Version    int              `json:"version"`
	Name       *string          `json:"name"`
	ParentCode string           `json:"parent_code"`
	Geometry   *json.RawMessage `json:"geometry"`
	End        bool             `json:"end"`
}

type gridEditsRequest struct {
	Edits      []gridEditJSON `json:"edits"`
	AcceptGaps bool           `json:"accept_gaps"`
	DryRun     bool           `json:"dry_run"`
	CRS        string         `json:"crs"`
}

type gridEditsResponse struct {
	DryRun   bool                     `json:"dry_run"`
	Grids    featureCollection        `json:"grids"`
	Ended    []string                 `json:"ended"`
	Topology registry.TopologyVerdict `json:"topology"`
	// Households: on a dry run, each grid's households now and after.
	Households []registry.HouseholdShift `json:"households,omitempty"`
	// CarryOver: what moves from ended grids to their successors.
	CarryOver []registry.CarryOver `json:"carry_over"`
}

func (s *Server) editGrids(w http.ResponseWriter, r *http.Request) error {
	var req gridEditsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	dry, err := queryBool(r, "dry_run")
	if err != nil {
		return err
	}
	acceptGaps, err := queryBool(r, "accept_gaps")
	if err != nil {
		return err
	}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return err
	}
	in := registry.EditRequest{AcceptGaps: req.AcceptGaps || acceptGaps, DryRun: req.DryRun || dry, CRS: sys}
	for i, e := range req.Edits {
		ei := registry.EditInput{Code: e.Code, Version: e.Version, Name: e.Name, ParentCode: e.ParentCode, End: e.End}
		if e.Geometry != nil {
			mp, err := registry.ParseGeometryJSON(*e.Geometry)
			if err != nil {
				if ee, ok := errs.As(err); ok {
					for j := range ee.Fields {
						ee.Fields[j].Field = fmt.Sprintf("edits[%d].%s", i, ee.Fields[j].Field)
					}
				}
				return err
			}
			ei.Geometry = &mp
		}
		in.Edits = append(in.Edits, ei)
	}
	res, err := s.Grids.EditFor(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	out := editResponse(res)
	s.writeJSON(w, r, http.StatusOK, "application/json", out)
	return nil
}

type carveRequest struct {
	Version  int              `json:"version"`
	Name     string           `json:"name"`
	Geometry *json.RawMessage `json:"geometry"`
	CRS      string           `json:"crs"`
	DryRun   bool             `json:"dry_run"`
}

func (s *Server) carveGrid(w http.ResponseWriter, r *http.Request) error {
	var req carveRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return err
	}
	if req.Geometry == nil {
		return errs.Invalidf("geometry", "geometry_required", "send the polygon to carve out (GeoJSON Polygon or MultiPolygon)")
	}
	mp, err := registry.ParseGeometryJSON(*req.Geometry)
	if err != nil {
		return err
	}
	code := chi.URLParam(r, "code")
	res, err := s.Grids.CarveFor(r.Context(), principal(r), registry.CarveRequest{Code: code, Version: req.Version, Name: req.Name,
		Geometry: mp, CRS: sys, DryRun: req.DryRun})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", editResponse(res))
	return nil
}

// editResponse is the answer of an edit or a carve.
func editResponse(res *registry.EditResult) gridEditsResponse {
	out := gridEditsResponse{DryRun: res.DryRun, Ended: res.Ended, Topology: res.Topology, Households: res.Households,
		CarryOver: res.CarryOver, Grids: featureCollection{Type: "FeatureCollection", Features: []*geojson.Feature{}}}
	if out.CarryOver == nil {
		out.CarryOver = []registry.CarryOver{}
	}
	for _, g := range res.Grids {
		out.Grids.Features = append(out.Grids.Features, gridFeature(g))
	}
	out.Grids.NumberReturned = len(out.Grids.Features)
	return out
}
