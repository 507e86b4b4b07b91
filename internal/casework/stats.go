package casework

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
)

// Group-by keys of the statistics.
var StatsGroups = []string{"unit", "grid", "village", "category", "month"}

// GridForce is the source of problems first found by the grid force (the
// grid workers' app); every other source (hotline, WeChat, online, public,
// video, inspectors) is a problem found by others.
const GridForce Source = "worker_app"

// StatsRow holds the figures of one group. The cohort is the cases
// reported in [from, to); "as of" is the earlier of to and now.
//
//   - Reported 上报数: cases in the cohort (merged duplicates included).
//   - Accepted 立案数: cases accepted (立案) or resolved on site.
//   - Closed 结案数: cases closed (结案) as of.
//   - ClosedOnTime 按期结案数: closed cases whose handling feedback came
//     before the handling deadline (on-site resolutions count as on time).
//   - Due 应结案数: accepted cases that are closed, postponed, or whose
//     handling deadline has passed as of (before the unit accepted, the
//     nominal deadline accept_days + handle_days after 立案).
//   - Postponed 缓办数: accepted cases ever postponed and not closed.
//   - CloseRate 结案率 = Closed ÷ (Due − Postponed); OnTimeRate 按期结案率 =
//     ClosedOnTime ÷ (Due − Postponed); nil when the denominator is 0.
//   - ReworkRate 返工率 = cases reworked at least once ÷ cases whose handling
//     was fed back at least once (on-site resolutions excluded).
//   - MeanHandlingDays: mean working days from 立案 to 结案 over closed cases,
//     postponement pauses excluded (on-site resolutions excluded).
//   - Problems 问题数: cases in the cohort that are not merged duplicates;
//     FoundByGrid: those from the grid force (source worker_app);
//     DiscoveryRate 发现率 = FoundByGrid ÷ Problems.
//   - ReportedUp: problems found by the grid force and reported up for
//     handling (not resolved on site); ReportRate 上报率 = ReportedUp ÷
//     FoundByGrid.
//   - Disposed 处置数: accepted cases resolved on site, closed, or whose
//     handling was fed back, as of; DisposalRate 处置率 = Disposed ÷ Accepted.
//   - Rank: the group's place by OnTimeRate (then CloseRate, both
//     descending; ties share a place); nil for a group without an
//     on-time rate and for the total.
//
// Every rate is nil ("no data") when its denominator is 0, never 0%.
type StatsRow struct {
	Key              string   `json:"key"`
	Reported         int      `json:"reported"`
	Accepted         int      `json:"accepted"`
	Closed           int      `json:"closed"`
	ClosedOnTime     int      `json:"closed_on_time"`
	Due              int      `json:"due"`
	Postponed        int      `json:"postponed"`
	CloseRate        *float64 `json:"close_rate"`
	OnTimeRate       *float64 `json:"on_time_rate"`
	Reworked         int      `json:"reworked"`
	Handled          int      `json:"handled"`
	ReworkRate       *float64 `json:"rework_rate"`
	MeanHandlingDays *float64 `json:"mean_handling_days"`
	Problems         int      `json:"problems"`
	FoundByGrid      int      `json:"found_by_grid"`
	DiscoveryRate    *float64 `json:"discovery_rate"`
	ReportedUp       int      `json:"reported_up"`
	ReportRate       *float64 `json:"report_rate"`
	Disposed         int      `json:"disposed"`
	DisposalRate     *float64 `json:"disposal_rate"`
	Rank             *int     `json:"rank"`

	handlingDays int
	handlingN    int
}

// Stats are the statistics of a period.
type Stats struct {
	From    time.Time   `json:"from"`
	To      time.Time   `json:"to"`
	AsOf    time.Time   `json:"as_of"`
	GroupBy string      `json:"group_by"`
	Groups  []*StatsRow `json:"groups"`
	Total   *StatsRow   `json:"total"`
}

// Stats computes the figures of the cases p may read reported in [from, to).
// The cases are streamed from the store one row at a time (only the
// columns the figures need), so the period's size bounds the time, not
// the memory.
func (s *Service) Stats(ctx context.Context, p *auth.Principal, from, to time.Time, groupBy string) (*Stats, error) {
	if !slices.Contains(StatsGroups, groupBy) {
		return nil, errs.Invalidf("group_by", "invalid_group_by", "want unit, grid, village, category or month; got %q", groupBy)
	}
	if !to.After(from) {
		return nil, errs.Invalidf("to", "invalid_range", "to must be after from")
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	asOf := s.Now()
	if to.Before(asOf) {
		asOf = to
	}
	out := &Stats{From: from, To: to, AsOf: asOf, GroupBy: groupBy, Total: &StatsRow{Key: "total"}}
	groups := map[string]*StatsRow{}
	f := CaseFilter{From: &from, To: &to}
	Scope(p, &f)
	f.Now = s.Now()
	err = s.Store.EachCaseFigures(ctx, f, func(c *Case) error {
		var key string
		switch groupBy {
		case "unit":
			key = c.LeadUnit
			if key == "" {
				key = StatsKeyUnassigned
			}
		case "grid":
			key = c.GridCode
			if key == "" {
				key = StatsKeyOutside
			}
		case "village":
			key = "outside"
			if n := len(c.GridChain); n >= 2 {
				key = c.GridChain[n-2]
			}
		case "category":
			key = c.Category
		case "month":
			key = MonthOf(c.ReportedAt)
		}
		g := groups[key]
		if g == nil {
			g = &StatsRow{Key: key}
			groups[key] = g
			out.Groups = append(out.Groups, g)
		}
		rule := DefaultDeadlines
		if k, ok := cat.categories[c.Category]; ok {
			rule = k.Rule
		}
		g.add(c, asOf, cal, rule)
		out.Total.add(c, asOf, cal, rule)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out.Groups, func(a, b *StatsRow) int {
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	for _, r := range append(out.Groups, out.Total) {
		r.finish()
	}
	rankGroups(out.Groups)
	if out.Groups == nil {
		out.Groups = []*StatsRow{}
	}
	return out, nil
}

func (r *StatsRow) add(c *Case, asOf time.Time, cal *workday.Calendar, rule Deadlines) {
	r.Reported++
	if c.Status != StatusMerged {
		r.Problems++
		if c.Source == GridForce {
			r.FoundByGrid++
			if !c.ResolvedOnSite {
				r.ReportedUp++
			}
		}
	}
	if c.AcceptedAt == nil || c.AcceptedAt.After(asOf) {
		return
	}
	r.Accepted++
	closed := c.ClosedAt != nil && !c.ClosedAt.After(asOf)
	if c.ResolvedOnSite || closed || (c.HandledAt != nil && !c.HandledAt.After(asOf)) {
		r.Disposed++
	}
	postponed := c.EverPostponed && !closed
	passed := false
	if c.HandleDue != nil {
		passed = !asOf.Before(*c.HandleDue)
	} else if c.Status != StatusPostponed {
		passed = !asOf.Before(cal.Deadline(*c.AcceptedAt, rule.AcceptDays+rule.HandleDays))
	}
	if closed || postponed || passed {
		r.Due++
	}
	if postponed {
		r.Postponed++
	}
	if closed {
		r.Closed++
		if c.ResolvedOnSite || (c.HandledOnTime != nil && *c.HandledOnTime) {
			r.ClosedOnTime++
		}
	}
	if !c.ResolvedOnSite && (c.HandledAt != nil || c.ReworkCount > 0) {
		r.Handled++
		if c.ReworkCount > 0 {
			r.Reworked++
		}
	}
	if closed && !c.ResolvedOnSite {
		r.handlingDays += cal.WorkingDaysBetweenWithPauses(*c.AcceptedAt, *c.ClosedAt, c.intervals())
		r.handlingN++
	}
}

func ratio(a, b int) *float64 {
	if b <= 0 {
		return nil
	}
	v := math.Round(float64(a)/float64(b)*10000) / 10000
	return &v
}

func (r *StatsRow) finish() {
	r.CloseRate = ratio(r.Closed, r.Due-r.Postponed)
	r.OnTimeRate = ratio(r.ClosedOnTime, r.Due-r.Postponed)
	r.ReworkRate = ratio(r.Reworked, r.Handled)
	r.DiscoveryRate = ratio(r.FoundByGrid, r.Problems)
	r.ReportRate = ratio(r.ReportedUp, r.FoundByGrid)
	r.DisposalRate = ratio(r.Disposed, r.Accepted)
	if r.handlingN > 0 {
		v := math.Round(float64(r.handlingDays)/float64(r.handlingN)*100) / 100
		r.MeanHandlingDays = &v
	}
}

// Pseudo-groups of the statistics: cases not yet dispatched (by unit) and
// cases outside every grid (by grid). They are shown, but they are nobody's
// performance, so they are never ranked.
const (
	StatsKeyUnassigned = "unassigned"
	StatsKeyOutside    = "outside"
)

// rankGroups sets each group's Rank by OnTimeRate, then CloseRate, both
// descending; groups without an on-time rate and the pseudo-groups get
// none; equal rates share a place (1, 1, 3).
func rankGroups(gs []*StatsRow) {
	var ranked []*StatsRow
	for _, g := range gs {
		if g.OnTimeRate != nil && g.Key != StatsKeyUnassigned && g.Key != StatsKeyOutside {
			ranked = append(ranked, g)
		}
	}
	val := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	cmpRows := func(a, b *StatsRow) int {
		if d := val(b.OnTimeRate) - val(a.OnTimeRate); d != 0 {
			return sign(d)
		}
		return sign(val(b.CloseRate) - val(a.CloseRate))
	}
	slices.SortStableFunc(ranked, cmpRows)
	for i, g := range ranked {
		place := i + 1
		if i > 0 && cmpRows(ranked[i-1], g) == 0 {
			place = *ranked[i-1].Rank
		}
		g.Rank = &place
	}
}

func sign(d float64) int {
	switch {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}
