package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/paulmach/orb/geojson"
)

// registerHotspotRoutes:
//
//	GET /api/v1/hotspots   from, to (YYYY-MM-DD, to inclusive; default the twelve months up to today), category, parent, res (6–10, default 9)
func (s *Server) registerHotspotRoutes(r chi.Router) {
	if s.Hotspots == nil {
		return
	}
	r.Get("/hotspots", s.h(s.hotspots))
}

var trendKeys = map[analytics.Trend]msg.Key{
	analytics.TrendNew: msg.TrendNew, analytics.TrendIntensifying: msg.TrendIntensifying,
	analytics.TrendPersistent: msg.TrendPersistent, analytics.TrendFading: msg.TrendFading, analytics.TrendSporadic: msg.TrendSporadic,
}

// hotspotCollection is the answer of GET /api/v1/hotspots: the cells with
// a case or significant, and the analysis's parameters.
type hotspotCollection struct {
	Type       string             `json:"type"`
	From       string             `json:"from"`
	To         string             `json:"to"`
	Months     []string           `json:"months"`
	Resolution int                `json:"resolution"`
	Alpha      float64            `json:"alpha"`
	Features   []*geojson.Feature `json:"features"`
}

func (s *Server) hotspots(w http.ResponseWriter, r *http.Request) error {
	q, err := hotspotQuery(r, s.Hotspots.DefaultPeriod)
	if err != nil {
		return err
	}
	h, err := s.Hotspots.Hotspots(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	return s.writeHotspots(w, r, h)
}

// hotspotQuery parses the period, resolution and category of a hot-spot
// analysis (defaults: the twelve months up to today, DefaultResolution).
func hotspotQuery(r *http.Request, defaultPeriod func() (time.Time, time.Time)) (analytics.HotspotQuery, error) {
	q := analytics.HotspotQuery{}
	q.From, q.To = defaultPeriod()
	from, err := queryDay(r, "from", false)
	if err != nil {
		return q, err
	}
	to, err := queryDay(r, "to", true)
	if err != nil {
		return q, err
	}
	if to != nil {
		q.To, q.From = *to, to.AddDate(-1, 0, 0)
	}
	if from != nil {
		q.From = *from
	}
	if v := r.URL.Query().Get("res"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return q, errs.Invalidf("res", "invalid_resolution", "want an H3 resolution from %d to %d; got %q", analytics.MinResolution, analytics.MaxResolution, v)
		}
		q.Resolution = n
	}
	if v := r.URL.Query().Get("category"); v != "" {
		q.Category = &v
	}
	if v := r.URL.Query().Get("parent"); v != "" {
		q.Parent = &v
	}
	return q, nil
}

// writeHotspots writes an analysis as a GeoJSON feature collection with
// the trends named in the reader's language.
func (s *Server) writeHotspots(w http.ResponseWriter, r *http.Request, h *analytics.Hotspots) error {
	l := msg.Lang(lang(r))
	fs := h.Features(nil, false)
	for _, f := range fs {
		if t := analytics.Trend(f.Properties["trend"].(string)); t != "" {
			f.Properties["trend_name"] = s.Messages.Sprintf(l, trendKeys[t])
		}
	}
	if fs == nil {
		fs = []*geojson.Feature{}
	}
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", hotspotCollection{Type: "FeatureCollection",
		From: h.From.Format("2006-01-02"), To: h.To.AddDate(0, 0, -1).Format("2006-01-02"), Months: h.Months,
		Resolution: h.Resolution, Alpha: h.Alpha, Features: fs})
	return nil
}
