package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/inbox"
	"github.com/gridd/gridd/internal/msg"
)

// registerInboxRoutes:
//
//	GET  /api/v1/inbox              the caller's to-do counts and items, and its notifications (?limit=1..100)
//	POST /api/v1/inbox/{id}/read    mark one of the caller's notifications read
//	GET  /api/v1/deadlines          the stage clocks' settings (review limits, yellow threshold)
//	PUT  /api/v1/deadlines          replace them (admin)
func (s *Server) registerInboxRoutes(r chi.Router) {
	if s.Inbox != nil {
		r.Get("/inbox", s.h(s.getInbox))
		r.Post("/inbox/{id}/read", s.h(s.readNotification))
	}
	r.Get("/deadlines", s.h(s.getDeadlines))
	r.Put("/deadlines", s.h(s.putDeadlines))
}

type notificationJSON struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	CaseID    int64      `json:"case_id,omitempty"`
	Text      string     `json:"text"`
	CreatedAt time.Time  `json:"created_at"`
	Read      bool       `json:"read"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

func (s *Server) getInbox(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 1, inbox.MaxItems)
	if err != nil {
		return err
	}
	in, err := s.Inbox.Get(r.Context(), principal(r), limit)
	if err != nil {
		return err
	}
	l := msg.Lang(lang(r))
	notes := make([]notificationJSON, len(in.Notifications))
	for i, n := range in.Notifications {
		notes[i] = notificationJSON{ID: n.ID, Kind: string(n.Kind), CaseID: n.CaseID, Text: s.Messages.Sprintf(l, n.Key, n.Args...),
			CreatedAt: n.CreatedAt, Read: n.ReadAt != nil, ReadAt: n.ReadAt}
	}
	return s.ok(w, r, map[string]any{"counts": in.Counts, "items": in.Items, "notifications": notes})
}

func (s *Server) readNotification(w http.ResponseWriter, r *http.Request) error {
	v := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return errs.Invalidf("id", "invalid_id", "want a positive integer notification id, got %q", v)
	}
	if err := s.Inbox.MarkRead(r.Context(), principal(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getDeadlines(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Cases.ClockSettings(r.Context())
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"review": cs.Review, "review_rules": cs.ReviewRules, "yellow_share": cs.YellowShare,
		"yellow_hours": cs.YellowHours})
}

func (s *Server) putDeadlines(w http.ResponseWriter, r *http.Request) error {
	var req casework.ClockSettings
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.Cases.PutClockSettings(r.Context(), principal(r), req); err != nil {
		return err
	}
	return s.getDeadlines(w, r)
}
