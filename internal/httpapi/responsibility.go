package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/responsibility"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
	xrate "golang.org/x/time/rate"
)

// registerResponsibilityRoutes: who answers for which household, business
// or place (包户到人), and the contact published for a person.
//
//	POST /api/v1/responsibilities                      {"target": {"kind", "id"}, "username", "valid_from", "valid_to"} (admin, center in scope)
//	GET  /api/v1/responsibilities?grid=&worker=&on=    the assignments in the caller's scope
//	PUT  /api/v1/public-contacts/{username}            {"contact"}: publish ("" withdraws) the contact the public lookup shows
func (s *Server) registerResponsibilityRoutes(r chi.Router) {
	if s.Responsibility == nil {
		return
	}
	r.Post("/responsibilities", s.h(s.createResponsibility))
	r.Get("/responsibilities", s.h(s.listResponsibilities))
	r.Put("/public-contacts/{username}", s.h(s.putPublicContact))
}

// registerPublicRoutes: the routes that need no token, deliberately.
//
//	GET /api/v1/public/responsible?lon=&lat=[&crs=] | ?address=   who answers here: the grid, its worker's name,
//	    the assigned member's name (address only) and the contacts the district published — nothing else;
//	    limited per client address and in total (429 with Retry-After)
func (s *Server) registerPublicRoutes(r chi.Router) {
	if s.Responsibility == nil {
		return
	}
	lim := newPublicLimiter(s.PublicRate, s.PublicBurst)
	r.Get("/public/responsible", s.h(func(w http.ResponseWriter, r *http.Request) error {
		if !lim.allow(s.source(r)) {
			w.Header().Set("Retry-After", "1")
			return errs.E(errs.TooManyRequests, "rate_limited", "too many lookups: wait a second and retry")
		}
		return s.publicResponsible(w, r)
	}))
}

type responsibilityTargetJSON struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
}

type responsibilityInput struct {
	Target    responsibilityTargetJSON `json:"target"`
	Username  string                   `json:"username"`
	ValidFrom string                   `json:"valid_from"`
	ValidTo   string                   `json:"valid_to"`
}

type responsibilityJSON struct {
	ID            int64   `json:"id"`
	TargetKind    string  `json:"target_kind"`
	TargetID      int64   `json:"target_id"`
	TargetName    string  `json:"target_name"`
	TargetAddress string  `json:"target_address"`
	GridCode      string  `json:"grid_code"`
	Username      string  `json:"username"`
	Name          string  `json:"name"`
	ValidFrom     string  `json:"valid_from"`
	ValidTo       *string `json:"valid_to"`
}

func responsibilityOut(a *responsibility.Assignment) responsibilityJSON {
	out := responsibilityJSON{ID: a.ID, TargetKind: a.TargetKind, TargetID: a.TargetID, TargetName: a.TargetName,
		TargetAddress: a.TargetAddress, GridCode: a.GridCode, Username: a.Username, Name: a.Name, ValidFrom: a.ValidFrom.String()}
	if a.ValidTo != nil {
		v := a.ValidTo.String()
		out.ValidTo = &v
	}
	return out
}

func (s *Server) createResponsibility(w http.ResponseWriter, r *http.Request) error {
	var in responsibilityInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Responsibility.Assign(r.Context(), principal(r), responsibility.Input{TargetKind: in.Target.Kind, TargetID: in.Target.ID,
		Username: in.Username, ValidFrom: in.ValidFrom, ValidTo: in.ValidTo})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, "application/json", responsibilityOut(a))
	return nil
}

func (s *Server) listResponsibilities(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var on *workday.Date
	if v := q.Get("on"); v != "" {
		d, err := workday.ParseDate(v)
		if err != nil {
			return errs.Invalidf("on", "invalid_date", "want a date YYYY-MM-DD, got %q", v)
		}
		on = &d
	}
	as, err := s.Responsibility.List(r.Context(), principal(r), q.Get("grid"), q.Get("worker"), on)
	if err != nil {
		return err
	}
	out := make([]responsibilityJSON, len(as))
	for i, a := range as {
		out[i] = responsibilityOut(a)
	}
	return s.ok(w, r, map[string]any{"responsibilities": out})
}

func (s *Server) putPublicContact(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Contact string `json:"contact"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	username := chi.URLParam(r, "username")
	if err := s.Responsibility.SetPublicContact(r.Context(), principal(r), username, in.Contact); err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"username": username, "contact": in.Contact})
}

// publicPersonJSON is all the public lookup says about a person.
type publicPersonJSON struct {
	Name    string  `json:"name"`
	Contact *string `json:"contact"` // null when the district published none
}

func publicPerson(p *responsibility.Person) *publicPersonJSON {
	if p == nil {
		return nil
	}
	out := &publicPersonJSON{Name: p.Name}
	if p.Contact != "" {
		c := p.Contact
		out.Contact = &c
	}
	return out
}

func (s *Server) publicResponsible(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var a *responsibility.Answer
	var err error
	switch {
	case q.Get("address") != "" && (q.Has("lon") || q.Has("lat")):
		return errs.Invalidf("address", "address_or_point", "give either an address or lon and lat, not both")
	case q.Get("address") != "":
		a, err = s.Responsibility.WhoAnswersFor(r.Context(), q.Get("address"))
	case q.Has("lon") || q.Has("lat"):
		lon, err1 := strconv.ParseFloat(q.Get("lon"), 64)
		lat, err2 := strconv.ParseFloat(q.Get("lat"), 64)
		if err1 != nil || err2 != nil {
			return errs.Invalidf("lon,lat", "invalid_point", "want numeric lon and lat, got lon=%q lat=%q", q.Get("lon"), q.Get("lat"))
		}
		if err := checkPoint("lon,lat", lon, lat); err != nil {
			return err
		}
		sys, err := queryCRS(r)
		if err != nil {
			return err
		}
		x, y := crs.ToWGS84(sys, lon, lat)
		a, err = s.Responsibility.WhoAnswersAt(r.Context(), orb.Point{x, y})
		if err != nil {
			return err
		}
	default:
		return errs.Invalidf("address", "address_or_point", "give an address (?address=) or a point (?lon=&lat=)")
	}
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{
		"grid":        map[string]string{"code": a.GridCode, "name": a.GridName},
		"worker":      publicPerson(a.Worker),
		"responsible": publicPerson(a.Responsible),
	})
}

// publicLimiter bounds the public lookup: per client address (Server.source:
// a forwarded address only from a trusted proxy) and in total.
// It keeps at most maxClients addresses and starts afresh when full.
type publicLimiter struct {
	mu      sync.Mutex
	rate    xrate.Limit
	burst   int
	total   *xrate.Limiter
	clients map[string]*xrate.Limiter
}

const maxPublicClients = 10000

func newPublicLimiter(perSecond float64, burst int) *publicLimiter {
	if perSecond <= 0 {
		perSecond = 1
	}
	if burst <= 0 {
		burst = 10
	}
	return &publicLimiter{rate: xrate.Limit(perSecond), burst: burst,
		total:   xrate.NewLimiter(xrate.Limit(perSecond*50), burst*50),
		clients: map[string]*xrate.Limiter{}}
}

func (l *publicLimiter) allow(host string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[host]
	if c == nil {
		if len(l.clients) >= maxPublicClients {
			clear(l.clients)
		}
		c = xrate.NewLimiter(l.rate, l.burst)
		l.clients[host] = c
	}
	return c.AllowN(now, 1) && l.total.AllowN(now, 1)
}
