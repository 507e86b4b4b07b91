// Package tiles is gridd's map-layer vocabulary: the registry of layers
// (each a reviewed query in the store, described here by its name, fields,
// zoom range, who may read it and which revisions it depends on), tile
// coordinates and their validation, and a cache of encoded tiles keyed by
// layer revision and access scope. It knows neither HTTP nor SQL.
//
// Adding a layer (e.g. cases or patrol coverage) takes three small steps:
//
//  1. a Layer entry in Builtin: name, fields, zoom range, Roles, Scoped,
//     Collection, and the layer_revisions entries it depends on (add your
//     row to layer_revisions in your migration and call bumpLayer in the
//     same transaction as every write of that data);
//  2. its tile query in tileQueries and its feature source in
//     featureQueries (internal/postgis/tile.go, feature.go), following the
//     shape of the grids queries (@z/@x/@y, @scope, bound parameters only);
//  3. nothing else: /tiles/{name}/{z}/{x}/{y}.mvt, /tiles/{name}.json,
//     /api/v1/layers/{name}.geojson and (with Collection) the OGC
//     collection are served from the registry, with caching and access.
//
// A layer whose features are computed in Go rather than selected by SQL
// (patrol coverage: cells of bit sets) registers a FindFunc in Stores
// instead of step 2; Stores encodes its tiles and pages its features.
//
// The registry refuses a layer the store has no query for.
package tiles

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
)

// FieldType is the type of an attribute, as TileJSON and OGC describe it.
type FieldType string

const (
	String  FieldType = "String"
	Number  FieldType = "Number"
	Boolean FieldType = "Boolean"
)

// Field is one attribute of a layer's features.
type Field struct {
	Name        string
	Type        FieldType
	Description string // English
	DescZH      string // Chinese
}

// Layer describes a map layer served as vector tiles, GeoJSON and (when
// Collection is set) OGC API Features collections.
type Layer struct {
	Name     string // URL name, [a-z][a-z0-9_]*
	Title    string // Chinese
	TitleEN  string
	Geometry string // "polygon", "line" or "point"
	Fields   []Field
	MinZoom  int
	MaxZoom  int
	// Revisions are the layer_revisions entries whose change changes this
	// layer's features; the cache key carries their current values.
	Revisions []string
	// Daily marks layers whose features depend on the date (e.g. the worker
	// assigned today), so cached tiles expire at midnight Asia/Shanghai.
	Daily bool
	// Roles that may read the layer; nil means every role.
	Roles []people.Role
	// Scoped layers are filtered by the reader's grid scope; unscoped layers
	// (reference geometry such as roads) are the same for every reader.
	Scoped bool
	// Collection publishes the layer at /ogc; ByLevel splits it into one
	// collection per grid level ("grids-level-3").
	Collection bool
	ByLevel    bool
	// Temporal layers answer "as of" queries (OGC datetime).
	Temporal bool
	// Params are the layer's own query parameters (e.g. the worker and
	// period of patrol coverage); their values are part of the cache key.
	Params []Param
}

// Param is a query parameter of a layer's tiles and features.
type Param struct {
	Name        string
	Description string // English
	DescZH      string // Chinese
	// Check validates a non-empty value; it returns an *errs.Error of kind
	// Invalid naming the parameter and what was expected.
	Check func(v string) error
}

// Params are the values of a layer's parameters, by name; absent or empty
// means the layer's default.
type Params map[string]string

// key is the canonical form of p for cache keys.
func (p Params) key() string {
	names := make([]string, 0, len(p))
	for n, v := range p {
		if v != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString("|" + n + "=" + p[n])
	}
	return b.String()
}

// ParamsFrom picks l's parameters from get (e.g. url.Values.Get) and
// checks them.
func (l *Layer) ParamsFrom(get func(string) string) (Params, error) {
	if len(l.Params) == 0 {
		return nil, nil
	}
	out := Params{}
	for _, p := range l.Params {
		v := get(p.Name)
		if v == "" {
			continue
		}
		if p.Check != nil {
			if err := p.Check(v); err != nil {
				return nil, err
			}
		}
		out[p.Name] = v
	}
	return out, nil
}

// FieldNames returns the names of l's fields.
func (l *Layer) FieldNames() []string {
	out := make([]string, len(l.Fields))
	for i, f := range l.Fields {
		out[i] = f.Name
	}
	return out
}

// CanRead reports whether role may read l.
func (l *Layer) CanRead(role people.Role) bool {
	return l.Roles == nil || slices.Contains(l.Roles, role)
}

var layerName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Registry is an immutable set of layers in a fixed order.
type Registry struct {
	byName map[string]*Layer
	order  []*Layer
}

// NewRegistry checks layers (unique valid names, zoom ranges, fields, and
// a query for each in has) and returns the registry.
func NewRegistry(has func(name string) bool, layers ...Layer) (*Registry, error) {
	r := &Registry{byName: map[string]*Layer{}}
	for i := range layers {
		l := layers[i]
		switch {
		case !layerName.MatchString(l.Name):
			return nil, fmt.Errorf("layer %q: name must match %s", l.Name, layerName)
		case r.byName[l.Name] != nil:
			return nil, fmt.Errorf("layer %q registered twice", l.Name)
		case l.MinZoom < 0 || l.MaxZoom > MaxZoom || l.MinZoom > l.MaxZoom:
			return nil, fmt.Errorf("layer %q: zoom range %d..%d outside 0..%d", l.Name, l.MinZoom, l.MaxZoom, MaxZoom)
		case len(l.Revisions) == 0:
			return nil, fmt.Errorf("layer %q: no revisions to invalidate its tiles by", l.Name)
		case !validParams(l.Params):
			return nil, fmt.Errorf("layer %q: a parameter is unnamed, named like a common one or repeated", l.Name)
		case has != nil && !has(l.Name):
			return nil, fmt.Errorf("layer %q has no query in the store", l.Name)
		}
		seen := map[string]bool{}
		for _, f := range l.Fields {
			if seen[f.Name] || f.Name == "" {
				return nil, fmt.Errorf("layer %q: field %q empty or repeated", l.Name, f.Name)
			}
			seen[f.Name] = true
		}
		r.byName[l.Name] = &l
		r.order = append(r.order, &l)
	}
	return r, nil
}

// reservedParams are query parameters the tile, GeoJSON and OGC routes
// use themselves.
var reservedParams = []string{"key", "bbox", "level", "at", "datetime", "limit", "offset", "f", "lang"}

func validParams(ps []Param) bool {
	seen := map[string]bool{}
	for _, p := range ps {
		if !layerName.MatchString(p.Name) || seen[p.Name] || slices.Contains(reservedParams, p.Name) {
			return false
		}
		seen[p.Name] = true
	}
	return true
}

// Layer returns the named layer or a NotFound error listing the layers.
func (r *Registry) Layer(name string) (*Layer, error) {
	if l, ok := r.byName[name]; ok {
		return l, nil
	}
	e := errs.E(errs.NotFound, "layer_not_found", "no map layer %q", name)
	for _, l := range r.order {
		e.Allowed = append(e.Allowed, l.Name)
	}
	return nil, e
}

// Layers returns the layers in registration order.
func (r *Registry) Layers() []*Layer { return slices.Clone(r.order) }

// Builtin returns gridd's own layers: grids, the topology audit, zones and
// roads.
func Builtin() []Layer {
	readers := []people.Role{people.RoleAdmin, people.RoleCenter, people.RoleViewer}
	return []Layer{
		{
			Name: "grids", Title: "网格", TitleEN: "Grids", Geometry: "polygon",
			Fields: []Field{
				{"code", String, "grid code (15 digits)", "网格编码"},
				{"name", String, "grid name", "网格名称"},
				{"level", Number, "level: 1 street/town, 2 village/community, 3 basic grid", "层级"},
				{"parent_code", String, "code of the parent grid, empty for a root", "上级网格编码"},
				{"worker", String, "name(s) of today's grid worker(s)", "当前网格员"},
				{"worker_username", String, "username(s) of today's grid worker(s)", "当前网格员账号"},
				{"households", Number, "households (official figure entered with the grid)", "户数（登记数）"},
				{"population", Number, "population (official figure entered with the grid)", "人口（登记数）"},
				{"registered_households", Number, "households in the base register within the grid and its children", "基础信息户数"},
				{"registered_people", Number, "people in the base register within the grid and its children", "基础信息人口数"},
				{"businesses", Number, "businesses in the base register within the grid and its children", "商户数"},
				{"places", Number, "places of concern in the base register within the grid and its children", "重点场所数"},
			},
			MinZoom: 0, MaxZoom: 22, Revisions: []string{"grids", "assignments", "registers"}, Daily: true,
			Scoped: true, Collection: true, ByLevel: true, Temporal: true,
		},
		{
			Name: "audit", Title: "网格拓扑问题", TitleEN: "Grid topology findings", Geometry: "polygon",
			Fields: []Field{
				{"kind", String, "gap (parent not covered by its children) or overlap (siblings overlap)", "问题类型：gap 空白，overlap 交叉"},
				{"parent_code", String, "parent grid whose children are audited", "上级网格编码"},
				{"codes", String, "overlapping grids, comma-separated", "相关网格编码"},
				{"area_m2", Number, "spheroidal area in square metres", "面积（平方米）"},
			},
			MinZoom: 0, MaxZoom: 22, Revisions: []string{"grids"}, Roles: readers, Scoped: true,
		},
		{
			Name: "zones", Title: "区域", TitleEN: "Zones", Geometry: "polygon",
			Fields: []Field{
				{"code", String, "zone code", "区域编码"},
				{"name", String, "zone name", "区域名称"},
				{"kind", String, "kind, e.g. seat_area", "区域类型"},
			},
			MinZoom: 0, MaxZoom: 22, Revisions: []string{"zones"}, Collection: true,
		},
		{
			Name: "roads", Title: "道路", TitleEN: "Roads", Geometry: "line",
			Fields: []Field{
				{"code", String, "road code", "道路编码"},
				{"name", String, "road name", "道路名称"},
				{"kind", String, "kind, e.g. main_road", "道路类型"},
			},
			MinZoom: 0, MaxZoom: 22, Revisions: []string{"roads"}, Collection: true,
		},
	}
}
