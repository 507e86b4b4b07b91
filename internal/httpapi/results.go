package httpapi

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/errs"
)

// registerResultRoutes:
//
//	GET /api/v1/results/workers   period=YYYY|YYYY-Qn, parent, advanced_share (default 0.1): quarterly or yearly results, grades and the 先进网格
//	GET /api/v1/results/leaders   year=YYYY: the supervising leaders' and cadres' grid-work score and year-end deduction
//	GET /api/v1/results/leaders/rubric, PUT (admin): the leaders' yearly system
//	PUT /api/v1/results/leaders/scores   {year, user_id, item, score}: the joint meeting's score of a manual item
func (s *Server) registerResultRoutes(r chi.Router) {
	if s.Results != nil {
		r.Get("/results/workers", s.h(s.workerResults))
	}
	if s.Leaders != nil {
		r.Get("/results/leaders", s.h(s.leaderResults))
		r.Get("/results/leaders/rubric", s.h(s.leaderRubric))
		r.Put("/results/leaders/rubric", s.h(s.saveLeaderRubric))
		r.Put("/results/leaders/scores", s.h(s.setLeaderScore))
	}
}

func (s *Server) leaderResults(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query().Get("year")
	year, err := strconv.Atoi(v)
	if err != nil || len(v) != 4 {
		return errs.Invalidf("year", "invalid_year", "want year=YYYY, got %q", v)
	}
	res, err := s.Leaders.Year(r.Context(), principal(r), year)
	if err != nil {
		return err
	}
	return s.ok(w, r, res)
}

func (s *Server) leaderRubric(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Leaders.Rubric(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.ok(w, r, res)
}

func (s *Server) saveLeaderRubric(w http.ResponseWriter, r *http.Request) error {
	var in analytics.LeaderRubric
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.Version = 0
	res, err := s.Leaders.SaveRubric(r.Context(), principal(r), &in)
	if err != nil {
		return err
	}
	return s.ok(w, r, res)
}

func (s *Server) setLeaderScore(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Year   int      `json:"year"`
		UserID int64    `json:"user_id"`
		Item   string   `json:"item"`
		Score  *float64 `json:"score"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Score == nil {
		return errs.Invalidf("score", "score_required", "want a score in [0, 100]")
	}
	p := principal(r)
	if err := s.Leaders.SetScore(r.Context(), p, in.Year, in.UserID, in.Item, *in.Score); err != nil {
		return err
	}
	res, err := s.Leaders.Year(r.Context(), p, in.Year)
	if err != nil {
		return err
	}
	return s.ok(w, r, res)
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
