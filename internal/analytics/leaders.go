package analytics

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// The supervising leaders' and cadres' yearly grid-work result (蹲点领导、
// 干部考核). The plans score them by the town's joint meeting "by the
// effect of their work", and the result is folded into the town's
// year-end 1,000-point performance system: the points short of full marks
// are deducted from the year-end result (折分从年终绩效中扣除).
//
// A LeaderRubric says how: GridShare of the year-end Total is grid work;
// the grid-work score (0–100) is the sum of the items' points, each item
// either computed from the supervised grids (the mean yearly result of
// their workers, the on-time closing rate or the discovery rate of their
// cases) or entered by the joint meeting (manual). The deduction is
// GridShare × (100 − score) / 100. A leader whose manual items are not all
// entered yet, or whose grids have no data for a computed item, has no
// score yet (nil), never a made-up one.

// The metrics a leader rubric item can use.
const (
	MetricWorkerMean    = "worker_mean"    // mean yearly result of the supervised grids' workers ÷ 100
	MetricOnTimeRate    = "on_time_rate"   // 按期结案率 of the supervised grids' cases
	MetricDiscoveryRate = "discovery_rate" // 发现率 of the supervised grids' cases
	MetricManual        = "manual"         // scored 0–100 by the joint meeting
)

var leaderMetrics = []string{MetricWorkerMean, MetricOnTimeRate, MetricDiscoveryRate, MetricManual}

// LeaderItem is one item of the leaders' grid-work score.
type LeaderItem struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	NameEN string  `json:"name_en"`
	Points float64 `json:"points"` // of 100
	Metric string  `json:"metric"`
}

// LeaderRubric is the configurable leaders' yearly system.
type LeaderRubric struct {
	Version   int          `json:"version"`
	Total     float64      `json:"total"`      // the year-end system's full marks (1,000)
	GridShare float64      `json:"grid_share"` // of Total, given to grid work
	Items     []LeaderItem `json:"items"`      // points sum to 100
}

// DefaultLeaderRubric is the rubric used until one is saved.
func DefaultLeaderRubric() *LeaderRubric {
	return &LeaderRubric{Total: 1000, GridShare: 100, Items: []LeaderItem{
		{Code: "workers", Name: "蹲点网格网格员年度考核均分", NameEN: "Mean yearly result of the grids' workers", Points: 50, Metric: MetricWorkerMean},
		{Code: "on_time", Name: "蹲点网格按期结案率", NameEN: "On-time closing rate of the grids' cases", Points: 30, Metric: MetricOnTimeRate},
		{Code: "meeting", Name: "党政联席会评议", NameEN: "Joint meeting's assessment", Points: 20, Metric: MetricManual},
	}}
}

// Validate checks r, naming the first wrong field.
func (r *LeaderRubric) Validate() error {
	if !(r.Total > 0) || math.IsInf(r.Total, 0) {
		return errs.Invalidf("total", "invalid_total", "want full marks above 0, got %v", r.Total)
	}
	if !(r.GridShare > 0) || r.GridShare > r.Total {
		return errs.Invalidf("grid_share", "invalid_grid_share", "want a share in (0, total=%v], got %v", r.Total, r.GridShare)
	}
	if len(r.Items) == 0 {
		return errs.Invalidf("items", "items_required", "want at least one item")
	}
	seen := map[string]bool{}
	var sum float64
	for i, it := range r.Items {
		f := "items[" + strconv.Itoa(i) + "]"
		switch {
		case it.Code == "" || len(it.Code) > 40:
			return errs.Invalidf(f+".code", "invalid_code", "want a code of 1–40 characters")
		case seen[it.Code]:
			return errs.Invalidf(f+".code", "duplicate_code", "code %q appears twice", it.Code)
		case it.Name == "" || it.NameEN == "":
			return errs.Invalidf(f+".name", "name_required", "want name and name_en")
		case !(it.Points > 0) || it.Points > 100:
			return errs.Invalidf(f+".points", "invalid_points", "want points in (0, 100], got %v", it.Points)
		case !slices.Contains(leaderMetrics, it.Metric):
			return errs.Invalidf(f+".metric", "invalid_metric", "want one of %v, got %q", leaderMetrics, it.Metric)
		}
		seen[it.Code] = true
		sum += it.Points
	}
	if math.Abs(sum-100) > 1e-9 {
		return errs.Invalidf("items", "points_not_100", "the items' points add up to %v, want 100", sum)
	}
	return nil
}

// item returns the rubric's item code, or nil.
func (r *LeaderRubric) item(code string) *LeaderItem {
	for i := range r.Items {
		if r.Items[i].Code == code {
			return &r.Items[i]
		}
	}
	return nil
}

// LeaderStore keeps the leaders' rubric and the joint meeting's scores.
type LeaderStore interface {
	// LeaderRubric returns the latest saved rubric, or NotFound.
	LeaderRubric(ctx context.Context) (*LeaderRubric, error)
	// SaveLeaderRubric stores r as a new version and sets r.Version.
	SaveLeaderRubric(ctx context.Context, r *LeaderRubric, by int64) error
	// LeaderScores returns the manual scores of year: user → item → score.
	LeaderScores(ctx context.Context, year int) (map[int64]map[string]float64, error)
	// SaveLeaderScore sets one manual score (replacing an earlier one).
	SaveLeaderScore(ctx context.Context, year int, userID int64, item string, score float64, by int64) error
	FindAssignments(ctx context.Context, f people.AssignmentFilter) ([]*people.Assignment, error)
}

// Leaders computes the leaders' yearly results.
type Leaders struct {
	Store   LeaderStore
	Results *Results
	// Stats are the case statistics (casework.Service.Stats).
	Stats func(ctx context.Context, p *auth.Principal, from, to time.Time, groupBy string) (*casework.Stats, error)
}

// LeaderItemScore is one item of a leader's result: the metric's value
// (a rate or mean result ÷ 100, or the meeting's 0–100 score) and the
// points it earns; both nil when there is no data yet.
type LeaderItemScore struct {
	LeaderItem
	Value  *float64 `json:"value"`
	Earned *float64 `json:"earned"`
}

// LeaderResult is a supervising leader's or cadre's year.
type LeaderResult struct {
	UserID   int64             `json:"user_id"`
	Username string            `json:"username"`
	Name     string            `json:"name"`
	Role     people.GridRole   `json:"role"`
	Grids    []string          `json:"grids"`
	Items    []LeaderItemScore `json:"items"`
	// Score is the grid-work score of 100; Deduction the points taken off
	// the year-end result; YearEnd the grid-work points kept
	// (GridShare − Deduction). All nil while an item has no value.
	Score     *float64 `json:"score"`
	Deduction *float64 `json:"deduction"`
	YearEnd   *float64 `json:"year_end_points"`
	Missing   []string `json:"missing"` // codes of the items without a value
	Rank      *int     `json:"rank"`
}

// LeaderResults are the results of a year.
type LeaderResults struct {
	Year    int             `json:"year"`
	Rubric  *LeaderRubric   `json:"rubric"`
	Leaders []*LeaderResult `json:"leaders"`
}

// Rubric returns the rubric in force.
func (l *Leaders) Rubric(ctx context.Context, p *auth.Principal) (*LeaderRubric, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	return l.rubric(ctx)
}

func (l *Leaders) rubric(ctx context.Context) (*LeaderRubric, error) {
	r, err := l.Store.LeaderRubric(ctx)
	if errs.Is(err, errs.NotFound) {
		return DefaultLeaderRubric(), nil
	}
	return r, err
}

// SaveRubric validates r and stores it as a new version (admin only).
func (l *Leaders) SaveRubric(ctx context.Context, p *auth.Principal, r *LeaderRubric) (*LeaderRubric, error) {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := l.Store.SaveLeaderRubric(ctx, r, p.User.ID); err != nil {
		return nil, err
	}
	return r, nil
}

// SetScore enters the joint meeting's score (0–100) of a manual item for
// a leader or cadre who supervised a grid in year (admin or center).
func (l *Leaders) SetScore(ctx context.Context, p *auth.Principal, year int, userID int64, item string, score float64) error {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return err
	}
	if err := checkYear(year); err != nil {
		return err
	}
	if !(score >= 0 && score <= 100) {
		return errs.Invalidf("score", "invalid_score", "want a score in [0, 100], got %v", score)
	}
	r, err := l.rubric(ctx)
	if err != nil {
		return err
	}
	it := r.item(item)
	if it == nil || it.Metric != MetricManual {
		return errs.Invalidf("item", "not_manual_item", "%q is not a manual item of the leaders' rubric", item)
	}
	sup, err := l.supervisors(ctx, year)
	if err != nil {
		return err
	}
	if _, ok := sup[userID]; !ok {
		return errs.Invalidf("user", "not_a_supervisor", "user %d supervised no grid in %d", userID, year)
	}
	return l.Store.SaveLeaderScore(ctx, year, userID, item, score, p.User.ID)
}

func checkYear(year int) error {
	if year < 2000 || year > 2100 {
		return errs.Invalidf("year", "invalid_year", "want a year YYYY, got %d", year)
	}
	return nil
}

// supervisors returns the supervising leaders and cadres of year with the
// grids each supervised at some time in it.
func (l *Leaders) supervisors(ctx context.Context, year int) (map[int64]*LeaderResult, error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0)
	out := map[int64]*LeaderResult{}
	for _, role := range []people.GridRole{people.GridSupervisingLeader, people.GridSupervisingCadre} {
		as, err := l.Store.FindAssignments(ctx, people.AssignmentFilter{Role: &role})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if !a.ValidFrom.Before(to) || (a.ValidTo != nil && !a.ValidTo.After(from)) {
				continue
			}
			r := out[a.UserID]
			if r == nil {
				r = &LeaderResult{UserID: a.UserID, Username: a.Username, Name: a.Name, Role: a.GridRole}
				out[a.UserID] = r
			}
			if a.GridRole == people.GridSupervisingLeader {
				r.Role = a.GridRole // a leader who was also a cadre is ranked as a leader
			}
			if !slices.Contains(r.Grids, a.GridCode) {
				r.Grids = append(r.Grids, a.GridCode)
			}
		}
	}
	return out, nil
}

// Year computes every supervising leader's and cadre's result of year
// (admin and center: the town's joint meeting reads them all).
func (l *Leaders) Year(ctx context.Context, p *auth.Principal, year int) (*LeaderResults, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	if err := checkYear(year); err != nil {
		return nil, err
	}
	rubric, err := l.rubric(ctx)
	if err != nil {
		return nil, err
	}
	sup, err := l.supervisors(ctx, year)
	if err != nil {
		return nil, err
	}
	manual, err := l.Store.LeaderScores(ctx, year)
	if err != nil {
		return nil, err
	}
	needs := map[string]bool{}
	for _, it := range rubric.Items {
		needs[it.Metric] = true
	}
	var workers []*WorkerResult
	if needs[MetricWorkerMean] {
		res, err := l.Results.WorkerResults(ctx, p, strconv.Itoa(year), "", 0)
		if err != nil {
			return nil, err
		}
		workers = res.Workers
	}
	var grids []*casework.StatsRow
	if needs[MetricOnTimeRate] || needs[MetricDiscoveryRate] {
		from := time.Date(year, 1, 1, 0, 0, 0, 0, l.Results.Loc)
		st, err := l.Stats(ctx, p, from, from.AddDate(1, 0, 0), "grid")
		if err != nil {
			return nil, err
		}
		grids = st.Groups
	}
	tree := l.Results.Tree()
	within := func(code string, roots []string) bool {
		for _, r := range roots {
			if code == r || tree.IsWithin(code, r) {
				return true
			}
		}
		return false
	}
	out := &LeaderResults{Year: year, Rubric: rubric, Leaders: []*LeaderResult{}}
	for _, r := range sup {
		slices.Sort(r.Grids)
		values := map[string]*float64{}
		// The mean of the yearly results of the workers of the grids.
		var sum float64
		var n int
		for _, w := range workers {
			if slices.ContainsFunc(w.Worker.Grids, func(g string) bool { return within(g, r.Grids) }) {
				sum += w.Mean
				n++
			}
		}
		if n > 0 {
			v := round4(sum / float64(n) / 100)
			values[MetricWorkerMean] = &v
		}
		var onTime, due, found, problems int
		for _, g := range grids {
			if within(g.Key, r.Grids) {
				onTime += g.ClosedOnTime
				due += g.Due - g.Postponed
				found += g.FoundByGrid
				problems += g.Problems
			}
		}
		if due > 0 {
			v := round4(float64(onTime) / float64(due))
			values[MetricOnTimeRate] = &v
		}
		if problems > 0 {
			v := round4(float64(found) / float64(problems))
			values[MetricDiscoveryRate] = &v
		}
		var score float64
		for _, it := range rubric.Items {
			s := LeaderItemScore{LeaderItem: it}
			if it.Metric == MetricManual {
				if v, ok := manual[r.UserID][it.Code]; ok {
					s.Value = &v
					e := round2(it.Points * v / 100)
					s.Earned = &e
				}
			} else if v := values[it.Metric]; v != nil {
				s.Value = v
				e := round2(it.Points * *v)
				s.Earned = &e
			}
			if s.Earned == nil {
				r.Missing = append(r.Missing, it.Code)
			} else {
				score += *s.Earned
			}
			r.Items = append(r.Items, s)
		}
		if r.Missing == nil {
			r.Missing = []string{}
			sc := round2(score)
			d := round2(rubric.GridShare * (100 - sc) / 100)
			y := round2(rubric.GridShare - d)
			r.Score, r.Deduction, r.YearEnd = &sc, &d, &y
		}
		out.Leaders = append(out.Leaders, r)
	}
	rankLeaders(out.Leaders)
	return out, nil
}

// rankLeaders orders leaders by score descending (those without a score
// last, unranked), then by username; equal scores share a place.
func rankLeaders(ls []*LeaderResult) {
	val := func(r *LeaderResult) float64 {
		if r.Score == nil {
			return -1
		}
		return *r.Score
	}
	slices.SortFunc(ls, func(a, b *LeaderResult) int {
		return cmp.Or(cmp.Compare(val(b), val(a)), cmp.Compare(a.Username, b.Username))
	})
	for i, r := range ls {
		if r.Score == nil {
			continue
		}
		place := i + 1
		if i > 0 && ls[i-1].Score != nil && *ls[i-1].Score == *r.Score {
			place = *ls[i-1].Rank
		}
		r.Rank = &place
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }
