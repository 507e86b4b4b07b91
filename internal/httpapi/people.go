package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// registerPeopleRoutes:
//
//	GET  /api/v1/users                        users (admin, center)
//	POST /api/v1/users                        create a user (admin)
//	GET  /api/v1/departments                  departments
//	POST /api/v1/departments                  create a department (admin)
//	GET  /api/v1/grids/{code}/assignments     who held which role (on=DATE)
//	POST /api/v1/grids/{code}/assignments     assign a person (admin, center in scope)
//	POST /api/v1/assignments/{id}/end         end an assignment (admin, center)
func (s *Server) registerPeopleRoutes(r chi.Router) {
	r.Get("/users", s.h(s.listUsers))
	r.Post("/users", s.h(s.createUser))
	r.Get("/departments", s.h(s.listDepartments))
	r.Post("/departments", s.h(s.createDepartment))
	r.Get("/grids/{code}/assignments", s.h(s.listAssignments))
	r.Post("/grids/{code}/assignments", s.h(s.createAssignment))
	r.Post("/assignments/{id}/end", s.h(s.endAssignment))
}

type userJSON struct {
	ID             int64  `json:"id"`
	Username       string `json:"username"`
	Name           string `json:"name"`
	Phone          string `json:"phone"`
	Role           string `json:"role"`
	DepartmentCode string `json:"department_code,omitempty"`
	ScopeCode      string `json:"scope_code,omitempty"`
	CanLogin       bool   `json:"can_login"`
	Disabled       bool   `json:"disabled"`
}

func toUserJSON(u *people.User) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, Name: u.Name, Phone: u.Phone, Role: string(u.Role),
		DepartmentCode: u.DepartmentCode, ScopeCode: u.ScopeCode, CanLogin: u.PasswordHash != "", Disabled: u.Disabled}
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.directory.Users(r.Context(), principal(r))
	if err != nil {
		return err
	}
	out := []userJSON{}
	for _, u := range us {
		out = append(out, toUserJSON(u))
	}
	return s.ok(w, r, map[string]any{"users": out})
}

type createUserRequest struct {
	Username       string `json:"username"`
	Name           string `json:"name"`
	Phone          string `json:"phone"`
	Role           string `json:"role"`
	DepartmentCode string `json:"department_code"`
	ScopeCode      string `json:"scope_code"`
	Password       string `json:"password"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req createUserRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := people.NewUser(req.Username, req.Name, req.Phone, req.Role, req.DepartmentCode, req.ScopeCode)
	if err != nil {
		return err
	}
	if err := s.directory.CreateUser(r.Context(), principal(r), u, req.Password); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, "application/json", toUserJSON(u))
	return nil
}

func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.directory.Departments(r.Context(), principal(r))
	if err != nil {
		return err
	}
	type dj struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	out := []dj{}
	for _, d := range ds {
		out = append(out, dj{d.Code, d.Name})
	}
	return s.ok(w, r, map[string]any{"departments": out})
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, err := people.NewDepartment(req.Code, req.Name)
	if err != nil {
		return err
	}
	if err := s.directory.CreateDepartment(r.Context(), principal(r), d); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, "application/json", req)
	return nil
}

func (s *Server) listAssignments(w http.ResponseWriter, r *http.Request) error {
	var on *time.Time
	if v := r.URL.Query().Get("on"); v != "" {
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return errs.Invalidf("on", "invalid_date", "want YYYY-MM-DD, got %q", v)
		}
		on = &d
	}
	as, err := s.directory.Assignments(r.Context(), principal(r), chi.URLParam(r, "code"), on)
	if err != nil {
		return err
	}
	out := []assignmentJSON{}
	for _, a := range as {
		out = append(out, toAssignmentJSON(a))
	}
	return s.ok(w, r, map[string]any{"assignments": out})
}

type createAssignmentRequest struct {
	Username  string `json:"username"`
	GridRole  string `json:"grid_role"`
	FullTime  *bool  `json:"full_time"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"`
}

func (s *Server) createAssignment(w http.ResponseWriter, r *http.Request) error {
	code := chi.URLParam(r, "code")
	var req createAssignmentRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	role, err := people.ParseGridRole(req.GridRole)
	if err != nil {
		return err
	}
	from, err := time.Parse("2006-01-02", req.ValidFrom)
	if err != nil {
		return errs.Invalidf("valid_from", "invalid_date", "want YYYY-MM-DD, got %q", req.ValidFrom)
	}
	a := &people.Assignment{GridCode: code, GridRole: role, FullTime: true, ValidFrom: from}
	if req.FullTime != nil {
		a.FullTime = *req.FullTime
	}
	if req.ValidTo != "" {
		to, err := time.Parse("2006-01-02", req.ValidTo)
		if err != nil || !to.After(from) {
			return errs.Invalidf("valid_to", "invalid_date", "want a date YYYY-MM-DD after valid_from, got %q", req.ValidTo)
		}
		a.ValidTo = &to
	}
	if err := s.directory.Assign(r.Context(), principal(r), req.Username, a); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, "application/json", toAssignmentJSON(a))
	return nil
}

func (s *Server) endAssignment(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return errs.Invalidf("id", "invalid_id", "want a numeric assignment id")
	}
	var req struct {
		On string `json:"on"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	on, err := time.Parse("2006-01-02", req.On)
	if err != nil {
		return errs.Invalidf("on", "invalid_date", "want YYYY-MM-DD, got %q", req.On)
	}
	if err := s.directory.EndAssignment(r.Context(), principal(r), id, on); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
