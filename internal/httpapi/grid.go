package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb/geojson"
)

// registerGridRoutes:
//
//	GET   /api/v1/grids                  paged FeatureCollection (level, parent, bbox, at, limit, cursor)
//	POST  /api/v1/grids/import           GeoJSON or zipped Shapefile (crs, partial, dry_run, accept_gaps)
//	GET   /api/v1/grids/export           format=geojson|shapefile
//	GET   /api/v1/grids/history          what differs between two dates (from, to, parent, level; history.go)
//	GET   /api/v1/grids/{code}           Feature with area, parent chain and people
//	GET   /api/v1/grids/{code}/children  FeatureCollection
//	PATCH /api/v1/grids/{code}           name, parent_code, geometry, accept_gaps (If-Match: version)
func (s *Server) registerGridRoutes(r chi.Router) {
	r.Get("/grids", s.h(s.listGrids))
	r.Post("/grids/import", s.h(s.importGrids))
	r.Get("/grids/export", s.h(s.exportGrids))
	r.Get("/grids/history", s.h(s.gridHistory))
	r.Get("/grids/{code}", s.h(s.getGrid))
	r.Get("/grids/{code}/children", s.h(s.gridChildren))
	r.Patch("/grids/{code}", s.h(s.patchGrid))
	s.registerGridEditRoutes(r)
	s.registerPlanningRoutes(r)
}

func gridFeature(g *registry.Grid) *geojson.Feature {
	f := geojson.NewFeature(g.Geometry)
	f.ID = g.Code
	f.Properties = geojson.Properties{
		"code":       g.Code,
		"name":       g.Name,
		"level":      g.Level,
		"area_m2":    round(g.AreaM2, 1),
		"version":    g.Version,
		"valid_from": g.ValidFrom.UTC().Format(time.RFC3339),
		"households": g.Households,
		"population": g.Population,
	}
	if g.ParentCode != "" {
		f.Properties["parent_code"] = g.ParentCode
	} else {
		f.Properties["parent_code"] = nil
	}
	if g.ValidTo != nil {
		f.Properties["valid_to"] = g.ValidTo.UTC().Format(time.RFC3339)
	}
	return f
}

func round(x float64, digits int) float64 {
	p := 1.0
	for i := 0; i < digits; i++ {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}

type featureCollection struct {
	Type           string             `json:"type"`
	Features       []*geojson.Feature `json:"features"`
	NumberReturned int                `json:"numberReturned"`
	Next           string             `json:"next,omitempty"`
}

func (s *Server) tree() *registry.Tree {
	if s.Tree == nil {
		return registry.NewTree(nil)
	}
	return s.Tree()
}

func (s *Server) listGrids(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f registry.GridFilter
	if v := q.Get("level"); v != "" {
		n, err := queryInt(r, "level", 0, 1, 32)
		if err != nil {
			return err
		}
		f.Level = &n
	}
	if v := q.Get("parent"); v != "" {
		f.Parent = &v
	}
	var err error
	if f.BBox, err = queryBBox(r); err != nil {
		return err
	}
	if f.AsOf, err = queryAt(r, "at"); err != nil {
		return err
	}
	if f.Limit, err = queryInt(r, "limit", 100, 1, 1000); err != nil {
		return err
	}
	f.Cursor = q.Get("cursor")
	f.Within = principal(r).GridScope()
	grids, err := s.GridStore.FindGrids(r.Context(), f)
	if err != nil {
		return err
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []*geojson.Feature{}}
	for _, g := range grids {
		fc.Features = append(fc.Features, gridFeature(g))
	}
	fc.NumberReturned = len(fc.Features)
	if len(grids) == f.Limit {
		nq := r.URL.Query()
		nq.Set("cursor", grids[len(grids)-1].Code)
		fc.Next = r.URL.Path + "?" + nq.Encode()
	}
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", fc)
	return nil
}

type chainItem struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level int    `json:"level"`
}

type assignmentJSON struct {
	ID        int64   `json:"id"`
	Username  string  `json:"username"`
	Name      string  `json:"name"`
	GridCode  string  `json:"grid_code"`
	GridRole  string  `json:"grid_role"`
	FullTime  bool    `json:"full_time"`
	ValidFrom string  `json:"valid_from"`
	ValidTo   *string `json:"valid_to"`
}

func toAssignmentJSON(a *people.Assignment) assignmentJSON {
	j := assignmentJSON{ID: a.ID, Username: a.Username, Name: a.Name, GridCode: a.GridCode, GridRole: string(a.GridRole),
		FullTime: a.FullTime, ValidFrom: a.ValidFrom.Format("2006-01-02")}
	if a.ValidTo != nil {
		s := a.ValidTo.Format("2006-01-02")
		j.ValidTo = &s
	}
	return j
}

func (s *Server) getGrid(w http.ResponseWriter, r *http.Request) error {
	at, err := queryAt(r, "at")
	if err != nil {
		return err
	}
	c, err := s.Grids.Card(r.Context(), principal(r), chi.URLParam(r, "code"), at)
	if err != nil {
		return err
	}
	f := gridFeature(c.Grid)
	items := []chainItem{}
	for _, g := range c.Parents {
		items = append(items, chainItem{g.Code, g.Name, g.Level})
	}
	f.Properties["parents"] = items
	ps := []assignmentJSON{}
	for _, a := range c.People {
		ps = append(ps, toAssignmentJSON(a))
	}
	f.Properties["people"] = ps
	if c.Counts != nil {
		f.Properties["counts"] = c.Counts
	}
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(c.Grid.Version)))
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", f)
	return nil
}

func (s *Server) gridChildren(w http.ResponseWriter, r *http.Request) error {
	at, err := queryAt(r, "at")
	if err != nil {
		return err
	}
	grids, err := s.Grids.Children(r.Context(), principal(r), chi.URLParam(r, "code"), at)
	if err != nil {
		return err
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []*geojson.Feature{}}
	for _, g := range grids {
		fc.Features = append(fc.Features, gridFeature(g))
	}
	fc.NumberReturned = len(fc.Features)
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", fc)
	return nil
}

func (s *Server) importGrids(w http.ResponseWriter, r *http.Request) error {
	sys, err := queryCRS(r)
	if err != nil {
		return err
	}
	partial, err := queryBool(r, "partial")
	if err != nil {
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
	data, err := readBody(r)
	if err != nil {
		return err
	}
	rep, err := s.Grids.ImportFor(r.Context(), principal(r), data, registry.ImportOptions{CRS: sys, Partial: partial, DryRun: dry, AcceptGaps: acceptGaps})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !dry && rep.Counts.Created+rep.Counts.Versioned > 0 {
		status = http.StatusCreated
	}
	l := msg.Lang(lang(r))
	for i := range rep.Problems {
		rep.Problems[i].Detail = s.detail(l, rep.Problems[i].Reason, rep.Problems[i].Detail)
	}
	s.writeJSON(w, r, status, "application/json", rep)
	return nil
}

type patchGridRequest struct {
	Name       *string          `json:"name"`
	ParentCode *string          `json:"parent_code"`
	Geometry   *json.RawMessage `json:"geometry"`
	CRS        string           `json:"crs"`
	AcceptGaps bool             `json:"accept_gaps"`
}

func (s *Server) patchGrid(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	ver, err := ifMatchVersion(r, "send If-Match with the grid's current version (its ETag)")
	if err != nil {
		return err
	}
	var req patchGridRequest
	if err := decodeJSON(r, &req); err != nil {
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
	upd := registry.GridUpdate{Name: req.Name, ParentCode: req.ParentCode, Version: &ver}
	if req.Geometry != nil {
		mp, err := registry.ParseGeometryJSON(*req.Geometry)
		if err != nil {
			return err
		}
		upd.Geometry = &mp
	}
	g, err := s.Grids.UpdateFor(r.Context(), principal(r), code, upd, sys, registry.GuardOptions{AcceptGaps: acceptGaps || req.AcceptGaps})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(g.Version)))
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", gridFeature(g))
	return nil
}

func (s *Server) exportGrids(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "geojson"
	}
	if format != "geojson" && format != "shapefile" {
		return errs.Invalidf("format", "invalid_format", "want geojson or shapefile, got %q", format)
	}
	var f registry.GridFilter
	if v := r.URL.Query().Get("level"); v != "" {
		n, err := queryInt(r, "level", 0, 1, 32)
		if err != nil {
			return err
		}
		f.Level = &n
	}
	var err error
	if f.AsOf, err = queryAt(r, "at"); err != nil {
		return err
	}
	f.Within = principal(r).GridScope()
	f.Limit = 1_000_000
	grids, err := s.GridStore.FindGrids(r.Context(), f)
	if err != nil {
		return err
	}
	if format == "shapefile" {
		var buf bytes.Buffer
		if err := registry.WriteShapefileZip(&buf, grids); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", `attachment; filename="grids.zip"`)
		_, _ = w.Write(buf.Bytes())
		return nil
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []*geojson.Feature{}}
	for _, g := range grids {
		fc.Features = append(fc.Features, gridFeature(g))
	}
	fc.NumberReturned = len(fc.Features)
	w.Header().Set("Content-Disposition", `attachment; filename="grids.geojson"`)
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", fc)
	return nil
}

func civilDate(t time.Time) time.Time {
	t = t.In(workday.Shanghai())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
