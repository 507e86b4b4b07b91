package httpapi

import (
	"github.com/gridd/gridd/internal/msg"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
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
	r.Post("/routing/explain", s.h(s.explainRouting)) // a read (readPOSTs)
}

func (s *Server) listCategories(w http.ResponseWriter, r *http.Request) error {
	cats, err := s.Cases.Categories(r.Context())
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"categories": cats})
}

func (s *Server) putCategory(w http.ResponseWriter, r *http.Request) error {
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
	rules, err := s.Cases.RulesFor(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"rules": rules})
}

func (s *Server) putRules(w http.ResponseWriter, r *http.Request) error {
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

// renderWhy sets each check's Why in the reader's language from its
// catalogue key, with department names for unit codes and the catalogue's
// names for road kinds.
func (s *Server) renderWhy(r *http.Request, checks []casework.Check) error {
	l := msg.ParseLang(lang(r))
	var units map[string]string
	for i := range checks {
		ck := &checks[i]
		if ck.WhyKey == "" || !s.Messages.Has(msg.Key(ck.WhyKey)) {
			continue
		}
		args := make([]any, len(ck.WhyArgs))
		for j, a := range ck.WhyArgs {
			switch a := a.(type) {
			case casework.UnitCode:
				if units == nil {
					ds, err := s.People.FindDepartments(r.Context())
					if err != nil {
						return err
					}
					units = map[string]string{}
					for _, d := range ds {
						units[d.Code] = d.Name
					}
				}
				args[j] = string(a)
				if n := units[string(a)]; n != "" {
					args[j] = n
				}
			case casework.RoadKind:
				args[j] = string(a)
				if k := msg.Key("road.kind." + string(a)); s.Messages.Has(k) {
					args[j] = s.Messages.Sprintf(l, k)
				}
			default:
				args[j] = a
			}
		}
		ck.Why = s.Messages.Sprintf(l, msg.Key(ck.WhyKey), args...)
	}
	return nil
}
