package httpapi

import (
	"context"
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
	// LocateEach calls fn with each point's result, in order; the result
	// is only valid during the call.
	LocateEach(ctx context.Context, pts []orb.Point, at *time.Time, fn func(i int, r *locate.Result)) error
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
	// pairs holds the points when the hand reader parsed the body
	// (locate_json.go); Points is then nil.
	pairs []orb.Point
}

func (s *Server) locateMany(w http.ResponseWriter, r *http.Request) error {
	in := getBuf()
	defer putBuf(in)
	var req locateRequest
	if err := decodeLocateRequest(r, in, &req); err != nil {
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
	n := len(req.Points)
	if req.pairs != nil {
		n = len(req.pairs)
	}
	if n == 0 {
		return errs.Invalidf("points", "points_required", "want 1 to %d points", MaxLocatePoints)
	}
	if n > MaxLocatePoints {
		return errs.E(errs.TooLarge, "too_many_points", "%d points sent; at most %d per request", n, MaxLocatePoints)
	}
	pts := req.pairs
	if pts == nil {
		pts = make([]orb.Point, n)
	}
	var bad []errs.Field
	for i := 0; i < n; i++ {
		var lon, lat float64
		if req.pairs != nil {
			lon, lat = pts[i][0], pts[i][1]
		} else if p := req.Points[i]; len(p) == 2 {
			lon, lat = p[0], p[1]
		} else {
			bad = append(bad, errs.Field{Field: pointField(i), Index: intp(i), Reason: "invalid_point", Detail: "want [lon, lat]"})
			continue
		}
		// Written to refuse NaN too; checkPoint says what is wrong.
		if !(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90) {
			e, _ := errs.As(checkPoint(pointField(i), lon, lat))
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
	out := getBuf()
	defer putBuf(out)
	buf := *out
	if want := 240*n + 64; cap(buf) < want {
		buf = make([]byte, 0, want)
	}
	buf = append(buf, `{"count":`...)
	buf = strconv.AppendInt(buf, int64(n), 10)
	buf = append(buf, `,"results":[`...)
	err = s.Locator.LocateEach(r.Context(), pts, at, func(i int, res *locate.Result) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendResult(buf, res)
	})
	*out = buf
	if err != nil {
		return err
	}
	buf = append(buf, "]}\n"...)
	*out = buf
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	_, _ = w.Write(buf)
	return nil
}

func pointField(i int) string { return "points[" + strconv.Itoa(i) + "]" }

func intp(i int) *int { return &i }
