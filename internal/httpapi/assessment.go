package httpapi

import (
	"context"
	"github.com/gridd/gridd/internal/msg"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/auth"
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
// a handler: a strict JSON body, 201 with the record (the service admits
// the center and admin only).
func createEvidence[In, Out any](s *Server, create func(context.Context, *auth.Principal, auth.Hierarchy, In) (Out, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		out, err := create(r.Context(), principal(r), s.tree(), in)
		if err != nil {
			return err
		}
		s.writeJSON(w, r, http.StatusCreated, "application/json", out)
		return nil
	}
}

// assessmentQuery reads month, parent and version.
func assessmentQuery(r *http.Request) (assessment.Query, error) {
	q := r.URL.Query()
	version, err := queryInt(r, "version", 0, 1, 1_000_000)
	if err != nil {
		return assessment.Query{}, err
	}
	return assessment.Query{Month: q.Get("month"), Parent: q.Get("parent"), Version: version}, nil
}

// localized returns v with its workers' texts in the reader's language.
func (s *Server) localized(r *http.Request, v *assessment.View) *assessment.View {
	v.Workers = s.localizeResults(msg.ParseLang(lang(r)), v.Workers)
	return v
}

func (s *Server) getAssessments(w http.ResponseWriter, r *http.Request) error {
	q, err := assessmentQuery(r)
	if err != nil {
		return err
	}
	v, err := s.Assessments.ViewFor(r.Context(), principal(r), s.tree(), q)
	if err != nil {
		return err
	}
	return s.ok(w, r, s.localized(r, v))
}

func (s *Server) runAssessment(w http.ResponseWriter, r *http.Request) error {
	q, err := assessmentQuery(r)
	if err != nil {
		return err
	}
	v, created, err := s.Assessments.AssessFor(r.Context(), principal(r), s.tree(), q)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.writeJSON(w, r, status, "application/json", s.localized(r, v))
	return nil
}

func (s *Server) exportAssessments(w http.ResponseWriter, r *http.Request) error {
	q, err := assessmentQuery(r)
	if err != nil {
		return err
	}
	v, err := s.Assessments.ViewFor(r.Context(), principal(r), s.tree(), q)
	if err != nil {
		return err
	}
	v = s.localized(r, v)
	b, err := AssessmentWorkbook(s.Messages, msg.Lang(lang(r)), v.Month, v.Version, v.Workers, v.Departments)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="assessment-`+v.Month+`.xlsx"`)
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
