package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registers"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// registerKeyPersonRoutes:
//
//	GET  /api/v1/keypersons                     paged list, masked (grid, category, id_number, limit, after)
//	POST /api/v1/keypersons                     open a file (one responsible person)
//	GET  /api/v1/keypersons/{id}                one file, masked
//	PATCH /api/v1/keypersons/{id}               change fields, responsible person or location
//	GET  /api/v1/keypersons/{id}/unmasked       one file unmasked: needs keyperson:unmask and ?reason=
//	GET  /api/v1/keypersons/{id}/visits         visit log (notes only in the unmasked file)
//	POST /api/v1/keypersons/{id}/visits         record a visit
//
// Key persons are readable by admin, center (its scope) and worker (its
// own grids) only; every response carries Cache-Control: no-store, every
// read is audited, and an unmasked read records its reason.
func (s *Server) registerKeyPersonRoutes(r chi.Router) {
	if s.KeyPersons == nil {
		return
	}
	r.Group(func(r chi.Router) {
		r.Get("/keypersons", s.h(s.listKeyPersons))
		r.Post("/keypersons", s.h(s.createKeyPerson))
		r.Get("/keypersons/{id}", s.h(s.getKeyPerson))
		r.Patch("/keypersons/{id}", s.h(s.patchKeyPerson))
		r.Get("/keypersons/{id}/unmasked", s.h(s.unmaskKeyPerson))
		r.Get("/keypersons/{id}/visits", s.h(s.listVisits))
		r.Post("/keypersons/{id}/visits", s.h(s.addVisit))
	})
}

type keyPersonJSON struct {
	ID          int64      `json:"id"`
	Category    string     `json:"category"`
	CategoryZh  string     `json:"category_name"`
	Name        string     `json:"name"`
	Address     string     `json:"address"`
	Point       *orb.Point `json:"point"`
	GridCode    string     `json:"grid_code"`
	ResidentID  *int64     `json:"resident_id"`
	Responsible struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"responsible"`
	RiskLevel string  `json:"risk_level"`
	IDNumber  string  `json:"id_number"`
	Diagnosis *string `json:"diagnosis"`  // masked: "***" when present
	CaseNotes *string `json:"case_notes"` // masked: "***" when present
	Masked    bool    `json:"masked"`
	UpdatedAt string  `json:"updated_at"`
}

const maskedText = "***"

func keyPersonView(k *registers.KeyPerson, unmasked bool) keyPersonJSON {
	j := keyPersonJSON{ID: k.ID, Category: k.Category, CategoryZh: registers.KeyPersonCategories[k.Category], Name: k.Name,
		Address: k.Address, Point: k.Point, GridCode: k.GridCode, ResidentID: k.ResidentID, RiskLevel: k.RiskLevel,
		Masked: !unmasked, UpdatedAt: k.UpdatedAt.UTC().Format(time.RFC3339)}
	j.Responsible.ID, j.Responsible.Name = k.ResponsibleUserID, k.ResponsibleName
	if unmasked {
		j.IDNumber, j.Diagnosis, j.CaseNotes = k.IDNumber, &k.Diagnosis, &k.CaseNotes
		return j
	}
	j.IDNumber = k.IDNumberMask
	if k.DiagnosisEnc != nil {
		m := maskedText
		j.Diagnosis = &m
	}
	if k.CaseNotesEnc != nil {
		m := maskedText
		j.CaseNotes = &m
	}
	return j
}

func (s *Server) listKeyPersons(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f registers.KeyPersonFilter
	if v := q.Get("grid"); v != "" {
		f.GridCode = &v
	}
	if v := q.Get("category"); v != "" {
		if _, ok := registers.KeyPersonCategories[v]; !ok {
			return errs.Invalidf("category", "invalid_category", "unknown key-person category %q", v)
		}
		f.Category = &v
	}
	if v := q.Get("id_number"); v != "" {
		f.IDNumber = &v // exact: matched through its blind index
	}
	var err error
	if f.Limit, err = queryInt(r, "limit", 100, 1, 1000); err != nil {
		return err
	}
	if v := q.Get("after"); v != "" {
		if f.After, err = strconv.ParseInt(v, 10, 64); err != nil || f.After < 0 {
			return errs.Invalidf("after", "invalid_cursor", "want the id from the previous page's next link, got %q", v)
		}
	}
	ks, total, err := s.KeyPersons.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	out := struct {
		Items          []keyPersonJSON `json:"items"`
		NumberMatched  int             `json:"numberMatched"`
		NumberReturned int             `json:"numberReturned"`
		Next           string          `json:"next,omitempty"`
	}{Items: []keyPersonJSON{}, NumberMatched: total}
	for _, k := range ks {
		out.Items = append(out.Items, keyPersonView(k, false))
	}
	out.NumberReturned = len(out.Items)
	if len(ks) == f.Limit {
		nq := r.URL.Query()
		nq.Set("after", strconv.FormatInt(ks[len(ks)-1].ID, 10))
		out.Next = r.URL.Path + "?" + nq.Encode()
	}
	return s.ok(w, r, out)
}

func (s *Server) getKeyPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	k, err := s.KeyPersons.Get(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return s.ok(w, r, keyPersonView(k, false))
}

// unmaskKeyPerson: the service checks the permission and the reason and
// audits before anything is decrypted.
func (s *Server) unmaskKeyPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	k, vs, err := s.KeyPersons.Unmasked(r.Context(), principal(r), id, r.URL.Query().Get("reason"))
	if err != nil {
		return err
	}
	visits := []kpVisitJSON{}
	for _, v := range vs {
		visits = append(visits, toKPVisitJSON(v, &v.Notes))
	}
	return s.ok(w, r, struct {
		keyPersonJSON
		Visits []kpVisitJSON `json:"visits"`
	}{keyPersonView(k, true), visits})
}

type keyPersonRequest struct {
	Category    string   `json:"category"`
	Name        string   `json:"name"`
	Address     string   `json:"address"`
	Lon         *float64 `json:"lon"`
	Lat         *float64 `json:"lat"`
	CRS         string   `json:"crs"`
	GridCode    string   `json:"grid_code"`
	ResidentID  *int64   `json:"resident_id"`
	Responsible string   `json:"responsible"` // username
	RiskLevel   string   `json:"risk_level"`
	IDNumber    string   `json:"id_number"`
	Diagnosis   string   `json:"diagnosis"`
	CaseNotes   string   `json:"case_notes"`
}

func (s *Server) createKeyPerson(w http.ResponseWriter, r *http.Request) error {
	var req keyPersonRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	k := &registers.KeyPerson{Category: req.Category, Name: req.Name, Address: req.Address, GridCode: req.GridCode,
		ResidentID: req.ResidentID, RiskLevel: req.RiskLevel, IDNumber: req.IDNumber, Diagnosis: req.Diagnosis, CaseNotes: req.CaseNotes}
	if req.Lon != nil || req.Lat != nil {
		if req.Lon == nil || req.Lat == nil {
			return errs.Invalidf("lon,lat", "location_incomplete", "give both lon and lat")
		}
		if err := checkPoint("lon,lat", *req.Lon, *req.Lat); err != nil {
			return err
		}
		sys, err := parseCRS(req.CRS)
		if err != nil {
			return err
		}
		x, y := crs.ToWGS84(sys, *req.Lon, *req.Lat)
		k.Point = &orb.Point{x, y}
	}
	if req.GridCode != "" && !s.tree().Has(req.GridCode) {
		return errs.Invalidf("grid_code", "grid_missing", "grid %s does not exist", req.GridCode)
	}
	if req.Responsible == "" {
		return errs.Invalidf("responsible", "responsible_required", "one file, one responsible person: give the responsible user's username")
	}
	if err := s.KeyPersons.Create(r.Context(), principal(r), k, req.Responsible); err != nil {
		return err
	}
	noteAuditObject(r, "keyperson:"+strconv.FormatInt(k.ID, 10), k.GridCode)
	s.writeJSON(w, r, http.StatusCreated, "application/json", keyPersonView(k, false))
	return nil
}

type kpVisitJSON struct {
	ID        int64   `json:"id"`
	VisitedOn string  `json:"visited_on"`
	Visitor   string  `json:"visitor"`
	Notes     *string `json:"notes"`
	CreatedAt string  `json:"created_at"`
}

func toKPVisitJSON(v *registers.Visit, notes *string) kpVisitJSON {
	j := kpVisitJSON{ID: v.ID, VisitedOn: v.VisitedOn.Format("2006-01-02"), Visitor: v.Visitor, CreatedAt: v.CreatedAt.UTC().Format(time.RFC3339)}
	if notes != nil {
		j.Notes = notes
	} else if v.NotesEnc != nil {
		m := maskedText
		j.Notes = &m
	}
	return j
}

func (s *Server) listVisits(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	k, vs, err := s.KeyPersons.Visits(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	out := []kpVisitJSON{}
	for _, v := range vs {
		out = append(out, toKPVisitJSON(v, nil))
	}
	return s.ok(w, r, map[string]any{"key_person_id": k.ID, "visits": out})
}

type kpVisitRequest struct {
	VisitedOn string `json:"visited_on"`
	Notes     string `json:"notes"`
}

func (s *Server) addVisit(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var req kpVisitRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	day, err := time.ParseInLocation("2006-01-02", req.VisitedOn, time.UTC)
	if err != nil {
		return errs.Invalidf("visited_on", "invalid_date", "want YYYY-MM-DD, got %q", req.VisitedOn)
	}
	if len(req.Notes) > 20000 {
		return errs.Invalidf("notes", "too_long", "notes up to 20000 bytes")
	}
	v := &registers.Visit{KeyPersonID: id, VisitedOn: day, Notes: req.Notes}
	if err := s.KeyPersons.AddVisit(r.Context(), principal(r), v); err != nil {
		return err
	}
	noteAuditObject(r, "keyperson:"+strconv.FormatInt(id, 10)+":visit:"+strconv.FormatInt(v.ID, 10), v.GridCode)
	s.writeJSON(w, r, http.StatusCreated, "application/json", toKPVisitJSON(v, nil))
	return nil
}

type keyPersonPatch struct {
	Category    *string  `json:"category"`
	Name        *string  `json:"name"`
	Address     *string  `json:"address"`
	Lon         *float64 `json:"lon"`
	Lat         *float64 `json:"lat"`
	CRS         string   `json:"crs"`
	GridCode    *string  `json:"grid_code"`
	Responsible *string  `json:"responsible"`
	RiskLevel   *string  `json:"risk_level"`
	IDNumber    *string  `json:"id_number"`
	Diagnosis   *string  `json:"diagnosis"`
	CaseNotes   *string  `json:"case_notes"`
}

func (s *Server) patchKeyPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	var req keyPersonPatch
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u := registers.KeyPersonUpdate{Category: req.Category, Name: req.Name, Address: req.Address, GridCode: req.GridCode,
		RiskLevel: req.RiskLevel, IDNumber: req.IDNumber, Diagnosis: req.Diagnosis, CaseNotes: req.CaseNotes}
	if req.Lon != nil || req.Lat != nil {
		if req.Lon == nil || req.Lat == nil {
			return errs.Invalidf("lon,lat", "location_incomplete", "give both lon and lat")
		}
		if err := checkPoint("lon,lat", *req.Lon, *req.Lat); err != nil {
			return err
		}
		sys, err := parseCRS(req.CRS)
		if err != nil {
			return err
		}
		x, y := crs.ToWGS84(sys, *req.Lon, *req.Lat)
		u.Point = &orb.Point{x, y}
	}
	if req.GridCode != nil && !s.tree().Has(*req.GridCode) {
		return errs.Invalidf("grid_code", "grid_missing", "grid %s does not exist", *req.GridCode)
	}
	k, err := s.KeyPersons.Update(r.Context(), principal(r), id, u, req.Responsible)
	if err != nil {
		return err
	}
	noteAuditObject(r, "keyperson:"+strconv.FormatInt(k.ID, 10), k.GridCode)
	return s.ok(w, r, keyPersonView(k, false))
}
