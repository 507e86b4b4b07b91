package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// registerConsoleRoutes mounts the web console (Deps.Console) when there is
// one. The routes are public: the page holds no data, everything it shows
// comes from the token-protected API.
//
//	GET /              the console page
//	GET /config.json   the page's settings (basemap URL)
//	GET /assets/*      the bundle, styles and icons
//	GET /m, /m/*       the field app (网格员移动端) and its service worker
func (s *Server) registerConsoleRoutes(r chi.Router) {
	if s.Console == nil {
		return
	}
	r.Method(http.MethodGet, "/", s.Console)
	r.Method(http.MethodGet, "/config.json", s.Console)
	r.Method(http.MethodGet, "/assets/*", s.Console)
	r.Method(http.MethodGet, "/m", s.Console)
	r.Method(http.MethodGet, "/m/*", s.Console)
}
