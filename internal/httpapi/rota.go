package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/forces"
)

// registerRotaRoutes:
//
//	GET    /api/v1/police-rota?community=&from=&to=   a community's shifts with the norms' flags (to inclusive, ≤ 62 days)
//	POST   /api/v1/police-rota/shifts                 {"community","date","shift","username"}: an officer on a shift
//	DELETE /api/v1/police-rota/shifts/{id}            take a shift off the rota
func (s *Server) registerRotaRoutes(r chi.Router) {
	if s.Rota == nil {
		return
	}
	r.Get("/police-rota", s.h(s.getRota))
	r.Post("/police-rota/shifts", s.h(s.createShift))
	r.Delete("/police-rota/shifts/{id}", s.h(s.deleteShift))
}

type shiftJSON struct {
	forces.Shift
	Date string `json:"date"`
}

func toShiftJSON(sh forces.Shift) shiftJSON {
	return shiftJSON{Shift: sh, Date: sh.Date.Format("2006-01-02")}
}

func (s *Server) getRota(w http.ResponseWriter, r *http.Request) error {
	from, err := queryCivilDate(r, "from")
	if err != nil {
		return err
	}
	to, err := queryCivilDate(r, "to")
	if err != nil {
		return err
	}
	if from == nil || to == nil {
		return errs.Invalidf("from,to", "range_required", "want from=YYYY-MM-DD and to=YYYY-MM-DD")
	}
	rota, err := s.Rota.Rota(r.Context(), principal(r), r.URL.Query().Get("community"), *from, *to)
	if err != nil {
		return err
	}
	out := struct {
		*forces.Rota
		Shifts []shiftJSON `json:"shifts"`
	}{Rota: rota, Shifts: make([]shiftJSON, 0, len(rota.Shifts))}
	for _, sh := range rota.Shifts {
		out.Shifts = append(out.Shifts, toShiftJSON(sh))
	}
	return s.ok(w, r, out)
}

func (s *Server) createShift(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Community string `json:"community"`
		Date      string `json:"date"`
		Shift     int    `json:"shift"`
		Username  string `json:"username"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, err := time.Parse("2006-01-02", req.Date)
	if err != nil {
		return errs.Invalidf("date", "invalid_date", "want YYYY-MM-DD, got %q", req.Date)
	}
	sh, err := s.Rota.AddShift(r.Context(), principal(r), req.Community, d, req.Shift, req.Username)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/police-rota/shifts/%d", sh.ID))
	s.writeJSON(w, r, http.StatusCreated, "application/json", toShiftJSON(*sh))
	return nil
}

func (s *Server) deleteShift(w http.ResponseWriter, r *http.Request) error {
	id, err := positiveID(r, "shift")
	if err != nil {
		return err
	}
	if err := s.Rota.RemoveShift(r.Context(), principal(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
