package tiles

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// SourceQuery selects the features of a Go-computed layer.
type SourceQuery struct {
	// Bound is a WGS84 window; nil means everywhere.
	Bound *orb.Bound
	// Zoom is the zoom of the tile being rendered; 0 for feature lists
	// (full detail).
	Zoom int
	// Scope are grid-subtree roots; nil means every feature, empty none.
	Scope  []string
	Day    time.Time
	Params Params
	// Page is set for a page of a feature list (not for tiles): a FindFunc
	// may then return only the page — the features from Page.Offset in
	// the order of their IDs, at most Page.Limit (0: all) — setting
	// Page.Paged and Page.Total (how many match in all). One that does
	// not returns every feature, and the page is cut from them.
	Page *SourcePage
}

// SourcePage is a page asked of a FindFunc (SourceQuery.Page).
type SourcePage struct {
	Offset, Limit int
	Paged         bool
	Total         int
}

// FindFunc returns the features of a Go-computed layer meeting q.Bound,
// each with a unique string ID.
type FindFunc func(ctx context.Context, q SourceQuery) ([]*geojson.Feature, error)

// Stores serves the SQL layers from SQL and the Go-computed ones (features
// derived in Go, such as patrol coverage cells kept as bit sets) from
// their FindFunc: tiles are encoded here with orb's MVT encoder, feature
// lists paged here. Revisions and levels come from SQL.
type Stores struct {
	SQL interface {
		Store
		FeatureStore
		HasLayer(string) bool
	}
	Go map[string]FindFunc
	// Snapshots render the tiles (not the features) of their layers in Go
	// from an in-memory copy of the layer (grids).
	Snapshots map[string]*Snapshot
}

var (
	_ Store        = (*Stores)(nil)
	_ FeatureStore = (*Stores)(nil)
)

// HasLayer reports whether either store serves layer.
func (s *Stores) HasLayer(layer string) bool { return s.Go[layer] != nil || s.SQL.HasLayer(layer) }

// Revisions returns the SQL store's revisions.
func (s *Stores) Revisions(ctx context.Context) (map[string]string, error) {
	return s.SQL.Revisions(ctx)
}

// Levels returns the SQL store's grid levels.
func (s *Stores) Levels(ctx context.Context) ([]int, error) { return s.SQL.Levels(ctx) }

// tileBuffer is the buffer around a tile, in tile units (of 4096), kept
// by the encoder as the SQL layers' ST_AsMVTGeom does.
const tileBuffer = 64

// snapshot returns the in-memory copy layer is rendered from, or nil.
func (s *Stores) snapshot(layer string) *Snapshot { return s.Snapshots[layer] }

// Tile encodes the features of a Go layer meeting the (buffered) tile,
// renders a snapshot layer's tile, or asks SQL.
func (s *Stores) Tile(ctx context.Context, q TileQuery) ([]byte, error) {
	if sn := s.snapshot(q.Layer); sn != nil {
		return sn.Tile(ctx, q)
	}
	find := s.Go[q.Layer]
	if find == nil {
		return s.SQL.Tile(ctx, q)
	}
	layer, c := q.Layer, q.Coord
	t := maptile.New(uint32(c.X), uint32(c.Y), maptile.Zoom(c.Z))
	b := t.Bound(tileBuffer / 4096.0) // the buffer in tile widths
	fs, err := find(ctx, SourceQuery{Bound: &b, Zoom: c.Z, Scope: q.Scope, Day: q.Day, Params: q.Params})
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return []byte{}, nil
	}
	l := &mvt.Layer{Name: layer, Version: 2, Extent: 4096, Features: fs}
	ls := mvt.Layers{l}
	ls.ProjectToTile(t)
	ls.Clip(orb.Bound{Min: orb.Point{-tileBuffer, -tileBuffer}, Max: orb.Point{4096 + tileBuffer, 4096 + tileBuffer}})
	ls.RemoveEmpty(0, 0)
	if len(l.Features) == 0 {
		return []byte{}, nil
	}
	for _, f := range l.Features {
		f.Geometry = orientForMVT(f.Geometry)
	}
	return mvt.Marshal(ls)
}

// goFeatures returns q's features of a Go layer selected by q.BBox, q.ID
// and q.Scope, sorted by ID: one page of them (q.Offset, q.Limit), and how
// many match in all.
func (s *Stores) goFeatures(ctx context.Context, find FindFunc, q FeatureQuery) ([]*geojson.Feature, int, error) {
	sq := SourceQuery{Bound: q.BBox, Scope: q.Scope, Day: q.Day, Params: q.Params}
	if q.ID == nil {
		sq.Page = &SourcePage{Offset: q.Offset, Limit: q.Limit}
	}
	fs, err := find(ctx, sq)
	if err != nil {
		return nil, 0, err
	}
	if sq.Page != nil && sq.Page.Paged {
		return fs, sq.Page.Total, nil
	}
	// Each ID formatted once, not twice per comparison (a month's coverage
	// cells of a district are hundreds of thousands of features).
	type byID struct {
		id string
		f  *geojson.Feature
	}
	ids := make([]byID, 0, len(fs))
	for _, f := range fs {
		id := fmt.Sprint(f.ID)
		if q.ID == nil || id == *q.ID {
			ids = append(ids, byID{id, f})
		}
	}
	slices.SortFunc(ids, func(a, b byID) int { return strings.Compare(a.id, b.id) })
	from := min(q.Offset, len(ids))
	to := len(ids)
	if q.Limit > 0 {
		to = min(to, from+q.Limit)
	}
	page := make([]*geojson.Feature, 0, to-from)
	for _, x := range ids[from:to] {
		page = append(page, x.f)
	}
	return page, len(ids), nil
}

// Features returns one page of a layer's features.
func (s *Stores) Features(ctx context.Context, q FeatureQuery) ([]Feature, int, error) {
	find := s.Go[q.Layer]
	if find == nil {
		return s.SQL.Features(ctx, q)
	}
	fs, total, err := s.goFeatures(ctx, find, q)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Feature, 0, len(fs))
	for _, f := range fs {
		props, err := json.Marshal(f.Properties)
		if err != nil {
			return nil, 0, err
		}
		geom, err := json.Marshal(geojson.NewGeometry(f.Geometry))
		if err != nil {
			return nil, 0, err
		}
		out = append(out, Feature{ID: fmt.Sprint(f.ID), Properties: props, Geometry: geom})
	}
	return out, total, nil
}

// Feature returns one feature of a layer.
func (s *Stores) Feature(ctx context.Context, q FeatureQuery, id string) (*Feature, error) {
	if s.Go[q.Layer] == nil {
		return s.SQL.Feature(ctx, q, id)
	}
	return FeatureByID(ctx, s.Features, q, id)
}

// Extent returns the WGS84 bounds of a layer's features, nil when none.
// A Go layer's features (cells of grids) lie inside the grids of the
// reader's scope: their extent is that of the grids, which costs one
// query instead of computing every feature.
func (s *Stores) Extent(ctx context.Context, q FeatureQuery) ([]float64, error) {
	if s.Go[q.Layer] != nil {
		q = FeatureQuery{Layer: "grids", Scope: q.Scope, Day: q.Day}
	}
	return s.SQL.Extent(ctx, q)
}
