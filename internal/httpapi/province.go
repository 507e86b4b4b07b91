package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/tiles"
)

// provinceRoutes is the route table of a province instance (Deps.Province
// set): health, login and the caller's own account, and the province's
// read-only figures. Nothing else of a city's gridd is served: the
// province database holds only what the cities publish.
func (s *Server) provinceRoutes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.withRequestID, s.recoverer, s.observe, s.rejectNUL, s.readOnly, s.auditWrites)
	s.registerHealthRoutes(r)
	s.registerConsoleRoutes(r)
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(s.limitBody, noStore)
		r.Post("/auth/login", s.h(s.login))
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate, s.auditPrincipal, s.limitWrites)
			s.registerAuthRoutes(r)
			s.registerProvinceRoutes(r)
		})
	})
	s.registerFallbacks(r)
	return r
}

// registerProvinceRoutes:
//
//	GET /api/v1/province/cities                   subscribed cities: connected, last message, lag, rows held
//	GET /api/v1/province/stats                    from, to (YYYY-MM-DD, to inclusive): figures per county and for the province, by month
//	GET /api/v1/province/tiles/{z}/{x}/{y}.mvt    current grids of every city (layer "grids": county_code, code, name, level)
//	GET /api/v1/province/hotspots                 from, to, category, res: hot spots over every city's cases (GeoJSON)
func (s *Server) registerProvinceRoutes(r chi.Router) {
	r.Get("/province/cities", s.h(s.provinceCities))
	r.Get("/province/stats", s.h(s.provinceStats))
	r.Get("/province/tiles/{z}/{x}/{y}.mvt", s.h(s.provinceTile))
	r.Get("/province/hotspots", s.h(s.provinceHotspots))
}

// readOnly refuses every write on a province instance (its data belongs to
// the cities' subscriptions) except the caller's own session: logging in
// and out and enrolling a second factor.
func (s *Server) readOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !strings.HasPrefix(r.URL.Path, "/api/v1/auth/") {
				e := errs.E(errs.MethodNotAllowed, "province_read_only",
					"the province instance is read-only: its data is replicated from the cities; change it in the city's gridd")
				e.Allowed = []string{http.MethodGet, http.MethodHead}
				w.Header().Set("Allow", "GET, HEAD")
				s.writeError(w, r, e)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) provinceCities(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Province.Cities(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"cities": cs})
}

func (s *Server) provinceStats(w http.ResponseWriter, r *http.Request) error {
	from, to, err := queryRange(r, 3)
	if err != nil {
		return err
	}
	st, err := s.Province.Stats(r.Context(), principal(r), *from, *to)
	if err != nil {
		return err
	}
	return s.ok(w, r, st)
}

func (s *Server) provinceTile(w http.ResponseWriter, r *http.Request) error {
	c, err := tiles.ParseCoord(chi.URLParam(r, "z"), chi.URLParam(r, "x"), chi.URLParam(r, "y"))
	if err != nil {
		return err
	}
	b, err := s.Province.GridTile(r.Context(), principal(r), c)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

func (s *Server) provinceHotspots(w http.ResponseWriter, r *http.Request) error {
	q, err := hotspotQuery(r, s.Province.Hotspots.DefaultPeriod)
	if err != nil {
		return err
	}
	h, err := s.Province.HotspotsOf(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	return s.writeHotspots(w, r, h)
}
