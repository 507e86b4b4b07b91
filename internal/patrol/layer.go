package patrol

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/uber/h3-go/v4"
)

// CoverageLayer is the "coverage" map layer: each coverage cell of a
// worker's grid for a day or a month, covered or missed, from the stored
// day results (a month is the union of its days, as the monthly rule
// counts it). Parameters: worker (username; default every worker whose
// grids the reader sees), date=YYYY-MM-DD or month=YYYY-MM (default the
// current month so far). Cells are ~25 m across: they are drawn from
// zoom 15, and merged into coarser H3 cells at zooms 13 and 14.
func CoverageLayer() tiles.Layer {
	return tiles.Layer{
		Name: "coverage", Title: "巡查覆盖", TitleEN: "Patrol coverage", Geometry: "polygon",
		Fields: []tiles.Field{
			{Name: "worker", Type: tiles.String, Description: "the grid worker's username", DescZH: "网格员账号"},
			{Name: "worker_name", Type: tiles.String, Description: "the grid worker's name", DescZH: "网格员"},
			{Name: "grid_code", Type: tiles.String, Description: "the worker's grid", DescZH: "网格编码"},
			{Name: "period", Type: tiles.String, Description: "the day (YYYY-MM-DD) or month (YYYY-MM)", DescZH: "日期或月份"},
			{Name: "covered", Type: tiles.Boolean, Description: "the track passed within the radius of the cell (of at least half of it, for the coarser cells below zoom 15)", DescZH: "已覆盖"},
			{Name: "share", Type: tiles.Number, Description: "covered share of the cell's area (or road length), 0–1", DescZH: "覆盖比例"},
			{Name: "cell", Type: tiles.String, Description: "H3 cell index", DescZH: "H3 单元编号"},
		},
		MinZoom: 13, MaxZoom: 22, Revisions: []string{"patrols", "grids"}, Daily: true,
		Roles:  []people.Role{people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker},
		Scoped: true, Collection: true,
		Params: []tiles.Param{
			{Name: "worker", Description: "the grid worker's username (default: every worker in view)", DescZH: "网格员账号（默认全部）", Check: checkUsername},
			{Name: "date", Description: "a day, YYYY-MM-DD", DescZH: "日期 YYYY-MM-DD", Check: checkDate},
			{Name: "month", Description: "a month, YYYY-MM (default: this month so far)", DescZH: "月份 YYYY-MM（默认本月）", Check: checkMonth},
		},
	}
}

func checkUsername(v string) error {
	if !people.ValidUsername(v) {
		return errs.Invalidf("worker", "invalid_username", "want a username (letters, digits, _ . -), got %q", v)
	}
	return nil
}

func checkDate(v string) error {
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return errs.Invalidf("date", "invalid_date", "want YYYY-MM-DD, got %q", v)
	}
	return nil
}

func checkMonth(v string) error {
	_, err := ParseMonth(v, time.UTC)
	return err
}

// CellSet is a worker's cover of one grid version over a period: the union
// of its days' covers.
type CellSet struct {
	WorkerID int64
	Username string
	Name     string
	GridCode string
	Cells    *coverage.Grid
	Cover    *coverage.Cover
	version  int // the grid version of its days (-1: no day)
}

// CellQuery selects cell sets.
type CellQuery struct {
	Worker   int64     // 0: every worker of the grids selected
	From, To time.Time // days [From, To), 00:00 Asia/Shanghai
	Bound    *orb.Bound
	// Within restricts to the subtrees of these grid codes (access scope);
	// nil means every grid.
	Within []string
}

// CellSets returns the covers of the worker grids meeting q.Bound in
// q's period, recomputing dirty days first. A worker assigned to a grid
// in the period has a set for it even without a patrolled day (every cell
// missed).
func (s *Service) CellSets(ctx context.Context, q CellQuery) ([]CellSet, error) {
	sets, err := s.planSets(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := s.fillCovers(ctx, sets, q.From, q.To); err != nil {
		return nil, err
	}
	out := make([]CellSet, len(sets))
	for i, cs := range sets {
		out[i] = *cs
	}
	return out, nil
}

// cellSetKey names a cell set: a worker's days in one version of a grid.
type cellSetKey struct {
	worker  int64
	code    string
	version int
}

// planSets returns CellSets' sets with their cells and an empty cover, in
// the order of their username, grid code and grid version, from the
// stored days read without their covers (fillCovers adds them).
func (s *Service) planSets(ctx context.Context, q CellQuery) ([]*CellSet, error) {
	asOf := q.To.Add(-time.Second)
	grids, err := s.gridsInView(ctx, registry.GridFilter{BBox: q.Bound, AsOf: &asOf, Within: q.Within})
	if err != nil {
		return nil, err
	}
	inView := map[string]bool{}
	for _, g := range grids {
		inView[g.Code] = true
	}
	// The (worker, grid) assignments in view overlapping the period.
	role := people.GridWorker
	var as []*people.Assignment
	if q.Worker != 0 {
		if as, err = s.People.FindAssignments(ctx, people.AssignmentFilter{UserID: &q.Worker, Role: &role}); err != nil {
			return nil, err
		}
	} else if len(grids) > 0 {
		codes := make([]string, len(grids))
		for i, g := range grids {
			codes[i] = g.Code
		}
		if as, err = s.People.FindAssignments(ctx, people.AssignmentFilter{GridCodes: codes, Role: &role}); err != nil {
			return nil, err
		}
	}
	type pair struct {
		worker int64
		code   string
	}
	assigned := map[pair]bool{}
	workers := []int64{}
	seen := map[int64]bool{}
	// Workers' names come with their assignments: no query per worker.
	names := map[int64][2]string{}
	if q.Worker != 0 {
		workers, seen[q.Worker] = append(workers, q.Worker), true
	}
	for _, a := range as {
		names[a.UserID] = [2]string{a.Username, a.Name}
		if !inView[a.GridCode] || !a.ValidFrom.Before(civil(q.To)) || (a.ValidTo != nil && !a.ValidTo.After(civil(q.From))) {
			continue
		}
		assigned[pair{a.UserID, a.GridCode}] = true
		if !seen[a.UserID] {
			seen[a.UserID] = true
			workers = append(workers, a.UserID)
		}
	}
	if len(workers) == 0 {
		return nil, nil
	}
	if err := s.refresh(ctx, workers, q.From, q.To); err != nil {
		return nil, err
	}
	days, err := s.Store.FindGridDays(ctx, workers, q.From, q.To, false)
	if err != nil {
		return nil, err
	}
	sets := map[cellSetKey]*CellSet{}
	withDays := map[pair]bool{}
	// The grid versions valid at the period's end are those read above:
	// a set looks its grid up there first, and reads only the earlier
	// versions of grids changed within the period.
	lk := &ownLookup{versions: make(map[string][]*registry.Grid, len(grids))}
	for _, g := range grids {
		lk.versions[g.Code] = append(lk.versions[g.Code], g)
	}
	add := func(worker int64, code string, version int, day time.Time) error {
		k := cellSetKey{worker, code, version}
		if sets[k] != nil {
			return nil
		}
		og, err := s.gridAt(ctx, code, day, lk)
		if err != nil {
			return err
		}
		sets[k] = &CellSet{WorkerID: worker, GridCode: code, Cells: og.Cells, Cover: og.Cells.NewCover(), version: version}
		return nil
	}
	for _, d := range days {
		if !inView[d.GridCode] {
			continue
		}
		if err := add(d.WorkerID, d.GridCode, d.GridVersion, d.Date); err != nil {
			return nil, err
		}
		withDays[pair{d.WorkerID, d.GridCode}] = true
	}
	last := q.To.AddDate(0, 0, -1)
	for p := range assigned {
		if !withDays[p] {
			if err := add(p.worker, p.code, -1, last); err != nil {
				return nil, err
			}
		}
	}
	out := make([]*CellSet, 0, len(sets))
	for _, cs := range sets {
		n, ok := names[cs.WorkerID]
		if !ok { // q.Worker without an assignment in the grids read
			u, err := s.People.FindUserByID(ctx, cs.WorkerID)
			if err != nil {
				return nil, err
			}
			n = [2]string{u.Username, u.Name}
			names[cs.WorkerID] = n
		}
		cs.Username, cs.Name = n[0], n[1]
		out = append(out, cs)
	}
	slices.SortFunc(out, func(a, b *CellSet) int {
		return cmp.Or(strings.Compare(a.Username, b.Username), strings.Compare(a.GridCode, b.GridCode), cmp.Compare(a.version, b.version))
	})
	return out, nil
}

// gridsInView returns every grid meeting f, read GridsPerRead at a time:
// a city's page of the collection without a window covers all its grids.
func (s *Service) gridsInView(ctx context.Context, f registry.GridFilter) ([]*registry.Grid, error) {
	f.Limit = s.GridsPerRead
	if f.Limit <= 0 {
		f.Limit = 5000
	}
	var out []*registry.Grid
	for {
		gs, err := s.Grids.FindGrids(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, gs...)
		if len(gs) < f.Limit {
			return out, nil
		}
		f.Cursor = gs[len(gs)-1].Code
	}
}

// fillCovers adds to sets the covers of their days in [from, to): the
// union of the days' covers, as the monthly rule counts it. Only these
// sets' workers' days are read.
func (s *Service) fillCovers(ctx context.Context, sets []*CellSet, from, to time.Time) error {
	byKey := make(map[cellSetKey]*CellSet, len(sets))
	seen := map[int64]bool{}
	var workers []int64
	for _, cs := range sets {
		if cs.version < 0 {
			continue // no day
		}
		if !seen[cs.WorkerID] {
			seen[cs.WorkerID] = true
			workers = append(workers, cs.WorkerID)
		}
		byKey[cellSetKey{cs.WorkerID, cs.GridCode, cs.version}] = cs
	}
	if len(workers) == 0 {
		return nil
	}
	days, err := s.Store.FindGridDays(ctx, workers, from, to, true)
	if err != nil {
		return err
	}
	for _, d := range days {
		if cs := byKey[cellSetKey{d.WorkerID, d.GridCode, d.GridVersion}]; cs != nil && d.Cells == cs.Cells.Len() {
			cs.Cover.Or(cs.Cells.CoverFromBytes(d.Cover))
		}
	}
	return nil
}

// period resolves the layer's date/month parameters into days [from, to)
// and the period's label.
func (s *Service) period(p tiles.Params) (from, to time.Time, label string, err error) {
	today := DayOf(s.now(), s.Loc)
	switch {
	case p["date"] != "" && p["month"] != "":
		return from, to, "", errs.Invalidf("date", "invalid_parameter", "give date or month, not both")
	case p["date"] != "":
		d, _ := time.ParseInLocation("2006-01-02", p["date"], s.Loc)
		return d, d.AddDate(0, 0, 1), p["date"], nil
	}
	m := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, s.Loc)
	if p["month"] != "" {
		if m, err = ParseMonth(p["month"], s.Loc); err != nil {
			return from, to, "", err
		}
	}
	to = m.AddDate(0, 1, 0)
	if today.AddDate(0, 0, 1).Before(to) {
		to = today.AddDate(0, 0, 1)
	}
	if !to.After(m) {
		return from, to, "", errs.Invalidf("month", "month_not_started", "month %s has not started", m.Format("2006-01"))
	}
	return m, to, m.Format("2006-01"), nil
}

// cellMargin widens a query window so that cells whose centre lies just
// outside it, but whose hexagon reaches in, are kept (cells are < 60 m;
// the coarser cells of low zooms are handled by the tile clipping).
const cellMargin = 0.0008

// tileResolution is the H3 resolution drawn at a tile zoom: the coverage
// cells themselves from zoom 15, their parents below (a zoom-13 tile would
// otherwise hold every cell of a town, megabytes of hexagons a pixel wide).
func tileResolution(zoom, native int) int {
	switch {
	case zoom == 0 || zoom >= 15:
		return native
	case zoom == 14:
		return min(native, 11)
	default:
		return min(native, 10)
	}
}

// CoverageFeatures is the coverage layer's source (tiles.FindFunc). At
// low zooms a feature is a coarser H3 cell with the covered share of the
// grid area (or road length) its coverage cells carry; covered is then
// whether at least half of it is.
func (s *Service) CoverageFeatures(ctx context.Context, q tiles.SourceQuery) ([]*geojson.Feature, error) {
	from, to, label, err := s.period(q.Params)
	if err != nil {
		return nil, err
	}
	cq := CellQuery{From: from, To: to, Bound: q.Bound, Within: q.Scope}
	if name := q.Params["worker"]; name != "" {
		u, err := s.People.FindUserByUsername(ctx, name)
		if err != nil {
			return nil, err
		}
		cq.Worker = u.ID
	}
	var win orb.Bound
	if q.Bound != nil {
		win = q.Bound.Pad(cellMargin)
	}
	if q.Page != nil && q.Zoom == 0 {
		// A page of the collection: every set counts its cells, only the
		// page's sets read their days' covers.
		sets, err := s.planSets(ctx, cq)
		if err != nil {
			return nil, err
		}
		page := coveragePage(sets, label, q.Bound != nil, win, q.Page)
		onPage := make([]*CellSet, len(page))
		for i, p := range page {
			onPage[i] = p.set
		}
		if err := s.fillCovers(ctx, onPage, from, to); err != nil {
			return nil, err
		}
		return pageFeatures(page, label), nil
	}
	sets, err := s.CellSets(ctx, cq)
	if err != nil {
		return nil, err
	}
	var out []*geojson.Feature
	for _, cs := range sets {
		res := tileResolution(q.Zoom, cs.Cells.Resolution)
		type agg struct{ total, covered float64 }
		var order []h3.Cell
		parents := map[h3.Cell]*agg{}
		for i := range cs.Cells.Len() {
			if q.Bound != nil && !win.Contains(cs.Cells.NearCenter(i)) {
				continue
			}
			cell := cs.Cells.Cell(i)
			if res == cs.Cells.Resolution {
				out = append(out, cellFeature(&cs, cellAt{i, cell}, label))
				continue
			}
			p := cell.Parent(res)
			a := parents[p]
			if a == nil {
				a = &agg{}
				parents[p] = a
				order = append(order, p)
			}
			w := cs.Cells.Weights[i]
			a.total += w
			if cs.Cover.Has(i) {
				a.covered += w
			}
		}
		for _, p := range order {
			a := parents[p]
			share := math.Round(a.covered/a.total*1000) / 1000
			f := geojson.NewFeature(coverage.Hexagon(p))
			f.ID = fmt.Sprintf("%s:%s:%s:%s", label, cs.Username, cs.GridCode, p.String())
			f.Properties = geojson.Properties{"worker": cs.Username, "worker_name": cs.Name, "grid_code": cs.GridCode,
				"period": label, "covered": share >= 0.5, "share": share, "cell": p.String()}
			out = append(out, f)
		}
	}
	return out, nil
}

// cellFeature is coverage cell c of cs as a feature: its ID is
// period:worker:grid:cell.
func cellFeature(cs *CellSet, c cellAt, label string) *geojson.Feature {
	f := geojson.NewFeature(coverage.Hexagon(c.cell))
	id := c.cell.String()
	f.ID = fmt.Sprintf("%s:%s:%s:%s", label, cs.Username, cs.GridCode, id)
	f.Properties = geojson.Properties{"worker": cs.Username, "worker_name": cs.Name, "grid_code": cs.GridCode,
		"period": label, "covered": cs.Cover.Has(c.i), "share": boolShare(cs.Cover.Has(c.i)), "cell": id}
	return f
}

// coveragePage returns the cells of one page of the coverage cells of
// sets (those whose centre lies in win when inWin), in the order of their
// IDs, set by set, and notes their total in pg: only the page's sets are
// ordered cell by cell, the others only counted.
// IDs sort by their set's prefix (period:worker:grid:, where neither
// workers nor codes hold a colon) and then by the cell, whose hex form
// has the same length at one resolution and so sorts as its number.
func coveragePage(sets []*CellSet, label string, inWin bool, win orb.Bound, pg *tiles.SourcePage) []pageCells {
	type prefixed struct {
		prefix string
		cs     *CellSet
	}
	order := make([]prefixed, len(sets))
	for i, cs := range sets {
		order[i] = prefixed{label + ":" + cs.Username + ":" + cs.GridCode + ":", cs}
	}
	// Stable: a worker's sets of two versions of a grid (changed within the
	// period) keep their order by version.
	slices.SortStableFunc(order, func(a, b prefixed) int { return strings.Compare(a.prefix, b.prefix) })
	var out []pageCells
	n := 0
	full := func() bool { return pg.Limit > 0 && n >= pg.Offset+pg.Limit }
	for _, o := range order {
		cs := o.cs
		idx := make([]int, 0, cs.Cells.Len())
		for i := range cs.Cells.Len() {
			if !inWin || win.Contains(cs.Cells.NearCenter(i)) {
				idx = append(idx, i)
			}
		}
		if n+len(idx) <= pg.Offset || full() {
			n += len(idx)
			continue
		}
		p := pageCells{set: cs}
		for _, c := range sortedCells(cs.Cells, idx) {
			if n >= pg.Offset && !full() {
				p.cells = append(p.cells, c)
			}
			n++
		}
		out = append(out, p)
	}
	pg.Paged, pg.Total = true, n
	return out
}

// pageFeatures are the cells of a page as features, in the page's order.
func pageFeatures(page []pageCells, label string) []*geojson.Feature {
	var out []*geojson.Feature
	for _, p := range page {
		for _, c := range p.cells {
			out = append(out, cellFeature(p.set, c, label))
		}
	}
	return out
}

// pageCells are the cells of one set on a page.
type pageCells struct {
	set   *CellSet
	cells []cellAt
}

// sortedCells returns cells idx of g in the order of their H3 index,
// each index computed once (a call into H3), not once per comparison.
func sortedCells(g *coverage.Grid, idx []int) []cellAt {
	cells := make([]cellAt, len(idx))
	for k, i := range idx {
		cells[k] = cellAt{i, g.Cell(i)}
	}
	slices.SortFunc(cells, func(a, b cellAt) int { return cmp.Compare(uint64(a.cell), uint64(b.cell)) })
	return cells
}

// cellAt is a cell of a set: its position in the set's grid and its H3
// index.
type cellAt struct {
	i    int
	cell h3.Cell
}

func boolShare(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
