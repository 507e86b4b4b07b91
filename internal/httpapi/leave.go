package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/attendance"
	"github.com/gridd/gridd/internal/errs"
)

// registerLeaveRoutes:
//
//	POST /api/v1/leave                  {"kind":"leave|rest","from","to","reason"[,"username"]}: a worker asks for itself, the center for a worker (Idempotency-Key)
//	GET  /api/v1/leave?status=&from=&to=  a worker's own requests; the center's: its scope's workers'
//	POST /api/v1/leave/{id}/decision    {"approve":true|false} with If-Match: version (the center)
func (s *Server) registerLeaveRoutes(r chi.Router) {
	if s.Leave == nil {
		return
	}
	r.Post("/leave", s.h(s.askLeave))
	r.Get("/leave", s.h(s.listLeave))
	r.Post("/leave/{id}/decision", s.h(s.decideLeave))
}

type leaveJSON struct {
	ID        int64      `json:"id"`
	Username  string     `json:"username"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	From      string     `json:"from"`
	To        string     `json:"to"`
	Reason    string     `json:"reason"`
	Status    string     `json:"status"`
	Version   int        `json:"version"`
	DecidedAt *time.Time `json:"decided_at"`
	CreatedAt time.Time  `json:"created_at"`
}

func toLeaveJSON(l *attendance.Leave) leaveJSON {
	return leaveJSON{ID: l.ID, Username: l.Username, Name: l.Name, Kind: l.Kind, From: l.From.Format("2006-01-02"), To: l.To.Format("2006-01-02"),
		Reason: l.Reason, Status: l.Status, Version: l.Version, DecidedAt: l.DecidedAt, CreatedAt: l.CreatedAt}
}

func (s *Server) askLeave(w http.ResponseWriter, r *http.Request) error {
	var in attendance.Request
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	l, replayed, err := s.Leave.Ask(r.Context(), principal(r), in, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	status := createdStatus(w, replayed)
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, l.Version))
	s.writeJSON(w, r, status, "application/json", toLeaveJSON(l))
	return nil
}

func (s *Server) listLeave(w http.ResponseWriter, r *http.Request) error {
	f := attendance.Filter{Status: r.URL.Query().Get("status")}
	var err error
	if f.From, err = queryCivilDate(r, "from"); err != nil {
		return err
	}
	if f.To, err = queryCivilDate(r, "to"); err != nil {
		return err
	}
	list, err := s.Leave.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	out := make([]leaveJSON, 0, len(list))
	for _, l := range list {
		out = append(out, toLeaveJSON(l))
	}
	return s.ok(w, r, map[string]any{"leave": out})
}

func (s *Server) decideLeave(w http.ResponseWriter, r *http.Request) error {
	id, err := positiveID(r, "leave request")
	if err != nil {
		return err
	}
	version, err := ifMatchVersion(r, "send If-Match with the request's current version (its ETag)")
	if err != nil {
		return err
	}
	var req struct {
		Approve *bool `json:"approve"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Approve == nil {
		return errs.Invalidf("approve", "approve_required", "want approve: true or false")
	}
	l, err := s.Leave.Decide(r.Context(), principal(r), id, version, *req.Approve)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, l.Version))
	return s.ok(w, r, toLeaveJSON(l))
}
