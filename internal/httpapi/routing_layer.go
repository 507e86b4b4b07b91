package httpapi

import (
	"net/http"

	"github.com/paulmach/orb/geojson"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/layers"
)

// registerRoutingLayerRoutes:
//
//	POST /api/v1/layers/{zones|roads}/import   GeoJSON FeatureCollection or zipped Shapefile replacing the layer (crs, dry_run; admin, center)
//	GET  /api/v1/layers/{zones|roads}/export   the layer as GeoJSON (at: as of a date): code, name, kind, unit, version
//	GET  /api/v1/layers/{zones|roads}/history  what differs between two dates (from, to; history.go)
func (s *Server) registerRoutingLayerRoutes(r chi.Router) {
	if s.Layers == nil {
		return
	}
	r.Post("/layers/{layer}/import", s.h(s.importLayer))
	r.Get("/layers/{layer}/export", s.h(s.exportLayer))
	r.Get("/layers/{layer}/history", s.h(s.layerHistory))
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
	at, err := queryAt(r, "at")
	if err != nil {
		return err
	}
	items, err := s.Layers.Export(r.Context(), layer, at)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+string(layer)+`.geojson"`)
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", layers.FeatureCollection(items))
	return nil
}

type layerChangeJSON struct {
	Code        string   `json:"code"`
	Change      string   `json:"change"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Unit        string   `json:"unit"`
	VersionFrom *int     `json:"version_from"`
	VersionTo   *int     `json:"version_to"`
	SizeFrom    *float64 `json:"size_from"` // m² for zones, m for road sections
	SizeTo      *float64 `json:"size_to"`
}

func (s *Server) layerHistory(w http.ResponseWriter, r *http.Request) error {
	layer, err := layers.ParseLayer(chi.URLParam(r, "layer"))
	if err != nil {
		return err
	}
	from, to, err := queryFromTo(r)
	if err != nil {
		return err
	}
	changes, err := s.Layers.History(r.Context(), layer, from, to)
	if err != nil {
		return err
	}
	out := newHistory[layerChangeJSON](from, to)
	for _, c := range changes {
		j := layerChangeJSON{Code: c.Code, Change: c.Change}
		var bf, af *geojson.Feature
		if it := c.Before; it != nil {
			j.Name, j.Kind, j.Unit, j.VersionFrom = it.Name, it.Kind, it.Unit, &it.Version
			v := round(c.SizeFrom, 1)
			j.SizeFrom = &v
			bf = layers.Feature(*it)
		}
		if it := c.After; it != nil {
			j.Name, j.Kind, j.Unit, j.VersionTo = it.Name, it.Kind, it.Unit, &it.Version
			v := round(c.SizeTo, 1)
			j.SizeTo = &v
			af = layers.Feature(*it)
		}
		out.add(j, c.Change, bf, af)
	}
	s.writeJSON(w, r, http.StatusOK, "application/json", out)
	return nil
}
