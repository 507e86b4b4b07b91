package httpapi

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// registerPatrolRoutes:
//
//	POST /api/v1/patrols/points                  {"worker", "crs", "points": [{"t", "lon", "lat", "accuracy_m", "speed_mps"}]}
//	POST /api/v1/patrols/gpx?worker=&crs=        a GPX 1.0/1.1 document (trkpt with time)
//	GET  /api/v1/patrols/daily?worker=&date=     one worker's day: figures, uncovered cells, track
//	GET  /api/v1/audits/patrol-coverage?month=YYYY-MM&parent=CODE&cells=true|false
//
// A worker uploads and reads only its own track; admin anyone's; a center
// (and, for reading, a viewer) those of workers in its scope.
func (s *Server) registerPatrolRoutes(r chi.Router) {
	if s.Patrols == nil {
		return
	}
	r.Post("/patrols/points", s.h(s.postPatrolPoints))
	r.Post("/patrols/gpx", s.h(s.postPatrolGPX))
	r.Get("/patrols/daily", s.h(s.patrolDaily))
	r.Get("/audits/patrol-coverage", s.h(s.patrolAudit))
}

// patrolWorker resolves the worker a request is about and checks that p
// may write (upload) or read its track.
func (s *Server) patrolWorker(ctx context.Context, p *auth.Principal, username string, write bool) (*people.User, error) {
	if username == "" {
		return nil, errs.Invalidf("worker", "worker_required", "name the worker (its username)")
	}
	if username == p.User.Username {
		// One's own track: the caller's user is in memory (the principal).
		if p.User.Role != people.RoleWorker {
			return nil, errs.E(errs.Unprocessable, "not_a_worker", "user %s is not a grid worker", username)
		}
		return p.User, nil
	}
	u, err := s.People.FindUserByUsername(ctx, username)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			if p.Role() == people.RoleWorker && p.User.Username != username {
				return nil, errs.Forbiddenf("a worker may only upload or read its own track")
			}
			return nil, errs.NotFoundf("worker %s not found", username)
		}
		return nil, err
	}
	if u.ID == p.User.ID {
		if u.Role != people.RoleWorker {
			return nil, errs.E(errs.Unprocessable, "not_a_worker", "user %s is not a grid worker", username)
		}
		return u, nil
	}
	switch p.Role() {
	case people.RoleAdmin:
	case people.RoleCenter:
	case people.RoleViewer:
		if write {
			return nil, errs.Forbiddenf("role viewer may not upload tracks")
		}
	default:
		return nil, errs.Forbiddenf("a %s may only upload or read its own track", p.Role())
	}
	if u.Role != people.RoleWorker {
		return nil, errs.E(errs.Unprocessable, "not_a_worker", "user %s is not a grid worker", username)
	}
	if p.GridScope() != nil {
		on := civilDate(s.Now())
		role := people.GridWorker
		as, err := s.People.FindAssignments(ctx, people.AssignmentFilter{UserID: &u.ID, Role: &role, On: &on})
		if err != nil {
			return nil, err
		}
		ok := false
		for _, a := range as {
			ok = ok || p.CanReadGrid(s.tree(), a.GridCode)
		}
		if !ok {
			return nil, errs.Forbiddenf("worker %s works outside your scope", username)
		}
	}
	return u, nil
}

type patrolPointJSON struct {
	T         string   `json:"t"`
	Lon       *float64 `json:"lon"`
	Lat       *float64 `json:"lat"`
	AccuracyM *float64 `json:"accuracy_m"`
	SpeedMps  *float64 `json:"speed_mps"`
}

type patrolPointsRequest struct {
	Worker string            `json:"worker"`
	CRS    string            `json:"crs"`
	Points []patrolPointJSON `json:"points"`
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Accepted fix times, relative to now: older fixes are refused (they would
// open partitions for long-closed months), and so are fixes more than a day
// ahead; a fix a little in the future is stored and flagged by the cleaning.
const (
	maxFixAge   = 400 * 24 * time.Hour
	maxFixAhead = 24 * time.Hour
)

// toFixes validates the points and converts them to WGS84: all or nothing.
func toFixes(sys crs.System, pts []patrolPointJSON, now time.Time) ([]patrol.Fix, error) {
	if len(pts) == 0 {
		return nil, errs.Invalidf("points", "points_required", "want 1 to %d points", patrol.MaxBatch)
	}
	if len(pts) > patrol.MaxBatch {
		return nil, errs.E(errs.TooLarge, "too_many_points", "%d points sent; at most %d per batch", len(pts), patrol.MaxBatch)
	}
	fixes := make([]patrol.Fix, 0, len(pts))
	var bad []errs.Field
	add := func(i int, field, reason, detail string) {
		bad = append(bad, errs.Field{Field: "points[" + strconv.Itoa(i) + "]" + field, Index: intp(i), Reason: reason, Detail: detail})
	}
	for i, p := range pts {
		if len(bad) > 100 {
			break
		}
		t, err := time.Parse(time.RFC3339, p.T)
		if err != nil {
			add(i, ".t", "invalid_time", "want an RFC 3339 time with offset, e.g. 2026-03-02T09:00:00+08:00, got "+strconv.Quote(p.T))
			continue
		}
		if t.Before(now.Add(-maxFixAge)) || t.After(now.Add(maxFixAhead)) {
			add(i, ".t", "time_out_of_range", fmt.Sprintf("want a time between %s and %s, got %s",
				now.Add(-maxFixAge).Format(time.RFC3339), now.Add(maxFixAhead).Format(time.RFC3339), p.T))
			continue
		}
		if p.Lon == nil || p.Lat == nil {
			add(i, ".lon,lat", "point_required", "want numeric lon and lat")
			continue
		}
		if err := checkPoint("points["+strconv.Itoa(i)+"]", *p.Lon, *p.Lat); err != nil {
			e, _ := errs.As(err)
			f := e.Fields[0]
			f.Index = intp(i)
			bad = append(bad, f)
			continue
		}
		f := patrol.Fix{T: t}
		if p.AccuracyM != nil {
			if !finite(*p.AccuracyM) || *p.AccuracyM < 0 || *p.AccuracyM > 1e6 {
				add(i, ".accuracy_m", "invalid_accuracy", "want accuracy_m in metres, 0 or more")
				continue
			}
			f.AccuracyM = *p.AccuracyM
		}
		if p.SpeedMps != nil {
			if !finite(*p.SpeedMps) || *p.SpeedMps < 0 || *p.SpeedMps > 1e4 {
				add(i, ".speed_mps", "invalid_speed", "want speed_mps in metres per second, 0 or more")
				continue
			}
			f.SpeedMps = *p.SpeedMps
		}
		f.Lon, f.Lat = crs.ToWGS84(sys, *p.Lon, *p.Lat)
		fixes = append(fixes, f)
	}
	if len(bad) > 0 {
		e := errs.E(errs.Invalid, "invalid_points", "%d points are invalid (first %s: %s); nothing was stored", len(bad), bad[0].Field, bad[0].Detail)
		e.Fields = bad
		return nil, e
	}
	return fixes, nil
}

type intakeJSON struct {
	Worker     string `json:"worker"`
	Received   int    `json:"received"`
	Stored     int    `json:"stored"`
	Duplicates int    `json:"duplicates"`
}

func (s *Server) intake(w http.ResponseWriter, r *http.Request, u *people.User, fixes []patrol.Fix) error {
	n, err := s.Patrols.Intake(r.Context(), u.ID, fixes)
	if err != nil {
		return err
	}
	return s.ok(w, r, intakeJSON{Worker: u.Username, Received: len(fixes), Stored: n, Duplicates: len(fixes) - n})
}

func (s *Server) postPatrolPoints(w http.ResponseWriter, r *http.Request) error {
	var req patrolPointsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return err
	}
	u, err := s.patrolWorker(r.Context(), principal(r), req.Worker, true)
	if err != nil {
		return err
	}
	fixes, err := toFixes(sys, req.Points, s.Now())
	if err != nil {
		return err
	}
	return s.intake(w, r, u, fixes)
}

// gpxDoc is the part of GPX 1.0/1.1 gridd reads: track points with time.
type gpxDoc struct {
	XMLName xml.Name `xml:"gpx"`
	Tracks  []struct {
		Segments []struct {
			Points []struct {
				Lat   string `xml:"lat,attr"`
				Lon   string `xml:"lon,attr"`
				Time  string `xml:"time"`
				Speed string `xml:"speed"`
				HDOP  string `xml:"hdop"`
			} `xml:"trkpt"`
		} `xml:"trkseg"`
	} `xml:"trk"`
}

func (s *Server) postPatrolGPX(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sys, err := parseCRS(q.Get("crs"))
	if err != nil {
		return err
	}
	u, err := s.patrolWorker(r.Context(), principal(r), q.Get("worker"), true)
	if err != nil {
		return err
	}
	var doc gpxDoc
	dec := xml.NewDecoder(r.Body)
	if err := dec.Decode(&doc); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "body_too_large", "the GPX document exceeds %d bytes", mbe.Limit)
		}
		if errors.Is(err, io.EOF) {
			return errs.Invalidf("body", "body_required", "a GPX document is required")
		}
		return errs.Invalidf("body", "invalid_gpx", "want a GPX document (<gpx><trk><trkseg><trkpt lat lon><time>): %v", err)
	}
	var pts []patrolPointJSON
	for _, t := range doc.Tracks {
		for _, sg := range t.Segments {
			for _, p := range sg.Points {
				pj := patrolPointJSON{T: strings.TrimSpace(p.Time)}
				if v, err := strconv.ParseFloat(strings.TrimSpace(p.Lon), 64); err == nil {
					pj.Lon = &v
				}
				if v, err := strconv.ParseFloat(strings.TrimSpace(p.Lat), 64); err == nil {
					pj.Lat = &v
				}
				if v, err := strconv.ParseFloat(strings.TrimSpace(p.Speed), 64); err == nil {
					pj.SpeedMps = &v
				}
				pts = append(pts, pj)
			}
		}
	}
	fixes, err := toFixes(sys, pts, s.Now())
	if err != nil {
		return err
	}
	return s.intake(w, r, u, fixes)
}

type gridDayJSON struct {
	Code          string            `json:"code"`
	Name          string            `json:"name"`
	PatrolSeconds float64           `json:"patrol_seconds"`
	DistanceM     float64           `json:"distance_m"`
	Coverage      float64           `json:"coverage"`
	Measure       string            `json:"measure"` // area or roads: what coverage is a share of
	FullPatrol    bool              `json:"full_patrol"`
	Cells         int               `json:"cells"`
	Uncovered     *geojson.Geometry `json:"uncovered"`
}

type visitJSON struct {
	CheckpointID int64  `json:"checkpoint_id"`
	FirstAt      string `json:"first_at"`
	Fixes        int    `json:"fixes"`
}

type dayJSON struct {
	Worker         string            `json:"worker"`
	Date           string            `json:"date"`
	Fixes          int               `json:"fixes"`
	Valid          int               `json:"valid"`
	Flagged        map[string]int    `json:"flagged"`
	PatrolSeconds  float64           `json:"patrol_seconds"`
	DistanceM      float64           `json:"distance_m"`
	TrackDistanceM float64           `json:"track_distance_m"`
	Patrolled      bool              `json:"patrolled"`
	ComputedAt     string            `json:"computed_at"`
	Rules          rulesJSON         `json:"rules"`
	Grids          []gridDayJSON     `json:"grids"`
	Visits         []visitJSON       `json:"visits"`
	Track          *geojson.Geometry `json:"track"`
	FlaggedPoints  *geojson.Geometry `json:"flagged_points"`
}

type rulesJSON struct {
	MaxAccuracyM      float64 `json:"max_accuracy_m"`
	MaxSpeedKmh       float64 `json:"max_speed_kmh"`
	MaxGapSeconds     float64 `json:"max_gap_seconds"`
	RadiusM           float64 `json:"radius_m"`
	Resolution        int     `json:"h3_resolution"`
	MinDailySeconds   float64 `json:"min_daily_seconds"`
	FullCoverage      float64 `json:"full_patrol_coverage"`
	MonthlyCoverage   float64 `json:"monthly_coverage"`
	CheckpointRadiusM float64 `json:"checkpoint_radius_m"`
}

func toRulesJSON(r patrol.Rules) rulesJSON {
	return rulesJSON{MaxAccuracyM: r.MaxAccuracyM, MaxSpeedKmh: r.MaxSpeedKmh, MaxGapSeconds: r.MaxGap.Seconds(), RadiusM: r.RadiusM,
		Resolution: r.Resolution, MinDailySeconds: r.MinDaily.Seconds(), FullCoverage: r.FullCoverage,
		MonthlyCoverage: r.MonthlyCoverage, CheckpointRadiusM: r.CheckpointM}
}

func (s *Server) patrolDaily(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := principal(r)
	name := q.Get("worker")
	if name == "" && p.Role() == people.RoleWorker {
		name = p.User.Username
	}
	u, err := s.patrolWorker(r.Context(), p, name, false)
	if err != nil {
		return err
	}
	day, err := time.ParseInLocation("2006-01-02", q.Get("date"), workday.Shanghai())
	if err != nil {
		return errs.Invalidf("date", "invalid_date", "want a date YYYY-MM-DD, got %q", q.Get("date"))
	}
	rep, err := s.Patrols.Daily(r.Context(), u.ID, day)
	if err != nil {
		return err
	}
	d := rep.Day
	out := dayJSON{Worker: u.Username, Date: day.Format("2006-01-02"), Fixes: d.Fixes, Valid: d.Valid, Flagged: d.Flagged,
		PatrolSeconds: d.PatrolSeconds, DistanceM: d.DistanceM, TrackDistanceM: d.TrackDistanceM, Patrolled: d.Patrolled,
		ComputedAt: d.ComputedAt.Format(time.RFC3339), Rules: toRulesJSON(s.Patrols.Rules), Grids: []gridDayJSON{}, Visits: []visitJSON{}}
	for _, g := range rep.Grids {
		gd := patrol.GridDay{GridCode: g.Code, Cells: g.Cells.Len()}
		for _, x := range d.Grids {
			if x.GridCode == g.Code {
				gd = x
			}
		}
		c := patrol.Cover(g.Cells, gd)
		var mp orb.MultiPolygon
		for _, i := range c.Uncovered() {
			mp = append(mp, g.Cells.CellPolygon(i))
		}
		out.Grids = append(out.Grids, gridDayJSON{Code: g.Code, Name: g.Name, PatrolSeconds: gd.PatrolSeconds, DistanceM: gd.DistanceM,
			Coverage: round(gd.Coverage, 4), Measure: g.Measure, FullPatrol: gd.Full, Cells: g.Cells.Len(), Uncovered: geojson.NewGeometry(mp)})
	}
	for _, v := range d.Visits {
		out.Visits = append(out.Visits, visitJSON{CheckpointID: v.CheckpointID, FirstAt: v.FirstAt.In(workday.Shanghai()).Format(time.RFC3339), Fixes: v.Fixes})
	}
	var ml orb.MultiLineString
	for _, seg := range rep.Tracks {
		ls := make(orb.LineString, 0, len(seg)+1)
		for _, f := range seg {
			ls = append(ls, orb.Point{round(f.Lon, 7), round(f.Lat, 7)})
		}
		if len(ls) == 1 {
			ls = append(ls, ls[0])
		}
		ml = append(ml, ls)
	}
	out.Track = geojson.NewGeometry(ml)
	var flagged orb.MultiPoint
	for i, f := range rep.Fixes {
		if rep.Flags[i] != 0 {
			flagged = append(flagged, orb.Point{round(f.Lon, 7), round(f.Lat, 7)})
		}
	}
	out.FlaggedPoints = geojson.NewGeometry(flagged)
	return s.ok(w, r, out)
}

type auditRowJSON struct {
	GridCode         string            `json:"grid_code"`
	GridName         string            `json:"grid_name"`
	Worker           string            `json:"worker"`
	WorkerName       string            `json:"worker_name"`
	Days             int               `json:"days"`
	DaysPatrolled    int               `json:"days_patrolled"`
	DaysUnder        int               `json:"days_under_minimum"`
	DaysWithoutFixes int               `json:"days_without_fixes"`
	FullDays         int               `json:"full_patrol_days"`
	PatrolSeconds    float64           `json:"patrol_seconds"`
	DistanceM        float64           `json:"distance_m"`
	Coverage         float64           `json:"monthly_coverage"`
	CoverageMet      bool              `json:"monthly_coverage_met"`
	Measure          string            `json:"measure"` // area or roads
	Cells            int               `json:"cells"`
	UncoveredCells   int               `json:"cells_never_visited"`
	Uncovered        *geojson.Geometry `json:"never_visited,omitempty"`
}

type missedJSON struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Frequency string   `json:"frequency"`
	GridCode  string   `json:"grid_code"`
	Missed    []string `json:"missed"`
}

type gridRefJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// PatrolAuditJSON is the audit's wire form (shared with the CLI).
type PatrolAuditJSON struct {
	Month              string         `json:"month"`
	Parent             string         `json:"parent"`
	Days               int            `json:"days"`
	Rules              rulesJSON      `json:"rules"`
	Rows               []auditRowJSON `json:"rows"`
	GridsWithoutWorker []gridRefJSON  `json:"grids_without_worker"`
	MissedCheckpoints  []missedJSON   `json:"missed_checkpoints"`
}

// PatrolAuditToJSON converts an audit to its wire form.
func PatrolAuditToJSON(a *patrol.Audit) PatrolAuditJSON {
	out := PatrolAuditJSON{Month: a.Month.Format("2006-01"), Parent: a.Parent, Days: a.Days, Rules: toRulesJSON(a.Rules),
		Rows: []auditRowJSON{}, GridsWithoutWorker: []gridRefJSON{}, MissedCheckpoints: []missedJSON{}}
	for _, r := range a.Rows {
		row := auditRowJSON{GridCode: r.GridCode, GridName: r.GridName, Worker: r.Username, WorkerName: r.Name, Days: r.Days,
			DaysPatrolled: r.DaysPatrolled, DaysUnder: r.DaysUnder, DaysWithoutFixes: r.DaysWithoutFixes, FullDays: r.FullDays,
			PatrolSeconds: r.PatrolSeconds, DistanceM: r.DistanceM, Coverage: r.Coverage, CoverageMet: r.CoverageMet, Measure: r.Measure,
			Cells: r.Cells, UncoveredCells: r.UncoveredCells}
		if r.Uncovered != nil {
			row.Uncovered = geojson.NewGeometry(r.Uncovered)
		}
		out.Rows = append(out.Rows, row)
	}
	for _, g := range a.GridsWithoutWorker {
		out.GridsWithoutWorker = append(out.GridsWithoutWorker, gridRefJSON{Code: g.Code, Name: g.Name})
	}
	for _, m := range a.MissedCheckpoints {
		out.MissedCheckpoints = append(out.MissedCheckpoints, missedJSON{ID: m.Checkpoint.ID, Name: m.Checkpoint.Name,
			Frequency: m.Checkpoint.Frequency, GridCode: m.Checkpoint.GridCode, Missed: m.Missed})
	}
	return out
}

func (s *Server) patrolAudit(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer); err != nil {
		return err
	}
	q := r.URL.Query()
	month, err := patrol.ParseMonth(q.Get("month"), workday.Shanghai())
	if err != nil {
		return err
	}
	parent := q.Get("parent")
	if parent == "" {
		if scope := p.GridScope(); scope != nil {
			if len(scope) != 1 {
				return errs.Invalidf("parent", "parent_required", "name the grid to audit (parent=CODE)")
			}
			parent = scope[0]
		}
	}
	if parent != "" {
		if err := s.requireGridRead(r, parent); err != nil {
			return err
		}
	}
	cells := true
	if v := q.Get("cells"); v != "" {
		if cells, err = strconv.ParseBool(v); err != nil {
			return errs.Invalidf("cells", "invalid_bool", "want true or false, got %q", v)
		}
	}
	a, err := s.Patrols.Audit(r.Context(), month, parent, patrol.AuditOptions{Cells: cells})
	if err != nil {
		return err
	}
	return s.ok(w, r, PatrolAuditToJSON(a))
}
