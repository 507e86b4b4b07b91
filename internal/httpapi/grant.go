package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
)

// registerGrantRoutes (admin):
//
//	PUT  /api/v1/users/{username}/permissions         set a user's explicit permissions: 200 applied, or
//	                                                   202 a pending request when it adds a sensitive one
//	GET  /api/v1/permission-requests?status=pending   requests (all without status)
//	POST /api/v1/permission-requests/{id}/approve     a second admin approves: the permissions apply
//	POST /api/v1/permission-requests/{id}/reject      a second admin rejects
//
// The requester and the user concerned cannot decide a request. Each of
// these writes is in the audit log with the request as its object.
func (s *Server) registerGrantRoutes(r chi.Router) {
	if s.Grants == nil {
		return
	}
	r.Put("/users/{username}/permissions", s.h(s.setPermissions))
	r.Get("/permission-requests", s.h(s.listPermissionRequests))
	r.Post("/permission-requests/{id}/approve", s.h(s.decidePermissionRequest(true)))
	r.Post("/permission-requests/{id}/reject", s.h(s.decidePermissionRequest(false)))
}

func (s *Server) setPermissions(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Permissions []string `json:"permissions"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	username := chi.URLParam(r, "username")
	pr, err := s.Grants.SetPermissions(r.Context(), principal(r), username, req.Permissions)
	if err != nil {
		return err
	}
	if pr.Status == "pending" {
		noteAuditObject(r, "permission-request:"+strconv.FormatInt(pr.ID, 10)+":user:"+username+":permissions="+strings.Join(pr.Permissions, "+"), "")
		s.writeJSON(w, r, http.StatusAccepted, "application/json", pr)
		return nil
	}
	noteAuditObject(r, "user:"+username+":permissions="+strings.Join(pr.Permissions, "+"), "")
	return s.ok(w, r, pr)
}

func (s *Server) listPermissionRequests(w http.ResponseWriter, r *http.Request) error {
	pending := false
	switch v := r.URL.Query().Get("status"); v {
	case "":
	case "pending":
		pending = true
	default:
		return errs.Invalidf("status", "invalid_status", "want pending or nothing, got %q", v)
	}
	rs, err := s.Grants.PermissionRequests(r.Context(), principal(r), pending)
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"permission_requests": rs})
}

func (s *Server) decidePermissionRequest(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if err != nil {
			return errs.Invalidf("id", "invalid_id", "want a numeric request id")
		}
		pr, err := s.Grants.Decide(r.Context(), principal(r), id, approve)
		if err != nil {
			return err
		}
		noteAuditObject(r, "permission-request:"+strconv.FormatInt(pr.ID, 10)+":"+pr.Status+":user:"+pr.Username+":permissions="+strings.Join(pr.Permissions, "+"), "")
		return s.ok(w, r, pr)
	}
}
