package httpapi

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/webhook"
)

// registerWebhookRoutes (admin only):
//
//	GET    /api/v1/webhooks                  subscriptions (without secrets)
//	POST   /api/v1/webhooks                  subscribe: url, kinds, grid_code, secret (the answer shows the secret once)
//	DELETE /api/v1/webhooks/{id}             unsubscribe
//	GET    /api/v1/webhooks/{id}/deliveries  deliveries, newest first (?status=dead lists dead letters)
func (s *Server) registerWebhookRoutes(r chi.Router) {
	if s.Webhooks == nil {
		return
	}
	r.Get("/webhooks", s.h(s.listWebhooks))
	r.Post("/webhooks", s.h(s.createWebhook))
	r.Delete("/webhooks/{id}", s.h(s.deleteWebhook))
	r.Get("/webhooks/{id}/deliveries", s.h(s.webhookDeliveries))
}

func webhookID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalidf("id", "invalid_id", "want a webhook id")
	}
	return id, nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	subs, err := s.Webhooks.List(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"webhooks": subs})
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhook.Input
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sub, err := s.Webhooks.Create(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	noteAuditObject(r, strconv.FormatInt(sub.ID, 10), sub.GridCode)
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(sub.ID, 10))
	s.writeJSON(w, r, http.StatusCreated, "application/json", sub)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := s.Webhooks.Delete(r.Context(), principal(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	f := webhook.DeliveryFilter{Limit: limit}
	if st := r.URL.Query().Get("status"); st != "" {
		f.Status = &st
	}
	ds, err := s.Webhooks.Deliveries(r.Context(), principal(r), id, f)
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"deliveries": ds})
}
