// Package layers keeps the routing layers a town has besides its grids:
// zones (polygons such as the town-seat area or a market) and road
// sections (lines; a road is all sections of one name), each with a kind
// and, optionally, the unit answering for it (职能单位; 包路段, 包片). Routing
// rules test them (internal/casework: in_zone, near_road, responsible_unit).
//
// A layer is replaced whole and atomically by an import: after a committed
// import the layer is exactly the file, and its layer revision changes (the
// routing copy in memory follows it). History is not kept; the export of a
// layer is the file to keep before replacing it.
package layers

import (
	"context"
	"fmt"
	"slices"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/spatial/crs"
	"github.com/paulmach/orb"
)

// Layer names a routing layer.
type Layer string

// The routing layers.
const (
	Zones Layer = "zones"
	Roads Layer = "roads"
)

// ParseLayer checks a layer name.
func ParseLayer(s string) (Layer, error) {
	switch Layer(s) {
	case Zones, Roads:
		return Layer(s), nil
	}
	return "", errs.Invalidf("layer", "unknown_layer", "want zones or roads, got %q", s)
}

// Item is one zone or road section.
type Item struct {
	Code string
	Name string
	Kind string
	Unit string       // department code answering for it; "" none
	Geom orb.Geometry // orb.MultiPolygon for a zone, orb.LineString for a road section
}

// Store keeps the layers.
type Store interface {
	// ReplaceLayer replaces every item of layer in one transaction.
	ReplaceLayer(ctx context.Context, layer Layer, items []Item) error
	FindLayer(ctx context.Context, layer Layer) ([]Item, error)
	// UnitCodes lists the department codes.
	UnitCodes(ctx context.Context) ([]string, error)
	// RuleReferences lists the zone codes and road kinds routing rules name.
	RuleReferences(ctx context.Context) (zones, roadKinds []string, err error)
}

// Service imports and exports the layers.
type Service struct {
	Store Store
	// Validate checks a zone polygon (the grid registry's validation).
	Validate func(orb.MultiPolygon) (orb.MultiPolygon, []errs.Field)
	// OnChange is called after a committed import.
	OnChange func(ctx context.Context, layer Layer)
}

// ImportOptions are the knobs of an import.
type ImportOptions struct {
	CRS    crs.System
	DryRun bool
}

// ImportReport says what an import did or would do.
type ImportReport struct {
	Layer  Layer    `json:"layer"`
	Total  int      `json:"total"`
	DryRun bool     `json:"dry_run"`
	Codes  []string `json:"codes"`
	Kinds  []string `json:"kinds"`
	Units  []string `json:"units"`
}

// Import parses a GeoJSON FeatureCollection, validates every feature and
// replaces the layer. Any problem rejects the whole file (nothing stored):
// 400 for bad features, 422 when routing rules name a zone or road kind the
// file no longer has.
func (s *Service) Import(ctx context.Context, layer Layer, data []byte, opts ImportOptions) (*ImportReport, error) {
	items, probs, err := ParseGeoJSON(layer, data, opts.CRS, s.Validate)
	if err != nil {
		return nil, err
	}
	units, err := s.Store.UnitCodes(ctx)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		if it.Unit != "" && !slices.Contains(units, it.Unit) {
			probs = append(probs, field(i, it.Code, "properties.unit", "unknown_unit", fmt.Sprintf("no department %q (GET /api/v1/departments)", it.Unit)))
		}
	}
	if len(probs) > 0 {
		e := errs.E(errs.Invalid, "invalid_features", "%d problems in the %s file (first %s: %s); nothing was stored", len(probs), layer, probs[0].Field, probs[0].Detail)
		e.Fields = probs
		return nil, e
	}
	rep := &ImportReport{Layer: layer, Total: len(items), DryRun: opts.DryRun, Codes: []string{}, Kinds: []string{}, Units: []string{}}
	for _, it := range items {
		rep.Codes = append(rep.Codes, it.Code)
		rep.Kinds = append(rep.Kinds, it.Kind)
		if it.Unit != "" {
			rep.Units = append(rep.Units, it.Unit)
		}
	}
	slices.Sort(rep.Kinds)
	rep.Kinds = slices.Compact(rep.Kinds)
	slices.Sort(rep.Units)
	rep.Units = slices.Compact(rep.Units)
	zones, kinds, err := s.Store.RuleReferences(ctx)
	if err != nil {
		return nil, err
	}
	used, have := zones, rep.Codes
	if layer == Roads {
		used, have = kinds, rep.Kinds
	}
	var missing []errs.Field
	for _, u := range used {
		if !slices.Contains(have, u) {
			missing = append(missing, errs.Field{Field: "features", Reason: "layer_in_use", Detail: fmt.Sprintf("a routing rule names %s %q, which the file does not have", layer, u)})
		}
	}
	if len(missing) > 0 {
		e := errs.E(errs.Unprocessable, "layer_in_use", "routing rules name %d %s entries the file lacks; change the rules first (PUT /api/v1/routing/rules)", len(missing), layer)
		e.Fields = missing
		return nil, e
	}
	if opts.DryRun {
		return rep, nil
	}
	if err := s.Store.ReplaceLayer(ctx, layer, items); err != nil {
		return nil, err
	}
	if s.OnChange != nil {
		s.OnChange(ctx, layer)
	}
	return rep, nil
}

// Export returns the items of layer ordered by code.
func (s *Service) Export(ctx context.Context, layer Layer) ([]Item, error) {
	return s.Store.FindLayer(ctx, layer)
}

func field(i int, code, name, reason, detail string) errs.Field {
	return errs.Field{Field: fmt.Sprintf("features[%d].%s", i, name), Index: &i, Code: code, Reason: reason, Detail: detail}
}
