package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/inspection"
)

// registerInspectionRoutes:
//
//	GET  /api/v1/inspection-templates?kind=&category=   the latest version of every checklist template
//	POST /api/v1/inspection-templates                   a new template, or the next version of a code
//	GET  /api/v1/inspection-templates/{id}              one template version
//	POST /api/v1/inspections                            record an inspection (Idempotency-Key); failed items open cases
//	GET  /api/v1/inspections?record=&from=&to=&limit=   inspections in scope, newest first
//	GET  /api/v1/inspections/{id}                       one inspection with the cases it opened
//	GET  /api/v1/licences/due?days=30                   business licences expiring within days (expired included)
func (s *Server) registerInspectionRoutes(r chi.Router) {
	if s.Inspections == nil {
		return
	}
	r.Get("/inspection-templates", s.h(s.listTemplates))
	r.Post("/inspection-templates", s.h(s.createTemplate))
	r.Get("/inspection-templates/{id}", s.h(s.getTemplate))
	r.Post("/inspections", s.h(s.createInspection))
	r.Get("/inspections", s.h(s.listInspections))
	r.Get("/inspections/{id}", s.h(s.getInspection))
	r.Get("/licences/due", s.h(s.licencesDue))
}

type templateJSON struct {
	ID        int64             `json:"id"`
	Code      string            `json:"code"`
	Version   int               `json:"version"`
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Category  string            `json:"category"`
	Items     []inspection.Item `json:"items"`
	CreatedAt time.Time         `json:"created_at"`
}

func toTemplateJSON(t *inspection.Template) templateJSON {
	items := t.Items
	if items == nil {
		items = []inspection.Item{}
	}
	return templateJSON{ID: t.ID, Code: t.Code, Version: t.Version, Name: t.Name, Kind: t.Kind, Category: t.Category, Items: items, CreatedAt: t.CreatedAt}
}

type inspectionJSON struct {
	ID              int64                 `json:"id"`
	RecordID        int64                 `json:"record_id"`
	RecordName      string                `json:"record_name"`
	TemplateID      int64                 `json:"template_id"`
	TemplateCode    string                `json:"template_code"`
	TemplateVersion int                   `json:"template_version"`
	Date            string                `json:"date"`
	InspectorID     int64                 `json:"inspector_id"`
	GridCode        string                `json:"grid_code"`
	Results         []inspection.Result   `json:"results"`
	Note            string                `json:"note"`
	Cases           []inspection.ItemCase `json:"cases"`
	CreatedAt       time.Time             `json:"created_at"`
}

func toInspectionJSON(in *inspection.Inspection) inspectionJSON {
	cases := in.Cases
	if cases == nil {
		cases = []inspection.ItemCase{}
	}
	return inspectionJSON{ID: in.ID, RecordID: in.RecordID, RecordName: in.RecordName, TemplateID: in.TemplateID,
		TemplateCode: in.TemplateCode, TemplateVersion: in.TemplateVersion, Date: in.Date.Format("2006-01-02"),
		InspectorID: in.InspectorID, GridCode: in.GridCode, Results: in.Results, Note: in.Note, Cases: cases, CreatedAt: in.CreatedAt}
}

// positiveID parses the {id} path parameter.
func positiveID(r *http.Request, what string) (int64, error) {
	v := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalidf("id", "invalid_id", "want a positive integer %s id, got %q", what, v)
	}
	return id, nil
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ts, err := s.Inspections.Templates(r.Context(), principal(r), q.Get("kind"), q.Get("category"))
	if err != nil {
		return err
	}
	out := make([]templateJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, toTemplateJSON(t))
	}
	return s.ok(w, r, map[string]any{"templates": out})
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code     string            `json:"code"`
		Name     string            `json:"name"`
		Kind     string            `json:"kind"`
		Category string            `json:"category"`
		Items    []inspection.Item `json:"items"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	t := &inspection.Template{Code: req.Code, Name: req.Name, Kind: req.Kind, Category: req.Category, Items: req.Items}
	if err := s.Inspections.SaveTemplate(r.Context(), principal(r), t); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/inspection-templates/%d", t.ID))
	s.writeJSON(w, r, http.StatusCreated, "application/json", toTemplateJSON(t))
	return nil
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	id, err := positiveID(r, "template")
	if err != nil {
		return err
	}
	t, err := s.Inspections.Template(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return s.ok(w, r, toTemplateJSON(t))
}

func (s *Server) createInspection(w http.ResponseWriter, r *http.Request) error {
	var req inspection.Request
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	in, replayed, err := s.Inspections.Record(r.Context(), principal(r), req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	status := createdStatus(w, replayed)
	w.Header().Set("Location", fmt.Sprintf("/api/v1/inspections/%d", in.ID))
	s.writeJSON(w, r, status, "application/json", toInspectionJSON(in))
	return nil
}

func (s *Server) listInspections(w http.ResponseWriter, r *http.Request) error {
	var f inspection.Filter
	if v := r.URL.Query().Get("record"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return errs.Invalidf("record", "invalid_parameter", "want a positive record id, got %q", v)
		}
		f.RecordID = &id
	}
	var err error
	if f.From, err = queryCivilDate(r, "from"); err != nil {
		return err
	}
	if f.To, err = queryCivilDate(r, "to"); err != nil {
		return err
	}
	if f.Limit, err = queryInt(r, "limit", 100, 1, 500); err != nil {
		return err
	}
	list, err := s.Inspections.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	out := make([]inspectionJSON, 0, len(list))
	for _, in := range list {
		out = append(out, toInspectionJSON(in))
	}
	return s.ok(w, r, map[string]any{"inspections": out})
}

func (s *Server) getInspection(w http.ResponseWriter, r *http.Request) error {
	id, err := positiveID(r, "inspection")
	if err != nil {
		return err
	}
	in, err := s.Inspections.Get(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return s.ok(w, r, toInspectionJSON(in))
}

func (s *Server) licencesDue(w http.ResponseWriter, r *http.Request) error {
	days, err := queryInt(r, "days", 30, 0, 366)
	if err != nil {
		return err
	}
	list, err := s.Inspections.LicencesDue(r.Context(), principal(r), days)
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"licences": list})
}

// queryCivilDate parses name=YYYY-MM-DD as a civil date (UTC midnight).
func queryCivilDate(r *http.Request, name string) (*time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return nil, errs.Invalidf(name, "invalid_date", "want a date YYYY-MM-DD, got %q", v)
	}
	return &t, nil
}
