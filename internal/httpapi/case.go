package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// registerCaseRoutes:
//
//	POST /api/v1/cases                      report a case (Idempotency-Key)
//	GET  /api/v1/cases                      list (status, grid, unit, category, source, overdue, deadline_state, bbox, from, to, q, period, sort, cursor, limit, offset)
//	GET  /api/v1/cases/summary              counts per status and overdue, same filters
//	GET  /api/v1/cases/export               format=csv|xlsx, same filters and sort
//	GET  /api/v1/cases/{id}                 one case with its timeline and allowed actions (ETag: version)
//	POST /api/v1/cases/{id}/transitions     {"action", "comment", ...} with If-Match: version (Idempotency-Key: a retry replays)
//	GET  /api/v1/stats/cases                from, to, group_by=unit|grid|village|category|month
func (s *Server) registerCaseRoutes(r chi.Router) {
	r.Post("/cases", s.h(s.createCase))
	r.Get("/cases", s.fromReplica(s.h(s.listCases)))
	r.Get("/cases/summary", s.fromReplica(s.h(s.caseSummary)))
	r.Get("/cases/export", s.fromReplica(s.h(s.exportCases)))
	r.Get("/cases/{id}", s.h(s.getCase))
	r.Post("/cases/{id}/transitions", s.h(s.transitionCase))
	r.Get("/stats/cases", s.fromReplica(s.h(s.caseStats)))
}

// statusNames are the display names of the statuses, zh and en.
var statusNames = map[casework.Status][2]string{
	casework.StatusReported:              {"待审核", "Reported"},
	casework.StatusEscalated:             {"已上报上级", "Escalated"},
	casework.StatusAccepted:              {"已立案", "Accepted"},
	casework.StatusRejected:              {"已退回", "Rejected"},
	casework.StatusDispatched:            {"已派遣", "Dispatched"},
	casework.StatusHandling:              {"处置中", "Handling"},
	casework.StatusExtensionRequested:    {"延期申请中", "Extension requested"},
	casework.StatusPostponementRequested: {"缓办申请中", "Postponement requested"},
	casework.StatusPostponed:             {"缓办中", "Postponed"},
	casework.StatusHandled:               {"已处置", "Handled"},
	casework.StatusVerifying:             {"核查中", "Verifying"},
	casework.StatusClosed:                {"已结案", "Closed"},
	casework.StatusMerged:                {"已合并", "Merged"},
}

func statusName(r *http.Request, st casework.Status) string {
	n := statusNames[st]
	if lang(r) == "en" {
		return n[1]
	}
	return n[0]
}

type caseReportJSON struct {
	Category       string   `json:"category"`
	Description    string   `json:"description"`
	Lon            *float64 `json:"lon"`
	Lat            *float64 `json:"lat"`
	CRS            string   `json:"crs"`
	Source         string   `json:"source"`
	ReportedAt     string   `json:"reported_at"`
	Photos         []int64  `json:"photos"`
	ResolvedOnSite bool     `json:"resolved_on_site"`
}

type eventJSON struct {
	ID          int64          `json:"id"`
	Action      string         `json:"action"`
	FromStatus  string         `json:"from_status,omitempty"`
	ToStatus    string         `json:"to_status"`
	ActorID     int64          `json:"actor_id,omitempty"`
	ActorName   string         `json:"actor_name"`
	At          time.Time      `json:"at"`
	Comment     string         `json:"comment,omitempty"`
	Attachments []int64        `json:"attachments"`
	Data        map[string]any `json:"data,omitempty"`
}

type caseJSON struct {
	ID              int64            `json:"id"`
	Number          string           `json:"number"`
	Version         int              `json:"version"`
	Category        string           `json:"category"`
	CategoryName    string           `json:"category_name,omitempty"`
	Description     string           `json:"description"`
	Source          string           `json:"source"`
	Lon             float64          `json:"lon"`
	Lat             float64          `json:"lat"`
	ReportedAt      time.Time        `json:"reported_at"`
	ReporterID      int64            `json:"reporter_id"`
	ReporterName    string           `json:"reporter_name,omitempty"`
	Photos          []int64          `json:"photos"`
	GridCode        string           `json:"grid_code,omitempty"`
	GridChain       []string         `json:"grid_chain"`
	WorkerID        int64            `json:"worker_id,omitempty"`
	Suggestion      *suggestionJSON  `json:"suggestion"`
	Duplicates      []int64          `json:"duplicates"`
	Status          string           `json:"status"`
	StatusName      string           `json:"status_name"`
	Emergency       bool             `json:"emergency"`
	ResolvedOnSite  bool             `json:"resolved_on_site"`
	EscalatedFrom   string           `json:"escalated_from,omitempty"`
	EscalationLevel int              `json:"escalation_level"`
	LeadUnit        string           `json:"lead_unit,omitempty"`
	CoUnits         []string         `json:"co_units"`
	MergedInto      int64            `json:"merged_into,omitempty"`
	ReworkCount     int              `json:"rework_count"`
	RejectReason    string           `json:"reject_reason,omitempty"`
	AcceptedAt      *time.Time       `json:"accepted_at"`
	DispatchedAt    *time.Time       `json:"dispatched_at"`
	HandledAt       *time.Time       `json:"handled_at"`
	ClosedAt        *time.Time       `json:"closed_at"`
	Deadlines       deadlinesJSON    `json:"deadlines"`
	Overdue         bool             `json:"overdue"`
	Stage           string           `json:"stage,omitempty"`
	StageDue        *time.Time       `json:"stage_due"`
	DeadlineState   *string          `json:"deadline_state"`
	ExtensionDays   int              `json:"extension_days"`
	PendingDays     int              `json:"pending_extension_days,omitempty"`
	Pauses          []casework.Pause `json:"pauses"`
	HandledOnTime   *bool            `json:"handled_on_time"`
	Rating          int              `json:"rating,omitempty"`
	RatingComment   string           `json:"rating_comment,omitempty"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	Allowed         []string         `json:"allowed_actions"`
	Recurring       bool             `json:"recurring"`
	Timeline        []eventJSON      `json:"timeline,omitempty"`
}

type suggestionJSON struct {
	RuleID   int64    `json:"rule_id"`
	LeadUnit string   `json:"lead_unit"`
	CoUnits  []string `json:"co_units"`
}

type deadlinesJSON struct {
	ReviewDue *time.Time `json:"review_due"`
	AcceptDue *time.Time `json:"accept_due"`
	HandleDue *time.Time `json:"handle_due"`
	VerifyDue *time.Time `json:"verify_due"`
	Current   *time.Time `json:"current"`
}

func (s *Server) toCaseJSON(r *http.Request, c *casework.Case) caseJSON {
	p := principal(r)
	out := caseJSON{ID: c.ID, Number: c.Number, Version: c.Version, Category: c.Category, CategoryName: c.CategoryName,
		Description: c.Description, Source: string(c.Source), Lon: c.Location[0], Lat: c.Location[1], ReportedAt: c.ReportedAt,
		ReporterID: c.ReporterID, ReporterName: c.ReporterName, Photos: c.Photos, GridCode: c.GridCode, GridChain: c.GridChain,
		WorkerID: c.WorkerID, Duplicates: c.Duplicates, Status: string(c.Status), StatusName: statusName(r, c.Status),
		Emergency: c.Emergency, ResolvedOnSite: c.ResolvedOnSite, EscalatedFrom: c.EscalatedFrom, EscalationLevel: c.EscalationLevel,
		LeadUnit: c.LeadUnit, CoUnits: c.CoUnits, MergedInto: c.MergedInto, ReworkCount: c.ReworkCount, RejectReason: c.RejectReason,
		AcceptedAt: c.AcceptedAt, DispatchedAt: c.DispatchedAt, HandledAt: c.HandledAt, ClosedAt: c.ClosedAt,
		Deadlines: deadlinesJSON{ReviewDue: c.ReviewDue, AcceptDue: c.AcceptDue, HandleDue: c.HandleDue, VerifyDue: c.VerifyDue, Current: c.DueAt},
		Overdue:   c.Overdue(s.Now()), ExtensionDays: c.ExtensionDays, PendingDays: c.PendingDays, Pauses: c.Pauses,
		HandledOnTime: c.HandledOnTime, Rating: c.Rating, RatingComment: c.RatingComment, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Allowed: casework.Allowed(p, s.Tree(), c), Recurring: s.Hotspots.Recurring(c.Category, c.Location)}
	if c.Status.Open() {
		out.Stage, out.StageDue = string(c.Stage), c.DueAt
		if ds := c.DeadlineState(s.Now()); ds != "" {
			v := string(ds)
			out.DeadlineState = &v
		}
	}
	if c.SuggestedLead != "" {
		out.Suggestion = &suggestionJSON{RuleID: c.SuggestedRuleID, LeadUnit: c.SuggestedLead, CoUnits: c.SuggestedCo}
	}
	for _, sl := range []*[]string{&out.GridChain, &out.CoUnits} {
		if *sl == nil {
			*sl = []string{}
		}
	}
	for _, sl := range []*[]int64{&out.Photos, &out.Duplicates} {
		if *sl == nil {
			*sl = []int64{}
		}
	}
	if out.Pauses == nil {
		out.Pauses = []casework.Pause{}
	}
	for _, e := range c.Timeline {
		att := e.Attachments
		if att == nil {
			att = []int64{}
		}
		out.Timeline = append(out.Timeline, eventJSON{ID: e.ID, Action: string(e.Action), FromStatus: string(e.FromStatus),
			ToStatus: string(e.ToStatus), ActorID: e.ActorID, ActorName: e.ActorName, At: e.At, Comment: e.Comment,
			Attachments: att, Data: e.Data})
	}
	return out
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request) error {
	var req caseReportJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	rep, err := reportFrom(req)
	if err != nil {
		return err
	}
	c, replayed, err := s.Cases.Intake(r.Context(), principal(r), rep, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	status := createdStatus(w, replayed)
	w.Header().Set("Location", fmt.Sprintf("/api/v1/cases/%d", c.ID))
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, c.Version))
	s.writeJSON(w, r, status, "application/json", s.toCaseJSON(r, c))
	return nil
}

// reportFrom checks the request's shape and converts its point to WGS84.
func reportFrom(req caseReportJSON) (casework.Report, error) {
	if req.Lon == nil || req.Lat == nil {
		return casework.Report{}, errs.Invalidf("lon,lat", "point_required", "want numeric lon and lat")
	}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return casework.Report{}, err
	}
	rep := casework.Report{Category: req.Category, Description: req.Description, Source: req.Source, Photos: req.Photos,
		ResolvedOnSite: req.ResolvedOnSite, Lon: *req.Lon, Lat: *req.Lat}
	if err := checkPoint("lon,lat", rep.Lon, rep.Lat); err != nil {
		return rep, err
	}
	rep.Lon, rep.Lat = crs.ToWGS84(sys, rep.Lon, rep.Lat)
	if req.ReportedAt != "" {
		t, err := time.Parse(time.RFC3339, req.ReportedAt)
		if err != nil {
			return rep, errs.Invalidf("reported_at", "invalid_time", "want an RFC 3339 time such as 2026-11-20T09:30:00+08:00, got %q", req.ReportedAt)
		}
		rep.ReportedAt = &t
	}
	return rep, nil
}

func pathID(r *http.Request) (int64, error) {
	v := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalidf("id", "invalid_id", "want a positive integer case id, got %q", v)
	}
	return id, nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.Cases.Get(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, c.Version))
	return s.ok(w, r, s.toCaseJSON(r, c))
}

type transitionJSON struct {
	Action  string   `json:"action"`
	Comment string   `json:"comment"`
	Unit    string   `json:"unit"`
	CoUnits []string `json:"co_units"`
	Days    int      `json:"days"`
	Rating  int      `json:"rating"`
	Into    int64    `json:"into"`
	Photos  []int64  `json:"photos"`
}

func (s *Server) transitionCase(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	version, err := ifMatchVersion(r, "send If-Match with the case's current version (its ETag)")
	if err != nil {
		return err
	}
	var req transitionJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Action == "" {
		return errs.Invalidf("action", "action_required", "want an action such as accept, dispatch or verify_pass")
	}
	c, replayed, err := s.Cases.TransitionOnce(r.Context(), principal(r), id, version, casework.Transition{Action: casework.Action(req.Action),
		Comment: req.Comment, Unit: req.Unit, CoUnits: req.CoUnits, Days: req.Days, Rating: req.Rating, Into: req.Into, Photos: req.Photos},
		r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, c.Version))
	return s.ok(w, r, s.toCaseJSON(r, c))
}

// MaxCasePage bounds one page of GET /api/v1/cases.
const MaxCasePage = 500

// caseFilter parses the filters shared by the case list, its summary and
// its export.
func caseFilter(r *http.Request) (casework.CaseFilter, error) {
	q := r.URL.Query()
	var f casework.CaseFilter
	if v := q.Get("status"); v != "" {
		for _, part := range strings.Split(v, ",") {
			st, err := casework.ParseStatus("status", strings.TrimSpace(part))
			if err != nil {
				return f, err
			}
			f.Status = append(f.Status, st)
		}
	}
	str := func(name string) *string {
		if v := q.Get(name); v != "" {
			return &v
		}
		return nil
	}
	f.Grid, f.Unit, f.Category, f.Source = str("grid"), str("unit"), str("category"), str("source")
	if f.Category != nil && !casework.ValidCategoryCode(*f.Category) {
		return f, errs.Invalidf("category", "invalid_category", "want a 2-digit big class or 4-digit small class code, got %q", *f.Category)
	}
	if f.Source != nil {
		if _, err := casework.ParseSource("source", *f.Source); err != nil {
			return f, err
		}
	}
	if q.Get("overdue") != "" {
		b, err := queryBool(r, "overdue")
		if err != nil {
			return f, err
		}
		f.Overdue = &b
	}
	unassigned, err := queryBool(r, "unassigned")
	if err != nil {
		return f, err
	}
	f.Unassigned = unassigned
	if v := q.Get("deadline_state"); v != "" {
		ds, err := casework.ParseDeadlineState("deadline_state", v)
		if err != nil {
			return f, err
		}
		f.DeadlineState = &ds
	}
	if f.BBox, err = queryBBox(r); err != nil {
		return f, err
	}
	if f.From, err = queryDay(r, "from", false); err != nil {
		return f, err
	}
	if f.To, err = queryDay(r, "to", true); err != nil {
		return f, err
	}
	if v := q.Get("q"); v != "" {
		v = strings.TrimSpace(v)
		if v == "" || !utf8.ValidString(v) || utf8.RuneCountInString(v) > 100 {
			return f, errs.Invalidf("q", "invalid_query", "want 1 to 100 characters of UTF-8 text, got %q", q.Get("q"))
		}
		f.Query = &v
	}
	if v := q.Get("period"); v != "" {
		p, err := casework.ParsePeriod("period", v)
		if err != nil {
			return f, err
		}
		f.Period = p
	}
	return f, nil
}

// queryDay parses a date (YYYY-MM-DD, Asia/Shanghai; as an upper bound the
// whole day is included) or an RFC 3339 instant.
func queryDay(r *http.Request, name string, end bool) (*time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, workday.Shanghai())
	if err != nil {
		return nil, errs.Invalidf(name, "invalid_date", "want a date YYYY-MM-DD or an RFC 3339 time, got %q", v)
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return &t, nil
}

// queryRange reads the required from and to days ([from, to+1 day)),
// refusing an empty, reversed or longer than maxYears range.
func queryRange(r *http.Request, maxYears int) (from, to *time.Time, err error) {
	if from, err = queryDay(r, "from", false); err != nil {
		return nil, nil, err
	}
	if to, err = queryDay(r, "to", true); err != nil {
		return nil, nil, err
	}
	if from == nil || to == nil {
		return nil, nil, errs.Invalidf("from,to", "range_required", "want from and to dates (YYYY-MM-DD)")
	}
	if !to.After(*from) {
		return nil, nil, errs.Invalidf("to", "invalid_range", "to must not be before from")
	}
	if to.Sub(*from) > time.Duration(maxYears)*366*24*time.Hour {
		return nil, nil, errs.Invalidf("to", "range_too_long", "at most %d year(s) per request", maxYears)
	}
	return from, to, nil
}

func (s *Server) caseStats(w http.ResponseWriter, r *http.Request) error {
	from, to, err := queryRange(r, 3)
	if err != nil {
		return err
	}
	gb := r.URL.Query().Get("group_by")
	if gb == "" {
		gb = "month"
	}
	st, err := s.Cases.Stats(r.Context(), principal(r), *from, *to, gb)
	if err != nil {
		return err
	}
	return s.ok(w, r, st)
}

// explainJSON is the body of POST /api/v1/routing/explain.
type explainJSON struct {
	Category string   `json:"category"`
	Lon      *float64 `json:"lon"`
	Lat      *float64 `json:"lat"`
	CRS      string   `json:"crs"`
}

func (s *Server) explainRouting(w http.ResponseWriter, r *http.Request) error {
	var req explainJSON
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Lon == nil || req.Lat == nil {
		return errs.Invalidf("lon,lat", "point_required", "want numeric lon and lat")
	}
	if err := checkPoint("lon,lat", *req.Lon, *req.Lat); err != nil {
		return err
	}
	sys, err := parseCRS(req.CRS)
	if err != nil {
		return err
	}
	if req.Category == "" {
		return errs.Invalidf("category", "category_required", "want a small-class category code such as 0101")
	}
	x, y := crs.ToWGS84(sys, *req.Lon, *req.Lat)
	ex, chain, err := s.Cases.Explain(r.Context(), req.Category, orb.Point{x, y})
	if err != nil {
		return err
	}
	checks := ex.Checks
	if checks == nil {
		checks = []casework.Check{}
	}
	if err := s.renderWhy(r, checks); err != nil {
		return err
	}
	return s.ok(w, r, map[string]any{"category": req.Category, "point": [2]float64{x, y}, "grid_chain": chain,
		"matched": ex.Matched, "checks": checks})
}
