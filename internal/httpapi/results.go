package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
)

// registerResultRoutes:
//
//	GET /api/v1/results/workers   period=YYYY|YYYY-Qn, parent, advanced_share (default 0.1): quarterly or yearly results, grades and the 先进网格
func (s *Server) registerResultRoutes(r chi.Router) {
	if s.Results == nil {
		return
	}
	r.Get("/results/workers", s.h(s.workerResults))
}

func (s *Server) workerResults(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	period := q.Get("period")
	if period == "" {
		return errs.Invalidf("period", "period_required", "want period=YYYY or YYYY-Qn")
	}
	share, err := queryFloat(r, "advanced_share", 0, 0, 1, "a share in (0, 1]")
	if err != nil {
		return err
	}
	res, err := s.Results.WorkerResults(r.Context(), principal(r), period, q.Get("parent"), share)
	if err != nil {
		return err
	}
	return s.ok(w, r, res)
}
