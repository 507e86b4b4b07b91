package assessment

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
)

// Tree is the grid hierarchy the access rules need: what lies under what,
// and which grids exist.
type Tree interface {
	auth.Hierarchy
	Has(code string) bool
}

// Query names a month's results: Version 0 is the latest; Parent ("" for
// all) narrows to the workers with a grid under it.
type Query struct {
	Month   string
	Parent  string
	Version int
}

// View is a run as one caller may see it.
type View struct {
	Month         string             `json:"month"`
	Version       int                `json:"version"`
	RubricVersion string             `json:"rubric_version"`
	CreatedAt     time.Time          `json:"created_at"`
	Parent        string             `json:"parent,omitempty"`
	Workers       []*Result          `json:"workers"`
	Departments   []DepartmentFigure `json:"departments"`
	Diff          []Change           `json:"diff"`
	Rubric        *Rubric            `json:"rubric"`
}

// check validates q for p: the month, and a parent that exists and lies in
// p's scope.
func (q Query) check(p *auth.Principal, h Tree) error {
	if q.Month == "" {
		return errs.Invalidf("month", "month_required", "want month=YYYY-MM")
	}
	if _, err := PeriodOf(q.Month); err != nil {
		return err
	}
	if q.Parent != "" {
		if !h.Has(q.Parent) {
			return errs.Invalidf("parent", "unknown_grid", "no grid %q", q.Parent)
		}
		if !p.CanReadGrid(h, q.Parent) {
			return errs.Forbiddenf("grid %s is outside your scope", q.Parent)
		}
	}
	return nil
}

// ViewFor returns the run q names as p may read it (computed first when
// the month has never been assessed): a worker its own result; a center or
// viewer the workers with a grid in its scope; admin everyone; a department
// no worker, only its own unit's figures.
func (s *Service) ViewFor(ctx context.Context, p *auth.Principal, h Tree, q Query) (*View, error) {
	if err := q.check(p, h); err != nil {
		return nil, err
	}
	run, err := s.Get(ctx, q.Month, q.Version)
	if err != nil {
		return nil, err
	}
	return view(p, h, run, q.Parent), nil
}

// AssessFor recomputes q's month as p (admin, center): true when a new
// version was stored.
func (s *Service) AssessFor(ctx context.Context, p *auth.Principal, h Tree, q Query) (*View, bool, error) {
	if err := requireCenter(p); err != nil {
		return nil, false, err
	}
	if err := q.check(p, h); err != nil {
		return nil, false, err
	}
	run, created, err := s.Assess(ctx, q.Month, p.User.ID)
	if err != nil {
		return nil, false, err
	}
	return view(p, h, run, q.Parent), created, nil
}

func view(p *auth.Principal, h auth.Hierarchy, run *Run, parent string) *View {
	workers := Visible(p, h, parent, run.Results)
	seen := map[string]bool{}
	for _, w := range workers {
		seen[w.Worker.Username] = true
	}
	diff := []Change{}
	for _, c := range run.Diff {
		if c.Worker == "" || seen[c.Worker] {
			diff = append(diff, c)
		}
	}
	return &View{Month: run.Month, Version: run.Version, RubricVersion: run.RubricVersion, CreatedAt: run.CreatedAt,
		Parent: parent, Workers: workers, Departments: VisibleDepartments(p, run.Departments), Diff: diff, Rubric: run.Rubric}
}
