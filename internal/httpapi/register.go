package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"
)

// registerRegisterRoutes:
//
//	GET    /api/v1/registers/{kind}          paged FeatureCollection (grid, category, tag, q, bbox, limit, after)
//	POST   /api/v1/registers/{kind}          create one record (JSON; crs)
//	POST   /api/v1/registers/{kind}/import   CSV or xlsx (format, crs, map=HEADER:field,..., partial, dry_run)
//	GET    /api/v1/registers/{kind}/{id}     one record
//	PATCH  /api/v1/registers/{kind}/{id}     change fields (moving re-assigns the grid)
//	DELETE /api/v1/registers/{kind}/{id}
//	GET    /api/v1/audits/registers          coverage audit (parent, norm, tolerance, population_tolerance)
//
// kind is households, people, buildings, businesses, places or
// organisations. People carry personal data: only admin, center and
// worker roles read them, every read is audited, and responses are not
// cached.
func (s *Server) registerRegisterRoutes(r chi.Router) {
	if s.Registers == nil {
		return
	}
	r.Get("/registers/{kind}", s.fromReplica(s.h(s.listRecords)))
	r.Post("/registers/{kind}", s.h(s.createRecord))
	r.Post("/registers/{kind}/import", s.h(s.importRecords))
	r.Get("/registers/{kind}/{id}", s.h(s.getRecord))
	r.Patch("/registers/{kind}/{id}", s.h(s.patchRecord))
	r.Delete("/registers/{kind}/{id}", s.h(s.deleteRecord))
	r.Get("/audits/registers", s.h(s.registerAudit))
}

func kindParam(r *http.Request) (registers.Kind, error) {
	return registers.ParseKind(chi.URLParam(r, "kind"))
}

func idParam(r *http.Request) (int64, error) {
	v := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalidf("id", "invalid_id", "want a positive integer id, got %q", v)
	}
	return id, nil
}

func recordFeature(rec *registers.Record, day time.Time) *geojson.Feature {
	var f *geojson.Feature
	if rec.Geometry != nil {
		f = geojson.NewFeature(rec.Geometry)
	} else {
		f = &geojson.Feature{Type: "Feature", Properties: geojson.Properties{}}
	}
	f.ID = rec.ID
	props := geojson.Properties{
		"id":         rec.ID,
		"kind":       string(rec.Kind),
		"name":       rec.Name,
		"address":    rec.Address,
		"category":   rec.Category,
		"grid_code":  nilIfEmpty(rec.GridCode),
		"updated_at": rec.UpdatedAt.UTC().Format(time.RFC3339),
	}
	if rec.Point != nil {
		props["point"] = []float64{rec.Point[0], rec.Point[1]}
	}
	switch rec.Kind {
	case registers.Household:
		props["size"] = rec.Size
	case registers.Person:
		props["household_id"] = rec.HouseholdID
		props["phone"] = rec.Phone
		props["id_number"] = rec.IDNumberMask
		tags := rec.Tags
		if tags == nil {
			tags = []string{}
		}
		props["tags"] = tags
	case registers.Building:
		props["rental"] = rec.Attrs.Rental
		props["dilapidated"] = rec.Attrs.Dilapidated
	case registers.Business:
		ls := rec.Attrs.Licences
		if ls == nil {
			ls = []registers.Licence{}
		}
		props["licences"] = ls
		props["required_licences"] = registers.RequiredLicences(rec.Category)
	case registers.Place:
		cl := rec.Attrs.Checklist
		if cl == nil {
			cl = []registers.CheckItem{}
		}
		props["checklist"] = cl
	}
	if rec.Kind == registers.Business || rec.Kind == registers.Place {
		flags := rec.Flags(day)
		if flags == nil {
			flags = []registers.Flag{}
		}
		props["flags"] = flags
	}
	if rec.Attrs.Contact != "" {
		props["contact"] = rec.Attrs.Contact
	}
	f.Properties = props
	return f
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type recordCollection struct {
	Type           string             `json:"type"`
	Features       []*geojson.Feature `json:"features"`
	NumberMatched  int                `json:"numberMatched"`
	NumberReturned int                `json:"numberReturned"`
	Next           string             `json:"next,omitempty"`
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) error {
	kind, err := kindParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := registers.Filter{Kind: kind, Q: q.Get("q")}
	if v, ok := q["grid"]; ok {
		g := v[0]
		f.GridCode = &g
	}
	if v := q.Get("category"); v != "" {
		f.Category = &v
	}
	if v := q.Get("tag"); v != "" {
		f.Tag = &v
	}
	if v := q.Get("household_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errs.Invalidf("household_id", "invalid_id", "want a household id, got %q", v)
		}
		f.HouseholdID = &id
	}
	if f.BBox, err = queryBBox(r); err != nil {
		return err
	}
	if f.Limit, err = queryInt(r, "limit", 100, 1, 1000); err != nil {
		return err
	}
	if v := q.Get("after"); v != "" {
		if f.After, err = strconv.ParseInt(v, 10, 64); err != nil || f.After < 0 {
			return errs.Invalidf("after", "invalid_cursor", "want the id from the previous page's next link, got %q", v)
		}
	}
	recs, total, err := s.Registers.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	day := civilDate(s.Now())
	fc := recordCollection{Type: "FeatureCollection", Features: []*geojson.Feature{}, NumberMatched: total}
	for _, rec := range recs {
		fc.Features = append(fc.Features, recordFeature(rec, day))
	}
	fc.NumberReturned = len(fc.Features)
	if len(recs) == f.Limit {
		nq := r.URL.Query()
		nq.Set("after", strconv.FormatInt(recs[len(recs)-1].ID, 10))
		fc.Next = r.URL.Path + "?" + nq.Encode()
	}
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", fc)
	return nil
}

func derefOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) error {
	kind, err := kindParam(r)
	if err != nil {
		return err
	}
	id, err := idParam(r)
	if err != nil {
		return err
	}
	rec, err := s.Registers.Get(r.Context(), principal(r), kind, id)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", recordFeature(rec, civilDate(s.Now())))
	return nil
}

// recordRequest is the body of POST and PATCH. The location is a GeoJSON
// geometry or lon/lat, in crs (default WGS84).
type recordRequest struct {
	Name        string                `json:"name"`
	Address     string                `json:"address"`
	Category    string                `json:"category"`
	Geometry    json.RawMessage       `json:"geometry,omitempty"`
	Lon         *float64              `json:"lon,omitempty"`
	Lat         *float64              `json:"lat,omitempty"`
	CRS         string                `json:"crs,omitempty"`
	HouseholdID *int64                `json:"household_id,omitempty"`
	Size        *int                  `json:"size,omitempty"`
	Phone       string                `json:"phone"`
	IDNumber    string                `json:"id_number,omitempty"`
	Tags        []string              `json:"tags"`
	Licences    []registers.Licence   `json:"licences"`
	Checklist   []registers.CheckItem `json:"checklist"`
	Rental      bool                  `json:"rental"`
	Dilapidated bool                  `json:"dilapidated"`
	Contact     string                `json:"contact"`
}

func (req *recordRequest) record(kind registers.Kind) (*registers.Record, error) {
	rec := &registers.Record{Kind: kind, Name: req.Name, Address: req.Address, Category: req.Category,
		HouseholdID: req.HouseholdID, Size: req.Size, Phone: req.Phone, IDNumber: req.IDNumber, Tags: req.Tags,
		Attrs: registers.Attrs{Licences: req.Licences, Checklist: req.Checklist, Rental: req.Rental, Dilapidated: req.Dilapidated, Contact: req.Contact}}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return nil, err
	}
	switch {
	case len(req.Geometry) > 0 && string(req.Geometry) != "null":
		g, err := geojson.UnmarshalGeometry(req.Geometry)
		if err != nil {
			return nil, errs.Invalidf("geometry", "invalid_geometry", "want a GeoJSON Point or Polygon: %v", err)
		}
		rec.Geometry = g.Geometry()
		if err := finiteGeometry(rec.Geometry); err != nil {
			return nil, err
		}
	case req.Lon != nil || req.Lat != nil:
		if req.Lon == nil || req.Lat == nil {
			return nil, errs.Invalidf("lon,lat", "location_incomplete", "give both lon and lat")
		}
		if err := checkPoint("lon,lat", *req.Lon, *req.Lat); err != nil {
			return nil, err
		}
		rec.Geometry = orb.Point{*req.Lon, *req.Lat}
	}
	if rec.Geometry != nil && sys != crs.WGS84 && sys != crs.CGCS2000 {
		rec.Geometry = project.Geometry(orb.Clone(rec.Geometry), func(p orb.Point) orb.Point {
			x, y := crs.ToWGS84(sys, p[0], p[1])
			return orb.Point{x, y}
		})
	}
	return rec, nil
}

func finiteGeometry(g orb.Geometry) error {
	bad := false
	project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) ||
			p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			bad = true
		}
		return p
	})
	if bad {
		return errs.Invalidf("geometry", "out_of_range", "want finite lon in [-180, 180] and lat in [-90, 90]")
	}
	return nil
}

func (s *Server) createRecord(w http.ResponseWriter, r *http.Request) error {
	kind, err := kindParam(r)
	if err != nil {
		return err
	}
	var req recordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	rec, err := req.record(kind)
	if err != nil {
		return err
	}
	if err := s.Registers.Create(r.Context(), principal(r), rec); err != nil {
		return err
	}
	noteAuditObject(r, string(kind)+":"+strconv.FormatInt(rec.ID, 10), rec.GridCode)
	s.writeJSON(w, r, http.StatusCreated, "application/geo+json", recordFeature(rec, civilDate(s.Now())))
	return nil
}

func (s *Server) patchRecord(w http.ResponseWriter, r *http.Request) error {
	kind, err := kindParam(r)
	if err != nil {
		return err
	}
	id, err := idParam(r)
	if err != nil {
		return err
	}
	old, err := s.Registers.Editable(r.Context(), principal(r), kind, id)
	if err != nil {
		return err
	}
	req := recordRequest{Name: old.Name, Address: old.Address, Category: old.Category, HouseholdID: old.HouseholdID,
		Size: old.Size, Phone: old.Phone, Tags: old.Tags, Licences: old.Attrs.Licences, Checklist: old.Attrs.Checklist,
		Rental: old.Attrs.Rental, Dilapidated: old.Attrs.Dilapidated, Contact: old.Attrs.Contact}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	upd, err := req.record(old.Kind)
	if err != nil {
		return err
	}
	if upd.Geometry == nil {
		upd.Geometry = old.Geometry
	}
	upd.ID = old.ID
	if err := s.Registers.Update(r.Context(), principal(r), upd); err != nil {
		return err
	}
	noteAuditObject(r, string(upd.Kind)+":"+strconv.FormatInt(upd.ID, 10), upd.GridCode)
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", recordFeature(upd, civilDate(s.Now())))
	return nil
}

func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	kind, err := kindParam(r)
	if err != nil {
		return err
	}
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := s.Registers.Delete(r.Context(), principal(r), kind, id); err != nil {
		return err
	}
	noteAuditObject(r, string(kind)+":"+strconv.FormatInt(id, 10), "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseMapping parses map=HEADER:field,HEADER:field.
func parseMapping(v string) (map[string]string, error) {
	m := map[string]string{}
	if v == "" {
		return m, nil
	}
	for _, pair := range strings.Split(v, ",") {
		h, f, ok := strings.Cut(pair, ":")
		if !ok || strings.TrimSpace(h) == "" || strings.TrimSpace(f) == "" {
			return nil, errs.Invalidf("map", "invalid_mapping", "want HEADER:field pairs separated by commas, got %q", pair)
		}
		m[strings.TrimSpace(h)] = strings.TrimSpace(f)
	}
	return m, nil
}

func (s *Server) importRecords(w http.ResponseWriter, r *http.Request) error {
	kind, err := kindParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
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
	mapping, err := parseMapping(q.Get("map"))
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format != "" && format != "csv" && format != "xlsx" {
		return errs.Invalidf("format", "invalid_format", "want csv or xlsx, got %q", format)
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	rep, err := s.Registers.Import(r.Context(), principal(r), kind, data, registers.ImportOptions{Format: format, CRS: sys, Mapping: mapping,
		Partial: partial, DryRun: dry})
	if err != nil {
		return err
	}
	noteAuditObject(r, "import:"+string(kind)+":"+strconv.Itoa(rep.Stored), "")
	l := msg.Lang(lang(r))
	for i := range rep.Problems {
		rep.Problems[i].Detail = s.detail(l, rep.Problems[i].Reason, rep.Problems[i].Detail)
	}
	status := http.StatusOK
	if rep.Stored > 0 {
		status = http.StatusCreated
	}
	s.writeJSON(w, r, status, "application/json", rep)
	return nil
}

func (s *Server) registerAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	parent := q.Get("parent")
	if parent != "" && !s.tree().Has(parent) {
		return errs.NotFoundf("grid %s not found", parent)
	}
	norm, err := queryInt(r, "norm", 300, 1, 100000)
	if err != nil {
		return err
	}
	tol, err := queryFraction(r, "tolerance", 0.5)
	if err != nil {
		return err
	}
	ptol, err := queryFraction(r, "population_tolerance", 0.1)
	if err != nil {
		return err
	}
	rep, err := s.Registers.Coverage(r.Context(), principal(r), registers.CoverageOptions{Parent: parent, HouseholdNorm: norm,
		HouseholdTolerance: tol, PopulationTolerance: ptol, On: civilDate(s.Now())})
	if err != nil {
		return err
	}
	l := msg.Lang(lang(r))
	for i := range rep.Findings {
		rep.Findings[i].Label = s.Messages.Sprintf(l, msg.AuditReason(rep.Findings[i].Reason))
	}
	return s.ok(w, r, rep)
}

func queryFraction(r *http.Request, name string, def float64) (float64, error) {
	return queryFloat(r, name, def, 0, 9.999999, "a fraction such as 0.5")
}
