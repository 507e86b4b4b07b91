package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

func queryInt(r *http.Request, name string, def, min, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, errs.Invalidf(name, "invalid_parameter", "want an integer from %d to %d, got %q", min, max, v)
	}
	return n, nil
}

func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errs.Invalidf(name, "invalid_parameter", "want true or false, got %q", v)
	}
	return b, nil
}

// queryBBox parses bbox=minLon,minLat,maxLon,maxLat in WGS84.
func queryBBox(r *http.Request) (*orb.Bound, error) { return queryBBoxAxes(r, false) }

// queryBBoxAxes parses bbox= with longitude first, or latitude first
// (latFirst: EPSG:4490's axis order), into a lon/lat bound.
func queryBBoxAxes(r *http.Request, latFirst bool) (*orb.Bound, error) {
	v := r.URL.Query().Get("bbox")
	if v == "" {
		return nil, nil
	}
	want := "minLon,minLat,maxLon,maxLat"
	if latFirst {
		want = "minLat,minLon,maxLat,maxLon"
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return nil, errs.Invalidf("bbox", "invalid_bbox", "want %s, got %q", want, v)
	}
	var f [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errs.Invalidf("bbox", "invalid_bbox", "coordinate %d is not a finite number: %q", i+1, p)
		}
		f[i] = x
	}
	if latFirst {
		f = [4]float64{f[1], f[0], f[3], f[2]}
	}
	if f[0] < -180 || f[2] > 180 || f[1] < -90 || f[3] > 90 || f[0] > f[2] || f[1] > f[3] {
		return nil, errs.Invalidf("bbox", "invalid_bbox", "want %s with -180<=lon<=180, -90<=lat<=90 and min<=max, got %q", want, v)
	}
	return &orb.Bound{Min: orb.Point{f[0], f[1]}, Max: orb.Point{f[2], f[3]}}, nil
}

// queryAt parses at= as a date (YYYY-MM-DD, end of that day in Asia/Shanghai
// is not meant: the version valid at 12:00 that day) or an RFC 3339 instant.
func queryAt(r *http.Request, name string) (*time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	return parseInstant(name, v)
}

func parseInstant(name, v string) (*time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, workday.Shanghai()); err == nil {
		t = t.Add(24*time.Hour - time.Nanosecond)
		return &t, nil
	}
	return nil, errs.Invalidf(name, "invalid_date", "want a date YYYY-MM-DD or an RFC 3339 time, got %q", v)
}

func queryCRS(r *http.Request) (crs.System, error) {
	return parseCRS(r.URL.Query().Get("crs"))
}

func parseCRS(v string) (crs.System, error) {
	sys, err := crs.Parse(v)
	if err != nil {
		return "", errs.Invalidf("crs", "invalid_crs", "%v", err)
	}
	return sys, nil
}

// queryFloat parses the optional finite number name within (lo, hi]
// (def when absent). NaN and ±Inf — which strconv accepts and which pass
// every ordered comparison as false — are refused here, once, for every
// numeric parameter.
func queryFloat(r *http.Request, name string, def, lo, hi float64, want string) (float64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	f, err := parseFinite(v)
	if err != nil || !(f > lo && f <= hi) {
		return 0, errs.Invalidf(name, "invalid_parameter", "want %s, got %q", want, v)
	}
	return f, nil
}

// parseFinite parses a finite decimal number (no NaN, no Inf).
func parseFinite(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errs.Invalidf("", "not_finite", "not a finite number")
	}
	return f, nil
}
