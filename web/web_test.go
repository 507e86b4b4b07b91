package web

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestHandlerFromDir serves a built dist directory: the page, its assets
// with ETags (304 on a match), the settings, and 404 for anything else.
func TestHandlerFromDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html><title>gridd</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "app.js"), []byte("console.log(1)"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := Handler(Options{Dir: dir, BasemapURL: "https://tiles.invalid/{z}/{x}/{y}.png", BasemapAttribution: "© test"})
	if err != nil {
		t.Fatal(err)
	}
	page := get(t, h, "/", nil)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "<title>gridd</title>") || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %q %s", page.Code, page.Header().Get("Content-Type"), page.Body)
	}
	if page.Header().Get("Content-Security-Policy") == "" {
		t.Error("the page has no Content-Security-Policy")
	}
	js := get(t, h, "/assets/app.js", nil)
	if js.Code != 200 || js.Body.String() != "console.log(1)" || !strings.HasPrefix(js.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("GET /assets/app.js: %d %q", js.Code, js.Header().Get("Content-Type"))
	}
	etag := js.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on an asset")
	}
	if again := get(t, h, "/assets/app.js", map[string]string{"If-None-Match": etag}); again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d, want 304", again.Code)
	}
	if icon := get(t, h, "/assets/favicon.svg", nil); icon.Code != 200 || icon.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("static favicon: %d %q", icon.Code, icon.Header().Get("Content-Type"))
	}
	var cfg map[string]string
	rec := get(t, h, "/config.json", nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &cfg); err != nil {
		t.Fatalf("config.json: %v: %s", err, rec.Body)
	}
	if cfg["basemap_url"] != "https://tiles.invalid/{z}/{x}/{y}.png" || cfg["basemap_attribution"] != "© test" {
		t.Errorf("config.json = %v", cfg)
	}
	for _, p := range []string{"/assets/missing.js", "/assets/../../etc/passwd", "/index.htm"} {
		if rec := get(t, h, p, nil); rec.Code != 404 {
			t.Errorf("GET %s: %d, want 404", p, rec.Code)
		}
	}
}

// TestHandlerNotBuilt: without a bundle the page says how to build it, in
// Chinese and English, instead of failing.
func TestHandlerNotBuilt(t *testing.T) {
	h, err := Handler(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rec := get(t, h, "/", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "make web") {
		t.Errorf("GET / without a bundle: %d %s", rec.Code, rec.Body)
	}
	var cfg map[string]string
	if err := json.Unmarshal(get(t, h, "/config.json", nil).Body.Bytes(), &cfg); err != nil || cfg["basemap_url"] != "" {
		t.Errorf("config.json without a basemap: %v %v", cfg, err)
	}
}

// TestEmbedded checks the embedded copy loads (whether or not the bundle
// was built before compiling).
func TestEmbedded(t *testing.T) {
	h, err := Handler(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec := get(t, h, "/", nil); rec.Code != 200 {
		t.Errorf("embedded page: %d", rec.Code)
	}
}

// TestFieldAppRoutesAndGzip serves the field app under /m/ (and /m
// redirects there), its manifest and service worker with their types, and
// compresses text once: gzip to clients that accept it, identity to others,
// each with its own ETag.
func TestFieldAppRoutesAndGzip(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	js := strings.Repeat("console.log('gridd field app');\n", 200)
	files := map[string]string{
		"index.html":             "<!doctype html><title>console</title>",
		"m/index.html":           "<!doctype html><title>field</title>",
		"m/app.js":               js,
		"m/sw.js":                "self.addEventListener('fetch', () => {});",
		"m/manifest.webmanifest": `{"name":"gridd","start_url":"/m/","display":"standalone"}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := Handler(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r := get(t, h, "/m", nil); r.Code != http.StatusMovedPermanently || r.Header().Get("Location") != "/m/" {
		t.Errorf("GET /m: %d → %q, want 301 to /m/", r.Code, r.Header().Get("Location"))
	}
	page := get(t, h, "/m/", nil)
	if page.Code != 200 || !strings.Contains(page.Body.String(), "<title>field</title>") || !strings.Contains(page.Header().Get("Content-Security-Policy"), "worker-src 'self'") {
		t.Fatalf("GET /m/: %d %q csp %q", page.Code, page.Body, page.Header().Get("Content-Security-Policy"))
	}
	if c := get(t, h, "/", nil); !strings.Contains(c.Body.String(), "<title>console</title>") {
		t.Errorf("the console's page changed: %q", c.Body)
	}
	if m := get(t, h, "/m/manifest.webmanifest", nil); m.Code != 200 || m.Header().Get("Content-Type") != "application/manifest+json" {
		t.Errorf("manifest: %d %q", m.Code, m.Header().Get("Content-Type"))
	}
	if sw := get(t, h, "/m/sw.js", nil); sw.Code != 200 || !strings.HasPrefix(sw.Header().Get("Content-Type"), "text/javascript") || sw.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("sw.js: %d %q %q", sw.Code, sw.Header().Get("Content-Type"), sw.Header().Get("Cache-Control"))
	}
	plain := get(t, h, "/m/app.js", nil)
	if plain.Header().Get("Content-Encoding") != "" || plain.Body.String() != js {
		t.Fatalf("without Accept-Encoding: encoding %q, %d bytes", plain.Header().Get("Content-Encoding"), plain.Body.Len())
	}
	gz := get(t, h, "/m/app.js", map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() >= len(js)/5 {
		t.Fatalf("with gzip: encoding %q, %d bytes of %d", gz.Header().Get("Content-Encoding"), gz.Body.Len(), len(js))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != js {
		t.Error("the gzip body does not decompress to the file")
	}
	if gz.Header().Get("ETag") == plain.Header().Get("ETag") || !strings.Contains(gz.Header().Get("Vary"), "Accept-Encoding") {
		t.Errorf("ETags %q and %q, Vary %q: want distinct ETags and Vary: Accept-Encoding", gz.Header().Get("ETag"), plain.Header().Get("ETag"), gz.Header().Get("Vary"))
	}
	if r := get(t, h, "/m/app.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); r.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
	if again := get(t, h, "/m/app.js", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gz.Header().Get("ETag")}); again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the gzip ETag: %d, want 304", again.Code)
	}
}
