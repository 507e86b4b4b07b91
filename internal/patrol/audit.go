package patrol

import (
	"github.com/gridd/gridd/spatial/predicate"

	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/paulmach/orb"
)

// AuditRow is one worker in one of its grids over a month.
type AuditRow struct {
	GridCode, GridName string
	WorkerID           int64
	Username, Name     string
	// Days is the number of days of the month assessed (completed days).
	Days             int
	DaysPatrolled    int // the worker's patrol time in own grids ≥ MinDaily
	DaysUnder        int // Days − DaysPatrolled (each costs 0.5 points)
	DaysWithoutFixes int
	FullDays         int // this grid's coverage ≥ FullCoverage
	PatrolSeconds    float64
	DistanceM        float64
	Coverage         float64 // union of the month's covered cells / grid area (or roads)
	CoverageMet      bool    // Coverage ≥ MonthlyCoverage
	Measure          string  // MeasureArea or MeasureRoads
	Cells            int
	UncoveredCells   int
	// Uncovered are the hexagons never within R of a valid track this month.
	Uncovered orb.MultiPolygon
}

// GridRef names a grid.
type GridRef struct{ Code, Name string }

// MissedCheckpoint lists the days (daily) or ISO weeks (weekly) of the
// audited month in which a checkpoint was not visited by anyone. Every
// checkpoint is expected over the whole month, whenever it was created.
type MissedCheckpoint struct {
	Checkpoint Checkpoint
	Missed     []string // "2026-03-04" or "2026-W10"
}

// Audit is the patrol-coverage audit of a month under a grid.
type Audit struct {
	Month              time.Time
	Parent             string
	Days               int
	Rules              Rules
	Rows               []AuditRow
	GridsWithoutWorker []GridRef
	MissedCheckpoints  []MissedCheckpoint
}

// AuditOptions tune Audit.
type AuditOptions struct {
	// Cells includes the uncovered hexagons (large for many grids).
	Cells bool
}

// ParseMonth parses YYYY-MM into its first day in loc.
func ParseMonth(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01", s, loc)
	if err != nil {
		return time.Time{}, errs.Invalidf("month", "invalid_month", "want YYYY-MM, got %q", s)
	}
	return t, nil
}

// Audit computes the month's patrol figures for the leaf grids under
// parent ("" = every grid), recomputing dirty days first, and stores the
// monthly rows.
func (s *Service) Audit(ctx context.Context, month time.Time, parent string, opt AuditOptions) (*Audit, error) {
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, s.Loc)
	end := month.AddDate(0, 1, 0)
	today := DayOf(s.now(), s.Loc)
	if !month.Before(today) {
		return nil, errs.Invalidf("month", "month_not_started", "month %s has no completed day yet", month.Format("2006-01"))
	}
	last := end
	if today.Before(last) {
		last = today
	}
	a := &Audit{Month: month, Parent: parent, Rules: s.Rules}
	for d := month; d.Before(last); d = d.AddDate(0, 0, 1) {
		a.Days++
	}
	leaves, err := s.leafGrids(ctx, parent, last.Add(-time.Second))
	if err != nil {
		return nil, err
	}
	// Workers of the leaf grids during the month (assignments valid on its
	// last assessed day).
	on := civil(last.AddDate(0, 0, -1))
	role := people.GridWorker
	as, err := s.People.FindAssignments(ctx, people.AssignmentFilter{Role: &role, On: &on})
	if err != nil {
		return nil, err
	}
	byGrid := map[string][]*people.Assignment{}
	var workers []int64
	seenW := map[int64]bool{}
	for _, x := range as {
		if _, ok := leaves[x.GridCode]; !ok {
			continue
		}
		byGrid[x.GridCode] = append(byGrid[x.GridCode], x)
		if !seenW[x.UserID] {
			seenW[x.UserID] = true
			workers = append(workers, x.UserID)
		}
	}
	if err := s.refresh(ctx, workers, month, last); err != nil {
		return nil, err
	}
	var days []*Day
	if len(workers) > 0 {
		if days, err = s.Store.FindDays(ctx, workers, month, last); err != nil {
			return nil, err
		}
	}
	type key struct {
		w    int64
		grid string
	}
	type acc struct {
		row   *AuditRow
		cover *coverage.Cover
	}
	accs := map[key]*acc{}
	codes := make([]string, 0, len(leaves))
	for c := range leaves {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var rows []*AuditRow
	for _, code := range codes {
		g := leaves[code]
		if len(byGrid[code]) == 0 {
			a.GridsWithoutWorker = append(a.GridsWithoutWorker, GridRef{Code: code, Name: g.Name})
			continue
		}
		cells, measure, err := s.discretise(ctx, g)
		if err != nil {
			return nil, err
		}
		for _, x := range byGrid[code] {
			r := &AuditRow{GridCode: code, GridName: g.Name, WorkerID: x.UserID, Username: x.Username, Name: x.Name,
				Days: a.Days, Cells: cells.Len(), Measure: measure}
			accs[key{x.UserID, code}] = &acc{row: r, cover: cells.NewCover()}
			rows = append(rows, r)
		}
	}
	fixDays := map[int64]int{}
	patrolled := map[int64]int{}
	for _, d := range days {
		if d.Fixes > 0 {
			fixDays[d.WorkerID]++
		}
		if d.Patrolled {
			patrolled[d.WorkerID]++
		}
		for _, gd := range d.Grids {
			ac, ok := accs[key{d.WorkerID, gd.GridCode}]
			if !ok {
				continue
			}
			ac.row.PatrolSeconds += gd.PatrolSeconds
			ac.row.DistanceM += gd.DistanceM
			if gd.Full {
				ac.row.FullDays++
			}
			if gd.Cells == ac.cover.Grid().Len() {
				ac.cover.Or(ac.cover.Grid().CoverFromBytes(gd.Cover))
			}
		}
	}
	var months []*MonthRow
	for k, ac := range accs {
		r := ac.row
		r.DaysPatrolled = patrolled[k.w]
		r.DaysUnder = r.Days - r.DaysPatrolled
		r.DaysWithoutFixes = r.Days - fixDays[k.w]
		r.Coverage = round(ac.cover.Fraction(), 4)
		r.CoverageMet = r.Coverage >= s.Rules.MonthlyCoverage
		r.PatrolSeconds = round(r.PatrolSeconds, 1)
		r.DistanceM = round(r.DistanceM, 1)
		unc := ac.cover.Uncovered()
		r.UncoveredCells = len(unc)
		if opt.Cells {
			for _, i := range unc {
				r.Uncovered = append(r.Uncovered, ac.cover.Grid().CellPolygon(i))
			}
		}
		months = append(months, &MonthRow{WorkerID: k.w, Month: month, GridCode: k.grid, Days: r.Days,
			DaysPatrolled: r.DaysPatrolled, DaysUnder: r.DaysUnder, FullDays: r.FullDays, PatrolSeconds: r.PatrolSeconds,
			DistanceM: r.DistanceM, Coverage: r.Coverage, CoverageMet: r.CoverageMet, Cells: r.Cells,
			Cover: ac.cover.Bytes(), ComputedAt: s.now()})
	}
	sort.Slice(months, func(i, j int) bool {
		if months[i].WorkerID != months[j].WorkerID {
			return months[i].WorkerID < months[j].WorkerID
		}
		return months[i].GridCode < months[j].GridCode
	})
	if err := s.Store.SaveMonths(ctx, months); err != nil {
		return nil, err
	}
	for _, r := range rows {
		a.Rows = append(a.Rows, *r)
	}
	if a.MissedCheckpoints, err = s.missedCheckpoints(ctx, leaves, month, last); err != nil {
		return nil, err
	}
	return a, nil
}

// leafGrids returns the current grids under parent that have no children,
// as valid at asOf.
func (s *Service) leafGrids(ctx context.Context, parent string, asOf time.Time) (map[string]*registry.Grid, error) {
	f := registry.GridFilter{AsOf: &asOf, Limit: 5000}
	if parent != "" {
		if _, err := s.Grids.FindGridByCode(ctx, parent, &asOf); err != nil {
			return nil, err
		}
		f.Within = []string{parent}
	}
	all := map[string]*registry.Grid{}
	hasChild := map[string]bool{}
	for {
		page, err := s.Grids.FindGrids(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, g := range page {
			all[g.Code] = g
			if g.ParentCode != "" {
				hasChild[g.ParentCode] = true
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.Cursor = page[len(page)-1].Code
	}
	for c := range hasChild {
		delete(all, c)
	}
	return all, nil
}

func (s *Service) missedCheckpoints(ctx context.Context, leaves map[string]*registry.Grid, from, to time.Time) ([]MissedCheckpoint, error) {
	cps, err := s.Store.FindCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	var mine []*Checkpoint
	for _, c := range cps {
		for _, g := range leaves {
			if predicate.InMultiPolygon(g.Geometry, orb.Point{c.Lon, c.Lat}) {
				mine = append(mine, c)
				break
			}
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	visits, err := s.Store.FindVisits(ctx, from, to)
	if err != nil {
		return nil, err
	}
	visited := map[int64]map[string]bool{}
	for _, v := range visits {
		if visited[v.CheckpointID] == nil {
			visited[v.CheckpointID] = map[string]bool{}
		}
		d := DayOf(v.Date, s.Loc)
		visited[v.CheckpointID][d.Format("2006-01-02")] = true
		y, w := d.ISOWeek()
		visited[v.CheckpointID][fmt.Sprintf("%d-W%02d", y, w)] = true
	}
	var out []MissedCheckpoint
	for _, c := range mine {
		m := MissedCheckpoint{Checkpoint: *c}
		seenWeek := map[string]bool{}
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			var k string
			if c.Frequency == FrequencyWeekly {
				y, w := d.ISOWeek()
				k = fmt.Sprintf("%d-W%02d", y, w)
				if seenWeek[k] {
					continue
				}
				seenWeek[k] = true
			} else {
				k = d.Format("2006-01-02")
			}
			if !visited[c.ID][k] {
				m.Missed = append(m.Missed, k)
			}
		}
		if len(m.Missed) > 0 {
			out = append(out, m)
		}
	}
	return out, nil
}
