package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/internal/worklog"
)

// registerWorklogRoutes: the daily grid log (网格日志).
//
//	GET  /api/v1/worklog?worker=&date=   a worker's day assembled (patrol, reports, visits, verifications, inspections) with its entry;
//	                                     a worker its own, a center or viewer any worker of its scope (ETag = the entry's version)
//	POST /api/v1/worklog                 {"date", "notes"}: the caller's entry for the day, once (again: 409); late after the day ends (Idempotency-Key: a retry answers 200)
//	PUT  /api/v1/worklog + If-Match      {"date", "notes"}: amend the caller's entry (stale version: 409; Idempotency-Key: a retry of the last amendment answers 200)
func (s *Server) registerWorklogRoutes(r chi.Router) {
	if s.Worklog == nil {
		return
	}
	r.Get("/worklog", s.h(s.getWorklog))
	r.Post("/worklog", s.h(s.submitWorklog))
	r.Put("/worklog", s.h(s.amendWorklog))
}

type worklogEntryJSON struct {
	Date        string    `json:"date"`
	Notes       string    `json:"notes"`
	Late        bool      `json:"late"`
	SubmittedAt time.Time `json:"submitted_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int       `json:"version"`
	StatusText  string    `json:"status_text"`
}

type worklogCaseJSON struct {
	ID       int64     `json:"id"`
	Number   string    `json:"number"`
	Category string    `json:"category"`
	At       time.Time `json:"at"`
	Action   string    `json:"action,omitempty"`
	Status   string    `json:"status"`
}

type worklogVisitJSON struct {
	ID         int64     `json:"id"`
	TargetKind string    `json:"target_kind"`
	TargetID   int64     `json:"target_id"`
	TargetName string    `json:"target_name"`
	KindName   string    `json:"kind_name"`
	At         time.Time `json:"at"`
	OnSite     bool      `json:"on_site"`
}

type worklogItemJSON struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	Title   string    `json:"title"`
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"`
}

func (s *Server) entryOut(l msg.Lang, e *worklog.Entry) *worklogEntryJSON {
	if e == nil {
		return nil
	}
	out := &worklogEntryJSON{Date: e.Day.String(), Notes: e.Notes, Late: e.Late, SubmittedAt: e.SubmittedAt, UpdatedAt: e.UpdatedAt, Version: e.Version}
	if e.Late {
		out.StatusText = s.Messages.Sprintf(l, msg.DutyLogLate, e.Day.End().In(workday.Shanghai()).Format("2006-01-02 15:04"))
	} else {
		out.StatusText = s.Messages.Sprintf(l, msg.DutyLogOnTime, e.SubmittedAt.In(workday.Shanghai()).Format("2006-01-02 15:04"))
	}
	return out
}

func casesOut(cs []worklog.CaseItem) []worklogCaseJSON {
	out := make([]worklogCaseJSON, len(cs))
	for i, c := range cs {
		out[i] = worklogCaseJSON{ID: c.ID, Number: c.Number, Category: c.Category, At: c.At, Action: c.Action, Status: c.Status}
	}
	return out
}

func (s *Server) getWorklog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d, err := s.Worklog.Get(r.Context(), principal(r), q.Get("worker"), q.Get("date"))
	if err != nil {
		return err
	}
	l := msg.Lang(lang(r))
	out := map[string]any{
		"worker":   map[string]any{"id": d.Worker.ID, "username": d.Worker.Username, "name": d.Worker.Name},
		"date":     d.Date.String(),
		"deadline": d.Deadline,
	}
	if d.Patrol != nil {
		text := s.Messages.Sprintf(l, msg.DutyLogNoPatrol)
		if d.Patrol.Seconds > 0 {
			text = s.Messages.Sprintf(l, msg.DutyLogPatrol, d.Patrol.Seconds/3600, d.Patrol.DistanceM/1000)
		}
		out["patrol"] = map[string]any{"seconds": d.Patrol.Seconds, "distance_m": d.Patrol.DistanceM, "patrolled": d.Patrol.Patrolled,
			"min_seconds": d.Patrol.MinSeconds, "text": text}
	} else {
		out["patrol"] = nil
	}
	out["reports"] = casesOut(d.Reports)
	out["verifications"] = casesOut(d.Verifications)
	vs := make([]worklogVisitJSON, len(d.Visits))
	for i, v := range d.Visits {
		vs[i] = worklogVisitJSON{ID: v.ID, TargetKind: v.TargetKind, TargetID: v.TargetID, TargetName: v.TargetName,
			KindName: s.Messages.Sprintf(l, dutyKindKeys[v.TargetKind]), At: v.At, OnSite: v.OnSite}
	}
	out["visits"] = vs
	items := make([]worklogItemJSON, len(d.Inspections))
	for i, it := range d.Inspections {
		items[i] = worklogItemJSON{ID: it.ID, Kind: it.Kind, Title: it.Title, At: it.At, Outcome: it.Outcome}
	}
	out["inspections"] = items
	out["entry"] = s.entryOut(l, d.Entry)
	if d.Entry == nil {
		out["status_text"] = s.Messages.Sprintf(l, msg.DutyLogMissing)
	} else {
		out["status_text"] = out["entry"].(*worklogEntryJSON).StatusText
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, d.Entry.Version))
	}
	return s.ok(w, r, out)
}

type worklogInput struct {
	Date  string `json:"date"`
	Notes string `json:"notes"`
}

func (s *Server) submitWorklog(w http.ResponseWriter, r *http.Request) error {
	var in worklogInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	e, replayed, err := s.Worklog.Submit(r.Context(), principal(r), worklog.Submission{Date: in.Date, Notes: in.Notes}, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, e.Version))
	s.writeJSON(w, r, createdStatus(w, replayed), "application/json", s.entryOut(msg.Lang(lang(r)), e))
	return nil
}

func (s *Server) amendWorklog(w http.ResponseWriter, r *http.Request) error {
	var in worklogInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	version := 0
	if im := strings.Trim(strings.TrimPrefix(r.Header.Get("If-Match"), "W/"), `"`); im != "" {
		v, err := strconv.Atoi(im)
		if err != nil || v < 1 {
			return errs.Invalidf("If-Match", "invalid_if_match", "want the entry's version from its ETag, got %q", im)
		}
		version = v
	}
	e, replayed, err := s.Worklog.Amend(r.Context(), principal(r), worklog.Submission{Date: in.Date, Notes: in.Notes, Version: version}, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, e.Version))
	return s.ok(w, r, s.entryOut(msg.Lang(lang(r)), e))
}
