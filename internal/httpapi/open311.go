package httpapi

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/people"
)

// Open311Window is the longest span GET requests.json answers for, and
// its default (the last 90 days).
const Open311Window = 90 * 24 * time.Hour

// registerOpen311Routes mounts Open311 GeoReport v2 (JSON) at /open311/v2:
//
//	GET  /open311/v2/discovery.json          public
//	GET  /open311/v2/services.json           public: the active small classes
//	GET  /open311/v2/services/{code}.json    public: a service definition
//	POST /open311/v2/requests.json           new request (api_key or bearer token)
//	GET  /open311/v2/requests.json           requests in the caller's scope (service_code, status, start_date, end_date, page, page_size)
//	GET  /open311/v2/requests/{id}.json      one request (id = case number)
//	GET  /open311/v2/tokens/{token}.json     the request id behind a token
func (s *Server) registerOpen311Routes(r chi.Router) {
	r.Use(s.limitOpen311Body)
	r.Get("/discovery.json", s.h(s.open311Discovery))
	r.Get("/services.json", s.h(s.open311Services))
	r.Get("/services/{code}.json", s.h(s.open311Service))
	r.Group(func(r chi.Router) {
		r.Use(s.authenticateOpen311)
		r.Post("/requests.json", s.h(s.open311Create))
		r.Get("/requests.json", s.h(s.open311List))
		r.Get("/requests/{id}.json", s.h(s.open311Get))
		r.Get("/tokens/{token}.json", s.h(s.open311Token))
	})
}

func (s *Server) limitOpen311Body(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
		next.ServeHTTP(w, r)
	})
}

// open311Params reads the request's parameters: the query, plus a
// form-encoded or JSON body for POST.
func open311Params(r *http.Request) (url.Values, error) {
	v := r.URL.Query()
	if r.Method != http.MethodPost {
		return v, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var m map[string]any
		if err := decodeJSON(r, &m); err != nil {
			return nil, err
		}
		for k, x := range m {
			switch t := x.(type) {
			case string:
				v.Set(k, t)
			case float64:
				v.Set(k, strconv.FormatFloat(t, 'f', -1, 64))
			case bool:
				v.Set(k, strconv.FormatBool(t))
			case nil:
			default:
				return nil, errs.Invalidf(k, "wrong_type", "want a string or a number")
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, bodyError(err)
		}
		for k, x := range r.PostForm {
			v[k] = x
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, bodyError(err)
		}
		for k, x := range r.PostForm {
			v[k] = x
		}
	}
	return v, nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "body_too_large", "the request body exceeds %d bytes", mbe.Limit)
	}
	return errs.Invalidf("body", "invalid_form", "%v", err)
}

type ctxParams struct{}

// authenticateOpen311 accepts a bearer token, or api_key (query or form):
// an API key when the key service exists, else a token value.
func (s *Server) authenticateOpen311(next http.Handler) http.Handler {
	return s.h(func(w http.ResponseWriter, r *http.Request) error {
		params, err := open311Params(r)
		if err != nil {
			return err
		}
		var p *auth.Principal
		if tok := bearer(r); tok != "" {
			p, err = s.Auth.Authenticate(r.Context(), tok)
		} else {
			key := params.Get("api_key")
			if key == "" {
				return errs.E(errs.Unauthorized, "api_key_required", "send api_key (or an Authorization: Bearer token)")
			}
			p, err = s.authenticateAPIKey(r.Context(), key)
		}
		if err != nil {
			return err
		}
		ctx := context.WithValue(r.Context(), keyPrincipal, p)
		ctx = context.WithValue(ctx, ctxParams{}, params)
		next.ServeHTTP(w, withAuditActor(r.WithContext(ctx), p))
		return nil
	})
}

func (s *Server) authenticateAPIKey(ctx context.Context, key string) (*auth.Principal, error) {
	if s.Keys != nil {
		p, err := s.Keys.AuthenticateKey(ctx, key)
		if err == nil || !errs.Is(err, errs.Unauthorized) {
			return p, err
		}
	}
	return s.Auth.Authenticate(ctx, key)
}

func params(r *http.Request) url.Values {
	v, _ := r.Context().Value(ctxParams{}).(url.Values)
	return v
}

func (s *Server) open311Discovery(w http.ResponseWriter, r *http.Request) error {
	base := "/open311/v2"
	return s.ok(w, r, map[string]any{
		"changeset":   "2026-11-25T00:00:00Z",
		"contact":     "gridd grid center",
		"key_service": "POST /api/v1/api-keys, or use a bearer token",
		"endpoints": []map[string]any{{
			"specification": "http://wiki.open311.org/GeoReport_v2",
			"url":           base,
			"changeset":     "2026-11-25T00:00:00Z",
			"type":          "production",
			"formats":       []string{"application/json"},
		}},
	})
}

type open311Service struct {
	ServiceCode string `json:"service_code"`
	ServiceName string `json:"service_name"`
	Description string `json:"description"`
	Metadata    bool   `json:"metadata"`
	Type        string `json:"type"`
	Keywords    string `json:"keywords"`
	Group       string `json:"group"`
}

func (s *Server) open311ServiceList(r *http.Request) ([]open311Service, error) {
	cats, err := s.Cases.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	en := lang(r) == "en"
	names := map[string]string{}
	for _, c := range cats {
		names[c.Code] = c.Name
		if en && c.NameEN != "" {
			names[c.Code] = c.NameEN
		}
	}
	out := []open311Service{}
	for _, c := range cats {
		if !c.IsSmall() || !c.Active {
			continue
		}
		out = append(out, open311Service{ServiceCode: c.Code, ServiceName: names[c.Code], Description: names[c.Parent] + " / " + names[c.Code],
			Type: "realtime", Keywords: names[c.Parent], Group: names[c.Parent]})
	}
	return out, nil
}

func (s *Server) open311Services(w http.ResponseWriter, r *http.Request) error {
	list, err := s.open311ServiceList(r)
	if err != nil {
		return err
	}
	return s.ok(w, r, list)
}

func (s *Server) open311Service(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	list, err := s.open311ServiceList(r)
	if err != nil {
		return err
	}
	for _, sv := range list {
		if sv.ServiceCode == code {
			return s.ok(w, r, map[string]any{"service_code": code, "attributes": []any{}})
		}
	}
	return errs.NotFoundf("no service %q", code)
}

func (s *Server) open311Create(w http.ResponseWriter, r *http.Request) error {
	v := params(r)
	num := func(name string) (*float64, error) {
		x := v.Get(name)
		if x == "" {
			return nil, errs.Invalidf(name, "required", "%s is required (WGS84 decimal degrees)", name)
		}
		f, err := parseFinite(x)
		if err != nil {
			return nil, errs.Invalidf(name, "invalid_number", "want a finite decimal number, got %q", x)
		}
		return &f, nil
	}
	if v.Get("service_code") == "" {
		return errs.Invalidf("service_code", "required", "service_code is required (GET services.json)")
	}
	lat, err := num("lat")
	if err != nil {
		return err
	}
	lon, err := num("long")
	if err != nil {
		return err
	}
	desc := v.Get("description")
	if addr := v.Get("address_string"); addr != "" {
		desc = strings.TrimSpace(desc + "（" + addr + "）")
	}
	rep, err := reportFrom(caseReportJSON{Category: v.Get("service_code"), Description: desc, Lon: lon, Lat: lat, CRS: "wgs84", Source: "online"})
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	c, _, err := s.Cases.Intake(r.Context(), principal(r), rep, key)
	if err != nil {
		if e, ok := errs.As(err); ok {
			for i := range e.Fields {
				e.Fields[i].Field = open311Field(e.Fields[i].Field)
			}
		}
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, "application/json", []map[string]any{{
		"service_request_id": c.Number, "token": c.Number, "service_notice": statusName(r, c.Status), "account_id": nil}})
	return nil
}

// open311Field names a case field in Open311 terms.
func open311Field(f string) string {
	switch f {
	case "category":
		return "service_code"
	case "lon,lat":
		return "lat,long"
	}
	return f
}

type open311Request struct {
	ServiceRequestID  string     `json:"service_request_id"`
	Status            string     `json:"status"`
	StatusNotes       string     `json:"status_notes"`
	ServiceName       string     `json:"service_name"`
	ServiceCode       string     `json:"service_code"`
	Description       string     `json:"description"`
	AgencyResponsible string     `json:"agency_responsible"`
	ServiceNotice     string     `json:"service_notice"`
	RequestedDatetime time.Time  `json:"requested_datetime"`
	UpdatedDatetime   time.Time  `json:"updated_datetime"`
	ExpectedDatetime  *time.Time `json:"expected_datetime"`
	Address           string     `json:"address"`
	AddressID         string     `json:"address_id"`
	Zipcode           string     `json:"zipcode"`
	Lat               float64    `json:"lat"`
	Long              float64    `json:"long"`
	MediaURL          string     `json:"media_url"`
}

// open311Note is a request's status_notes: how it ended or why it came
// back (the last closing or return step, when it has a comment), else its
// status.
func (s *Server) open311Note(r *http.Request, c *casework.Case, note *casework.Event) string {
	if note == nil || note.Comment == "" {
		return statusName(r, c.Status)
	}
	comment := note.Comment
	key := msg.NoteClosed
	switch note.Action {
	case casework.ActReject:
		key = msg.NoteRejected
	case casework.ActVerifyFail:
		key = msg.NoteRework
	}
	return s.Messages.Sprintf(msg.Lang(lang(r)), key, comment)
}

func (s *Server) toOpen311(r *http.Request, c *casework.Case, units map[string]string, notes map[int64]*casework.Event) open311Request {
	status := "open"
	if !c.Status.Open() {
		status = "closed"
	}
	agency := units[c.LeadUnit]
	if agency == "" {
		agency = "网格中心"
		if lang(r) == "en" {
			agency = "Grid center"
		}
	}
	out := open311Request{ServiceRequestID: c.Number, Status: status, StatusNotes: s.open311Note(r, c, notes[c.ID]),
		ServiceName: c.CategoryName, ServiceCode: c.Category, Description: c.Description, AgencyResponsible: agency,
		RequestedDatetime: c.ReportedAt, UpdatedDatetime: c.UpdatedAt, ExpectedDatetime: c.DueAt,
		Address: strings.Join(c.GridChain, "/"), Lat: c.Location[1], Long: c.Location[0]}
	if len(c.Photos) > 0 {
		out.MediaURL = fmt.Sprintf("/api/v1/uploads/%d", c.Photos[0])
	}
	return out
}

func (s *Server) unitNames(r *http.Request) (map[string]string, error) {
	deps, err := s.People.FindDepartments(r.Context())
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, d := range deps {
		m[d.Code] = d.Name
	}
	return m, nil
}

func open311Time(v url.Values, name string) (*time.Time, error) {
	x := v.Get(name)
	if x == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, x)
	if err != nil {
		return nil, errs.Invalidf(name, "invalid_date", "want a W3C/ISO 8601 date-time such as 2026-11-20T00:00:00+08:00, got %q", x)
	}
	return &t, nil
}

func (s *Server) open311List(w http.ResponseWriter, r *http.Request) error {
	v := params(r)
	var f casework.CaseFilter
	if ids := v.Get("service_request_id"); ids != "" {
		f.Numbers = strings.Split(ids, ",")
	} else {
		end, err := open311Time(v, "end_date")
		if err != nil {
			return err
		}
		start, err := open311Time(v, "start_date")
		if err != nil {
			return err
		}
		now := s.Now()
		switch {
		case start == nil && end == nil:
			t0 := now.Add(-Open311Window)
			start = &t0
		case start == nil:
			t0 := end.Add(-Open311Window)
			start = &t0
		case end == nil:
			t1 := start.Add(Open311Window)
			end = &t1
		}
		if end != nil && !end.After(*start) {
			return errs.Invalidf("end_date", "invalid_range", "end_date must be after start_date")
		}
		if end != nil && end.Sub(*start) > Open311Window {
			return errs.Invalidf("end_date", "range_too_long", "at most 90 days between start_date and end_date")
		}
		f.From, f.To = start, end
	}
	if sc := v.Get("service_code"); sc != "" {
		if !casework.ValidCategoryCode(sc) {
			return errs.Invalidf("service_code", "invalid_service_code", "want a service code from services.json, got %q", sc)
		}
		f.Category = &sc
	}
	switch st := v.Get("status"); st {
	case "":
	case "open":
		for _, x := range casework.Statuses {
			if x.Open() {
				f.Status = append(f.Status, x)
			}
		}
	case "closed":
		f.Status = []casework.Status{casework.StatusClosed, casework.StatusRejected, casework.StatusMerged}
	default:
		return errs.Invalidf("status", "invalid_status", "want open or closed, got %q", st)
	}
	page, err := intParam(v, "page", 1, 1, 100_000)
	if err != nil {
		return err
	}
	size, err := intParam(v, "page_size", 50, 1, 500)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = size, (page-1)*size
	cases, _, err := s.Cases.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	units, err := s.unitNames(r)
	if err != nil {
		return err
	}
	notes, err := s.Cases.StatusNotes(r.Context(), cases)
	if err != nil {
		return err
	}
	out := make([]open311Request, len(cases))
	for i, c := range cases {
		out[i] = s.toOpen311(r, c, units, notes)
	}
	return s.ok(w, r, out)
}

func intParam(v url.Values, name string, def, min, max int) (int, error) {
	x := v.Get(name)
	if x == "" {
		return def, nil
	}
	n, err := strconv.Atoi(x)
	if err != nil || n < min || n > max {
		return 0, errs.Invalidf(name, "invalid_parameter", "want an integer from %d to %d, got %q", min, max, x)
	}
	return n, nil
}

func (s *Server) open311Get(w http.ResponseWriter, r *http.Request) error {
	return s.open311ByNumber(w, r, chi.URLParam(r, "id"), false)
}

func (s *Server) open311Token(w http.ResponseWriter, r *http.Request) error {
	return s.open311ByNumber(w, r, chi.URLParam(r, "token"), true)
}

func (s *Server) open311ByNumber(w http.ResponseWriter, r *http.Request, number string, token bool) error {
	if len(number) != 14 {
		return errs.Invalidf("service_request_id", "invalid_id", "want a request id like 2026-11-000123, got %q", number)
	}
	p := principal(r)
	all := casework.CaseFilter{Numbers: []string{number}, Limit: 1}
	cases, _, err := s.Cases.List(r.Context(), p, all)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		// Tell "not yours" from "no such request" only to those who may see everything.
		if p.Role() == people.RoleAdmin {
			return errs.NotFoundf("no request %s", number)
		}
		return errs.NotFoundf("no request %s in your scope", number)
	}
	if token {
		return s.ok(w, r, []map[string]string{{"service_request_id": cases[0].Number, "token": number}})
	}
	units, err := s.unitNames(r)
	if err != nil {
		return err
	}
	notes, err := s.Cases.StatusNotes(r.Context(), cases)
	if err != nil {
		return err
	}
	return s.ok(w, r, []open311Request{s.toOpen311(r, cases[0], units, notes)})
}
