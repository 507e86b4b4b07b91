package httpapi

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
)

// registerAPIKeyRoutes (each user manages its own keys):
//
//	POST   /api/v1/auth/api-keys       {"name", "expires_in_days"} → the key, shown once
//	GET    /api/v1/auth/api-keys       the caller's keys, without the keys
//	DELETE /api/v1/auth/api-keys/{id}  revoke
func (s *Server) registerAPIKeyRoutes(r chi.Router) {
	r.Post("/auth/api-keys", s.h(s.createAPIKey))
	r.Get("/auth/api-keys", s.h(s.listAPIKeys))
	r.Delete("/auth/api-keys/{id}", s.h(s.revokeAPIKey))
}

type apiKeyRequest struct {
	Name string `json:"name"`
	// ExpiresInDays is the key's lifetime (0 or absent: the server's
	// default; at most its maximum).
	ExpiresInDays int `json:"expires_in_days"`
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req apiKeyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	k, err := s.Keys.CreateAPIKey(r.Context(), principal(r), req.Name, req.ExpiresInDays)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, "application/json", k)
	return nil
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := s.Keys.APIKeys(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"api_keys": ks})
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.Invalidf("id", "invalid_parameter", "want a positive integer key id, got %q", chi.URLParam(r, "id"))
	}
	if err := s.Keys.RevokeAPIKey(r.Context(), principal(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
