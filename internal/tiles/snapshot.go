package tiles

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
	"golang.org/x/sync/singleflight"
)

// SnapshotFeature is one feature of a snapshot layer.
type SnapshotFeature struct {
	Geometry orb.Geometry // WGS84 polygons or lines
	Attrs    Attrs
	// Codes are the grids whose subtree readers see the feature: the grid
	// itself and its ancestors.
	Codes []string
}

// SnapshotLoader reads every feature of a layer as of day.
type SnapshotLoader func(ctx context.Context, day time.Time) ([]SnapshotFeature, error)

// SnapshotAttrsLoader reads every feature's attributes as of day, by the
// feature's first code.
type SnapshotAttrsLoader func(ctx context.Context, day time.Time) (map[string]Attrs, error)

// Snapshot renders a layer's tiles in Go from an in-memory copy of all its
// features, taken once per version of the layer (its revisions and day,
// TileQuery.Version) and shared by every tile of that version: a tile
// cache miss costs a bucket lookup, projection, clipping, simplification
// and encoding in process, instead of a query that transforms and clips
// every feature in PostGIS. A request of a newer version reloads the copy
// first (one query), so a tile after a committed write never shows the old
// data.
//
// With Attrs and Shapes set, a new version whose Shapes revision is
// unchanged (e.g. only today's workers or the register counts changed)
// reloads only the features' attributes (Attrs, keyed by the feature's
// first code) and keeps the geometry, bounds and index.
//
// With Patch set, a new version of the same day patches only the features
// changed since the current copy (SnapshotPatcher): an edit of one grid,
// assignment or register count rereads that grid, not all of them.
type Snapshot struct {
	Layer  string
	Load   SnapshotLoader
	Attrs  SnapshotAttrsLoader
	Shapes string // the revision (TileQuery.Version's "name=token") that changes the geometry
	Patch  SnapshotPatcher

	cur    atomic.Pointer[snap]
	flight singleflight.Group
}

type snap struct {
	version string
	day     time.Time
	mark    string // the Patch mark this copy is current to ("" without Patch)
	feats   []SnapshotFeature
	bounds  []orb.Bound
	index   *bucketIndex
	pos     map[string]int // feature index by first code (with Patch)
}

// get returns the snapshot of version, loading it when it is not current.
func (s *Snapshot) get(ctx context.Context, version string, day time.Time) (*snap, error) {
	if c := s.cur.Load(); c != nil && c.version == version {
		return c, nil
	}
	v, err := shared(ctx, &s.flight, version, func(ctx context.Context) (any, error) {
		if c := s.cur.Load(); c != nil && c.version == version {
			return c, nil
		}
		if c := s.cur.Load(); c != nil && s.Patch != nil && c.mark != "" && c.day.Equal(day) {
			sn, ok, err := s.patch(ctx, c, version, day)
			if err != nil {
				return nil, err
			}
			if ok {
				s.cur.Store(sn)
				return sn, nil
			}
		}
		if sn, ok, err := s.refreshAttrs(ctx, version, day); ok || err != nil {
			return sn, err
		}
		var mark string
		if s.Patch != nil {
			var err error
			if mark, err = s.Patch.Mark(ctx); err != nil {
				return nil, err
			}
		}
		feats, err := s.Load(ctx, day)
		if err != nil {
			return nil, err
		}
		sn := &snap{version: version, day: day, mark: mark, feats: feats, bounds: make([]orb.Bound, len(feats))}
		for i, f := range feats {
			sn.bounds[i] = f.Geometry.Bound()
		}
		sn.index = newBucketIndex(sn.bounds)
		if s.Patch != nil {
			sn.pos = positions(feats)
		}
		s.cur.Store(sn)
		return sn, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*snap), nil
}

// refreshAttrs makes the snapshot of version from the current one with
// fresh attributes, when only attributes can have changed; ok false when
// the whole layer must be loaded.
func (s *Snapshot) refreshAttrs(ctx context.Context, version string, day time.Time) (*snap, bool, error) {
	c := s.cur.Load()
	if c == nil || s.Attrs == nil || s.Shapes == "" {
		return nil, false, nil
	}
	shapes := revisionIn(version, s.Shapes)
	if shapes == "" || shapes != revisionIn(c.version, s.Shapes) {
		return nil, false, nil
	}
	attrs, err := s.Attrs(ctx, day)
	if err != nil {
		return nil, false, err
	}
	feats := make([]SnapshotFeature, len(c.feats))
	for i, f := range c.feats {
		p, ok := attrs[f.Codes[0]]
		if !ok { // a feature gone: its geometry changed after all
			return nil, false, nil
		}
		feats[i] = SnapshotFeature{Geometry: f.Geometry, Attrs: p, Codes: f.Codes}
	}
	if len(attrs) != len(feats) { // a feature added
		return nil, false, nil
	}
	// Only the attributes are new: the mark stays (a grid changed since it
	// is simply reread by the next patch).
	sn := &snap{version: version, day: day, mark: c.mark, feats: feats, bounds: c.bounds, index: c.index, pos: c.pos}
	s.cur.Store(sn)
	return sn, true, nil
}

// revisionIn returns "name=token" of version (segments split by "|"), or "".
func revisionIn(version, name string) string {
	for _, seg := range strings.Split(version, "|") {
		if strings.HasPrefix(seg, name+"=") {
			return seg
		}
	}
	return ""
}

// Tile renders one tile of the snapshot's layer.
func (s *Snapshot) Tile(ctx context.Context, q TileQuery) ([]byte, error) {
	sn, err := s.get(ctx, q.Version, q.Day)
	if err != nil {
		return nil, err
	}
	pr := newTileProjection(q.Coord)
	win := pr.bound(tileBuffer)
	var roots map[string]bool
	if q.Scope != nil {
		roots = make(map[string]bool, len(q.Scope))
		for _, c := range q.Scope {
			roots[c] = true
		}
	}
	box := orb.Bound{Min: orb.Point{-tileBuffer, -tileBuffer}, Max: orb.Point{4096 + tileBuffer, 4096 + tileBuffer}}
	dp := simplify.DouglasPeucker(1) // one tile unit, as the SQL layers' ST_Simplify
	enc := newMVTLayer()
	defer enc.release()
	sc := tileScratches.Get().(*tileScratch)
	defer tileScratches.Put(sc)
	sc.clip.box = box
	for _, i := range sn.index.query(win, sn.bounds) {
		f := &sn.feats[i]
		if roots != nil && !slices.ContainsFunc(f.Codes, func(c string) bool { return roots[c] }) {
			continue
		}
		sc.pts, sc.clip.pts = sc.pts[:0], sc.clip.pts[:0]
		g, gb := pr.project(f.Geometry, &sc.pts)
		if !box.Intersects(gb) {
			continue
		}
		if !box.Contains(gb.Min) || !box.Contains(gb.Max) { // wholly inside needs no clipping
			if g = sc.clip.geometry(g); g == nil {
				continue
			}
		}
		g = dp.Simplify(g)
		if g = dropDegenerate(g); g == nil {
			continue
		}
		enc.add(orientForMVT(g), f.Attrs)
	}
	return enc.marshal(s.Layer), nil
}

// tileScratch holds one feature's points at a time, reused across
// features and tiles: projected (pts; each ring a slice of it) and clipped
// (the clipper's own); simplification and winding work in place.
type tileScratch struct {
	pts  []orb.Point
	clip clipper
}

var tileScratches = sync.Pool{New: func() any { return new(tileScratch) }}

// tileProjection maps WGS84 to the tile's 4096-unit grid (web mercator,
// y down), rounding to whole units as ST_AsMVTGeom does.
type tileProjection struct {
	world, x0, y0 float64
}

func newTileProjection(c Coord) tileProjection {
	world := 4096 * math.Exp2(float64(c.Z))
	return tileProjection{world: world, x0: float64(c.X) * 4096, y0: float64(c.Y) * 4096}
}

func (p tileProjection) point(q orb.Point) orb.Point {
	x := (q[0] + 180) / 360 * p.world
	s := math.Sin(q[1] * math.Pi / 180)
	y := (0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)) * p.world
	return orb.Point{math.Round(x - p.x0), math.Round(y - p.y0)}
}

// bound is the WGS84 bound of the tile grown by buf units on each side.
func (p tileProjection) bound(buf float64) orb.Bound {
	lon := func(x float64) float64 { return (x+p.x0)/p.world*360 - 180 }
	lat := func(y float64) float64 {
		n := math.Pi * (1 - 2*(y+p.y0)/p.world)
		return math.Atan(math.Sinh(n)) * 180 / math.Pi
	}
	return orb.Bound{Min: orb.Point{lon(-buf), lat(4096 + buf)}, Max: orb.Point{lon(4096 + buf), lat(-buf)}}
}

// project returns a projected copy of g (the snapshot is shared), its
// points appended to arena, and its bound.
func (p tileProjection) project(g orb.Geometry, arena *[]orb.Point) (orb.Geometry, orb.Bound) {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	ring := func(r []orb.Point) []orb.Point {
		a := slices.Grow(*arena, len(r)+1)
		start := len(a)
		out := a[start:start:cap(a)]
		for _, q := range r {
			pt := p.point(q)
			if n := len(out); n > 0 && out[n-1] == pt {
				continue // collapsed at this zoom
			}
			out = append(out, pt)
			b.Min[0], b.Min[1] = min(b.Min[0], pt[0]), min(b.Min[1], pt[1])
			b.Max[0], b.Max[1] = max(b.Max[0], pt[0]), max(b.Max[1], pt[1])
		}
		if n := len(r); n > 1 && r[0] == r[n-1] && len(out) > 1 && out[0] != out[len(out)-1] {
			out = append(out, out[0]) // keep a ring closed when its last points collapsed
		}
		*arena = a[:start+len(out)]
		return out[:len(out):len(out)]
	}
	polygon := func(pg orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(pg))
		for i, r := range pg {
			out[i] = ring(r)
		}
		return out
	}
	switch g := g.(type) {
	case orb.Polygon:
		return polygon(g), b
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, pg := range g {
			out[i] = polygon(pg)
		}
		return out, b
	case orb.LineString:
		return orb.LineString(ring(g)), b
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = ring(l)
		}
		return out, b
	case orb.Point:
		pt := p.point(g)
		return pt, pt.Bound()
	}
	return nil, b
}

// dropDegenerate removes rings of under four points (a polygon whose outer
// ring is gone goes with it) and lines of under two; nil when nothing is
// left.
func dropDegenerate(g orb.Geometry) orb.Geometry {
	poly := func(p orb.Polygon) orb.Polygon {
		if len(p) == 0 || len(p[0]) < 4 {
			return nil
		}
		out := orb.Polygon{p[0]}
		for _, r := range p[1:] {
			if len(r) >= 4 {
				out = append(out, r)
			}
		}
		return out
	}
	switch g := g.(type) {
	case orb.Polygon:
		if p := poly(g); p != nil {
			return p
		}
	case orb.MultiPolygon:
		var out orb.MultiPolygon
		for _, p := range g {
			if p = poly(p); p != nil {
				out = append(out, p)
			}
		}
		if len(out) == 1 {
			return out[0]
		}
		if len(out) > 1 {
			return out
		}
	case orb.LineString:
		if len(g) >= 2 {
			return g
		}
	case orb.MultiLineString:
		var out orb.MultiLineString
		for _, l := range g {
			if len(l) >= 2 {
				out = append(out, l)
			}
		}
		if len(out) > 0 {
			return out
		}
	case orb.Point:
		return g
	}
	return nil
}

// orientForMVT winds polygon rings as the MVT specification wants in tile
// coordinates (y down): exterior rings with positive area (orb's CCW in
// these coordinates), holes the other way.
func orientForMVT(g orb.Geometry) orb.Geometry {
	fix := func(p orb.Polygon) {
		for i, r := range p {
			want := orb.CW
			if i == 0 {
				want = orb.CCW
			}
			if o := r.Orientation(); o != want && o != 0 {
				r.Reverse()
			}
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		fix(g)
	case orb.MultiPolygon:
		for _, p := range g {
			fix(p)
		}
	}
	return g
}

// bucketIndex is a uniform grid of buckets over the features' extent, each
// listing the features whose bounds meet it.
type bucketIndex struct {
	ext      orb.Bound
	nx, ny   int
	dx, dy   float64
	start    []int32
	items    []int32
	scratch  sync.Pool
	features int
}

func newBucketIndex(bounds []orb.Bound) *bucketIndex {
	ix := &bucketIndex{features: len(bounds)}
	if len(bounds) == 0 {
		return ix
	}
	ix.ext = bounds[0]
	for _, b := range bounds[1:] {
		ix.ext = ix.ext.Union(b)
	}
	side := max(1, int(math.Sqrt(float64(len(bounds)))/2))
	ix.nx, ix.ny = side, side
	ix.dx = max((ix.ext.Max[0]-ix.ext.Min[0])/float64(side), 1e-9)
	ix.dy = max((ix.ext.Max[1]-ix.ext.Min[1])/float64(side), 1e-9)
	counts := make([]int32, side*side+1)
	for _, b := range bounds {
		x0, y0, x1, y1 := ix.cells(b)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				counts[y*side+x+1]++
			}
		}
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	ix.start = counts
	ix.items = make([]int32, counts[len(counts)-1])
	fill := make([]int32, side*side)
	for i, b := range bounds {
		x0, y0, x1, y1 := ix.cells(b)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				k := y*side + x
				ix.items[ix.start[k]+fill[k]] = int32(i)
				fill[k]++
			}
		}
	}
	return ix
}

// cells is the bucket range a bound meets, clamped to the grid.
func (ix *bucketIndex) cells(b orb.Bound) (x0, y0, x1, y1 int) {
	c := func(v, lo, d float64, n int) int { return min(n-1, max(0, int((v-lo)/d))) }
	return c(b.Min[0], ix.ext.Min[0], ix.dx, ix.nx), c(b.Min[1], ix.ext.Min[1], ix.dy, ix.ny),
		c(b.Max[0], ix.ext.Min[0], ix.dx, ix.nx), c(b.Max[1], ix.ext.Min[1], ix.dy, ix.ny)
}

// query returns the features whose bounds meet b, in feature order.
func (ix *bucketIndex) query(b orb.Bound, bounds []orb.Bound) []int {
	if ix.features == 0 || !b.Intersects(ix.ext) {
		return nil
	}
	seen, _ := ix.scratch.Get().([]uint64)
	if len(seen) < (ix.features+63)/64 {
		seen = make([]uint64, (ix.features+63)/64)
	}
	var out []int
	x0, y0, x1, y1 := ix.cells(b)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			k := y*ix.nx + x
			for _, i := range ix.items[ix.start[k]:ix.start[k+1]] {
				if seen[i>>6]&(1<<(i&63)) != 0 {
					continue
				}
				seen[i>>6] |= 1 << (i & 63)
				if bounds[i].Intersects(b) {
					out = append(out, int(i))
				}
			}
		}
	}
	clear(seen)
	ix.scratch.Put(seen)
	slices.Sort(out)
	return out
}
