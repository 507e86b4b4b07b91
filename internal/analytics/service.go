package analytics

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// StoredResolution is the resolution of the cells kept per case
// (cases.h3_cell): the finest hot-spot resolution; coarser ones are parents.
const StoredResolution = 10

// Resolutions of a hot-spot analysis.
const (
	MinResolution       = 6
	MaxResolution       = StoredResolution
	DefaultResolution   = 9
	RecurringResolution = 9
)

// CasePoint is a case's location, to be given its cell.
type CasePoint struct {
	ID       int64
	Location orb.Point
}

// CountQuery selects the cases counted: reported in [From, To), neither
// merged nor rejected, counted by cell at Resolution (0: StoredResolution)
// and month, and by category only with ByCategory.
type CountQuery struct {
	From, To   time.Time
	Resolution int
	ByCategory bool
	Category   *string // small class, or big class (2 digits)
	Parent     *string // grid subtree
	// ScopeGrids (nil: all) are the subtree roots the reader may see;
	// ScopeUnit the unit whose cases a department sees.
	ScopeGrids []string
	ScopeUnit  *string
}

// CellCount is the number of cases (of one category, with ByCategory) in
// one cell in one month (YYYY-MM, Asia/Shanghai).
type CellCount struct {
	Cell     h3.Cell
	Month    string
	Category string
	N        int
}

// Store is what the analytics need from the database.
type Store interface {
	// CasesWithoutCell returns up to limit cases with an id above afterID
	// that have no stored cell.
	CasesWithoutCell(ctx context.Context, afterID int64, limit int) ([]CasePoint, error)
	// MaxCaseID returns the highest case id (0: none).
	MaxCaseID(ctx context.Context) (int64, error)
	// SaveCaseCells stores the cells of cases (StoredResolution).
	SaveCaseCells(ctx context.Context, ids []int64, cells []h3.Cell) error
	// CountCases counts the cases of q by cell at q.Resolution (the stored
	// cells' parents, see ParentMask), month and, with q.ByCategory, category.
	CountCases(ctx context.Context, q CountQuery) ([]CellCount, error)
	// StudyArea returns the polygons of the current grids roots (nil: the
	// top-level grids).
	StudyArea(ctx context.Context, roots []string) (orb.MultiPolygon, error)
}

// Hierarchy answers subtree questions on the grid tree.
type Hierarchy = auth.Hierarchy

// Service computes hot spots for callers and keeps the recurring cache.
type Service struct {
	Store Store
	Tree  func() Hierarchy
	Now   func() time.Time
	Loc   *time.Location
	// Alpha is the false discovery rate (0: DefaultAlpha).
	Alpha float64

	mu        sync.RWMutex
	recurring map[string]map[h3.Cell]bool // category → persistent cells at RecurringResolution
	fill      sync.Mutex
	// filled: every case up to this id had its cell when a backfill ran
	// (minus backfillMargin, for ids committed out of order).
	filled int64

	layerOnce  sync.Once
	layerCache *expirable.LRU[layerKey, *Hotspots]
}

// HotspotQuery asks for the hot spots of a period.
type HotspotQuery struct {
	From, To   time.Time // [From, To), whole days in Loc
	Category   *string
	Parent     *string
	Resolution int // 0: DefaultResolution
}

// Hotspots is an analysis's answer.
type Hotspots struct {
	From, To   time.Time
	Months     []string
	Resolution int
	Alpha      float64
	Cells      []CellResult
}

// MaxMonths bounds the period of one analysis.
const MaxMonths = 36

// Hotspots analyses the cases p may read in q.
func (s *Service) Hotspots(ctx context.Context, p *auth.Principal, q HotspotQuery) (*Hotspots, error) {
	if q.Resolution == 0 {
		q.Resolution = DefaultResolution
	}
	if q.Resolution < MinResolution || q.Resolution > MaxResolution {
		return nil, errs.Invalidf("res", "invalid_resolution", "want an H3 resolution from %d to %d; got %d", MinResolution, MaxResolution, q.Resolution)
	}
	if !q.To.After(q.From) {
		return nil, errs.Invalidf("to", "invalid_range", "to must be after from")
	}
	if len(months(q.From, q.To, s.loc())) > MaxMonths {
		return nil, errs.Invalidf("to", "range_too_long", "at most %d months per analysis", MaxMonths)
	}
	cq := CountQuery{From: q.From, To: q.To, Category: q.Category, Parent: q.Parent}
	roots, err := s.scope(p, &cq)
	if err != nil {
		return nil, err
	}
	return s.analyse(ctx, cq, roots, q.Resolution)
}

// scope narrows cq to what p may read and returns the roots of the study
// area (nil: the top-level grids).
func (s *Service) scope(p *auth.Principal, cq *CountQuery) ([]string, error) {
	if p.Role() == people.RoleDepartment {
		u := p.User.DepartmentCode
		cq.ScopeUnit = &u
	} else {
		cq.ScopeGrids = p.GridScope()
	}
	if cq.Parent != nil {
		if !p.CanReadGrid(s.Tree(), *cq.Parent) {
			return nil, errs.Forbiddenf("grid %s is outside your scope", *cq.Parent)
		}
		return []string{*cq.Parent}, nil
	}
	return cq.ScopeGrids, nil
}

func (s *Service) loc() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

func (s *Service) analyse(ctx context.Context, cq CountQuery, roots []string, res int) (*Hotspots, error) {
	if err := s.backfill(ctx, false); err != nil {
		return nil, err
	}
	cq.Resolution = res
	counts, err := s.Store.CountCases(ctx, cq)
	if err != nil {
		return nil, err
	}
	area, err := s.Store.StudyArea(ctx, roots)
	if err != nil {
		return nil, err
	}
	ms := months(cq.From, cq.To, s.loc())
	l, err := lattice(area, ms, counts, res)
	if err != nil {
		return nil, err
	}
	alpha := s.Alpha
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	return &Hotspots{From: cq.From, To: cq.To, Months: ms, Resolution: res, Alpha: alpha, Cells: Analyse(l, alpha)}, nil
}

// months lists the months (YYYY-MM in loc) that [from, to) touches.
func months(from, to time.Time, loc *time.Location) []string {
	var out []string
	f := from.In(loc)
	m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, loc)
	for m.Before(to) {
		out = append(out, m.Format("2006-01"))
		m = m.AddDate(0, 1, 0)
		if len(out) > MaxMonths+1 {
			break
		}
	}
	return out
}

// lattice builds the study area's cells at res (the cells whose centres
// lie in area, plus every cell with a case) and their monthly counts.
func lattice(area orb.MultiPolygon, ms []string, counts []CellCount, res int) (Lattice, error) {
	idx := map[h3.Cell]int{}
	var cells []h3.Cell
	add := func(c h3.Cell) int {
		if i, ok := idx[c]; ok {
			return i
		}
		idx[c] = len(cells)
		cells = append(cells, c)
		return len(cells) - 1
	}
	for _, c := range AreaCells(area, res) {
		add(c)
	}
	mi := map[string]int{}
	for i, m := range ms {
		mi[m] = i
	}
	type key struct{ i, m int }
	n := map[key]int{}
	for _, c := range counts {
		m, ok := mi[c.Month]
		if !ok {
			continue
		}
		cell := c.Cell
		if cell.Resolution() > res {
			cell = cell.Parent(res)
		}
		n[key{add(cell), m}] += c.N
	}
	l := Lattice{Months: ms, Cells: cells, N: make([][]int, len(cells))}
	for i := range l.N {
		l.N[i] = make([]int, len(ms))
	}
	for k, v := range n {
		l.N[k.i][k.m] = v
	}
	return l, nil
}

// ParentMask returns the masks that turn a cell of a finer resolution into
// its parent at res: parent = (cell & clear) | set. An H3 index keeps its
// resolution in bits 52–55 and one 3-bit digit per resolution below, 7 for
// the unused ones: the parent has res in those bits and 7 in every digit
// after res. The store applies them in SQL, so that a GROUP BY counts
// parents directly.
func ParentMask(res int) (clear, set int64) {
	clear = ^(int64(15) << 52)
	set = int64(res)<<52 | (int64(1)<<((15-res)*3) - 1)
	return clear, set
}

// AreaCells returns the cells at res whose centres lie in area, in the
// order found, each once.
func AreaCells(area orb.MultiPolygon, res int) []h3.Cell {
	seen := map[h3.Cell]bool{}
	var out []h3.Cell
	for _, poly := range area {
		for _, c := range h3.PolygonToCells(geoPolygon(poly), res) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

func geoPolygon(p orb.Polygon) h3.GeoPolygon {
	loop := func(r orb.Ring) h3.GeoLoop {
		out := make(h3.GeoLoop, 0, len(r))
		for _, pt := range r {
			out = append(out, h3.NewLatLng(pt[1], pt[0]))
		}
		if len(out) > 1 && out[0] == out[len(out)-1] {
			out = out[:len(out)-1]
		}
		return out
	}
	gp := h3.GeoPolygon{}
	if len(p) > 0 {
		gp.GeoLoop = loop(p[0])
	}
	for _, h := range p[1:] {
		gp.Holes = append(gp.Holes, loop(h))
	}
	return gp
}

// backfillBatch is the number of cases given cells per round trip.
const backfillBatch = 50000

// backfillMargin is how far below the highest case id seen an incremental
// backfill looks again: ids are taken at insert and may commit out of
// order. The hourly Refresh backfills in full.
const backfillMargin = 10000

// Backfill gives every case without a stored cell its cell; concurrent
// calls wait for one another.
func (s *Service) Backfill(ctx context.Context) error { return s.backfill(ctx, true) }

// backfill gives cases their cells: every case (full) or those with ids
// above the last run's highest less backfillMargin, so that a request
// does not scan every case.
func (s *Service) backfill(ctx context.Context, full bool) error {
	s.fill.Lock()
	defer s.fill.Unlock()
	top, err := s.Store.MaxCaseID(ctx)
	if err != nil {
		return err
	}
	after := int64(0)
	if !full && s.filled > 0 {
		after = s.filled - backfillMargin
	}
	for {
		ps, err := s.Store.CasesWithoutCell(ctx, after, backfillBatch)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			s.filled = top
			return nil
		}
		ids := make([]int64, len(ps))
		cells := make([]h3.Cell, len(ps))
		for i, p := range ps {
			ids[i] = p.ID
			cells[i] = h3.LatLngToCell(h3.NewLatLng(p.Location[1], p.Location[0]), StoredResolution)
		}
		if err := s.Store.SaveCaseCells(ctx, ids, cells); err != nil {
			return err
		}
		after = ids[len(ids)-1]
		if len(ps) < backfillBatch {
			s.filled = top
			return nil
		}
	}
}

// Refresh recomputes the recurring cache: per category, the persistent
// and intensifying hot spots at RecurringResolution over the twelve whole
// months before now, over every grid.
func (s *Service) Refresh(ctx context.Context) error {
	now := s.Now().In(s.loc())
	to := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.loc())
	from := to.AddDate(-1, 0, 0)
	if err := s.Backfill(ctx); err != nil {
		return err
	}
	counts, err := s.Store.CountCases(ctx, CountQuery{From: from, To: to, Resolution: RecurringResolution, ByCategory: true})
	if err != nil {
		return err
	}
	area, err := s.Store.StudyArea(ctx, nil)
	if err != nil {
		return err
	}
	byCat := map[string][]CellCount{}
	for _, c := range counts {
		byCat[c.Category] = append(byCat[c.Category], c)
	}
	ms := months(from, to, s.loc())
	alpha := s.Alpha
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	rec := map[string]map[h3.Cell]bool{}
	for cat, cs := range byCat {
		l, err := lattice(area, ms, cs, RecurringResolution)
		if err != nil {
			return err
		}
		for _, r := range Analyse(l, alpha) {
			if r.Trend == TrendPersistent || r.Trend == TrendIntensifying {
				if rec[cat] == nil {
					rec[cat] = map[h3.Cell]bool{}
				}
				rec[cat][r.Cell] = true
			}
		}
	}
	s.mu.Lock()
	s.recurring = rec
	s.mu.Unlock()
	return nil
}

// RunRefresh refreshes the recurring cache now and every interval until
// ctx ends.
func (s *Service) RunRefresh(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Recurring reports whether a case of category at loc falls in a
// persistent hot spot of its category (from the last Refresh; false before
// the first).
func (s *Service) Recurring(category string, loc orb.Point) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	cells := s.recurring[category]
	if len(cells) == 0 {
		return false
	}
	return cells[h3.LatLngToCell(h3.NewLatLng(loc[1], loc[0]), RecurringResolution)]
}

// RecurringCells lists the cached recurring cells of a category, sorted.
func (s *Service) RecurringCells(category string) []h3.Cell {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []h3.Cell
	for c := range s.recurring[category] {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
