package patrol

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"
)

// MaxBatch bounds one intake batch.
const MaxBatch = 10_000

// DirtyDay is a worker's day whose fixes changed since it was computed;
// Seq orders the marks so a computation clears only what it saw.
type DirtyDay struct {
	WorkerID int64
	Date     time.Time
	Seq      int64
}

// MonthRow is a worker's month in one of its grids, as stored.
type MonthRow struct {
	WorkerID      int64
	Month         time.Time // first day, 00:00 Asia/Shanghai
	GridCode      string
	Days          int
	DaysPatrolled int
	DaysUnder     int
	FullDays      int
	PatrolSeconds float64
	DistanceM     float64
	Coverage      float64
	CoverageMet   bool
	Cells         int
	Cover         []byte
	ComputedAt    time.Time
}

// Store is what the patrol service needs from the database.
type Store interface {
	// InsertFixes stores fixes once per (worker, t): a re-sent fix adds
	// nothing. The days (in loc) of the fixes it stored are marked dirty in
	// the same transaction. It returns how many fixes were new.
	InsertFixes(ctx context.Context, workerID int64, fixes []Fix, loc *time.Location) (int, error)
	// FindFixes returns a worker's fixes with from ≤ t < to, sorted by t.
	FindFixes(ctx context.Context, workerID int64, from, to time.Time) ([]Fix, error)
	// DirtyDays returns the dirty days with from ≤ date < to of the given
	// workers (all workers when nil).
	DirtyDays(ctx context.Context, workerIDs []int64, from, to time.Time) ([]DirtyDay, error)
	// SaveDays stores computed days with their visits and clears the dirty
	// marks up to the Seq seen.
	SaveDays(ctx context.Context, days []*Day, seen []DirtyDay) error
	// FindDays returns the stored days with from ≤ date < to.
	FindDays(ctx context.Context, workerIDs []int64, from, to time.Time) ([]*Day, error)
	// FindGridDays returns the stored days with from ≤ date < to grid by
	// grid, ordered by worker, day and grid, with their covers only when
	// withCover (a cover is ~0.5 kB: a month of a city's is hundreds of MB).
	FindGridDays(ctx context.Context, workerIDs []int64, from, to time.Time, withCover bool) ([]WorkerGridDay, error)
	SaveMonths(ctx context.Context, rows []*MonthRow) error
	// MarkStale marks dirty the stored days computed with other rules (by
	// Rules.Fingerprint) or with a grid version no longer valid at the end
	// of the day, and returns how many.
	MarkStale(ctx context.Context, rules string) (int64, error)

	// GridOptions returns the grids' coverage measures other than area.
	GridOptions(ctx context.Context) (map[string]GridOption, error)
	// SetGridOption stores a grid's measure and marks its stored days dirty.
	SetGridOption(ctx context.Context, o GridOption) error
	// RoadsIn returns the roads layer's lines meeting b, of the given
	// kinds (every kind when empty).
	RoadsIn(ctx context.Context, b orb.Bound, kinds []string) ([]orb.LineString, error)
	// FindVisits returns the checkpoint visits with from ≤ date < to.
	FindVisits(ctx context.Context, from, to time.Time) ([]Visit, error)

	CreateCheckpoint(ctx context.Context, c *Checkpoint) error
	UpdateCheckpoint(ctx context.Context, c *Checkpoint) error
	DeleteCheckpoint(ctx context.Context, id int64) error
	FindCheckpoint(ctx context.Context, id int64) (*Checkpoint, error)
	FindCheckpoints(ctx context.Context) ([]*Checkpoint, error)
}

// GridSource reads the grid registry.
type GridSource interface {
	FindGridByCode(ctx context.Context, code string, asOf *time.Time) (*registry.Grid, error)
	FindGrids(ctx context.Context, f registry.GridFilter) ([]*registry.Grid, error)
}

// Assignments reads who works in which grid.
type Assignments interface {
	FindAssignments(ctx context.Context, f people.AssignmentFilter) ([]*people.Assignment, error)
	FindUserByID(ctx context.Context, id int64) (*people.User, error)
	FindUserByUsername(ctx context.Context, username string) (*people.User, error)
}

// Service computes and keeps patrol results.
//
// Freshness: intake marks the days it touched dirty (in the same
// transaction as the fixes); Daily and Audit recompute the dirty days they
// read before answering, so late points show up on the next read.
type Service struct {
	Store  Store
	Grids  GridSource
	People Assignments
	Rules  Rules
	Now    func() time.Time
	Loc    *time.Location
	// Tree returns the current grid hierarchy (access checks, access.go).
	Tree func() auth.Hierarchy
	// GridsPerRead is how many grids the coverage layer reads at a time
	// (0: 5,000).
	GridsPerRead int

	mu    sync.Mutex
	cache map[string]discretised
	// fresh is set once stale days have been marked (MarkStale) since the
	// service started or the grids last changed.
	fresh atomic.Bool
	// opts caches the grid options; nil means load them.
	opts atomic.Pointer[map[string]GridOption]
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Intake stores a batch of WGS84 fixes of one worker. Fixes are validated
// by the caller (coordinates, times); Intake refuses an oversized batch.
func (s *Service) Intake(ctx context.Context, workerID int64, fixes []Fix) (int, error) {
	if len(fixes) > MaxBatch {
		return 0, errs.E(errs.TooLarge, "too_many_points", "%d points sent; at most %d per batch", len(fixes), MaxBatch)
	}
	now := s.now()
	for i := range fixes {
		if fixes[i].ReceivedAt.IsZero() {
			fixes[i].ReceivedAt = now
		}
	}
	return s.Store.InsertFixes(ctx, workerID, fixes, s.Loc)
}

// MarkStale marks the stored days that the current rules or grids would
// compute differently dirty, so that the next read recomputes them. Every
// read does it first once after the service starts and after GridsChanged
// (assignment changes mark their days in the database).
func (s *Service) MarkStale(ctx context.Context) (int64, error) {
	s.opts.Store(nil) // another process may have changed them
	n, err := s.Store.MarkStale(ctx, s.Rules.Fingerprint())
	if err == nil {
		s.fresh.Store(true)
	}
	return n, err
}

// GridsChanged records a committed grid change: the next read marks the
// days computed with an older grid version stale.
func (s *Service) GridsChanged() { s.fresh.Store(false) }

// civil returns the people package's civil-date form (00:00 UTC) of day.
func civil(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
}

// OwnGrids returns the grids a worker patrols on day (its worker
// assignments), discretised.
func (s *Service) OwnGrids(ctx context.Context, workerID int64, day time.Time) ([]OwnGrid, error) {
	return s.ownGrids(ctx, workerID, day, nil)
}

// ownLookup caches, within one recomputation, a worker's assignments and
// the grid versions already read (each valid for its span).
type ownLookup struct {
	loaded      bool
	assignments []*people.Assignment
	versions    map[string][]*registry.Grid
}

func (s *Service) ownGrids(ctx context.Context, workerID int64, day time.Time, lk *ownLookup) ([]OwnGrid, error) {
	on := civil(day)
	var as []*people.Assignment
	if lk != nil {
		if !lk.loaded {
			role := people.GridWorker
			all, err := s.People.FindAssignments(ctx, people.AssignmentFilter{UserID: &workerID, Role: &role})
			if err != nil {
				return nil, err
			}
			lk.assignments, lk.loaded = all, true
		}
		for _, a := range lk.assignments {
			if !a.ValidFrom.After(on) && (a.ValidTo == nil || a.ValidTo.After(on)) {
				as = append(as, a)
			}
		}
	} else {
		role := people.GridWorker
		var err error
		if as, err = s.People.FindAssignments(ctx, people.AssignmentFilter{UserID: &workerID, Role: &role, On: &on}); err != nil {
			return nil, err
		}
	}
	var out []OwnGrid
	seen := map[string]bool{}
	for _, a := range as {
		if seen[a.GridCode] {
			continue
		}
		seen[a.GridCode] = true
		g, err := s.gridAt(ctx, a.GridCode, day, lk)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// gridAt returns the version of grid code valid at the end of day.
func (s *Service) gridAt(ctx context.Context, code string, day time.Time, lk *ownLookup) (OwnGrid, error) {
	asOf := day.AddDate(0, 0, 1).Add(-time.Second)
	var g *registry.Grid
	if lk != nil {
		for _, v := range lk.versions[code] {
			if !v.ValidFrom.After(asOf) && (v.ValidTo == nil || v.ValidTo.After(asOf)) {
				g = v
				break
			}
		}
	}
	if g == nil {
		var err error
		if g, err = s.Grids.FindGridByCode(ctx, code, &asOf); err != nil {
			return OwnGrid{}, err
		}
		if lk != nil {
			if lk.versions == nil {
				lk.versions = map[string][]*registry.Grid{}
			}
			lk.versions[code] = append(lk.versions[code], g)
		}
	}
	cells, measure, err := s.discretise(ctx, g)
	if err != nil {
		return OwnGrid{}, err
	}
	return OwnGrid{Code: g.Code, Name: g.Name, Version: g.Version, Cells: cells, Measure: measure}, nil
}

// discretise returns the coverage cells of g and what they measure,
// cached per grid version and measure: the area cells, or those along the
// grid's roads when its option says so (falling back to area, with a
// warning in the measure, when no road runs inside any more).
func (s *Service) discretise(ctx context.Context, g *registry.Grid) (*coverage.Grid, string, error) {
	opts, err := s.options(ctx)
	if err != nil {
		return nil, "", err
	}
	o := opts[g.Code]
	key := g.Code + "@" + strconv.Itoa(g.Version) + "@" + o.key()
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return c.cells, c.measure, nil
	}
	measure := MeasureArea
	var cells *coverage.Grid
	if o.Measure == MeasureRoads {
		if cells, err = s.alongRoads(ctx, g, o); err == nil {
			measure = MeasureRoads
		} else if !errs.Is(err, errs.Unprocessable) {
			return nil, "", err
		}
	}
	if cells == nil {
		if cells, err = coverage.Discretise(g.Geometry, coverage.Options{Resolution: s.Rules.Resolution, RadiusM: s.Rules.RadiusM}); err != nil {
			return nil, "", fmt.Errorf("grid %s: %w", g.Code, err)
		}
	}
	s.mu.Lock()
	if s.cache == nil || len(s.cache) > 50_000 {
		s.cache = map[string]discretised{}
	}
	s.cache[key] = discretised{cells, measure}
	s.mu.Unlock()
	return cells, measure, nil
}

// discretised is a cached discretisation.
type discretised struct {
	cells   *coverage.Grid
	measure string
}

// checkpointsNear returns the checkpoints inside or within their radius of
// the grids' bounding boxes.
func checkpointsNear(all []*Checkpoint, grids []OwnGrid) []Checkpoint {
	var out []Checkpoint
	for _, c := range all {
		for _, g := range grids {
			if g.Cells.Near(c.Lon, c.Lat, max(c.RadiusM, 100)) {
				out = append(out, *c)
				break
			}
		}
	}
	return out
}

// Settle computes every dirty day from the start of the month before
// now's to the end of now's day: the days the fixes that arrived since the
// last run touched (intake marks them), and nothing else. Run often (the
// patrol_settle job), it keeps the days current as fixes arrive, so that
// a month-end audit or a day read finds little left to compute. It
// returns how many worker-days it computed.
func (s *Service) Settle(ctx context.Context) (int, error) {
	now := s.now().In(s.Loc)
	from := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, s.Loc)
	return s.refreshN(ctx, nil, from, DayOf(now, s.Loc).AddDate(0, 0, 1))
}

// refresh recomputes the dirty days of the given workers in [from, to).
func (s *Service) refresh(ctx context.Context, workerIDs []int64, from, to time.Time) error {
	_, err := s.refreshN(ctx, workerIDs, from, to)
	return err
}

// refreshN is refresh returning how many worker-days it computed.
func (s *Service) refreshN(ctx context.Context, workerIDs []int64, from, to time.Time) (int, error) {
	if !s.fresh.Load() {
		if _, err := s.MarkStale(ctx); err != nil {
			return 0, err
		}
	}
	dirty, err := s.Store.DirtyDays(ctx, workerIDs, from, to)
	if err != nil || len(dirty) == 0 {
		return 0, err
	}
	cps, err := s.Store.FindCheckpoints(ctx)
	if err != nil {
		return 0, err
	}
	byWorker := map[int64][]DirtyDay{}
	var order []int64
	for _, d := range dirty {
		if _, ok := byWorker[d.WorkerID]; !ok {
			order = append(order, d.WorkerID)
		}
		byWorker[d.WorkerID] = append(byWorker[d.WorkerID], d)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0) + 1)
	for _, w := range order {
		days := byWorker[w]
		g.Go(func() error { return s.recompute(gctx, w, days, cps) })
	}
	return len(dirty), g.Wait()
}

func (s *Service) recompute(ctx context.Context, workerID int64, dirty []DirtyDay, cps []*Checkpoint) error {
	sort.Slice(dirty, func(i, j int) bool { return dirty[i].Date.Before(dirty[j].Date) })
	first := dirty[0].Date
	last := dirty[len(dirty)-1].Date.AddDate(0, 0, 1)
	fixes, err := s.Store.FindFixes(ctx, workerID, first, last)
	if err != nil {
		return err
	}
	byDay := map[time.Time][]Fix{}
	for _, f := range fixes {
		d := DayOf(f.T, s.Loc)
		byDay[d] = append(byDay[d], f)
	}
	now := s.now()
	days := make([]*Day, 0, len(dirty))
	lk := &ownLookup{}
	for _, dd := range dirty {
		day := DayOf(dd.Date, s.Loc)
		grids, err := s.ownGrids(ctx, workerID, day, lk)
		if err != nil {
			return err
		}
		days = append(days, ComputeDay(workerID, day, byDay[day], grids, checkpointsNear(cps, grids), s.Rules, now))
	}
	return s.Store.SaveDays(ctx, days, dirty)
}

// DayReport is one worker's day with its geometry.
type DayReport struct {
	Day    *Day
	Grids  []OwnGrid
	Fixes  []Fix
	Flags  []Flag
	Tracks [][]Fix // valid segments
}

// Daily returns a worker's day, recomputing it first when late fixes
// arrived since it was computed.
func (s *Service) Daily(ctx context.Context, workerID int64, day time.Time) (*DayReport, error) {
	day = DayOf(day, s.Loc)
	next := day.AddDate(0, 0, 1)
	if err := s.refresh(ctx, []int64{workerID}, day, next); err != nil {
		return nil, err
	}
	grids, err := s.OwnGrids(ctx, workerID, day)
	if err != nil {
		return nil, err
	}
	fixes, err := s.Store.FindFixes(ctx, workerID, day, next)
	if err != nil {
		return nil, err
	}
	days, err := s.Store.FindDays(ctx, []int64{workerID}, day, next)
	if err != nil {
		return nil, err
	}
	var d *Day
	if len(days) > 0 {
		d = days[0]
	} else {
		d = ComputeDay(workerID, day, nil, grids, nil, s.Rules, s.now())
	}
	flags := Clean(fixes, s.Rules, s.now())
	return &DayReport{Day: d, Grids: grids, Fixes: fixes, Flags: flags, Tracks: Segments(fixes, flags, s.Rules)}, nil
}

// Cover returns the stored cover of a grid day over grid (empty when the
// discretisation changed since).
func Cover(grid *coverage.Grid, gd GridDay) *coverage.Cover {
	if gd.Cells != grid.Len() {
		return grid.NewCover()
	}
	return grid.CoverFromBytes(gd.Cover)
}
