package httpapi

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
)

// registerCalendarRoutes:
//
//	GET /api/v1/calendar/{year}   official days off and make-up working days of a year
//	PUT /api/v1/calendar/{year}   replace them (admin): {"off": [...], "work": [...]}
func (s *Server) registerCalendarRoutes(r chi.Router) {
	r.Get("/calendar/{year}", s.h(s.getCalendar))
	r.Put("/calendar/{year}", s.h(s.putCalendar))
}

func pathYear(r *http.Request) (int, error) {
	v := chi.URLParam(r, "year")
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2100 {
		return 0, errs.Invalidf("year", "invalid_year", "want a year from 2000 to 2100, got %q", v)
	}
	return y, nil
}

func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request) error {
	year, err := pathYear(r)
	if err != nil {
		return err
	}
	cal, err := s.Cases.Calendar(r.Context())
	if err != nil {
		return err
	}
	for _, y := range cal.Years() {
		if y.Year == year {
			return s.ok(w, r, y)
		}
	}
	return errs.NotFoundf("the calendar of %d has not been loaded; PUT it from the State Council notice", year)
}

func (s *Server) putCalendar(w http.ResponseWriter, r *http.Request) error {
	year, err := pathYear(r)
	if err != nil {
		return err
	}
	var y workday.Year
	if err := decodeJSON(r, &y); err != nil {
		return err
	}
	if y.Year != 0 && y.Year != year {
		return errs.Invalidf("year", "year_mismatch", "the body's year %d differs from the path's %d", y.Year, year)
	}
	y.Year = year
	if y.Off == nil || y.Work == nil {
		return errs.Invalidf("off,work", "lists_required", "want both lists, off and work (either may be empty)")
	}
	if err := s.Cases.PutCalendarYear(r.Context(), principal(r), y); err != nil {
		return err
	}
	return s.ok(w, r, y)
}
