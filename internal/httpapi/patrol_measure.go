package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/workday"
)

// registerPatrolMeasureRoutes: what each grid's patrol coverage measures.
//
//	GET /api/v1/patrols/grid-options          grids whose coverage is not measured by area (in scope)
//	PUT /api/v1/patrols/grid-options/{code}   {"measure": "area"|"roads", "road_kinds": ["main_road", ...]}
//
// Admin, center and viewer read; admin and center (in scope) set.
func (s *Server) registerPatrolMeasureRoutes(r chi.Router) {
	if s.Patrols == nil {
		return
	}
	r.Get("/patrols/grid-options", s.h(s.listGridOptions))
	r.Put("/patrols/grid-options/{code}", s.h(s.putGridOption))
}

type gridOptionJSON struct {
	GridCode  string   `json:"grid_code"`
	Measure   string   `json:"measure"`
	RoadKinds []string `json:"road_kinds"`
	UpdatedAt string   `json:"updated_at"`
}

func toGridOptionJSON(o patrol.GridOption) gridOptionJSON {
	kinds := o.RoadKinds
	if kinds == nil {
		kinds = []string{}
	}
	return gridOptionJSON{GridCode: o.GridCode, Measure: o.Measure, RoadKinds: kinds,
		UpdatedAt: o.UpdatedAt.In(workday.Shanghai()).Format(time.RFC3339)}
}

func (s *Server) listGridOptions(w http.ResponseWriter, r *http.Request) error {
	opts, err := s.Patrols.GridOptionsFor(r.Context(), principal(r))
	if err != nil {
		return err
	}
	out := []gridOptionJSON{}
	for _, o := range opts {
		out = append(out, toGridOptionJSON(o))
	}
	slices.SortFunc(out, func(a, b gridOptionJSON) int { return strings.Compare(a.GridCode, b.GridCode) })
	return s.ok(w, r, map[string]any{"grid_options": out})
}

func (s *Server) putGridOption(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Measure   string   `json:"measure"`
		RoadKinds []string `json:"road_kinds"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	for i, k := range req.RoadKinds {
		if k = strings.TrimSpace(k); k == "" || len(k) > 64 {
			return errs.Invalidf("road_kinds", "invalid_road_kind", "road kind %d: want 1 to 64 characters", i)
		}
	}
	o, err := s.Patrols.SetGridOptionFor(r.Context(), principal(r), patrol.GridOption{GridCode: chi.URLParam(r, "code"), Measure: req.Measure, RoadKinds: req.RoadKinds})
	if err != nil {
		return err
	}
	return s.ok(w, r, toGridOptionJSON(o))
}
