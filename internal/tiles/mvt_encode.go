package tiles

import (
	"sync"

	"github.com/paulmach/orb"
	"google.golang.org/protobuf/encoding/protowire"
)

// mvtLayer writes one Mapbox Vector Tile layer (specification 2.1,
// extent 4096) feature by feature, interning keys and values as it goes,
// straight into protobuf wire format.
//
// The snapshot renderer uses it instead of orb's mvt.Marshal, which builds
// a message object per feature and value and interns attributes through a
// map of interfaces: a fifth of a cold tile's CPU, and most of its garbage.
// The output decodes to the same layer (TestMVTLayerMatchesOrb): the same
// geometry commands as orb's encoder, integers as sint_value, strings as
// string_value.
type mvtLayer struct {
	keys    []string
	keyIdx  map[string]uint32
	strIdx  map[string]uint32
	intIdx  map[int64]uint32
	values  []byte // Value messages, each as the layer's field 4
	nvalues uint32
	feats   []byte // Feature messages, each as the layer's field 2
	n       int    // features written

	tags, geom   []uint32 // the current feature's
	prevX, prevY int32
}

var mvtLayers = sync.Pool{New: func() any {
	return &mvtLayer{keyIdx: map[string]uint32{}, strIdx: map[string]uint32{}, intIdx: map[int64]uint32{}}
}}

// newMVTLayer returns an empty layer from the pool; put it back with
// release once its bytes are marshalled.
func newMVTLayer() *mvtLayer { return mvtLayers.Get().(*mvtLayer) }

func (l *mvtLayer) release() {
	l.keys, l.values, l.feats, l.nvalues, l.n = l.keys[:0], l.values[:0], l.feats[:0], 0, 0
	clear(l.keyIdx)
	clear(l.strIdx)
	clear(l.intIdx)
	mvtLayers.Put(l)
}

func (l *mvtLayer) key(k string) uint32 {
	if i, ok := l.keyIdx[k]; ok {
		return i
	}
	i := uint32(len(l.keys))
	l.keys = append(l.keys, k)
	l.keyIdx[k] = i
	return i
}

func (l *mvtLayer) value(a Attr) uint32 {
	var i uint32
	var ok bool
	if a.IsInt {
		if i, ok = l.intIdx[a.Int]; ok {
			return i
		}
		v := protowire.EncodeZigZag(a.Int)
		l.values = protowire.AppendTag(l.values, 4, protowire.BytesType)
		l.values = protowire.AppendVarint(l.values, uint64(protowire.SizeTag(6)+protowire.SizeVarint(v)))
		l.values = protowire.AppendTag(l.values, 6, protowire.VarintType) // sint_value
		l.values = protowire.AppendVarint(l.values, v)
		l.intIdx[a.Int] = l.nvalues
	} else {
		if i, ok = l.strIdx[a.Str]; ok {
			return i
		}
		l.values = protowire.AppendTag(l.values, 4, protowire.BytesType)
		l.values = protowire.AppendVarint(l.values, uint64(protowire.SizeTag(1)+protowire.SizeBytes(len(a.Str))))
		l.values = protowire.AppendTag(l.values, 1, protowire.BytesType) // string_value
		l.values = protowire.AppendString(l.values, a.Str)
		l.strIdx[a.Str] = l.nvalues
	}
	l.nvalues++
	return l.nvalues - 1
}

// MVT geometry commands.
const (
	mvtMoveTo    = 1
	mvtLineTo    = 2
	mvtClosePath = 7
)

func (l *mvtLayer) command(id uint32, count int) { l.geom = append(l.geom, uint32(count)<<3|id) }

func (l *mvtLayer) points(ps []orb.Point) {
	for _, p := range ps {
		x, y := int32(p[0]), int32(p[1])
		dx, dy := x-l.prevX, y-l.prevY
		l.prevX, l.prevY = x, y
		l.geom = append(l.geom, uint32(dx<<1^dx>>31), uint32(dy<<1^dy>>31))
	}
}

func (l *mvtLayer) line(ls []orb.Point) {
	l.command(mvtMoveTo, 1)
	l.points(ls[:1])
	l.command(mvtLineTo, len(ls)-1)
	l.points(ls[1:])
}

// ring writes a ring without its closing point, then ClosePath.
func (l *mvtLayer) ring(r orb.Ring) {
	l.command(mvtMoveTo, 1)
	l.points(r[:1])
	rest := r[1:]
	if r.Closed() {
		rest = r[1 : len(r)-1]
	}
	l.command(mvtLineTo, len(rest))
	l.points(rest)
	l.command(mvtClosePath, 1)
}

// add writes one feature: g in tile coordinates (whole units), its
// polygons' rings wound for MVT; nothing for a geometry it cannot write.
func (l *mvtLayer) add(g orb.Geometry, attrs Attrs) {
	l.geom, l.prevX, l.prevY = l.geom[:0], 0, 0
	var typ uint64
	switch g := g.(type) {
	case orb.Point:
		typ = 1
		l.command(mvtMoveTo, 1)
		l.points([]orb.Point{g})
	case orb.LineString:
		typ = 2
		l.line(g)
	case orb.MultiLineString:
		typ = 2
		for _, ls := range g {
			l.line(ls)
		}
	case orb.Polygon:
		typ = 3
		for _, r := range g {
			l.ring(r)
		}
	case orb.MultiPolygon:
		typ = 3
		for _, p := range g {
			for _, r := range p {
				l.ring(r)
			}
		}
	default:
		return
	}
	l.tags = l.tags[:0]
	for _, a := range attrs {
		l.tags = append(l.tags, l.key(a.Key), l.value(a))
	}
	tags, geom := packedSize(l.tags), packedSize(l.geom)
	size := 0
	if len(l.tags) > 0 {
		size += protowire.SizeTag(2) + protowire.SizeBytes(tags)
	}
	size += protowire.SizeTag(3) + protowire.SizeVarint(typ) + protowire.SizeTag(4) + protowire.SizeBytes(geom)
	l.feats = protowire.AppendTag(l.feats, 2, protowire.BytesType)
	l.feats = protowire.AppendVarint(l.feats, uint64(size))
	if len(l.tags) > 0 {
		l.feats = appendPacked(l.feats, 2, tags, l.tags)
	}
	l.feats = protowire.AppendTag(l.feats, 3, protowire.VarintType)
	l.feats = protowire.AppendVarint(l.feats, typ)
	l.feats = appendPacked(l.feats, 4, geom, l.geom)
	l.n++
}

func packedSize(vs []uint32) int {
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(uint64(v))
	}
	return n
}

func appendPacked(b []byte, field protowire.Number, size int, vs []uint32) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(v))
	}
	return b
}

// marshal returns the tile holding the layer as name (empty when it has
// no feature).
func (l *mvtLayer) marshal(name string) []byte {
	if l.n == 0 {
		return []byte{}
	}
	keys := 0
	for _, k := range l.keys {
		keys += protowire.SizeTag(3) + protowire.SizeBytes(len(k))
	}
	const version, extent = 2, 4096
	size := protowire.SizeTag(1) + protowire.SizeBytes(len(name)) + len(l.feats) + keys + len(l.values) +
		protowire.SizeTag(5) + protowire.SizeVarint(extent) + protowire.SizeTag(15) + protowire.SizeVarint(version)
	b := make([]byte, 0, protowire.SizeTag(3)+protowire.SizeBytes(size))
	b = protowire.AppendTag(b, 3, protowire.BytesType) // Tile.layers
	b = protowire.AppendVarint(b, uint64(size))
	b = protowire.AppendTag(b, 1, protowire.BytesType) // name
	b = protowire.AppendString(b, name)
	b = append(b, l.feats...)
	for _, k := range l.keys {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, k)
	}
	b = append(b, l.values...)
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	b = protowire.AppendVarint(b, extent)
	b = protowire.AppendTag(b, 15, protowire.VarintType)
	b = protowire.AppendVarint(b, version)
	return b
}
