package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// registerRoutingRoutes:
//
//	GET  /api/v1/categories           the coded taxonomy with points and deadline rules
//	PUT  /api/v1/categories/{code}    create or edit a category (admin)
//	GET  /api/v1/routing/rules        the ordered routing rules (admin, center)
//	PUT  /api/v1/routing/rules        replace the rules, in order (admin)
//	POST /api/v1/routing/explain      {category, lon, lat, crs} → matched rule and why
func (s *Server) registerRoutingRoutes(r chi.Router) {
	r.Get("/categories", s.h(s.listCategories))
	r.Put("/categories/{code}", s.h(s.putCategory))
	r.Get("/routing/rules", s.h(s.listRules))
	r.Put("/routing/rules", s.h(s.putRules))
	r.Post("/routing/explain", readRoute(s.h(s.explainRouting)))
}

func (s *Server) listCategories(w http.ResponseWriter, r *http.Request) error {
	cats, err := s.Cases.Categories(r.Context())
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"categories": cats})
}

func (s *Server) putCategory(w http.ResponseWriter, r *http.Request) error {
	if err := principal(r).RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	var c casework.Category
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	code := chi.URLParam(r, "code")
	if c.Code != "" && c.Code != code {
		return errs.Invalidf("code", "code_mismatch", "the body's code %q differs from the path's %q", c.Code, code)
	}
	c.Code = code
	if err := s.Cases.SaveCategory(r.Context(), principal(r), &c); err != nil {
		return err
	}
	return s.ok(w, r, c)
}

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) error {
	if err := principal(r).RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	rules, err := s.Cases.Rules(r.Context())
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"rules": rules})
}

func (s *Server) putRules(w http.ResponseWriter, r *http.Request) error {
	if err := principal(r).RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	var req struct {
		Rules []*casework.Rule `json:"rules"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Rules == nil {
		return errs.Invalidf("rules", "rules_required", "want {\"rules\": [...]} (an empty list removes every rule)")
	}
	if len(req.Rules) > 10_000 {
		return errs.E(errs.TooLarge, "too_many_rules", "at most 10000 rules")
	}
	for i, rl := range req.Rules {
		if rl == nil {
			return errs.Invalidf("rules", "invalid_rule", "rule %d is null", i)
		}
	}
	if err := s.Cases.ReplaceRules(r.Context(), principal(r), req.Rules); err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"rules": req.Rules})
}
