package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// registerCheckpointRoutes: the checkpoint layer (关键点位) the center edits.
//
//	GET    /api/v1/checkpoints          those in the caller's scope
//	POST   /api/v1/checkpoints          {"name", "kind", "lon", "lat", "crs", "frequency": "daily|weekly", "radius_m"}
//	GET    /api/v1/checkpoints/{id}
//	PUT    /api/v1/checkpoints/{id}     same body as POST
//	DELETE /api/v1/checkpoints/{id}
//
// Admin and center (within its scope) edit; everyone but departments reads
// the checkpoints of the grids it may read.
func (s *Server) registerCheckpointRoutes(r chi.Router) {
	if s.Patrols == nil {
		return
	}
	r.Get("/checkpoints", s.h(s.listCheckpoints))
	r.Post("/checkpoints", s.h(s.createCheckpoint))
	r.Get("/checkpoints/{id}", s.h(s.getCheckpoint))
	r.Put("/checkpoints/{id}", s.h(s.updateCheckpoint))
	r.Delete("/checkpoints/{id}", s.h(s.deleteCheckpoint))
}

type checkpointJSON struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Lon       float64 `json:"lon"`
	Lat       float64 `json:"lat"`
	Frequency string  `json:"frequency"`
	RadiusM   float64 `json:"radius_m"`
	GridCode  string  `json:"grid_code"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

func toCheckpointJSON(c *patrol.Checkpoint) checkpointJSON {
	return checkpointJSON{ID: c.ID, Name: c.Name, Kind: c.Kind, Lon: round(c.Lon, 7), Lat: round(c.Lat, 7), Frequency: c.Frequency,
		RadiusM: c.RadiusM, GridCode: c.GridCode, CreatedAt: c.CreatedAt.Format("2006-01-02T15:04:05Z07:00"),
		UpdatedAt: c.UpdatedAt.Format("2006-01-02T15:04:05Z07:00")}
}

type checkpointRequest struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Lon       *float64 `json:"lon"`
	Lat       *float64 `json:"lat"`
	CRS       string   `json:"crs"`
	Frequency string   `json:"frequency"`
	RadiusM   *float64 `json:"radius_m"`
}

// checkpointFromRequest validates the body, converts to WGS84 and finds the
// grid the point lies in.
func (s *Server) checkpointFromRequest(r *http.Request) (*patrol.Checkpoint, error) {
	var req checkpointRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return nil, err
	}
	c := &patrol.Checkpoint{Name: strings.TrimSpace(req.Name), Kind: strings.TrimSpace(req.Kind), Frequency: req.Frequency, RadiusM: s.Patrols.Rules.CheckpointM}
	if c.Name == "" || len([]rune(c.Name)) > 200 {
		return nil, errs.Invalidf("name", "name_required", "want a name of 1 to 200 characters")
	}
	if c.Frequency != patrol.FrequencyDaily && c.Frequency != patrol.FrequencyWeekly {
		e := errs.Invalidf("frequency", "invalid_frequency", "want daily or weekly, got %q", req.Frequency)
		e.Allowed = []string{patrol.FrequencyDaily, patrol.FrequencyWeekly}
		return nil, e
	}
	if req.Lon == nil || req.Lat == nil {
		return nil, errs.Invalidf("lon,lat", "point_required", "want numeric lon and lat")
	}
	if err := checkPoint("lon,lat", *req.Lon, *req.Lat); err != nil {
		return nil, err
	}
	if req.RadiusM != nil {
		if !finite(*req.RadiusM) || *req.RadiusM <= 0 || *req.RadiusM > 500 {
			return nil, errs.Invalidf("radius_m", "invalid_radius", "want radius_m in (0, 500] metres")
		}
		c.RadiusM = *req.RadiusM
	}
	c.Lon, c.Lat = crs.ToWGS84(sys, *req.Lon, *req.Lat)
	if s.Locator != nil {
		res, err := s.Locator.Locate(r.Context(), []orb.Point{{c.Lon, c.Lat}}, nil)
		if err != nil {
			return nil, err
		}
		if n := len(res[0].Chain); n > 0 {
			c.GridCode = res[0].Chain[n-1].Code
		}
	}
	return c, nil
}

func (s *Server) listCheckpoints(w http.ResponseWriter, r *http.Request) error {
	all, err := s.Patrols.CheckpointsFor(r.Context(), principal(r))
	if err != nil {
		return err
	}
	out := []checkpointJSON{}
	for _, c := range all {
		out = append(out, toCheckpointJSON(c))
	}
	return s.ok(w, r, map[string]any{"checkpoints": out})
}

func checkpointID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalidf("id", "invalid_id", "want a positive integer id, got %q", chi.URLParam(r, "id"))
	}
	return id, nil
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) error {
	id, err := checkpointID(r)
	if err != nil {
		return err
	}
	c, err := s.Patrols.CheckpointFor(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return s.ok(w, r, toCheckpointJSON(c))
}

func (s *Server) createCheckpoint(w http.ResponseWriter, r *http.Request) error {
	c, err := s.checkpointFromRequest(r)
	if err != nil {
		return err
	}
	if err := s.Patrols.CreateCheckpoint(r.Context(), principal(r), c); err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusCreated, "application/json", toCheckpointJSON(c))
	return nil
}

func (s *Server) updateCheckpoint(w http.ResponseWriter, r *http.Request) error {
	id, err := checkpointID(r)
	if err != nil {
		return err
	}
	c, err := s.checkpointFromRequest(r)
	if err != nil {
		return err
	}
	if err := s.Patrols.UpdateCheckpoint(r.Context(), principal(r), id, c); err != nil {
		return err
	}
	return s.ok(w, r, toCheckpointJSON(c))
}

func (s *Server) deleteCheckpoint(w http.ResponseWriter, r *http.Request) error {
	id, err := checkpointID(r)
	if err != nil {
		return err
	}
	if err := s.Patrols.DeleteCheckpoint(r.Context(), principal(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
