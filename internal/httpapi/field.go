package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// registerFieldRoutes: the field app's (/m/) composite reads, for the
// worker role (other roles: 403).
//
//	GET /api/v1/me/today   the caller's day: patrol, checkpoints, tasks, most used categories
//	GET /api/v1/me/month   the caller's month so far: patrol coverage, days under the minimum, running assessment
func (s *Server) registerFieldRoutes(r chi.Router) {
	if s.Field == nil {
		return
	}
	r.Get("/me/today", s.h(s.meToday))
	r.Get("/me/month", s.h(s.meMonth))
}

type fieldGridJSON struct {
	Code          string            `json:"code"`
	Name          string            `json:"name"`
	PatrolSeconds float64           `json:"patrol_seconds"`
	DistanceM     float64           `json:"distance_m"`
	Coverage      float64           `json:"coverage"`
	Measure       string            `json:"measure"`
	Cells         int               `json:"cells"`
	Outline       *geojson.Geometry `json:"outline"`
	Uncovered     *geojson.Geometry `json:"uncovered"` // MultiPoint: centres of the cells not yet covered
}

type fieldPatrolJSON struct {
	MinDailySeconds float64           `json:"min_daily_seconds"`
	RadiusM         float64           `json:"radius_m"`
	CellEdgeM       float64           `json:"cell_edge_m"`
	PatrolSeconds   float64           `json:"patrol_seconds"`
	DistanceM       float64           `json:"distance_m"`
	Patrolled       bool              `json:"patrolled"`
	Fixes           int               `json:"fixes"`
	Valid           int               `json:"valid"`
	Grids           []fieldGridJSON   `json:"grids"`
	Track           *geojson.Geometry `json:"track"`
}

type fieldCheckpointJSON struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Lon       float64 `json:"lon"`
	Lat       float64 `json:"lat"`
	RadiusM   float64 `json:"radius_m"`
	Frequency string  `json:"frequency"`
	GridCode  string  `json:"grid_code"`
	VisitedAt *string `json:"visited_at"`
}

// taskJSON is a case as the field app lists it.
type taskJSON struct {
	ID           int64         `json:"id"`
	Number       string        `json:"number"`
	Version      int           `json:"version"`
	Category     string        `json:"category"`
	CategoryName string        `json:"category_name"`
	Description  string        `json:"description"`
	Status       string        `json:"status"`
	StatusName   string        `json:"status_name"`
	Lon          float64       `json:"lon"`
	Lat          float64       `json:"lat"`
	GridCode     string        `json:"grid_code"`
	ReportedAt   time.Time     `json:"reported_at"`
	RejectReason string        `json:"reject_reason,omitempty"`
	ReworkCount  int           `json:"rework_count"`
	Photos       []int64       `json:"photos"`
	Deadlines    deadlinesJSON `json:"deadlines"`
	Overdue      bool          `json:"overdue"`
	Allowed      []string      `json:"allowed_actions"`
}

type todayJSON struct {
	Date        string                `json:"date"`
	Worker      map[string]any        `json:"worker"`
	Patrol      fieldPatrolJSON       `json:"patrol"`
	Checkpoints []fieldCheckpointJSON `json:"checkpoints"`
	Tasks       struct {
		Verify   []taskJSON `json:"verify"`
		Reported []taskJSON `json:"reported"`
		SentBack []taskJSON `json:"sent_back"`
	} `json:"tasks"`
	Categories []map[string]any `json:"categories"`
}

func (s *Server) tasksJSON(r *http.Request, cs []*casework.Case) []taskJSON {
	p := principal(r)
	out := make([]taskJSON, 0, len(cs))
	for _, c := range cs {
		photos := c.Photos
		if photos == nil {
			photos = []int64{}
		}
		out = append(out, taskJSON{ID: c.ID, Number: c.Number, Version: c.Version, Category: c.Category, CategoryName: c.CategoryName,
			Description: c.Description, Status: string(c.Status), StatusName: statusName(r, c.Status), Lon: c.Location[0], Lat: c.Location[1],
			GridCode: c.GridCode, ReportedAt: c.ReportedAt, RejectReason: c.RejectReason, ReworkCount: c.ReworkCount, Photos: photos,
			Deadlines: deadlinesJSON{AcceptDue: c.AcceptDue, HandleDue: c.HandleDue, VerifyDue: c.VerifyDue, Current: c.DueAt},
			Overdue:   c.Overdue(s.Now()), Allowed: casework.Allowed(p, s.Tree(), c)})
	}
	return out
}

func roundPoints(mp orb.MultiPoint) orb.MultiPoint {
	for i, p := range mp {
		mp[i] = orb.Point{round(p[0], 7), round(p[1], 7)}
	}
	return mp
}

func (s *Server) meToday(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Field.Today(r.Context(), principal(r))
	if err != nil {
		return err
	}
	loc := workday.Shanghai()
	pt := t.Patrol
	out := todayJSON{Date: t.Date.Format("2006-01-02"),
		Worker: map[string]any{"id": t.Worker.ID, "username": t.Worker.Username, "name": t.Worker.Name},
		Patrol: fieldPatrolJSON{MinDailySeconds: pt.MinDaily.Seconds(), RadiusM: pt.RadiusM, CellEdgeM: round(pt.CellEdgeM, 2),
			PatrolSeconds: pt.PatrolSeconds, DistanceM: pt.DistanceM, Patrolled: pt.Patrolled, Fixes: pt.Fixes, Valid: pt.Valid,
			Grids: []fieldGridJSON{}},
		Checkpoints: []fieldCheckpointJSON{}, Categories: []map[string]any{}}
	for _, g := range pt.Grids {
		out.Patrol.Grids = append(out.Patrol.Grids, fieldGridJSON{Code: g.Code, Name: g.Name, PatrolSeconds: g.PatrolSeconds,
			DistanceM: g.DistanceM, Coverage: round(g.Coverage, 4), Measure: g.Measure, Cells: g.Cells,
			Outline: geojson.NewGeometry(g.Outline), Uncovered: geojson.NewGeometry(roundPoints(g.Uncovered))})
	}
	track := orb.MultiLineString{}
	for _, ls := range pt.Track {
		l := make(orb.LineString, 0, len(ls)+1)
		for _, p := range ls {
			l = append(l, orb.Point{round(p[0], 7), round(p[1], 7)})
		}
		if len(l) == 1 {
			l = append(l, l[0])
		}
		track = append(track, l)
	}
	out.Patrol.Track = geojson.NewGeometry(track)
	for _, c := range t.Checkpoints {
		cp := c.Checkpoint
		radius := cp.RadiusM
		if radius <= 0 {
			radius = s.Patrols.Rules.CheckpointM
		}
		j := fieldCheckpointJSON{ID: cp.ID, Name: cp.Name, Kind: cp.Kind, Lon: round(cp.Lon, 7), Lat: round(cp.Lat, 7), RadiusM: radius,
			Frequency: cp.Frequency, GridCode: cp.GridCode}
		if c.VisitedAt != nil {
			v := c.VisitedAt.In(loc).Format(time.RFC3339)
			j.VisitedAt = &v
		}
		out.Checkpoints = append(out.Checkpoints, j)
	}
	out.Tasks.Verify = s.tasksJSON(r, t.Tasks.Verify)
	out.Tasks.Reported = s.tasksJSON(r, t.Tasks.Reported)
	out.Tasks.SentBack = s.tasksJSON(r, t.Tasks.SentBack)
	for _, c := range t.Categories {
		out.Categories = append(out.Categories, map[string]any{"code": c.Code, "count": c.Count})
	}
	return s.okGzip(w, r, out)
}

// okGzip is ok, gzip-compressed when the client accepts it: the day's
// uncovered cells make me/today some 150 KB of JSON on an unpatrolled day,
// about a fifth of that compressed — what a phone on a slow link waits for.
func (s *Server) okGzip(w http.ResponseWriter, r *http.Request, v any) error {
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		return s.ok(w, r, v)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

type monthGridJSON struct {
	Code           string  `json:"code"`
	Name           string  `json:"name"`
	DaysPatrolled  int     `json:"days_patrolled"`
	DaysUnder      int     `json:"days_under_minimum"`
	FullDays       int     `json:"full_patrol_days"`
	PatrolSeconds  float64 `json:"patrol_seconds"`
	Coverage       float64 `json:"monthly_coverage"`
	CoverageMet    bool    `json:"monthly_coverage_met"`
	UncoveredCells int     `json:"cells_never_visited"`
}

func (s *Server) meMonth(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Field.Month(r.Context(), principal(r))
	if err != nil {
		return err
	}
	out := struct {
		Month           string             `json:"month"`
		Provisional     bool               `json:"provisional"`
		Days            int                `json:"days"`
		MonthlyCoverage float64            `json:"monthly_coverage_required"`
		Grids           []monthGridJSON    `json:"grids"`
		Assessment      *assessment.Result `json:"assessment"`
		AssessedAt      *time.Time         `json:"assessed_at"`
	}{Month: m.Month, Provisional: m.Provisional, Days: m.Days, MonthlyCoverage: m.MonthlyCoverage, Grids: []monthGridJSON{},
		Assessment: m.Assessment, AssessedAt: m.AssessedAt}
	for _, g := range m.Grids {
		out.Grids = append(out.Grids, monthGridJSON{Code: g.Code, Name: g.Name, DaysPatrolled: g.DaysPatrolled, DaysUnder: g.DaysUnder,
			FullDays: g.FullDays, PatrolSeconds: g.PatrolSeconds, Coverage: round(g.Coverage, 4), CoverageMet: g.CoverageMet,
			UncoveredCells: g.UncoveredCells})
	}
	return s.ok(w, r, out)
}
