package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/tiles"
)

// registerTileRoutes (outside /api/v1; bearer token or ?key=):
//
//	GET /tiles/{layer}.json            TileJSON 3.0.0 of a layer
//	GET /tiles/{layer}/{z}/{x}/{y}.mvt Mapbox Vector Tile (ETag, If-None-Match → 304)
func (s *Server) registerTileRoutes(r chi.Router) {
	r.Get("/tiles/{layer}.json", s.h(s.tileJSON))
	r.Get("/tiles/{layer}/{z}/{x}/{y}.mvt", s.h(s.tile))
}

// registerLayerRoutes:
//
//	GET /api/v1/layers/{layer}.geojson  every feature of a layer in scope (bbox, level, at)
func (s *Server) registerLayerRoutes(r chi.Router) {
	r.Get("/layers/{layer}.geojson", s.h(s.layerGeoJSON))
}

// authenticateKeyOrBearer resolves a bearer token or, for desktop GIS
// clients that cannot send headers, an API key in ?key=.
func (s *Server) authenticateKeyOrBearer(next http.Handler) http.Handler {
	return s.h(func(w http.ResponseWriter, r *http.Request) error {
		var p *auth.Principal
		var err error
		if tok := bearer(r); tok != "" || s.Keys == nil {
			p, err = s.Auth.Authenticate(r.Context(), tok)
		} else {
			p, err = s.Keys.AuthenticateKey(r.Context(), r.URL.Query().Get("key"))
		}
		if err != nil {
			return err
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyPrincipal, p)))
		return nil
	})
}

// readableLayer returns the named layer if the caller may read it.
func (s *Server) readableLayer(r *http.Request, name string) (*tiles.Layer, error) {
	return s.Tiles.Registry.ReadableLayer(principal(r), name)
}

// tileScope is the caller's grid scope for the tile cache and the store.
func tileScope(p *auth.Principal) tiles.Scope {
	roots := p.GridScope()
	if roots == nil {
		return tiles.Scope{All: true}
	}
	return tiles.Scope{Roots: roots}
}

// scopeCodes is the scope roots for a query of layer l: nil (everything)
// for unscoped layers.
func scopeCodes(l *tiles.Layer, p *auth.Principal) []string {
	if !l.Scoped {
		return nil
	}
	return tileScope(p).Codes()
}

// baseURL is the scheme and host the client used.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// usedKey returns the API key the request authenticated with, if any, so
// links can carry it (GDAL and QGIS follow links as given).
func usedKey(r *http.Request) string {
	if bearer(r) != "" {
		return ""
	}
	return r.URL.Query().Get("key")
}

// linkTo returns the absolute URL of path with q, plus the caller's key.
func linkTo(r *http.Request, path string, q url.Values) string {
	if k := usedKey(r); k != "" {
		if q == nil {
			q = url.Values{}
		}
		q.Set("key", k)
	}
	u := baseURL(r) + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readableLayer(r, chi.URLParam(r, "layer"))
	if err != nil {
		return err
	}
	c, err := tiles.ParseCoord(chi.URLParam(r, "z"), chi.URLParam(r, "x"), chi.URLParam(r, "y"))
	if err != nil {
		return err
	}
	if c.Z < l.MinZoom || c.Z > l.MaxZoom {
		return errs.Invalidf("z", "invalid_tile", "layer %s is served from zoom %d to %d, got %d", l.Name, l.MinZoom, l.MaxZoom, c.Z)
	}
	params, err := l.ParamsFrom(r.URL.Query().Get)
	if err != nil {
		return err
	}
	t, err := s.Tiles.Tile(r.Context(), l, c, tileScope(principal(r)), params, r.Header.Get("If-None-Match"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", t.ETag)
	// Tiles differ by reader (scope), and change with every edit:
	// revalidate each time, which costs a 304 when nothing changed.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Vary", "Authorization")
	if t.NotModified {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	h.Set("Content-Length", strconv.Itoa(len(t.Data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(t.Data)
	return nil
}

func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readableLayer(r, chi.URLParam(r, "layer"))
	if err != nil {
		return err
	}
	p := principal(r)
	params, err := l.ParamsFrom(r.URL.Query().Get)
	if err != nil {
		return err
	}
	bounds, err := s.Features.Extent(r.Context(), tiles.FeatureQuery{Layer: l.Name, Scope: scopeCodes(l, p), Day: s.Tiles.Day(), Params: params})
	if err != nil {
		return err
	}
	// The tiles URL carries the layer's parameters as given.
	var pq url.Values
	for n, v := range params {
		if pq == nil {
			pq = url.Values{}
		}
		pq.Set(n, v)
	}
	tmpl := linkTo(r, "/tiles/"+l.Name+"/{z}/{x}/{y}.mvt", pq)
	// The template's braces must reach the client unescaped.
	tmpl = strings.NewReplacer("%7B", "{", "%7D", "}").Replace(tmpl)
	w.Header().Set("Cache-Control", "private, no-cache")
	return s.ok(w, r, l.TileJSON(tmpl, bounds, lang(r) == "en"))
}

// maxDownload bounds a GeoJSON download; narrow larger ones with bbox/level.
const maxDownload = 100000

func (s *Server) layerGeoJSON(w http.ResponseWriter, r *http.Request) error {
	l, err := s.readableLayer(r, chi.URLParam(r, "layer"))
	if err != nil {
		return err
	}
	q := tiles.FeatureQuery{Layer: l.Name, Scope: scopeCodes(l, principal(r)), Day: s.Tiles.Day(), Limit: maxDownload}
	if q.Params, err = l.ParamsFrom(r.URL.Query().Get); err != nil {
		return err
	}
	if q.BBox, err = queryBBox(r); err != nil {
		return err
	}
	if v := r.URL.Query().Get("level"); v != "" {
		if !l.ByLevel {
			return errs.Invalidf("level", "invalid_parameter", "layer %s has no levels", l.Name)
		}
		n, err := queryInt(r, "level", 0, 1, 32)
		if err != nil {
			return err
		}
		q.Level = &n
	}
	if v := r.URL.Query().Get("at"); v != "" {
		if !l.Temporal {
			return errs.Invalidf("at", "invalid_parameter", "layer %s has no history", l.Name)
		}
		if q.AsOf, err = parseInstant("at", v); err != nil {
			return err
		}
		q.Day = civilDay(*q.AsOf)
	}
	fs, matched, err := s.Features.Features(r.Context(), q)
	if err != nil {
		return err
	}
	if matched > len(fs) {
		return errs.E(errs.Unprocessable, "too_many_features", "%d features match; at most %d are downloaded at once: narrow with bbox or level", matched, maxDownload)
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+l.Name+`.geojson"`)
	w.Header().Set("Cache-Control", "private, no-cache")
	s.writeJSON(w, r, http.StatusOK, "application/geo+json", geoJSONCollection{Type: "FeatureCollection", Features: featuresJSON(fs),
		NumberMatched: &matched, NumberReturned: len(fs)})
	return nil
}
