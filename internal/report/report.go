// Package report assembles the weekly and monthly meeting pack (周/月例会
// 材料) and the case ledger (台账): the period's case figures by unit and
// by village, the hot spots of the twelve months up to the period's end,
// the case ledger, and a static map of the town with grids, patrol
// coverage, hot spots and cases drawn from the same sources as the map
// layers. Access is the caller's: every figure comes from a service that
// takes the principal. Rendering (xlsx, HTML) is the HTTP layer's.
package report

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"time"

	"github.com/gridd/gridd/internal/analytics"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/mapimage"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Period is the span of a pack: an ISO week (Monday to Monday) or a
// month, in Asia/Shanghai.
type Period struct {
	Kind     string // "week" or "month"
	Label    string // 2026-W49 or 2026-12
	From, To time.Time
}

// ParseWeek parses an ISO week YYYY-Www.
func ParseWeek(s string, loc *time.Location) (Period, error) {
	var y, w int
	if n, err := fmt.Sscanf(s, "%4d-W%2d", &y, &w); err != nil || n != 2 || len(s) != 8 || w < 1 || w > 53 {
		return Period{}, errs.Invalidf("week", "invalid_week", "want an ISO week YYYY-Www, got %q", s)
	}
	// The Monday of week 1 is the Monday on or before 4 January.
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, loc)
	mon := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	from := mon.AddDate(0, 0, 7*(w-1))
	if yy, ww := from.ISOWeek(); yy != y || ww != w {
		return Period{}, errs.Invalidf("week", "invalid_week", "%d has no week %d", y, w)
	}
	return Period{Kind: "week", Label: s, From: from, To: from.AddDate(0, 0, 7)}, nil
}

// ParseMonth parses YYYY-MM.
func ParseMonth(s string, loc *time.Location) (Period, error) {
	t, err := time.ParseInLocation("2006-01", s, loc)
	if err != nil || t.Format("2006-01") != s {
		return Period{}, errs.Invalidf("month", "invalid_month", "want YYYY-MM, got %q", s)
	}
	return Period{Kind: "month", Label: s, From: t, To: t.AddDate(0, 1, 0)}, nil
}

// Cases is what the pack needs from the case loop.
type Cases interface {
	Stats(ctx context.Context, p *auth.Principal, from, to time.Time, groupBy string) (*casework.Stats, error)
	List(ctx context.Context, p *auth.Principal, f casework.CaseFilter) ([]*casework.Case, int, error)
}

// Grids finds grids.
type Grids interface {
	FindGrids(ctx context.Context, f registry.GridFilter) ([]*registry.Grid, error)
}

// Service builds packs.
type Service struct {
	Cases    Cases
	Hotspots *analytics.Service
	Grids    Grids
	// Coverage is the patrol coverage layer's source (nil: no coverage on the map).
	Coverage tiles.FindFunc
	Now      func() time.Time
	Loc      *time.Location
}

// MaxLedger bounds the cases of one ledger.
const MaxLedger = 50_000

// Pack is a meeting pack.
type Pack struct {
	Period    Period
	AsOf      time.Time
	ByUnit    *casework.Stats
	ByVillage *casework.Stats
	// Hotspots are the significant cells of the twelve months up to the
	// period's end, strongest first; HotspotMonths their months.
	Hotspots      []analytics.CellResult
	HotspotMonths []string
	Ledger        []*casework.Case
	Grids         []*registry.Grid // in scope, with names
	Map           []byte           // PNG
}

// Map size in pixels.
const (
	MapWidth  = 1000
	MapHeight = 760
)

// Build assembles the pack of period for p.
func (s *Service) Build(ctx context.Context, p *auth.Principal, per Period) (*Pack, error) {
	pk := &Pack{Period: per, AsOf: s.Now()}
	var err error
	if pk.ByUnit, err = s.Cases.Stats(ctx, p, per.From, per.To, "unit"); err != nil {
		return nil, err
	}
	if pk.ByVillage, err = s.Cases.Stats(ctx, p, per.From, per.To, "village"); err != nil {
		return nil, err
	}
	if pk.Ledger, err = s.Ledger(ctx, p, per.From, per.To); err != nil {
		return nil, err
	}
	h, err := s.Hotspots.Hotspots(ctx, p, analytics.HotspotQuery{From: per.To.AddDate(-1, 0, 0), To: per.To})
	if err != nil {
		return nil, err
	}
	pk.HotspotMonths = h.Months
	for _, c := range h.Cells {
		if c.Significant {
			pk.Hotspots = append(pk.Hotspots, c)
		}
	}
	slices.SortStableFunc(pk.Hotspots, func(a, b analytics.CellResult) int {
		switch {
		case a.Z > b.Z:
			return -1
		case a.Z < b.Z:
			return 1
		}
		return 0
	})
	if pk.Grids, err = s.Grids.FindGrids(ctx, registry.GridFilter{Within: p.GridScope(), Limit: 5000}); err != nil {
		return nil, err
	}
	cov, err := s.coverage(ctx, p, per)
	if err != nil {
		return nil, err
	}
	if pk.Map, err = renderMap(pk.Grids, cov, pk.Hotspots, pk.Ledger); err != nil {
		return nil, err
	}
	return pk, nil
}

// Ledger returns the cases p may read reported in [from, to), oldest
// first; more than MaxLedger is TooLarge.
func (s *Service) Ledger(ctx context.Context, p *auth.Principal, from, to time.Time) ([]*casework.Case, error) {
	cs, _, err := s.Cases.List(ctx, p, casework.CaseFilter{From: &from, To: &to, Limit: MaxLedger + 1})
	if err != nil {
		return nil, err
	}
	if len(cs) > MaxLedger {
		return nil, errs.E(errs.TooLarge, "too_many_cases", "more than %d cases in the period; choose a shorter one", MaxLedger)
	}
	slices.Reverse(cs)
	return cs, nil
}

// coverage returns the patrol coverage cells of the month holding the
// period's last day, for the roles that may read the coverage layer.
func (s *Service) coverage(ctx context.Context, p *auth.Principal, per Period) ([]*geojson.Feature, error) {
	if s.Coverage == nil || p.Role() == people.RoleDepartment {
		return nil, nil
	}
	last := per.To.Add(-time.Second).In(s.Loc)
	if last.After(s.Now()) {
		last = s.Now().In(s.Loc)
	}
	if last.Before(per.From) {
		return nil, nil
	}
	return s.Coverage(ctx, tiles.SourceQuery{Zoom: 13, Scope: p.GridScope(), Params: tiles.Params{"month": last.Format("2006-01")}})
}

var (
	gridFill      = color.RGBA{0xff, 0xff, 0xff, 0xff}
	gridStroke    = color.RGBA{0x88, 0x88, 0x88, 0xff}
	villageStroke = color.RGBA{0x33, 0x33, 0x33, 0xff}
	covered       = color.NRGBA{0x4c, 0xaf, 0x50, 0x60}
	missed        = color.NRGBA{0xe5, 0x73, 0x73, 0x30}
	caseOpen      = color.RGBA{0xd3, 0x2f, 0x2f, 0xff}
	caseClosed    = color.RGBA{0x19, 0x76, 0xd2, 0xff}
	// TrendColours are the hot spots' colours on the map and in the console.
	TrendColours = map[analytics.Trend]color.NRGBA{
		analytics.TrendNew: {0xff, 0x98, 0x00, 0xb0}, analytics.TrendIntensifying: {0xb7, 0x1c, 0x1c, 0xb0},
		analytics.TrendPersistent: {0xe5, 0x39, 0x35, 0xb0}, analytics.TrendFading: {0xff, 0xcc, 0x80, 0xb0},
		analytics.TrendSporadic: {0xff, 0xe0, 0x82, 0xb0},
	}
)

// renderMap draws the town: basic grids, village outlines, coverage,
// hot spots and the period's cases.
func renderMap(grids []*registry.Grid, cov []*geojson.Feature, hot []analytics.CellResult, cases []*casework.Case) ([]byte, error) {
	var b orb.Bound
	first := true
	var base, outlines, upper []mapimage.Feature
	deepest := 0
	for _, g := range grids {
		deepest = max(deepest, g.Level)
	}
	for _, g := range grids {
		if first {
			b, first = g.Geometry.Bound(), false
		} else {
			b = b.Union(g.Geometry.Bound())
		}
		if g.Level == deepest {
			base = append(base, mapimage.Feature{Geometry: g.Geometry, Style: mapimage.Style{Fill: gridFill}})
			outlines = append(outlines, mapimage.Feature{Geometry: g.Geometry, Style: mapimage.Style{Stroke: gridStroke}})
		} else {
			upper = append(upper, mapimage.Feature{Geometry: g.Geometry, Style: mapimage.Style{Stroke: villageStroke, Width: 2}})
		}
	}
	if first {
		for _, c := range cases {
			if first {
				b, first = c.Location.Bound(), false
			}
			b = b.Extend(c.Location)
		}
	}
	if first {
		b = orb.Bound{Min: orb.Point{117.5, 36.6}, Max: orb.Point{117.6, 36.7}}
	}
	var covs, hots, pts []mapimage.Feature
	for _, f := range cov {
		c := missed
		if v, _ := f.Properties["covered"].(bool); v {
			c = covered
		}
		covs = append(covs, mapimage.Feature{Geometry: f.Geometry, Style: mapimage.Style{Fill: c}})
	}
	for _, h := range hot {
		hots = append(hots, mapimage.Feature{Geometry: coverage.Hexagon(h.Cell), Style: mapimage.Style{Fill: TrendColours[h.Trend], Stroke: color.RGBA{0x7f, 0, 0, 0xff}}})
	}
	for _, c := range cases {
		col := caseOpen
		if !c.Status.Open() {
			col = caseClosed
		}
		pts = append(pts, mapimage.Feature{Geometry: c.Location, Style: mapimage.Style{Fill: col, Stroke: color.White, Radius: 3.5}})
	}
	return mapimage.PNG(MapWidth, MapHeight, b, base, covs, hots, outlines, upper, pts)
}
