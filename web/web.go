// Package web is gridd's browser console (the grid center's map) and the
// grid workers' field app. The pages and their assets (bundles built by
// esbuild from src/ and m/ into dist/) are embedded in the binary; the
// pages hold no data, everything they show comes from the token-protected
// API.
//
// Routes served by Handler:
//
//	GET /              the console page (dist/index.html)
//	GET /config.json   deployment settings the page reads at start (basemap URL)
//	GET /assets/{file} the bundle (dist/assets) and static files (static/)
//	GET /m/            the field app (dist/m/index.html); /m redirects here
//	GET /m/{file}      its bundle, manifest.webmanifest, icons and service worker (sw.js)
//
// Text files (JS, CSS, HTML, JSON, SVG, the manifest) are gzip-compressed
// once, when Handler is called, and served compressed to clients that
// accept gzip.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"time"
)

//go:embed all:dist static
var embedded embed.FS

// Options configure the console.
type Options struct {
	// BasemapURL is an XYZ ({z}/{x}/{y}) or WMTS KVP tile URL template drawn
	// under the grids; empty means no basemap (the grid layers and roads draw
	// the town, and the console works offline).
	BasemapURL string
	// BasemapAttribution is shown beside the basemap.
	BasemapAttribution string
	// Dir, when set, serves dist/ from this directory instead of the embedded
	// copy (development and tests that build the bundle after compiling).
	Dir string
}

type file struct {
	body  []byte
	etag  string
	ctype string
	// gz is body gzip-compressed (nil when that does not make it smaller).
	gz []byte
}

// Handler serves the console. Files are read once, when Handler is called.
func Handler(o Options) (http.Handler, error) {
	var dist fs.FS
	if o.Dir != "" {
		dist = os.DirFS(o.Dir)
	} else {
		sub, err := fs.Sub(embedded, "dist")
		if err != nil {
			return nil, err
		}
		dist = sub
	}
	h := &handler{files: map[string]*file{}}
	if err := h.load(dist, "assets", "assets"); err != nil {
		return nil, err
	}
	static, err := fs.Sub(embedded, "static")
	if err != nil {
		return nil, err
	}
	if err := h.load(static, ".", "assets"); err != nil {
		return nil, err
	}
	if err := h.load(dist, "m", "m"); err != nil {
		return nil, err
	}
	index, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		index = notBuilt
	}
	h.files["index.html"] = newFile("index.html", index)
	cfg, err := json.Marshal(map[string]string{"basemap_url": o.BasemapURL, "basemap_attribution": o.BasemapAttribution})
	if err != nil {
		return nil, err
	}
	h.files["config.json"] = newFile("config.json", cfg)
	return h, nil
}

// notBuilt is served at / when the binary was compiled before the bundle.
var notBuilt = []byte(`<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>gridd</title>
<p>控制台尚未构建：请运行 <code>make web</code> 后重新编译。</p>
<p lang="en">The console was not built: run <code>make web</code>, then rebuild gridd.</p></html>
`)

type handler struct {
	files map[string]*file
}

func newFile(name string, b []byte) *file {
	sum := sha256.Sum256(b)
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js", ".mjs":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	case ".json":
		ct = "application/json"
	case ".webmanifest":
		ct = "application/manifest+json"
	case ".html":
		ct = "text/html; charset=utf-8"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	f := &file{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ct}
	if compressible(ct) && len(b) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		if buf.Len() < len(b) {
			f.gz = buf.Bytes()
		}
	}
	return f
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/json", "application/manifest+json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) == "gzip" || strings.TrimSpace(name) == "*" {
			return strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0"
		}
	}
	return false
}

// load reads every regular file under dir of fsys into h.files under prefix.
func (h *handler) load(fsys fs.FS, dir, prefix string) error {
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		h.files[path.Join(prefix, rel)] = newFile(p, b)
		return nil
	})
	if err != nil && os.IsNotExist(err) {
		return nil // the bundle is not built yet
	}
	return err
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/m" {
		http.Redirect(w, r, "/m/", http.StatusMovedPermanently)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	switch name {
	case "":
		name = "index.html"
	case "m":
		name = "m/index.html"
	}
	f, ok := h.files[name]
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch name {
	case "index.html":
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: *; connect-src 'self' *; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
	case "m/index.html":
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self' 'unsafe-inline'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
	}
	w.Header().Set("Cache-Control", "no-cache")
	body, etag := f.body, f.etag
	if f.gz != nil {
		w.Header().Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
