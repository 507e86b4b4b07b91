package httpapi

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/auth"
)

// registerAuthRoutes:
//
//	POST /api/v1/auth/logout                             revoke the token
//	GET  /api/v1/auth/me                                 the principal
//	POST /api/v1/auth/totp/disable                       {"code"}: turn one's own second factor off (a role that
//	                                                     does not require one, with a current code); 204
//	POST /api/v1/users/{username}/second-factor/reset    admin: remove the user's factor and recovery codes, revoke
//	                                                     its sessions; it must enrol at its next login; 204
//
// POST /api/v1/auth/login is public and registered in routes, and so are
// the enrolment routes (registerEnrolmentRoutes), which also take an
// enrol-only token.
func (s *Server) registerAuthRoutes(r chi.Router) {
	r.Post("/auth/logout", s.h(s.logout))
	r.Get("/auth/me", s.h(s.me))
	r.Post("/auth/totp/disable", s.h(s.disableTOTP))
	r.Post("/users/{username}/second-factor/reset", s.h(s.resetSecondFactor))
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.Auth.DisableTOTP(r.Context(), principal(r), req.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) resetSecondFactor(w http.ResponseWriter, r *http.Request) error {
	username := chi.URLParam(r, "username")
	noteAuditObject(r, "user:"+username+":second-factor-reset", "")
	if err := s.Auth.ResetSecondFactorOf(r.Context(), principal(r), username); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// registerEnrolmentRoutes:
//
//	POST /api/v1/auth/totp          start enrolling a TOTP second factor: secret and otpauth URI
//	POST /api/v1/auth/totp/confirm  confirm it with a current code: recovery codes
//
// Both take any live token of the user, including the enrol-only token a
// login answers for a role that requires a second factor not enrolled yet.
func (s *Server) registerEnrolmentRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.authenticateEnrolment, s.auditPrincipal)
		r.Post("/auth/totp", s.h(s.enrolTOTP))
		r.Post("/auth/totp/confirm", s.h(s.confirmTOTP))
	})
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Code is a TOTP code or a recovery code, when the user has a second
	// factor (the login answers 401 second_factor_required without it).
	Code string `json:"code"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sess, err := s.Auth.Login(r.Context(), auth.Credentials{Username: req.Username, Password: req.Password,
		Code: req.Code, Source: s.source(r)})
	if err != nil {
		return err
	}
	return s.ok(w, r, sess)
}

func (s *Server) authenticateEnrolment(next http.Handler) http.Handler {
	return s.h(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.Auth.AuthenticateEnrolment(r.Context(), bearer(r))
		if err != nil {
			return err
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyPrincipal, p)))
		return nil
	})
}

func (s *Server) enrolTOTP(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Auth.EnrolTOTP(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.ok(w, r, e)
}

func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	codes, err := s.Auth.ConfirmTOTP(r.Context(), principal(r), bearer(r), req.Code)
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"recovery_codes": codes})
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

// readableLayers lists the tile layers p may read: none on a province
// instance, which serves no /tiles route (its grids are
// /api/v1/province/tiles).
func (s *Server) readableLayers(p *auth.Principal) []string {
	out := []string{}
	if s.Tiles == nil || s.Tiles.Registry == nil || s.Province != nil {
		return out
	}
	for _, l := range s.Tiles.Registry.ReadableLayers(p) {
		out = append(out, l.Name)
	}
	return out
}

// features lists the optional route groups this server serves: each is
// registered only when its service is wired (TestMeFeatures). A province
// instance serves only "province" (provinceRoutes), whatever else is
// wired: the console then shows its read-only province view.
func (s *Server) features() []string {
	if s.Province != nil {
		return []string{"province"}
	}
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
	if s.Visits != nil && s.Worklog != nil {
		f = append(f, "duties")
	}
	return f
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	return s.ok(w, r, meResponse{Username: p.User.Username, Name: p.User.Name, Role: string(p.User.Role),
		Department: p.User.DepartmentCode, Scope: p.GridScope(), Features: s.features(), Layers: s.readableLayers(p)})
}
