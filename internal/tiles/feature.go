package tiles

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/paulmach/orb"
)

// FeatureQuery selects features of a layer for OGC API Features and
// GeoJSON downloads.
type FeatureQuery struct {
	Layer string
	// Scope are grid-subtree roots; nil means every feature, empty none.
	Scope []string
	BBox  *orb.Bound // WGS84; features whose bounding box meets it
	Level *int       // grids only
	// AsOf selects the versions valid at that instant (grids); nil = current.
	AsOf *time.Time
	// Day is the civil date (UTC midnight) of the worker attribute.
	Day time.Time
	// Params are the layer's own parameters (Layer.ParamsFrom).
	Params Params
	// ID selects one feature.
	ID            *string
	Limit, Offset int
}

// Feature is one feature with its properties and GeoJSON geometry (CRS84).
type Feature struct {
	ID         string
	Properties json.RawMessage
	Geometry   json.RawMessage
}

// FeatureStore lists the features of a layer.
type FeatureStore interface {
	// Features returns one page of q's features ordered by id, and how
	// many match in all.
	Features(ctx context.Context, q FeatureQuery) ([]Feature, int, error)
	// Feature returns one feature; NotFound when absent or out of scope.
	Feature(ctx context.Context, q FeatureQuery, id string) (*Feature, error)
	// Extent returns the WGS84 bounds of q's features, nil when none.
	Extent(ctx context.Context, q FeatureQuery) ([]float64, error)
	// Levels returns the levels of the current grids.
	Levels(ctx context.Context) ([]int, error)
}

// FeatureByID returns the feature id of q.Layer from a Features method;
// NotFound when absent or out of scope.
func FeatureByID(ctx context.Context, features func(context.Context, FeatureQuery) ([]Feature, int, error), q FeatureQuery, id string) (*Feature, error) {
	q.ID, q.Limit, q.Offset = &id, 1, 0
	fs, _, err := features(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, errs.NotFoundf("feature %s not found in %s", id, q.Layer)
	}
	return &fs[0], nil
}
