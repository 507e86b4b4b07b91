package patrol

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/coverage"
)

// What a grid's coverage measures.
const (
	MeasureArea  = "area"  // the share of the grid's area within R of the track
	MeasureRoads = "roads" // the share of the road network inside the grid within R of the track
)

// GridOption is a grid's choice of coverage measure. RoadKinds restricts
// the roads layer to those kinds (e.g. main_road); empty means every road.
type GridOption struct {
	GridCode  string
	Measure   string
	RoadKinds []string
	UpdatedBy int64
	UpdatedAt time.Time
}

// optionKey is the part of the discretisation cache key an option sets.
func (o GridOption) key() string {
	if o.Measure != MeasureRoads {
		return MeasureArea
	}
	return MeasureRoads + ":" + strings.Join(o.RoadKinds, ",")
}

// options returns the grid options, loading them when the service started
// or they changed.
func (s *Service) options(ctx context.Context) (map[string]GridOption, error) {
	if m := s.opts.Load(); m != nil {
		return *m, nil
	}
	m, err := s.Store.GridOptions(ctx)
	if err != nil {
		return nil, err
	}
	s.opts.Store(&m)
	return m, nil
}

// GridOptions returns every grid's option that is not the default.
func (s *Service) GridOptions(ctx context.Context) (map[string]GridOption, error) {
	return s.options(ctx)
}

// SetGridOption sets what grid code's coverage measures. Measuring roads
// needs a road of the roads layer (of the given kinds) inside the grid.
// The grid's stored days are recomputed on their next read.
func (s *Service) SetGridOption(ctx context.Context, o GridOption) error {
	switch o.Measure {
	case MeasureArea:
		o.RoadKinds = nil
	case MeasureRoads:
		slices.Sort(o.RoadKinds)
		o.RoadKinds = slices.Compact(o.RoadKinds)
	default:
		return errs.Invalidf("measure", "invalid_measure", "measure must be %q or %q, got %q", MeasureArea, MeasureRoads, o.Measure)
	}
	g, err := s.Grids.FindGridByCode(ctx, o.GridCode, nil)
	if err != nil {
		return err
	}
	if o.Measure == MeasureRoads {
		if _, err := s.alongRoads(ctx, g, o); err != nil {
			return err
		}
	}
	o.UpdatedAt = s.now()
	if err := s.Store.SetGridOption(ctx, o); err != nil {
		return err
	}
	s.opts.Store(nil)
	return nil
}

// alongRoads returns g's area cells re-measured along its roads.
func (s *Service) alongRoads(ctx context.Context, g *registry.Grid, o GridOption) (*coverage.Grid, error) {
	area, err := coverage.Discretise(g.Geometry, coverage.Options{Resolution: s.Rules.Resolution, RadiusM: s.Rules.RadiusM})
	if err != nil {
		return nil, err
	}
	lines, err := s.Store.RoadsIn(ctx, g.Geometry.Bound(), o.RoadKinds)
	if err != nil {
		return nil, err
	}
	along, err := area.Along(lines)
	if err != nil {
		kinds := "any kind"
		if len(o.RoadKinds) > 0 {
			kinds = strings.Join(o.RoadKinds, ", ")
		}
		return nil, errs.E(errs.Unprocessable, "no_roads_in_grid", "no road of the roads layer (%s) runs inside grid %s", kinds, g.Code)
	}
	return along, nil
}
