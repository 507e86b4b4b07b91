package httpapi

import (
	"net/http"
	"strconv"

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
	var share float64
	if v := q.Get("advanced_share"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			return errs.Invalidf("advanced_share", "invalid_share", "want a share in (0, 1], got %q", v)
		}
		share = f
	}
	res, err := s.Results.WorkerResults(r.Context(), principal(r), period, q.Get("parent"), share)
	if err != nil {
		return err
	}
	return s.ok(w, r, res)
}
