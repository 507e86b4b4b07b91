package httpapi

import (
	"github.com/gridd/gridd/internal/people"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// registerAuthRoutes:
//
//	POST /api/v1/auth/logout  revoke the token
//	GET  /api/v1/auth/me      the principal
//
// POST /api/v1/auth/login is public and registered in routes.
func (s *Server) registerAuthRoutes(r chi.Router) {
	r.Post("/auth/logout", s.h(s.logout))
	r.Get("/auth/me", s.h(s.me))
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sess, err := s.Auth.Login(r.Context(), req.Username, req.Password)
	if err != nil {
		return err
	}
	return s.ok(w, r, sess)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Auth.Logout(r.Context(), bearer(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type meResponse struct {
	Username   string   `json:"username"`
	Name       string   `json:"name"`
	Role       string   `json:"role"`
	Department string   `json:"department,omitempty"`
	Scope      []string `json:"scope"`
	// Features are the optional parts of the API this server has wired
	// (see features); the console offers a tab or layer only for those and
	// leaves the role checks to the routes themselves.
	Features []string `json:"features"`
	// Layers are the tile layers (GET /tiles/{layer}.json) this user may
	// read, so the console asks for no layer it would be refused.
	Layers []string `json:"layers"`
}

// readableLayers lists the tile layers role may read.
func (s *Server) readableLayers(role people.Role) []string {
	out := []string{}
	if s.Tiles == nil || s.Tiles.Registry == nil {
		return out
	}
	for _, l := range s.Tiles.Registry.Layers() {
		if l.CanRead(role) {
			out = append(out, l.Name)
		}
	}
	return out
}

// features lists the optional route groups this server serves: each is
// registered only when its service is wired (TestFeaturesMatchRoutes).
func (s *Server) features() []string {
	f := []string{}
	if s.Cases != nil {
		f = append(f, "cases", "stats")
	}
	if s.Patrols != nil {
		f = append(f, "patrol_audit")
	}
	if s.Registers != nil {
		f = append(f, "register_audit")
	}
	if s.Assessments != nil {
		f = append(f, "assessments")
	}
	return f
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	return s.ok(w, r, meResponse{Username: p.User.Username, Name: p.User.Name, Role: string(p.User.Role),
		Department: p.User.DepartmentCode, Scope: p.GridScope(), Features: s.features(), Layers: s.readableLayers(p.Role())})
}
