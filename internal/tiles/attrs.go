package tiles

import "github.com/paulmach/orb/geojson"

// Attr is one attribute of a snapshot feature: a string, or an integer
// when IsInt (encoded as MVT's sint_value, as orb encodes Go integers).
type Attr struct {
	Key   string
	Str   string
	Int   int64
	IsInt bool
}

// StringAttr is the string attribute key = v.
func StringAttr(key, v string) Attr { return Attr{Key: key, Str: v} }

// IntAttr is the integer attribute key = v.
func IntAttr(key string, v int64) Attr { return Attr{Key: key, Int: v, IsInt: true} }

// Attrs are a snapshot feature's attributes, each key once. A slice of
// typed values rather than geojson.Properties: a snapshot holds one per
// feature (21k maps of interfaces cost its load a fifth of its time) and
// the tile encoder interns them without boxing.
type Attrs []Attr

// Properties returns the attributes as GeoJSON properties (integers as
// int64).
func (a Attrs) Properties() geojson.Properties {
	p := make(geojson.Properties, len(a))
	for _, at := range a {
		if at.IsInt {
			p[at.Key] = at.Int
		} else {
			p[at.Key] = at.Str
		}
	}
	return p
}
