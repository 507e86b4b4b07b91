package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"
)

// OGC API Features Part 2 (CRS by reference): besides CRS84 the collections
// are offered in EPSG:4490, CGCS2000, China's national datum. CGCS2000 and
// WGS84 (CRS84's datum) differ by a few centimetres, below the precision of
// the grids, so coordinates are the same numbers; what changes is the axis
// order, which EPSG:4490 defines as latitude, longitude — for output
// geometries and for bbox when bbox-crs names it.
const epsg4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"

var supportedCRS = []string{crs84, epsg4490}

func checkCRS(param, v string) (string, error) {
	switch v {
	case "":
		return crs84, nil
	case crs84, epsg4490:
		return v, nil
	}
	return "", errs.Invalidf(param, "unsupported_crs", "want one of %s or %s, got %q", crs84, epsg4490, v)
}

// outputCRS returns the crs the caller asked for (CRS84 by default) and
// sets the Content-Crs header.
func outputCRS(w http.ResponseWriter, r *http.Request) (string, error) {
	c, err := checkCRS("crs", r.URL.Query().Get("crs"))
	if err == nil {
		w.Header().Set("Content-Crs", "<"+c+">")
	}
	return c, err
}

// inCRS rewrites features' geometries for crs (latitude first for EPSG:4490).
func inCRS(fs []tiles.Feature, crs string) ([]tiles.Feature, error) {
	if crs != epsg4490 {
		return fs, nil
	}
	out := make([]tiles.Feature, len(fs))
	for i, f := range fs {
		g, err := geojson.UnmarshalGeometry(f.Geometry)
		if err != nil {
			return nil, err
		}
		swapped, err := json.Marshal(geojson.NewGeometry(latLon(g.Geometry())))
		if err != nil {
			return nil, err
		}
		f.Geometry = swapped
		out[i] = f
	}
	return out, nil
}

// latLon returns a copy of g with each point's axes swapped.
func latLon(g orb.Geometry) orb.Geometry {
	return project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })
}
