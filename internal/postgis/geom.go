package postgis

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
)

// The geometry type is registered with pgx's bytea codec, so geometry
// parameters and columns are EWKB bytes. These helpers convert between the
// domain's orb values and go-geom's EWKB encoding, keeping the SRID.

const srid = 4326

func encodeGeom(g orb.Geometry) ([]byte, error) {
	var gg geom.T
	switch v := g.(type) {
	case orb.MultiPolygon:
		mp := geom.NewMultiPolygon(geom.XY).SetSRID(srid)
		for _, p := range v {
			gp, err := toPolygon(p)
			if err != nil {
				return nil, err
			}
			if err := mp.Push(gp); err != nil {
				return nil, err
			}
		}
		gg = mp
	case orb.Polygon:
		gp, err := toPolygon(v)
		if err != nil {
			return nil, err
		}
		gg = gp.SetSRID(srid)
	case orb.LineString:
		ls, err := geom.NewLineString(geom.XY).SetCoords(toCoords(v))
		if err != nil {
			return nil, err
		}
		gg = ls.SetSRID(srid)
	case orb.Point:
		gg = geom.NewPointFlat(geom.XY, []float64{v[0], v[1]}).SetSRID(srid)
	case orb.MultiLineString:
		mls := geom.NewMultiLineString(geom.XY).SetSRID(srid)
		for _, l := range v {
			ls, err := geom.NewLineString(geom.XY).SetCoords(toCoords(l))
			if err != nil {
				return nil, err
			}
			if err := mls.Push(ls); err != nil {
				return nil, err
			}
		}
		gg = mls
	default:
		return nil, fmt.Errorf("encode geometry: unsupported type %T", g)
	}
	var buf bytes.Buffer
	if err := ewkb.Write(&buf, binary.LittleEndian, gg); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func toCoords(ls []orb.Point) []geom.Coord {
	cs := make([]geom.Coord, len(ls))
	for i, p := range ls {
		cs[i] = geom.Coord{p[0], p[1]}
	}
	return cs
}

func toPolygon(p orb.Polygon) (*geom.Polygon, error) {
	rings := make([][]geom.Coord, len(p))
	for i, r := range p {
		rings[i] = toCoords(r)
	}
	return geom.NewPolygon(geom.XY).SetCoords(rings)
}

func decodeGeom(b []byte) (orb.Geometry, error) {
	if b == nil {
		return nil, nil
	}
	g, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode geometry: %w", err)
	}
	switch v := g.(type) {
	case *geom.MultiPolygon:
		mp := make(orb.MultiPolygon, v.NumPolygons())
		for i := range mp {
			mp[i] = fromPolygon(v.Polygon(i))
		}
		return mp, nil
	case *geom.Polygon:
		return fromPolygon(v), nil
	case *geom.LineString:
		return fromCoords(v.Coords()), nil
	case *geom.Point:
		return orb.Point{v.X(), v.Y()}, nil
	case *geom.MultiLineString:
		mls := make(orb.MultiLineString, v.NumLineStrings())
		for i := range mls {
			mls[i] = fromCoords(v.LineString(i).Coords())
		}
		return mls, nil
	}
	return nil, fmt.Errorf("decode geometry: unsupported type %T", g)
}

func fromCoords(cs []geom.Coord) orb.LineString {
	ls := make(orb.LineString, len(cs))
	for i, c := range cs {
		ls[i] = orb.Point{c[0], c[1]}
	}
	return ls
}

func fromPolygon(p *geom.Polygon) orb.Polygon {
	out := make(orb.Polygon, p.NumLinearRings())
	for i := range out {
		out[i] = orb.Ring(fromCoords(p.LinearRing(i).Coords()))
	}
	return out
}

func decodeMultiPolygon(b []byte) (orb.MultiPolygon, error) {
	g, err := decodeGeom(b)
	if err != nil {
		return nil, err
	}
	switch v := g.(type) {
	case orb.MultiPolygon:
		return v, nil
	case orb.Polygon:
		return orb.MultiPolygon{v}, nil
	}
	return nil, fmt.Errorf("decode geometry: want a multipolygon, got %T", g)
}
