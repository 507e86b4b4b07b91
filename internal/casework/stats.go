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
var StatsGroups = []string{"unit", "grid", "category", "month"}

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

// MaxStatsCases bounds one statistics request.
const MaxStatsCases = 500_000

// Stats computes the figures of the cases p may read reported in [from, to).
func (s *Service) Stats(ctx context.Context, p *auth.Principal, from, to time.Time, groupBy string) (*Stats, error) {
	if !slices.Contains(StatsGroups, groupBy) {
		return nil, errs.Invalidf("group_by", "invalid_group_by", "want unit, grid, category or month; got %q", groupBy)
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
	f := CaseFilter{From: &from, To: &to, Limit: MaxStatsCases + 1}
	cases, _, err := s.List(ctx, p, f)
	if err != nil {
		return nil, err
	}
	if len(cases) > MaxStatsCases {
		return nil, errs.E(errs.TooLarge, "too_many_cases", "more than %d cases in the period; choose a shorter one", MaxStatsCases)
	}
	asOf := s.Now()
	if to.Before(asOf) {
		asOf = to
	}
	out := &Stats{From: from, To: to, AsOf: asOf, GroupBy: groupBy, Total: &StatsRow{Key: "total"}}
	groups := map[string]*StatsRow{}
	for _, c := range cases {
		var key string
		switch groupBy {
		case "unit":
			key = c.LeadUnit
			if key == "" {
				key = "unassigned"
			}
		case "grid":
			key = c.GridCode
			if key == "" {
				key = "outside"
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
		for _, r := range []*StatsRow{g, out.Total} {
			r.add(c, asOf, cal, rule)
		}
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
	if out.Groups == nil {
		out.Groups = []*StatsRow{}
	}
	return out, nil
}

func (r *StatsRow) add(c *Case, asOf time.Time, cal *workday.Calendar, rule Deadlines) {
	r.Reported++
	if c.AcceptedAt == nil || c.AcceptedAt.After(asOf) {
		return
	}
	r.Accepted++
	closed := c.ClosedAt != nil && !c.ClosedAt.After(asOf)
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
	if r.handlingN > 0 {
		v := math.Round(float64(r.handlingDays)/float64(r.handlingN)*100) / 100
		r.MeanHandlingDays = &v
	}
}
