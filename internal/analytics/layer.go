package analytics

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Layer is the "hotspots" map layer: the significant cells (see the
// package doc) of the cases the reader may see, with their trend.
// Parameters: from and to (YYYY-MM-DD, to exclusive; default the twelve
// months up to today), category (small or big class). The resolution
// follows the zoom: 8 below zoom 13, 9 at 13–14, 10 from 15 (feature
// lists: 9).
func Layer() tiles.Layer {
	return tiles.Layer{
		Name: "hotspots", Title: "案件热点", TitleEN: "Case hot spots", Geometry: "polygon",
		Fields: []tiles.Field{
			{Name: "cell", Type: tiles.String, Description: "H3 cell index", DescZH: "H3 单元编号"},
			{Name: "count", Type: tiles.Number, Description: "cases in the cell over the period", DescZH: "期间案件数"},
			{Name: "z", Type: tiles.Number, Description: "Getis-Ord Gi* z-score over the period", DescZH: "Gi* z 值"},
			{Name: "p", Type: tiles.Number, Description: "two-sided p-value of z", DescZH: "p 值"},
			{Name: "q", Type: tiles.Number, Description: "Benjamini–Hochberg q-value", DescZH: "FDR 校正后的 q 值"},
			{Name: "trend", Type: tiles.String, Description: "new, intensifying, persistent, fading or sporadic", DescZH: "趋势"},
			{Name: "period", Type: tiles.String, Description: "from/to of the analysis", DescZH: "分析期间"},
		},
		MinZoom: 10, MaxZoom: 22, Revisions: []string{"cases", "grids"}, Daily: true,
		Roles: []people.Role{people.RoleAdmin, people.RoleCenter, people.RoleViewer, people.RoleWorker},
		// Not an OGC collection: an analysis per request is no feature store.
		Scoped: true,
		Params: []tiles.Param{
			{Name: "from", Description: "first day, YYYY-MM-DD (default: twelve months before to)", DescZH: "起始日期 YYYY-MM-DD", Check: checkDay("from")},
			{Name: "to", Description: "day after the last, YYYY-MM-DD (default: tomorrow)", DescZH: "截止日期（不含）YYYY-MM-DD", Check: checkDay("to")},
			{Name: "category", Description: "case category (small or big class)", DescZH: "案件类别", Check: checkCategory},
		},
	}
}

func checkDay(name string) func(string) error {
	return func(v string) error {
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return errs.Invalidf(name, "invalid_date", "want YYYY-MM-DD, got %q", v)
		}
		return nil
	}
}

func checkCategory(v string) error {
	if len(v) < 2 || len(v) > 16 || strings.Trim(v, "0123456789") != "" {
		return errs.Invalidf("category", "invalid_category", "want a category code (digits), got %q", v)
	}
	return nil
}

// zoomResolution is the H3 resolution drawn at a tile zoom.
func zoomResolution(z int) int {
	switch {
	case z == 0:
		return DefaultResolution
	case z < 13:
		return 8
	case z < 15:
		return 9
	}
	return 10
}

// DefaultPeriod is the layer's default: the twelve months up to today.
func (s *Service) DefaultPeriod() (from, to time.Time) {
	now := s.Now().In(s.loc())
	to = time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, s.loc())
	return to.AddDate(-1, 0, 0), to
}

type layerKey struct {
	scope, from, to, category string
	res                       int
}

// layerCacheTTL bounds how stale a hot-spot tile may be: a tile request
// reuses the analysis of its neighbours for that long.
const layerCacheTTL = time.Minute

// LayerFeatures is the hotspots layer's source (tiles.FindFunc).
func (s *Service) LayerFeatures(ctx context.Context, q tiles.SourceQuery) ([]*geojson.Feature, error) {
	from, to := s.DefaultPeriod()
	if v := q.Params["to"]; v != "" {
		to, _ = time.ParseInLocation("2006-01-02", v, s.loc())
		from = to.AddDate(-1, 0, 0)
	}
	if v := q.Params["from"]; v != "" {
		from, _ = time.ParseInLocation("2006-01-02", v, s.loc())
	}
	if !to.After(from) {
		return nil, errs.Invalidf("to", "invalid_range", "to must be after from")
	}
	if len(months(from, to, s.loc())) > MaxMonths {
		return nil, errs.Invalidf("to", "range_too_long", "at most %d months per analysis", MaxMonths)
	}
	res := zoomResolution(q.Zoom)
	cq := CountQuery{From: from, To: to, ScopeGrids: q.Scope}
	if c := q.Params["category"]; c != "" {
		cq.Category = &c
	}
	k := layerKey{fmt.Sprint(q.Scope), q.Params["from"] + "/" + from.String(), to.String(), q.Params["category"], res}
	if q.Scope == nil {
		k.scope = "*"
	}
	s.layerOnce.Do(func() { s.layerCache = expirable.NewLRU[layerKey, *Hotspots](64, nil, layerCacheTTL) })
	h, ok := s.layerCache.Get(k)
	if !ok {
		var err error
		if h, err = s.analyse(ctx, cq, q.Scope, res); err != nil {
			return nil, err
		}
		s.layerCache.Add(k, h)
	}
	return h.Features(q.Bound, true), nil
}

// Features returns h's cells as GeoJSON polygons meeting bound (nil:
// all): the significant ones, and with all also every cell holding a
// case, sorted by cell.
func (h *Hotspots) Features(bound *orb.Bound, onlySignificant bool) []*geojson.Feature {
	period := h.From.Format("2006-01-02") + "/" + h.To.Format("2006-01-02")
	var out []*geojson.Feature
	for _, r := range h.Cells {
		if !r.Significant && (onlySignificant || r.Count == 0) {
			continue
		}
		poly := coverage.Hexagon(r.Cell)
		if bound != nil && !poly.Bound().Intersects(*bound) {
			continue
		}
		f := geojson.NewFeature(poly)
		f.ID = r.Cell.String()
		f.Properties = geojson.Properties{"cell": r.Cell.String(), "count": r.Count, "z": round(r.Z, 3), "p": sig(r.P), "q": sig(r.Q),
			"significant": r.Significant, "hot": r.Hot, "trend": string(r.Trend), "period": period, "monthly": r.Monthly}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *geojson.Feature) int { return strings.Compare(a.ID.(string), b.ID.(string)) })
	return out
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// sig keeps four significant digits (p-values span many magnitudes).
func sig(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	d := math.Ceil(math.Log10(math.Abs(v)))
	p := math.Pow(10, 4-d)
	return math.Round(v*p) / p
}
