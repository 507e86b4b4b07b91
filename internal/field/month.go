package field

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/patrol"
)

// MonthGrid is the month's patrol figures in one own grid (the patrol
// audit's row for the worker).
type MonthGrid struct {
	Code, Name     string
	DaysPatrolled  int
	DaysUnder      int // days under Rules.MinDaily
	FullDays       int
	PatrolSeconds  float64
	Coverage       float64 // union of the month's covered cells
	CoverageMet    bool    // ≥ Rules.MonthlyCoverage
	UncoveredCells int
}

// Month is a worker's month so far.
type Month struct {
	Month string // YYYY-MM
	// Provisional is true until the month has ended: its figures still
	// change.
	Provisional     bool
	Days            int // completed days assessed (today not included)
	MonthlyCoverage float64
	Grids           []MonthGrid
	// Assessment is the worker's result in the month's latest assessment
	// run (nil when the month has none, or the worker is not in it), as of
	// AssessedAt.
	Assessment *assessment.Result
	AssessedAt *time.Time
}

// Month returns the caller's current month: the patrol audit of its grids
// and its running assessment.
func (s *Service) Month(ctx context.Context, p *auth.Principal) (*Month, error) {
	if err := requireWorker(p); err != nil {
		return nil, err
	}
	now := s.Now().In(s.Loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.Loc)
	out := &Month{Month: first.Format("2006-01"), Provisional: true, MonthlyCoverage: s.Patrols.Rules.MonthlyCoverage, Grids: []MonthGrid{}}
	grids, err := s.Patrols.OwnGrids(ctx, p.User.ID, patrol.DayOf(now, s.Loc))
	if err != nil {
		return nil, err
	}
	for _, g := range grids {
		a, err := s.Patrols.Audit(ctx, first, g.Code, patrol.AuditOptions{})
		if errs.Is(err, errs.Invalid) {
			break // the month's first day: nothing completed yet
		}
		if err != nil {
			return nil, err
		}
		out.Days = a.Days
		for _, r := range a.Rows {
			if r.WorkerID != p.User.ID || r.GridCode != g.Code {
				continue
			}
			out.Grids = append(out.Grids, MonthGrid{Code: r.GridCode, Name: r.GridName, DaysPatrolled: r.DaysPatrolled,
				DaysUnder: r.DaysUnder, FullDays: r.FullDays, PatrolSeconds: r.PatrolSeconds, Coverage: r.Coverage,
				CoverageMet: r.CoverageMet, UncoveredCells: r.UncoveredCells})
		}
	}
	if s.Assessments == nil {
		return out, nil
	}
	run, err := s.Assessments.Get(ctx, out.Month, 0)
	if errs.Is(err, errs.Invalid) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	at := run.CreatedAt
	out.AssessedAt = &at
	for _, r := range run.Results {
		if r.Worker.ID == p.User.ID {
			out.Assessment = r
		}
	}
	return out, nil
}
