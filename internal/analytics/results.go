package analytics

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
)

// Quarterly and yearly results of grid workers (季度/年度考核), from the
// monthly assessments (internal/assessment):
//
//   - a worker's result over a period is the mean of its monthly totals
//     in the months of the period assessed so far (whole months before the
//     current one); Complete when every month of the period is assessed
//     and the worker was in each;
//   - the grade is the assessment rubric's Grades band of the mean (the
//     rubric is configurable: the bands are its `grades`); a vetoed month
//     in the period gives the lowest grade, as in the quarterly grade;
//   - ranks: mean descending, vetoed workers last, ties share a place;
//   - 先进网格: the grids of the best-ranked workers whose result is
//     complete, unvetoed and of the top grade, at most ⌈share·n⌉ of the n
//     workers ranked (share default 0.1).

// Runs gives a month's latest assessment run.
type Runs interface {
	Get(ctx context.Context, month string, version int) (*assessment.Run, error)
}

// Results computes period results for callers.
type Results struct {
	Runs Runs
	Tree func() Hierarchy
	Now  func() time.Time
	Loc  *time.Location
}

// MonthScore is one assessed month of a worker.
type MonthScore struct {
	Month  string  `json:"month"`
	Total  float64 `json:"total"`
	Vetoed bool    `json:"vetoed"`
}

// WorkerResult is a worker's result over a period.
type WorkerResult struct {
	Worker   assessment.Worker `json:"worker"`
	Months   []MonthScore      `json:"months"`
	Mean     float64           `json:"mean"`
	Vetoed   bool              `json:"vetoed"`
	Grade    string            `json:"grade"`
	GradeEN  string            `json:"grade_en"`
	Complete bool              `json:"complete"`
	Rank     int               `json:"rank"`
}

// AdvancedGrid is one grid of the 先进网格 list.
type AdvancedGrid struct {
	GridCode   string  `json:"grid_code"`
	Worker     string  `json:"worker"`
	WorkerName string  `json:"worker_name"`
	Mean       float64 `json:"mean"`
	Rank       int     `json:"rank"`
}

// PeriodResults are the results of a quarter or a year.
type PeriodResults struct {
	Period        string          `json:"period"`
	Months        []string        `json:"months"`   // the period's months
	Assessed      []string        `json:"assessed"` // those assessed so far
	RubricVersion string          `json:"rubric_version"`
	Grades        []GradeBand     `json:"grades"`
	Workers       []*WorkerResult `json:"workers"`
	AdvancedShare float64         `json:"advanced_share"`
	Advanced      []AdvancedGrid  `json:"advanced_grids"`
}

// GradeBand is one grade of the rubric.
type GradeBand = assessment.Grade

// DefaultAdvancedShare is the share of ranked workers whose grids may be 先进网格.
const DefaultAdvancedShare = 0.1

var periodRe = regexp.MustCompile(`^([0-9]{4})(?:-Q([1-4]))?$`)

// PeriodMonths returns the months (YYYY-MM) of "YYYY" or "YYYY-Qn".
func PeriodMonths(period string) ([]string, error) {
	m := periodRe.FindStringSubmatch(period)
	if m == nil {
		return nil, errs.Invalidf("period", "invalid_period", "want YYYY or YYYY-Qn (n 1–4), got %q", period)
	}
	year, _ := strconv.Atoi(m[1])
	first, n := 1, 12
	if m[2] != "" {
		q, _ := strconv.Atoi(m[2])
		first, n = (q-1)*3+1, 3
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%04d-%02d", year, first+i)
	}
	return out, nil
}

// WorkerResults returns the results p may read of period ("YYYY" or
// "YYYY-Qn") under parent ("" for all), with the 先进网格 list (share 0:
// DefaultAdvancedShare).
func (s *Results) WorkerResults(ctx context.Context, p *auth.Principal, period, parent string, share float64) (*PeriodResults, error) {
	months, err := PeriodMonths(period)
	if err != nil {
		return nil, err
	}
	if share == 0 {
		share = DefaultAdvancedShare
	}
	if share < 0 || share > 1 || math.IsNaN(share) {
		return nil, errs.Invalidf("advanced_share", "invalid_share", "want a share in (0, 1], got %v", share)
	}
	if parent != "" && !p.CanReadGrid(s.Tree(), parent) {
		return nil, errs.Forbiddenf("grid %s is outside your scope", parent)
	}
	now := s.Now().In(s.Loc).Format("2006-01")
	byMonth := map[string][]*assessment.Result{}
	var assessed []string
	var rubric *assessment.Rubric
	for _, m := range months {
		if m >= now {
			break
		}
		run, err := s.Runs.Get(ctx, m, 0)
		if err != nil {
			return nil, err
		}
		assessed = append(assessed, m)
		byMonth[m] = assessment.Visible(p, s.Tree(), parent, run.Results)
		rubric = run.Rubric
	}
	if rubric == nil {
		rubric = assessment.DefaultRubric()
	}
	out := &PeriodResults{Period: period, Months: months, Assessed: assessed, RubricVersion: rubric.Version, Grades: rubric.Grades,
		AdvancedShare: share}
	if out.Assessed == nil {
		out.Assessed = []string{}
	}
	out.Workers = Summarise(rubric, months, assessed, byMonth)
	out.Advanced = Advanced(rubric, out.Workers, share)
	return out, nil
}

// Summarise computes each worker's period result from the assessed
// months' results, ranked.
func Summarise(r *assessment.Rubric, months, assessed []string, byMonth map[string][]*assessment.Result) []*WorkerResult {
	ws := map[int64]*WorkerResult{}
	var order []*WorkerResult
	for _, m := range assessed {
		for _, res := range byMonth[m] {
			w := ws[res.Worker.ID]
			if w == nil {
				w = &WorkerResult{Worker: res.Worker}
				ws[res.Worker.ID] = w
				order = append(order, w)
			}
			w.Worker = res.Worker
			w.Months = append(w.Months, MonthScore{Month: m, Total: res.Total, Vetoed: res.Vetoed})
		}
	}
	for _, w := range order {
		var sum float64
		for _, m := range w.Months {
			sum += m.Total
			w.Vetoed = w.Vetoed || m.Vetoed
		}
		w.Mean = math.Round(sum/float64(len(w.Months))*100) / 100
		g := r.Grade(w.Mean)
		if w.Vetoed {
			g = r.Grades[len(r.Grades)-1]
		}
		w.Grade, w.GradeEN = g.Name, g.NameEN
		w.Complete = len(w.Months) == len(months)
	}
	less := func(a, b *WorkerResult) int {
		if a.Vetoed != b.Vetoed {
			if a.Vetoed {
				return 1
			}
			return -1
		}
		return cmp.Compare(b.Mean, a.Mean)
	}
	slices.SortStableFunc(order, func(a, b *WorkerResult) int {
		return cmp.Or(less(a, b), cmp.Compare(a.Worker.Username, b.Worker.Username))
	})
	for i, w := range order {
		w.Rank = i + 1
		if i > 0 && less(order[i-1], w) == 0 {
			w.Rank = order[i-1].Rank
		}
	}
	if order == nil {
		order = []*WorkerResult{}
	}
	return order
}

// Advanced returns the 先进网格: the grids of the best-ranked complete,
// unvetoed, top-grade workers, at most ⌈share·n⌉ workers of n ranked.
func Advanced(r *assessment.Rubric, ws []*WorkerResult, share float64) []AdvancedGrid {
	limit := int(math.Ceil(share * float64(len(ws))))
	out := []AdvancedGrid{}
	n := 0
	for _, w := range ws {
		if n >= limit {
			break
		}
		if !w.Complete || w.Vetoed || w.Grade != r.Grades[0].Name {
			continue
		}
		n++
		for _, g := range w.Worker.Grids {
			out = append(out, AdvancedGrid{GridCode: g, Worker: w.Worker.Username, WorkerName: w.Worker.Name, Mean: w.Mean, Rank: w.Rank})
		}
	}
	return out
}
