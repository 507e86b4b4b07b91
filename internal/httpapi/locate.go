package httpapi

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/locate"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// Locator answers point-in-grid questions for WGS84 points.
type Locator interface {
	Locate(ctx context.Context, pts []orb.Point, at *time.Time) ([]locate.Result, error)
}

// MaxLocatePoints bounds one POST /api/v1/locate.
const MaxLocatePoints = 100_000

// registerLocateRoutes:
//
//	GET  /api/v1/locate?lon=&lat=&crs=&at=   one point
//	POST /api/v1/locate                      {"crs", "at", "points": [[lon, lat], ...]}
func (s *Server) registerLocateRoutes(r chi.Router) {
	r.Get("/locate", s.h(s.locateOne))
	r.Post("/locate", s.h(s.locateMany)) // a read (readPOSTs)
}

func checkPoint(field string, lon, lat float64) error {
	if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) {
		return errs.Invalidf(field, "non_finite", "coordinates must be finite numbers")
	}
	if lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		if lat >= -180 && lat <= 180 && lon >= -90 && lon <= 90 {
			return errs.Invalidf(field, "lat_lon_swapped", "[%g, %g] is not a valid [lon, lat]; did you swap latitude and longitude?", lon, lat)
		}
		return errs.Invalidf(field, "out_of_range", "want lon in [-180, 180] and lat in [-90, 90], got [%g, %g]", lon, lat)
	}
	return nil
}

func (s *Server) locateOne(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lon, err1 := parseFinite(q.Get("lon"))
	lat, err2 := parseFinite(q.Get("lat"))
	if err1 != nil || err2 != nil {
		return errs.Invalidf("lon,lat", "invalid_point", "want numeric lon and lat query parameters, got lon=%q lat=%q", q.Get("lon"), q.Get("lat"))
	}
	if err := checkPoint("lon,lat", lon, lat); err != nil {
		return err
	}
	sys, err := queryCRS(r)
	if err != nil {
		return err
	}
	at, err := queryAt(r, "at")
	if err != nil {
		return err
	}
	x, y := crs.ToWGS84(sys, lon, lat)
	res, err := s.Locator.Locate(r.Context(), []orb.Point{{x, y}}, at)
	if err != nil {
		return err
	}
	buf := appendResult(nil, &res[0])
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(buf, '\n'))
	return nil
}

type locateRequest struct {
	CRS    string      `json:"crs"`
	At     string      `json:"at"`
	Points [][]float64 `json:"points"`
}

func (s *Server) locateMany(w http.ResponseWriter, r *http.Request) error {
	var req locateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return err
	}
	var at *time.Time
	if req.At != "" {
		if at, err = parseInstant("at", req.At); err != nil {
			return err
		}
	}
	if len(req.Points) == 0 {
		return errs.Invalidf("points", "points_required", "want 1 to %d points", MaxLocatePoints)
	}
	if len(req.Points) > MaxLocatePoints {
		return errs.E(errs.TooLarge, "too_many_points", "%d points sent; at most %d per request", len(req.Points), MaxLocatePoints)
	}
	pts := make([]orb.Point, len(req.Points))
	var bad []errs.Field
	for i, p := range req.Points {
		field := "points[" + strconv.Itoa(i) + "]"
		if len(p) != 2 {
			bad = append(bad, errs.Field{Field: field, Index: intp(i), Reason: "invalid_point", Detail: "want [lon, lat]"})
			continue
		}
		lon, lat := p[0], p[1]
		if err := checkPoint(field, lon, lat); err != nil {
			e, _ := errs.As(err)
			f := e.Fields[0]
			f.Index = intp(i)
			bad = append(bad, f)
			continue
		}
		x, y := crs.ToWGS84(sys, lon, lat)
		pts[i] = orb.Point{x, y}
		if len(bad) > 100 {
			break
		}
	}
	if len(bad) > 0 {
		e := errs.E(errs.Invalid, "invalid_points", "%d points are invalid (first %s: %s)", len(bad), bad[0].Field, bad[0].Detail)
		e.Fields = bad
		return e
	}
	res, err := s.Locator.Locate(r.Context(), pts, at)
	if err != nil {
		return err
	}
	hits := map[locate.Hit][]byte{}
	var buf []byte
	for i := range res {
		if i == 1 {
			// Size the buffer from the first answer to avoid regrowing it.
			grown := make([]byte, len(buf), (len(buf)+64)*len(res)+64)
			copy(grown, buf)
			buf = grown
		}
		if i == 0 {
			buf = append(buf, `{"count":`...)
			buf = strconv.AppendInt(buf, int64(len(res)), 10)
			buf = append(buf, `,"results":[`...)
		} else {
			buf = append(buf, ',')
		}
		buf = appendResultCached(buf, &res[i], hits)
	}
	buf = append(buf, "]}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	_, _ = w.Write(buf)
	return nil
}

func intp(i int) *int { return &i }

// appendResult encodes one result; a hand-written encoder because a 100,000
// point answer through reflection costs more than the lookups.
func appendResult(b []byte, r *locate.Result) []byte {
	return appendResultCached(b, r, nil)
}

// appendResultCached is appendResult reusing each grid's encoded chain item
// from cache when cache is not nil.
func appendResultCached(b []byte, r *locate.Result, cache map[locate.Hit][]byte) []byte {
	b = append(b, `{"covered":`...)
	b = strconv.AppendBool(b, r.Covered)
	b = append(b, `,"point":[`...)
	b = strconv.AppendFloat(b, r.Point[0], 'f', 7, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.Point[1], 'f', 7, 64)
	b = append(b, `],"chain":[`...)
	for i, h := range r.Chain {
		if i > 0 {
			b = append(b, ',')
		}
		if enc, ok := cache[h]; ok {
			b = append(b, enc...)
			continue
		}
		start := len(b)
		b = append(b, `{"code":`...)
		b = appendJSONString(b, h.Code)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, h.Name)
		b = append(b, `,"level":`...)
		b = strconv.AppendInt(b, int64(h.Level), 10)
		b = append(b, '}')
		if cache != nil {
			cache[h] = append([]byte(nil), b[start:]...)
		}
	}
	b = append(b, `],"boundary_distance_m":`...)
	b = strconv.AppendFloat(b, math.Round(r.BoundaryDistanceM*10)/10, 'f', -1, 64)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string (UTF-8 kept as is).
func appendJSONString(b []byte, s string) []byte {
	enc, _ := json.Marshal(s)
	return append(b, enc...)
}
