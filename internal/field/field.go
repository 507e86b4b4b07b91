// Package field composes what a grid worker's phone app (/m/) shows: the
// worker's day (patrol figures against the rules, uncovered cells, the
// checkpoints still to visit, the tasks waiting) and month (coverage, days
// under the minimum, the running assessment). It owns no data: it reads
// the patrol, case and assessment services for the caller, so its figures
// are theirs (GET /api/v1/patrols/daily gives the same patrol numbers).
//
// Only the worker role has a day or a month here; other roles are
// Forbidden (the console serves them).
package field

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/people"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Service answers the field app's composite reads.
type Service struct {
	Patrols *patrol.Service
	Cases   *casework.Service
	// Assessments gives the running monthly assessment (nil: none).
	Assessments *assessment.Service
	Tree        func() casework.Hierarchy
	Now         func() time.Time
	Loc         *time.Location
}

// Limits of the task lists.
const (
	MaxTasks      = 50  // per list
	usageSample   = 200 // own reports looked at for the most used categories
	maxCategories = 8
)

func requireWorker(p *auth.Principal) error {
	if p.Role() != people.RoleWorker {
		return errs.Forbiddenf("the field app's day and month are a grid worker's; role %s uses the console", p.Role())
	}
	return nil
}

// GridToday is one own grid on the day.
type GridToday struct {
	Code, Name    string
	Outline       orb.MultiPolygon
	PatrolSeconds float64
	DistanceM     float64
	Coverage      float64
	Measure       string
	Cells         int
	// Uncovered are the centres of the cells not yet within R of a valid
	// track (a cell is covered when its centre is).
	Uncovered orb.MultiPoint
}

// PatrolToday is the day's patrol against the rules.
type PatrolToday struct {
	MinDaily      time.Duration // Rules.MinDaily (the 2-hour rule)
	RadiusM       float64       // Rules.RadiusM
	CellEdgeM     float64       // mean edge of the coverage cells
	PatrolSeconds float64
	DistanceM     float64
	Patrolled     bool
	Fixes, Valid  int
	Grids         []GridToday
	Track         orb.MultiLineString
}

// CheckpointToday is a checkpoint of an own grid and whether it is due.
type CheckpointToday struct {
	Checkpoint patrol.Checkpoint
	// VisitedAt is the first visit in the checkpoint's period (today for
	// daily ones, this ISO week for weekly ones); nil when still to visit.
	VisitedAt *time.Time
}

// Tasks are the cases waiting for the worker.
type Tasks struct {
	Verify   []*casework.Case // verifying, in own grids, the worker may verify
	Reported []*casework.Case // own reports, newest first
	SentBack []*casework.Case // own reports the center rejected (sent back)
}

// CategoryUse is how often the worker reported a category lately.
type CategoryUse struct {
	Code  string
	Count int
}

// Today is a worker's day.
type Today struct {
	Date        time.Time // 00:00 in Loc
	Worker      *people.User
	Patrol      PatrolToday
	Checkpoints []CheckpointToday
	Tasks       Tasks
	// Categories are the worker's most used categories, most used first.
	Categories []CategoryUse
}

// Today returns the caller's day so far.
func (s *Service) Today(ctx context.Context, p *auth.Principal) (*Today, error) {
	if err := requireWorker(p); err != nil {
		return nil, err
	}
	now := s.Now().In(s.Loc)
	day := patrol.DayOf(now, s.Loc)
	out := &Today{Date: day, Worker: p.User}
	rep, err := s.Patrols.Daily(ctx, p.User.ID, day)
	if err != nil {
		return nil, err
	}
	if err := s.patrol(ctx, rep, day, &out.Patrol); err != nil {
		return nil, err
	}
	if out.Checkpoints, err = s.checkpoints(ctx, rep, day); err != nil {
		return nil, err
	}
	if out.Tasks, out.Categories, err = s.tasks(ctx, p); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) patrol(ctx context.Context, rep *patrol.DayReport, day time.Time, out *PatrolToday) error {
	r := s.Patrols.Rules
	d := rep.Day
	*out = PatrolToday{MinDaily: r.MinDaily, RadiusM: r.RadiusM, CellEdgeM: h3.HexagonEdgeLengthAvgM(r.Resolution),
		PatrolSeconds: d.PatrolSeconds, DistanceM: d.DistanceM, Patrolled: d.Patrolled, Fixes: d.Fixes, Valid: d.Valid,
		Grids: []GridToday{}}
	for _, g := range rep.Grids {
		gd := patrol.GridDay{GridCode: g.Code, Cells: g.Cells.Len()}
		for _, x := range d.Grids {
			if x.GridCode == g.Code {
				gd = x
			}
		}
		gt := GridToday{Code: g.Code, Name: g.Name, PatrolSeconds: gd.PatrolSeconds, DistanceM: gd.DistanceM,
			Coverage: gd.Coverage, Measure: g.Measure, Cells: g.Cells.Len(), Uncovered: orb.MultiPoint{}}
		for _, i := range patrol.Cover(g.Cells, gd).Uncovered() {
			gt.Uncovered = append(gt.Uncovered, g.Cells.Center(i))
		}
		at := day
		grid, err := s.Patrols.Grids.FindGridByCode(ctx, g.Code, &at)
		if err != nil {
			return err
		}
		gt.Outline = grid.Geometry
		out.Grids = append(out.Grids, gt)
	}
	for _, seg := range rep.Tracks {
		ls := make(orb.LineString, 0, len(seg))
		for _, f := range seg {
			ls = append(ls, f.Point())
		}
		out.Track = append(out.Track, ls)
	}
	return nil
}

// checkpoints lists the checkpoints of the day's own grids, each with its
// visit in its period. Visits are the patrol service's: it checks a
// checkpoint in when a valid fix comes within its radius.
func (s *Service) checkpoints(ctx context.Context, rep *patrol.DayReport, day time.Time) ([]CheckpointToday, error) {
	own := map[string]bool{}
	for _, g := range rep.Grids {
		own[g.Code] = true
	}
	all, err := s.Patrols.Store.FindCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // Monday
	visits, err := s.Patrols.Store.FindVisits(ctx, week, day.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	out := []CheckpointToday{}
	for _, c := range all {
		if !own[c.GridCode] {
			continue
		}
		ct := CheckpointToday{Checkpoint: *c}
		for _, v := range visits {
			if v.CheckpointID != c.ID || (c.Frequency == patrol.FrequencyDaily && !sameDay(v.Date, day)) {
				continue
			}
			if ct.VisitedAt == nil || v.FirstAt.Before(*ct.VisitedAt) {
				at := v.FirstAt
				ct.VisitedAt = &at
			}
		}
		out = append(out, ct)
	}
	// Still to visit first, then by name.
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].VisitedAt == nil) != (out[j].VisitedAt == nil) {
			return out[i].VisitedAt == nil
		}
		return out[i].Checkpoint.Name < out[j].Checkpoint.Name
	})
	return out, nil
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func (s *Service) tasks(ctx context.Context, p *auth.Principal) (Tasks, []CategoryUse, error) {
	var t Tasks
	verifying, _, err := s.Cases.List(ctx, p, casework.CaseFilter{Status: []casework.Status{casework.StatusVerifying}, Limit: MaxTasks})
	if err != nil {
		return t, nil, err
	}
	tree := s.Tree()
	t.Verify = []*casework.Case{}
	for _, c := range verifying {
		if slices.Contains(casework.Allowed(p, tree, c), string(casework.ActVerifyPass)) {
			t.Verify = append(t.Verify, c)
		}
	}
	// Soonest deadline first.
	sort.SliceStable(t.Verify, func(i, j int) bool {
		a, b := t.Verify[i].VerifyDue, t.Verify[j].VerifyDue
		return a != nil && (b == nil || a.Before(*b))
	})
	me := p.User.ID
	mine, _, err := s.Cases.List(ctx, p, casework.CaseFilter{Reporter: &me, Limit: usageSample})
	if err != nil {
		return t, nil, err
	}
	t.Reported, t.SentBack = []*casework.Case{}, []*casework.Case{}
	count := map[string]int{}
	for _, c := range mine {
		count[c.Category]++
		if c.Status == casework.StatusRejected {
			t.SentBack = append(t.SentBack, c)
		}
		if len(t.Reported) < MaxTasks {
			t.Reported = append(t.Reported, c)
		}
	}
	if len(t.SentBack) > MaxTasks {
		t.SentBack = t.SentBack[:MaxTasks]
	}
	uses := make([]CategoryUse, 0, len(count))
	for k, n := range count {
		uses = append(uses, CategoryUse{Code: k, Count: n})
	}
	sort.Slice(uses, func(i, j int) bool {
		if uses[i].Count != uses[j].Count {
			return uses[i].Count > uses[j].Count
		}
		return uses[i].Code < uses[j].Code
	})
	if len(uses) > maxCategories {
		uses = uses[:maxCategories]
	}
	return t, uses, nil
}
