package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/layers"
)

// registerRoutingLayerRoutes:
//
//	POST /api/v1/layers/{zones|roads}/import  GeoJSON FeatureCollection replacing the layer (crs, dry_run; admin, center)
//	GET  /api/v1/layers/{zones|roads}/export  the layer as GeoJSON: code, name, kind, unit
func (s *Server) registerRoutingLayerRoutes(r chi.Router) {
	if s.Layers == nil {
		return
	}
	r.Post("/layers/{layer}/import", s.h(s.importLayer))
	r.Get("/layers/{layer}/export", s.h(s.exportLayer))
}

func (s *Server) importLayer(w http.ResponseWriter, r *http.Request) error {
	layer, err := layers.ParseLayer(chi.URLParam(r, "layer"))
	if err != nil {
		return err
	}
	sys, err := queryCRS(r)
	if err != nil {
		return err
	}
	dry, err := queryBool(r, "dry_run")
	if err != nil {
		return err
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	rep, err := s.Layers.ImportFor(r.Context(), principal(r), layer, data, layers.ImportOptions{CRS: sys, DryRun: dry})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if dry {
		status = http.StatusOK
	}
	s.writeJSON(w, r, status, "application/json", rep)
	return nil
}

func (s *Server) exportLayer(w http.ResponseWriter, r *http.Request) error {
	layer, err := layers.ParseLayer(chi.URLParam(r, "layer"))
	if err != nil {
		return err
	}
	items, err := s.Layers.Export(r.Context(), layer)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+string(layer)+`.geojson"`)
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", layers.FeatureCollection(items))
	return nil
}
