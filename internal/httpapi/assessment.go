package httpapi

import (
	"context"
	"github.com/gridd/gridd/internal/msg"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// registerAssessmentRoutes:
//
//	POST /api/v1/assessment/calls      {"worker", "at", "answered", "note"}                       supervisory call
//	POST /api/v1/assessment/surveys    {"worker", "date", "households", "satisfied", "note"}      satisfaction survey
//	POST /api/v1/assessment/findings   {"worker", "kind", "date", "case_number", "note"}          spot check / request / late report / inspector
//	GET  /api/v1/assessments?month=YYYY-MM[&parent=CODE][&version=N]   the month's results (computed on first read)
//	POST /api/v1/assessments/run?month=YYYY-MM                          recompute: a new version when anything changed
//	GET  /api/v1/assessments/export.xlsx?month=YYYY-MM[&parent=][&version=]   a sheet per block, Chinese headers
//
// Records are entered by the center (its scope) and admin only. Reading: a
// worker sees only its own result; a center or viewer the workers with a
// grid in its scope; admin everyone; a department no worker, only its own
// unit's department figures.
func (s *Server) registerAssessmentRoutes(r chi.Router) {
	if s.Assessments == nil {
		return
	}
	r.Post("/assessment/calls", s.h(createEvidence(s, s.Assessments.CreateCall)))
	r.Post("/assessment/surveys", s.h(createEvidence(s, s.Assessments.CreateSurvey)))
	r.Post("/assessment/findings", s.h(createEvidence(s, s.Assessments.CreateFinding)))
	r.Get("/assessments", s.h(s.getAssessments))
	r.Post("/assessments/run", s.h(s.runAssessment))
	r.Get("/assessments/export.xlsx", s.h(s.exportAssessments))
}

// createEvidence adapts one of the assessment service's Create methods into
// a handler: center and admin only, a strict JSON body, 201 with the record.
func createEvidence[In, Out any](s *Server, create func(context.Context, *auth.Principal, auth.Hierarchy, In) (Out, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := principal(r)
		if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
			return err
		}
		var in In
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		out, err := create(r.Context(), p, s.tree(), in)
		if err != nil {
			return err
		}
		s.writeJSON(w, r, http.StatusCreated, "application/json", out)
		return nil
	}
}

// assessmentView is a run as one caller may see it.
type assessmentView struct {
	Month         string                        `json:"month"`
	Version       int                           `json:"version"`
	RubricVersion string                        `json:"rubric_version"`
	CreatedAt     time.Time                     `json:"created_at"`
	Parent        string                        `json:"parent,omitempty"`
	Workers       []*assessment.Result          `json:"workers"`
	Departments   []assessment.DepartmentFigure `json:"departments"`
	Diff          []assessment.Change           `json:"diff"`
	Rubric        *assessment.Rubric            `json:"rubric"`
}

// assessmentQuery parses month, parent and version and checks parent.
func (s *Server) assessmentQuery(r *http.Request) (month, parent string, version int, err error) {
	q := r.URL.Query()
	month = q.Get("month")
	if month == "" {
		return "", "", 0, errs.Invalidf("month", "month_required", "want month=YYYY-MM")
	}
	if _, err := assessment.PeriodOf(month); err != nil {
		return "", "", 0, err
	}
	if version, err = queryInt(r, "version", 0, 1, 1_000_000); err != nil {
		return "", "", 0, err
	}
	parent = q.Get("parent")
	if parent != "" {
		if !s.tree().Has(parent) {
			return "", "", 0, errs.Invalidf("parent", "unknown_grid", "no grid %q", parent)
		}
		if !principal(r).CanReadGrid(s.tree(), parent) {
			return "", "", 0, errs.Forbiddenf("grid %s is outside your scope", parent)
		}
	}
	return month, parent, version, nil
}

func (s *Server) view(r *http.Request, run *assessment.Run, parent string) *assessmentView {
	p := principal(r)
	workers := assessment.Visible(p, s.tree(), parent, run.Results)
	seen := map[string]bool{}
	for _, w := range workers {
		seen[w.Worker.Username] = true
	}
	diff := []assessment.Change{}
	for _, c := range run.Diff {
		if c.Worker == "" || seen[c.Worker] {
			diff = append(diff, c)
		}
	}
	workers = s.localizeResults(msg.ParseLang(lang(r)), workers)
	return &assessmentView{Month: run.Month, Version: run.Version, RubricVersion: run.RubricVersion, CreatedAt: run.CreatedAt,
		Parent: parent, Workers: workers, Departments: assessment.VisibleDepartments(p, run.Departments), Diff: diff, Rubric: run.Rubric}
}

func (s *Server) getAssessments(w http.ResponseWriter, r *http.Request) error {
	month, parent, version, err := s.assessmentQuery(r)
	if err != nil {
		return err
	}
	run, err := s.Assessments.Get(r.Context(), month, version)
	if err != nil {
		return err
	}
	return s.ok(w, r, s.view(r, run, parent))
}

func (s *Server) runAssessment(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	month, parent, _, err := s.assessmentQuery(r)
	if err != nil {
		return err
	}
	run, created, err := s.Assessments.Assess(r.Context(), month, p.User.ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeJSON(w, r, status, "application/json", s.view(r, run, parent))
	return nil
}

func (s *Server) exportAssessments(w http.ResponseWriter, r *http.Request) error {
	month, parent, version, err := s.assessmentQuery(r)
	if err != nil {
		return err
	}
	run, err := s.Assessments.Get(r.Context(), month, version)
	if err != nil {
		return err
	}
	v := s.view(r, run, parent)
	if principal(r).Role() == people.RoleDepartment {
		v.Workers = nil
	}
	b, err := AssessmentWorkbook(s.Messages, msg.Lang(lang(r)), run.Month, run.Version, v.Workers, v.Departments)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="assessment-`+run.Month+`.xlsx"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// localizeResults returns copies of the results with every detail, note
// and flag rendered in l from their catalogue phrases (results stored
// before phrases existed keep their English; missing_evidence stays codes).
func (s *Server) localizeResults(l msg.Lang, results []*assessment.Result) []*assessment.Result {
	say := func(p assessment.Phrase) string {
		args := make([]any, len(p.Args))
		for i, a := range p.Args {
			args[i] = a
			if len(a) > 1 && a[0] == '@' && s.Messages.Has(msg.Key(a[1:])) {
				args[i] = s.Messages.Sprintf(l, msg.Key(a[1:]))
			}
		}
		return s.Messages.Sprintf(l, msg.Key(p.Key), args...)
	}
	sep, colon := "；", "："
	if l == msg.EN {
		sep, colon = "; ", ": "
	}
	out := make([]*assessment.Result, len(results))
	for i, r := range results {
		c := *r
		c.Blocks = make([]assessment.Block, len(r.Blocks))
		for bi, b := range r.Blocks {
			b.Items = append([]assessment.Item(nil), b.Items...)
			for ii := range b.Items {
				it := &b.Items[ii]
				if len(it.Phrases) > 0 {
					d := ""
					for pi, p := range it.Phrases {
						switch {
						case pi == 0:
						case p.Key == "assessment.deduct":
							d += colon
						default:
							d += sep
						}
						d += say(p)
					}
					it.Detail = d
				}
				it.Evidence = append([]assessment.Ref(nil), it.Evidence...)
				for ei := range it.Evidence {
					if np := it.Evidence[ei].NotePhrase; np != nil {
						it.Evidence[ei].Note = say(*np)
					}
				}
			}
			c.Blocks[bi] = b
		}
		if len(r.FlagPhrases) == len(r.FlagsDetails) && len(r.FlagPhrases) > 0 {
			c.FlagsDetails = make([]string, len(r.FlagPhrases))
			for fi, p := range r.FlagPhrases {
				c.FlagsDetails[fi] = say(p)
			}
		}
		out[i] = &c
	}
	return out
}
