package httpapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/visits"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/crs"
)

// registerVisitRoutes: visits on a schedule (走访).
//
//	POST /api/v1/visits                      {"target": {"kind", "id"}, "visited_at", "location": {"lon", "lat", "crs"}, "notes", "photo_ids"}
//	                                         (Idempotency-Key: a retry answers 200 with the visit stored first)
//	GET  /api/v1/visits/due?grid=&worker=    the scheduled targets in the caller's scope, overdue first
//	GET  /api/v1/visits/schedules            how often each kind (and key-person category) is visited
//	PUT  /api/v1/visits/schedules            {"schedules": [...]}: replace them (admin)
func (s *Server) registerVisitRoutes(r chi.Router) {
	if s.Visits == nil {
		return
	}
	r.Post("/visits", s.h(s.createVisit))
	r.Get("/visits/due", s.h(s.visitsDue))
	r.Get("/visits/schedules", s.h(s.visitSchedules))
	r.Put("/visits/schedules", s.h(s.putVisitSchedules))
}

type visitInput struct {
	Target    responsibilityTargetJSON `json:"target"`
	VisitedAt string                   `json:"visited_at"`
	Location  *struct {
		Lon *float64 `json:"lon"`
		Lat *float64 `json:"lat"`
		CRS string   `json:"crs"`
	} `json:"location"`
	Notes    string  `json:"notes"`
	PhotoIDs []int64 `json:"photo_ids"`
}

type lonLatJSON struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

type dutyVisitJSON struct {
	ID          int64                    `json:"id"`
	Target      responsibilityTargetJSON `json:"target"`
	TargetName  string                   `json:"target_name"`
	GridCode    string                   `json:"grid_code"`
	VisitorID   int64                    `json:"visitor_id"`
	VisitorName string                   `json:"visitor_name"`
	VisitedAt   time.Time                `json:"visited_at"`
	VisitedOn   string                   `json:"visited_on"`
	Location    lonLatJSON               `json:"location"`
	DistanceM   *float64                 `json:"distance_m"`
	OnSite      bool                     `json:"on_site"`
	Check       string                   `json:"check"`
	Notes       string                   `json:"notes"`
	PhotoIDs    []int64                  `json:"photo_ids"`
}

var dutyKindKeys = map[string]msg.Key{"household": msg.DutyKindHousehold, "business": msg.DutyKindBusiness,
	"place": msg.DutyKindPlace, "key_person": msg.DutyKindKeyPerson}

func (s *Server) createVisit(w http.ResponseWriter, r *http.Request) error {
	var in visitInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	vi := visits.Input{TargetKind: in.Target.Kind, TargetID: in.Target.ID, Notes: in.Notes, PhotoIDs: in.PhotoIDs,
		Key: r.Header.Get("Idempotency-Key")}
	if in.VisitedAt != "" {
		at, err := time.Parse(time.RFC3339, in.VisitedAt)
		if err != nil {
			return errs.Invalidf("visited_at", "invalid_time", "want an RFC 3339 time such as 2026-12-05T09:30:00+08:00, got %q", in.VisitedAt)
		}
		vi.VisitedAt = &at
	}
	if in.Location != nil && in.Location.Lon != nil && in.Location.Lat != nil {
		if err := checkPoint("location", *in.Location.Lon, *in.Location.Lat); err != nil {
			return err
		}
		sys, err := parseCRS(in.Location.CRS)
		if err != nil {
			return err
		}
		x, y := crs.ToWGS84(sys, *in.Location.Lon, *in.Location.Lat)
		vi.Lon, vi.Lat = &x, &y
	}
	v, err := s.Visits.Record(r.Context(), principal(r), vi)
	if err != nil {
		return err
	}
	status := createdStatus(w, v.Replayed)
	s.writeJSON(w, r, status, "application/json", s.visitOut(r, v))
	return nil
}

func (s *Server) visitOut(r *http.Request, v *visits.Visit) dutyVisitJSON {
	l := msg.Lang(lang(r))
	check := s.Messages.Sprintf(l, msg.DutyOnSite)
	switch {
	case v.DistanceM == nil:
		check = s.Messages.Sprintf(l, msg.DutyNotLocated)
	case !v.OnSite:
		check = s.Messages.Sprintf(l, msg.DutyOffSite, *v.DistanceM, s.Visits.Tolerance())
	}
	return dutyVisitJSON{ID: v.ID, Target: responsibilityTargetJSON{Kind: v.TargetKind, ID: v.TargetID}, TargetName: v.TargetName,
		GridCode: v.GridCode, VisitorID: v.VisitorID, VisitorName: v.VisitorName, VisitedAt: v.VisitedAt, VisitedOn: v.VisitedOn.String(),
		Location: lonLatJSON{v.Point[0], v.Point[1]}, DistanceM: v.DistanceM, OnSite: v.OnSite, Check: check, Notes: v.Notes, PhotoIDs: v.PhotoIDs}
}

type dueJSON struct {
	Target struct {
		Kind     string `json:"kind"`
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Address  string `json:"address"`
		Category string `json:"category"`
	} `json:"target"`
	KindName    string `json:"kind_name"`
	GridCode    string `json:"grid_code"`
	Responsible struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"responsible"`
	Schedule struct {
		Every int    `json:"every"`
		Unit  string `json:"unit"`
		Text  string `json:"text"`
	} `json:"schedule"`
	LastVisit   *string     `json:"last_visit"`
	DueOn       string      `json:"due_on"`
	Overdue     bool        `json:"overdue"`
	DaysOverdue int         `json:"days_overdue"`
	StateText   string      `json:"state_text"`
	Location    *lonLatJSON `json:"location"`
}

var everyKeys = map[string]msg.Key{"day": msg.DutyEveryDay, "week": msg.DutyEveryWeek, "month": msg.DutyEveryMonth}

func (s *Server) visitsDue(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ds, err := s.Visits.Due(r.Context(), principal(r), visits.DueQuery{Grid: q.Get("grid"), Worker: q.Get("worker")})
	if err != nil {
		return err
	}
	l := msg.Lang(lang(r))
	out := make([]dueJSON, len(ds))
	overdue := 0
	for i, d := range ds {
		o := &out[i]
		o.Target.Kind, o.Target.ID, o.Target.Name, o.Target.Address, o.Target.Category = d.Kind, d.ID, d.Name, d.Address, d.Category
		o.KindName = s.Messages.Sprintf(l, dutyKindKeys[d.Kind])
		o.GridCode = d.GridCode
		o.Responsible.ID, o.Responsible.Name = d.ResponsibleID, d.ResponsibleName
		o.Schedule.Every, o.Schedule.Unit = d.Schedule.Every, d.Schedule.Unit
		o.Schedule.Text = s.Messages.Sprintf(l, everyKeys[d.Schedule.Unit], d.Schedule.Every)
		if d.LastVisit != nil {
			v := d.LastVisit.String()
			o.LastVisit = &v
		}
		o.DueOn, o.Overdue, o.DaysOverdue = d.DueOn.String(), d.Overdue, d.DaysOverdue
		if d.Overdue {
			overdue++
			o.StateText = s.Messages.Sprintf(l, msg.DutyOverdue, d.DaysOverdue)
		} else {
			o.StateText = s.Messages.Sprintf(l, msg.DutyDueOn, d.DueOn.String())
		}
		if d.Point != nil {
			o.Location = &lonLatJSON{d.Point[0], d.Point[1]}
		}
	}
	return s.ok(w, r, map[string]any{"today": workday.DateOf(s.Now()).String(), "overdue": overdue, "items": out})
}

func (s *Server) visitSchedules(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.Visits.Schedules(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"schedules": ss})
}

func (s *Server) putVisitSchedules(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Schedules []visits.Schedule `json:"schedules"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Schedules == nil {
		return errs.Invalidf("schedules", "schedules_required", "give the whole list of schedules")
	}
	ss, err := s.Visits.ReplaceSchedules(r.Context(), principal(r), in.Schedules)
	if err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"schedules": ss})
}
