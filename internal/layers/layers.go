// Package layers keeps the routing layers a town has besides its grids:
// zones (polygons such as the town-seat area or a market) and road
// sections (lines; a road is all sections of one name), each with a kind
// and, optionally, the unit answering for it (职能单位; 包路段, 包片). Routing
// rules test them (internal/casework: in_zone, near_road, responsible_unit).
//
// A layer is replaced whole and atomically by an import (GeoJSON or a
// zipped Shapefile): after a committed import the layer is exactly the
// file, and its layer revision changes (the routing copy in memory follows
// it). Items are versioned like grids: an item the import leaves unchanged
// keeps its version; a changed one gets the next version; a removed one
// ends. The layer as of any instant, and what differs between two, can be
// read back (FindLayer with at, History).
package layers

import (
	"context"
	"fmt"
	"slices"
	"time"

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
	// Version counts the item's versions (1 when first imported); ValidFrom
	// is when this version began.
	Version   int
	ValidFrom time.Time
}

// Changes counts what an import changed.
type Changes struct {
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Removed   int `json:"removed"`
	Unchanged int `json:"unchanged"`
}

// Change is one item that differs between two instants (as grids:
// registry.ChangeAdded, ChangeRemoved, ChangeChanged). Size is the
// spheroidal area (m², zones) or length (m, road sections) of each version.
type Change struct {
	Code          string
	Change        string
	Before, After *Item
	SizeFrom      float64
	SizeTo        float64
}

// Store keeps the layers.
type Store interface {
	// ReplaceLayer replaces every item of layer in one transaction at the
	// instant at: unchanged items keep their version, changed ones get a
	// new one, removed ones end.
	ReplaceLayer(ctx context.Context, layer Layer, items []Item, at time.Time) (Changes, error)
	// FindLayer returns the items ordered by code as of at (nil: now).
	FindLayer(ctx context.Context, layer Layer, at *time.Time) ([]Item, error)
	// LayerHistory returns the items that differ between from and to,
	// ordered by code.
	LayerHistory(ctx context.Context, layer Layer, from, to time.Time) ([]Change, error)
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
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
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
	// Changes is what the import changed (zero on a dry run).
	Changes Changes `json:"changes"`
}

// Import parses a GeoJSON FeatureCollection or a zipped Shapefile (told
// apart by the ZIP signature), validates every feature and replaces the
// layer. Any problem rejects the whole file (nothing stored):
// 400 for bad features, 422 when routing rules name a zone or road kind the
// file no longer has.
func (s *Service) Import(ctx context.Context, layer Layer, data []byte, opts ImportOptions) (*ImportReport, error) {
	parse := ParseGeoJSON
	if isZip(data) {
		parse = ParseShapefile
	}
	items, probs, err := parse(layer, data, opts.CRS, s.Validate)
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
	if rep.Changes, err = s.Store.ReplaceLayer(ctx, layer, items, s.now()); err != nil {
		return nil, err
	}
	if s.OnChange != nil {
		s.OnChange(ctx, layer)
	}
	return rep, nil
}

// Export returns the items of layer ordered by code as of at (nil: now).
func (s *Service) Export(ctx context.Context, layer Layer, at *time.Time) ([]Item, error) {
	return s.Store.FindLayer(ctx, layer, at)
}

// History returns what differs in layer between from and to; from after
// to is refused (400 range_reversed). Every signed-in user may read the
// routing layers, as their export.
func (s *Service) History(ctx context.Context, layer Layer, from, to time.Time) ([]Change, error) {
	if from.After(to) {
		return nil, errs.Invalidf("from", "range_reversed", "from (%s) is after to (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return s.Store.LayerHistory(ctx, layer, from, to)
}

func field(i int, code, name, reason, detail string) errs.Field {
	return errs.Field{Field: fmt.Sprintf("features[%d].%s", i, name), Index: &i, Code: code, Reason: reason, Detail: detail}
}
