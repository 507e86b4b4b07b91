package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/demo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// decodeTile decodes an MVT body and checks the invariants every tile
// keeps: version 2, extent 4096, coordinates inside the 64-unit buffer.
func decodeTile(t *testing.T, body []byte) map[string]*mvt.Layer {
	t.Helper()
	ls, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range ls {
		if l.Extent != 4096 {
			t.Errorf("layer %s: extent %d, want 4096", l.Name, l.Extent)
		}
		for _, f := range l.Features {
			b := f.Geometry.Bound()
			if b.Min[0] < -64 || b.Min[1] < -64 || b.Max[0] > 4096+64 || b.Max[1] > 4096+64 {
				t.Errorf("layer %s: feature %v outside the buffered tile: %v", l.Name, f.Properties, b)
			}
		}
		out[l.Name] = l
	}
	return out
}

func tilePath(layer string, tl maptile.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, tl.Z, tl.X, tl.Y)
}

// gridTile is the z tile at the centre of a grid's bounds.
func gridTile(t *testing.T, ta *testApp, code string, z maptile.Zoom) maptile.Tile {
	t.Helper()
	g, err := ta.grids.FindGridByCode(context.Background(), code, nil)
	if err != nil {
		t.Fatal(err)
	}
	return maptile.At(g.Geometry.Bound().Center(), z)
}

func feats(l *mvt.Layer) []*geojson.Feature {
	if l == nil {
		return nil
	}
	return l.Features
}

func featureCodes(l *mvt.Layer) []string {
	if l == nil {
		return nil
	}
	var out []string
	for _, f := range l.Features {
		out = append(out, f.Properties.MustString("code", ""))
	}
	sort.Strings(out)
	return out
}

func findFeature(l *mvt.Layer, code string) *geojson.Feature {
	if l == nil {
		return nil
	}
	for _, f := range l.Features {
		if f.Properties.MustString("code", "") == code {
			return f
		}
	}
	return nil
}

func TestTileGridsAttributesAndClipping(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	tl := gridTile(t, ta, ownGrid, 16)
	res := ta.do("GET", tilePath("grids", tl), tok, nil, nil)
	if res.Status != 200 || res.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("tile: %d %s %s", res.Status, res.Header.Get("Content-Type"), truncate(res.Body))
	}
	ls := decodeTile(t, res.Body)
	l := ls["grids"]
	f := findFeature(l, ownGrid)
	if f == nil {
		t.Fatalf("grid %s missing from its own tile %v: %v", ownGrid, tl, featureCodes(l))
	}
	g, _ := ta.grids.FindGridByCode(context.Background(), ownGrid, nil)
	p := f.Properties
	if p.MustString("name", "") != g.Name || int(p.MustFloat64("level", 0)) != 3 ||
		int(p.MustFloat64("households", -1)) != g.Households || int(p.MustFloat64("population", -1)) != g.Population ||
		p.MustString("parent_code", "") != g.ParentCode {
		t.Errorf("attributes of %s: %v, want name %s level 3 households %d population %d parent %s", ownGrid, p, g.Name, g.Households, g.Population, g.ParentCode)
	}
	if p.MustString("worker_username", "") != ownGrid || p.MustString("worker", "") == "" {
		t.Errorf("worker of %s: %q (%q), want the demo worker %s", ownGrid, p.MustString("worker", ""), p.MustString("worker_username", ""), ownGrid)
	}
	// A z16 tile (~500 m) is smaller than the town: the level-1 polygon
	// must be clipped to the buffered tile, i.e. reach its buffer edges.
	town := findFeature(l, "370114001000000")
	if town == nil {
		t.Fatalf("the town polygon is missing from %v", tl)
	}
	if b := town.Geometry.Bound(); b.Min[0] != -64 || b.Min[1] != -64 || b.Max[0] != 4160 || b.Max[1] != 4160 {
		t.Errorf("town polygon not clipped to the buffered tile: bounds %v", b)
	}
	// Every level is present in that tile.
	levels := map[int]bool{}
	for _, f := range l.Features {
		levels[int(f.Properties.MustFloat64("level", 0))] = true
	}
	if !levels[1] || !levels[2] || !levels[3] {
		t.Errorf("levels in %v: %v, want 1, 2 and 3", tl, levels)
	}
	// A tile far from the town is empty.
	far := maptile.At(orb.Point{100, 30}, 14)
	res = ta.do("GET", tilePath("grids", far), tok, nil, nil)
	if res.Status != 200 || len(feats(decodeTile(t, res.Body)["grids"])) != 0 {
		t.Errorf("far tile: %d, %d bytes; want an empty 200", res.Status, len(res.Body))
	}
}

func TestTileZonesAndRoads(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login(ownGrid) // reference layers are the same for every reader
	tl := maptile.At(orb.Point{demo.CenterLon, demo.CenterLat}, 12)
	for _, layer := range []string{"zones", "roads"} {
		res := ta.do("GET", tilePath(layer, tl), tok, nil, nil)
		if res.Status != 200 {
			t.Fatalf("%s: %d %s", layer, res.Status, truncate(res.Body))
		}
		l := decodeTile(t, res.Body)[layer]
		if l == nil || len(l.Features) == 0 {
			t.Fatalf("%s: no features in %v", layer, tl)
		}
		for _, f := range l.Features {
			if f.Properties.MustString("code", "") == "" || f.Properties.MustString("name", "") == "" || f.Properties.MustString("kind", "") == "" {
				t.Errorf("%s: feature without code/name/kind: %v", layer, f.Properties)
			}
			gt := f.Geometry.GeoJSONType()
			if layer == "roads" && gt != "LineString" && gt != "MultiLineString" || layer == "zones" && gt != "Polygon" && gt != "MultiPolygon" {
				t.Errorf("%s: geometry %s", layer, gt)
			}
		}
	}
}

// golden tiles: decoded features compared with testdata/tiles/*.json.
func TestTileGolden(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	c := orb.Point{demo.CenterLon, demo.CenterLat}
	cases := []struct {
		name  string
		layer string
		tile  maptile.Tile
	}{
		{"grids_z13_center", "grids", maptile.At(c, 13)},
		{"grids_z15_own", "grids", gridTile(t, ta, ownGrid, 15)},
		{"zones_z14_center", "zones", maptile.At(c, 14)},
		{"roads_z13_center", "roads", maptile.At(c, 13)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := ta.do("GET", tilePath(tc.layer, tc.tile), tok, nil, nil)
			if res.Status != 200 {
				t.Fatalf("%d %s", res.Status, truncate(res.Body))
			}
			got := goldenTile(t, tc.tile, decodeTile(t, res.Body))
			path := filepath.Join("testdata", "tiles", tc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(got) != string(want) {
				fail := filepath.Join(t.TempDir(), "failure_"+tc.name+".txt")
				_ = os.WriteFile(fail, got, 0o644)
				t.Errorf("tile %v differs from %s; got written to %s", tc.tile, path, fail)
			}
		})
	}
}

// goldenTile renders decoded layers as stable text: per layer a header
// line, then one JSON line per feature (properties and geometry in tile
// coordinates), sorted.
func goldenTile(t *testing.T, tl maptile.Tile, ls map[string]*mvt.Layer) []byte {
	t.Helper()
	var names []string
	for n := range ls {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "tile %d/%d/%d\n", tl.Z, tl.X, tl.Y)
	for _, n := range names {
		l := ls[n]
		fmt.Fprintf(&b, "layer %s version %d extent %d features %d\n", n, l.Version, l.Extent, len(l.Features))
		var lines []string
		for _, f := range l.Features {
			line, err := json.Marshal(struct {
				Properties geojson.Properties `json:"properties"`
				Geometry   *geojson.Geometry  `json:"geometry"`
			}{f.Properties, geojson.NewGeometry(f.Geometry)})
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(line))
		}
		sort.Strings(lines)
		for _, line := range lines {
			b.WriteString(line + "\n")
		}
	}
	return []byte(b.String())
}

// TestTileStaleAfterEdit: a tile fetched after a committed edit shows it.
func TestTileStaleAfterEdit(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	tl := gridTile(t, ta, otherGrid, 14)
	path := tilePath("grids", tl)
	first := ta.do("GET", path, tok, nil, nil)
	if first.Status != 200 || findFeature(decodeTile(t, first.Body)["grids"], otherGrid) == nil {
		t.Fatalf("first fetch: %d, grid %s present: %v", first.Status, otherGrid, first.Status == 200)
	}
	etag := first.Header.Get("ETag")
	if cc := first.Header.Get("Cache-Control"); !strings.Contains(cc, "private") || etag == "" {
		t.Errorf("Cache-Control %q, ETag %q: want private and an ETag", cc, etag)
	}
	// Cached and unchanged: the same ETag, and 304 on If-None-Match.
	if again := ta.do("GET", path, tok, nil, nil); again.Header.Get("ETag") != etag || string(again.Body) != string(first.Body) {
		t.Errorf("second fetch changed without an edit")
	}
	if nm := ta.do("GET", path, tok, nil, map[string]string{"If-None-Match": etag}); nm.Status != http.StatusNotModified || len(nm.Body) != 0 {
		t.Errorf("If-None-Match: %d with %d bytes, want 304 and no body", nm.Status, len(nm.Body))
	}
	g, err := ta.grids.FindGridByCode(context.Background(), otherGrid, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := ta.do("PATCH", "/api/v1/grids/"+otherGrid, tok, map[string]string{"name": "新名字网格"},
		map[string]string{"If-Match": strconv.Quote(strconv.Itoa(g.Version))})
	if res.Status != 200 {
		t.Fatalf("patch: %d %s", res.Status, res.Body)
	}
	after := ta.do("GET", path, tok, nil, map[string]string{"If-None-Match": etag})
	if after.Status != 200 {
		t.Fatalf("after edit with the old ETag: %d, want 200 with the new tile", after.Status)
	}
	f := findFeature(decodeTile(t, after.Body)["grids"], otherGrid)
	if f == nil || f.Properties.MustString("name", "") != "新名字网格" {
		t.Fatalf("after edit: grid %s shows %v, want name 新名字网格", otherGrid, f)
	}
	if after.Header.Get("ETag") == etag {
		t.Errorf("ETag unchanged after an edit")
	}
	// Assignments are part of the layer too: ending the worker's
	// assignment today removes the worker from the tile.
	own := gridTile(t, ta, ownGrid, 14)
	before := findFeature(decodeTile(t, ta.do("GET", tilePath("grids", own), tok, nil, nil).Body)["grids"], ownGrid)
	if before == nil || before.Properties.MustString("worker_username", "") != ownGrid {
		t.Fatalf("worker before: %v", before)
	}
	if _, err := ta.db.Pool.Exec(context.Background(), `DELETE FROM grid_assignments WHERE grid_code = $1 AND grid_role = 'worker'`, ownGrid); err != nil {
		t.Fatal(err)
	}
	// Changed behind gridd's back (psql): the layer's revision reaches the
	// instance by notification, within a second.
	within(t, "assignment removed in psql", time.Now(), func() string {
		afterW := findFeature(decodeTile(t, ta.do("GET", tilePath("grids", own), tok, nil, nil).Body)["grids"], ownGrid)
		if afterW == nil || afterW.Properties.MustString("worker_username", "x") != "" {
			return fmt.Sprintf("worker after removing the assignment: %v, want none", afterW)
		}
		return ""
	})
}

// TestTileWorkerScope: a worker's token sees only its grid, in tiles, OGC
// items and downloads.
func TestTileWorkerScope(t *testing.T) {
	ta := newTestApp(t, true)
	wtok := ta.login(ownGrid)
	ctok := ta.login("center")
	tl := maptile.At(orb.Point{demo.CenterLon, demo.CenterLat}, 11) // the whole town
	res := ta.do("GET", tilePath("grids", tl), wtok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("worker tile: %d %s", res.Status, res.Body)
	}
	if got := featureCodes(decodeTile(t, res.Body)["grids"]); !slices.Equal(got, []string{ownGrid}) {
		t.Errorf("worker's tile holds %v, want only %s", got, ownGrid)
	}
	// The same tile for the center (cached separately) holds all 40 grids.
	if got := featureCodes(decodeTile(t, ta.do("GET", tilePath("grids", tl), ctok, nil, nil).Body)["grids"]); len(got) != 40 {
		t.Errorf("center's tile holds %d grids, want 40", len(got))
	}
	if res := ta.do("GET", tilePath("audit", tl), wtok, nil, nil); res.Status != 403 {
		t.Errorf("worker reading the audit layer: %d, want 403", res.Status)
	}
	var fc struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
		NumberMatched int `json:"numberMatched"`
	}
	ta.do("GET", "/ogc/collections/grids-level-3/items", wtok, nil, nil).decode(t, &fc)
	if fc.NumberMatched != 1 || len(fc.Features) != 1 || fc.Features[0].ID != ownGrid {
		t.Errorf("worker's OGC items: %+v, want only %s", fc, ownGrid)
	}
	ta.do("GET", "/ogc/collections/grids-level-1/items", wtok, nil, nil).decode(t, &fc)
	if fc.NumberMatched != 0 {
		t.Errorf("worker sees %d level-1 grids, want 0", fc.NumberMatched)
	}
	if res := ta.do("GET", "/ogc/collections/grids-level-3/items/"+otherGrid, wtok, nil, nil); res.Status != 404 {
		t.Errorf("worker reading another grid's item: %d, want 404", res.Status)
	}
	if res := ta.do("GET", "/ogc/collections/grids-level-3/items/"+ownGrid, wtok, nil, nil); res.Status != 200 {
		t.Errorf("worker reading its own grid's item: %d", res.Status)
	}
	ta.do("GET", "/api/v1/layers/grids.geojson", wtok, nil, nil).decode(t, &fc)
	if len(fc.Features) != 1 || fc.Features[0].ID != ownGrid {
		t.Errorf("worker's download: %+v", fc)
	}
}

func TestTileValidation(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	for _, p := range []struct{ path, field string }{
		{"/tiles/grids/23/0/0.mvt", "z"},
		{"/tiles/grids/-1/0/0.mvt", "z"},
		{"/tiles/grids/z/0/0.mvt", "z"},
		{"/tiles/grids/3/8/0.mvt", "x"},
		{"/tiles/grids/3/-1/0.mvt", "x"},
		{"/tiles/grids/3/0/8.mvt", "y"},
		{"/tiles/grids/0/0/1.mvt", "y"},
		{"/tiles/grids/14/1e3/2.mvt", "x"},
	} {
		res := ta.do("GET", p.path, tok, nil, nil)
		var pr struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		if res.Status != 400 {
			t.Errorf("%s: %d, want 400", p.path, res.Status)
			continue
		}
		res.decode(t, &pr)
		if len(pr.Errors) != 1 || pr.Errors[0].Field != p.field {
			t.Errorf("%s: errors %+v, want field %s", p.path, pr.Errors, p.field)
		}
	}
	if res := ta.do("GET", "/tiles/nosuch/1/0/0.mvt", tok, nil, nil); res.Status != 404 {
		t.Errorf("unknown layer: %d", res.Status)
	}
	for _, p := range []string{"/tiles/grids/1/0/0.mvt", "/tiles/grids.json", "/ogc", "/ogc/collections/grids-level-3/items",
		"/ogc/collections?key=gk_wrong", "/tiles/grids/1/0/0.mvt?key=nonsense"} {
		if res := ta.do("GET", p, "", nil, nil); res.Status != 401 {
			t.Errorf("%s without credentials: %d, want 401", p, res.Status)
		}
	}
	for _, p := range []string{"/ogc/collections/grids-level-3/items?limit=0", "/ogc/collections/grids-level-3/items?offset=-1",
		"/ogc/collections/grids-level-3/items?bbox=1,2,3", "/ogc/collections/grids-level-3/items?datetime=yesterday",
		"/ogc/collections/zones/items?datetime=2026-01-01", "/ogc/collections?f=xml", "/api/v1/layers/roads.geojson?level=2"} {
		if res := ta.do("GET", p, tok, nil, nil); res.Status != 400 {
			t.Errorf("%s: %d, want 400: %s", p, res.Status, truncate(res.Body))
		}
	}
}

func TestTileJSON(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	var tj struct {
		TileJSON     string    `json:"tilejson"`
		Tiles        []string  `json:"tiles"`
		Bounds       []float64 `json:"bounds"`
		MinZoom      int       `json:"minzoom"`
		MaxZoom      int       `json:"maxzoom"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	res := ta.do("GET", "/tiles/grids.json", tok, nil, nil)
	res.decode(t, &tj)
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || !strings.HasSuffix(tj.Tiles[0], "/tiles/grids/{z}/{x}/{y}.mvt") ||
		tj.MinZoom != 0 || tj.MaxZoom != 22 || len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "grids" ||
		tj.VectorLayers[0].Fields["worker"] != "String" || tj.VectorLayers[0].Fields["households"] != "Number" {
		t.Errorf("tilejson: %s", res.Body)
	}
	if len(tj.Bounds) != 4 || tj.Bounds[0] > demo.CenterLon || tj.Bounds[2] < demo.CenterLon || tj.Bounds[1] > demo.CenterLat || tj.Bounds[3] < demo.CenterLat {
		t.Errorf("bounds %v do not hold the town centre", tj.Bounds)
	}
	// With an API key the tile URL carries it, so map clients can follow it.
	key := createKey(t, ta, tok)
	ta.do("GET", "/tiles/roads.json?key="+key, "", nil, nil).decode(t, &tj)
	if len(tj.Tiles) != 1 || !strings.HasSuffix(tj.Tiles[0], "/tiles/roads/{z}/{x}/{y}.mvt?key="+key) {
		t.Errorf("tile URL with a key: %v", tj.Tiles)
	}
}

func createKey(t *testing.T, ta *testApp, tok string) string {
	t.Helper()
	res := ta.do("POST", "/api/v1/auth/api-keys", tok, map[string]string{"name": "QGIS 测试"}, nil)
	var k struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	res.decode(t, &k)
	if res.Status != 201 || k.Key == "" {
		t.Fatalf("create key: %d %s", res.Status, res.Body)
	}
	return k.Key
}

func TestAPIKeys(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login(ownGrid)
	key := createKey(t, ta, tok)
	var list struct {
		Keys []map[string]any `json:"api_keys"`
	}
	ta.do("GET", "/api/v1/auth/api-keys", tok, nil, nil).decode(t, &list)
	if len(list.Keys) != 1 || list.Keys[0]["name"] != "QGIS 测试" || list.Keys[0]["key"] != nil {
		t.Fatalf("key list: %+v (the key itself must not be listed)", list.Keys)
	}
	id := int64(list.Keys[0]["id"].(float64))
	// The key resolves to the same principal: the worker's scope.
	var fc struct {
		NumberMatched int `json:"numberMatched"`
	}
	res := ta.do("GET", "/ogc/collections/grids-level-3/items?key="+url.QueryEscape(key), "", nil, nil)
	res.decode(t, &fc)
	if res.Status != 200 || fc.NumberMatched != 1 {
		t.Errorf("items with the worker's key: %d, %d matched, want 200 and 1", res.Status, fc.NumberMatched)
	}
	// Another user cannot revoke it; the owner can, and then it fails.
	if res := ta.do("DELETE", fmt.Sprintf("/api/v1/auth/api-keys/%d", id), ta.login("admin"), nil, nil); res.Status != 404 {
		t.Errorf("revoking another user's key: %d, want 404", res.Status)
	}
	if res := ta.do("DELETE", fmt.Sprintf("/api/v1/auth/api-keys/%d", id), tok, nil, nil); res.Status != 204 {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/ogc/collections?key="+url.QueryEscape(key), "", nil, nil); res.Status != 401 {
		t.Errorf("revoked key: %d, want 401", res.Status)
	}
	for _, body := range []any{map[string]string{"name": ""}, map[string]string{"name": strings.Repeat("长", 101)}, map[string]any{"name": "x", "extra": 1}} {
		if res := ta.do("POST", "/api/v1/auth/api-keys", tok, body, nil); res.Status != 400 {
			t.Errorf("create key %v: %d, want 400", body, res.Status)
		}
	}
	if res := ta.do("DELETE", "/api/v1/auth/api-keys/abc", tok, nil, nil); res.Status != 400 {
		t.Errorf("revoke id abc: %d, want 400", res.Status)
	}
}

type ogcLinkT struct {
	Href, Rel, Type string
}

func linkOf(links []ogcLinkT, rel string) *ogcLinkT {
	for i := range links {
		if links[i].Rel == rel {
			return &links[i]
		}
	}
	return nil
}

func TestOGCFeatures(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	var landing struct {
		Links []ogcLinkT `json:"links"`
	}
	ta.do("GET", "/ogc", tok, nil, nil).decode(t, &landing)
	sd := linkOf(landing.Links, "service-desc")
	if sd == nil || sd.Type != "application/vnd.oai.openapi+json;version=3.0" || linkOf(landing.Links, "conformance") == nil || linkOf(landing.Links, "data") == nil {
		t.Fatalf("landing links: %+v", landing.Links)
	}
	u, _ := url.Parse(sd.Href)
	res := ta.do("GET", u.RequestURI(), tok, nil, nil)
	var oas struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	res.decode(t, &oas)
	if res.Header.Get("Content-Type") != "application/vnd.oai.openapi+json;version=3.0" || !strings.HasPrefix(oas.OpenAPI, "3.0") || oas.Paths["/collections/{collectionId}/items"] == nil {
		t.Errorf("openapi: %s %s", res.Header.Get("Content-Type"), truncate(res.Body))
	}
	var conf struct {
		ConformsTo []string `json:"conformsTo"`
	}
	ta.do("GET", "/ogc/conformance", tok, nil, nil).decode(t, &conf)
	if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core") {
		t.Errorf("conformance: %v", conf.ConformsTo)
	}
	var cols struct {
		Collections []struct {
			ID     string `json:"id"`
			Extent struct {
				Spatial struct {
					BBox [][]float64 `json:"bbox"`
				} `json:"spatial"`
			} `json:"extent"`
		} `json:"collections"`
	}
	ta.do("GET", "/ogc/collections", tok, nil, nil).decode(t, &cols)
	var ids []string
	for _, c := range cols.Collections {
		ids = append(ids, c.ID)
		if len(c.Extent.Spatial.BBox) != 1 || len(c.Extent.Spatial.BBox[0]) != 4 {
			t.Errorf("collection %s: no spatial extent", c.ID)
		}
	}
	if !slices.Equal(ids, []string{"grids-level-1", "grids-level-2", "grids-level-3", "zones", "roads", "cases", "coverage"}) {
		t.Errorf("collections %v", ids)
	}

	// Paging: next/prev links, numberMatched/numberReturned, nothing lost.
	type items struct {
		Type           string     `json:"type"`
		NumberMatched  int        `json:"numberMatched"`
		NumberReturned int        `json:"numberReturned"`
		Links          []ogcLinkT `json:"links"`
		Features       []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type string `json:"type"`
			} `json:"geometry"`
		} `json:"features"`
	}
	seen := map[string]bool{}
	path := "/ogc/collections/grids-level-3/items?limit=10"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		var it items
		res := ta.do("GET", path, tok, nil, nil)
		if ct := res.Header.Get("Content-Type"); ct != "application/geo+json" {
			t.Errorf("items content type %q", ct)
		}
		res.decode(t, &it)
		if it.Type != "FeatureCollection" || it.NumberMatched != 26 || it.NumberReturned != len(it.Features) {
			t.Fatalf("page %s: matched %d returned %d of %d", path, it.NumberMatched, it.NumberReturned, len(it.Features))
		}
		for _, f := range it.Features {
			if seen[f.ID] || f.Properties["level"] != 3.0 || f.Geometry.Type != "MultiPolygon" || f.Properties["worker"] == "" {
				t.Errorf("feature %s: %v %s (duplicate %v)", f.ID, f.Properties, f.Geometry.Type, seen[f.ID])
			}
			seen[f.ID] = true
		}
		if pages > 0 && linkOf(it.Links, "prev") == nil {
			t.Errorf("page %d has no prev link", pages)
		}
		path = ""
		if n := linkOf(it.Links, "next"); n != nil {
			u, _ := url.Parse(n.Href)
			path = u.RequestURI()
		}
	}
	if len(seen) != 26 {
		t.Errorf("paged through %d level-3 grids, want 26", len(seen))
	}
	// limit is capped at 10000; bbox filters.
	var it items
	ta.do("GET", "/ogc/collections/grids-level-3/items?limit=50000", tok, nil, nil).decode(t, &it)
	if it.NumberReturned != 26 || linkOf(it.Links, "next") != nil {
		t.Errorf("limit 50000: %d returned", it.NumberReturned)
	}
	g, _ := ta.grids.FindGridByCode(context.Background(), ownGrid, nil)
	c := g.Geometry.Bound().Center()
	bbox := fmt.Sprintf("%f,%f,%f,%f", c[0]-0.0001, c[1]-0.0001, c[0]+0.0001, c[1]+0.0001)
	ta.do("GET", "/ogc/collections/grids-level-3/items?bbox="+bbox, tok, nil, nil).decode(t, &it)
	if it.NumberMatched < 1 || it.NumberMatched > 4 {
		t.Errorf("bbox %s: %d grids", bbox, it.NumberMatched)
	}
	// datetime: before the demo grids existed there are none; after an
	// edit, an instant before it shows the old name.
	ta.do("GET", "/ogc/collections/grids-level-3/items?datetime=2024-06-01T00:00:00Z", tok, nil, nil).decode(t, &it)
	if it.NumberMatched != 0 {
		t.Errorf("datetime 2024: %d grids, want 0", it.NumberMatched)
	}
	res = ta.do("PATCH", "/api/v1/grids/"+ownGrid, tok, map[string]string{"name": "改过的网格"}, map[string]string{"If-Match": strconv.Quote(strconv.Itoa(g.Version))})
	if res.Status != 200 {
		t.Fatalf("patch: %d %s", res.Status, res.Body)
	}
	var one struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
	}
	ta.do("GET", "/ogc/collections/grids-level-3/items/"+ownGrid+"?datetime=2025-06-01", tok, nil, nil).decode(t, &one)
	if one.ID != ownGrid || one.Properties["name"] != g.Name {
		t.Errorf("as of 2025-06-01: %v, want the old name %s", one.Properties["name"], g.Name)
	}
	ta.do("GET", "/ogc/collections/grids-level-3/items/"+ownGrid, tok, nil, nil).decode(t, &one)
	if one.Properties["name"] != "改过的网格" {
		t.Errorf("current: %v, want 改过的网格", one.Properties["name"])
	}
	if res := ta.do("GET", "/ogc/collections/nosuch/items", tok, nil, nil); res.Status != 404 {
		t.Errorf("unknown collection: %d", res.Status)
	}
	// HTML view, Chinese by default, English on request.
	res = ta.do("GET", "/ogc/collections/grids-level-3/items", tok, nil, map[string]string{"Accept": "text/html"})
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(res.Body), "网格") || !strings.Contains(string(res.Body), ownGrid) {
		t.Errorf("html items: %s %s", res.Header.Get("Content-Type"), truncate(res.Body))
	}
	res = ta.do("GET", "/ogc/collections?f=html&lang=en", tok, nil, nil)
	if !strings.Contains(string(res.Body), "Collections") || !strings.Contains(string(res.Body), "Grids (level 3)") {
		t.Errorf("english html: %s", truncate(res.Body))
	}
}

func TestOGCLinksCarryKey(t *testing.T) {
	ta := newTestApp(t, true)
	key := createKey(t, ta, ta.login("admin"))
	var it struct {
		Links []ogcLinkT `json:"links"`
	}
	ta.do("GET", "/ogc/collections/grids-level-3/items?limit=5&key="+key, "", nil, nil).decode(t, &it)
	n := linkOf(it.Links, "next")
	if n == nil {
		t.Fatalf("no next link: %+v", it.Links)
	}
	u, _ := url.Parse(n.Href)
	if u.Query().Get("key") != key || u.Query().Get("offset") != "5" || u.Query().Get("limit") != "5" {
		t.Errorf("next link %s does not carry key, offset 5 and limit 5", n.Href)
	}
	// Followed without any other credential, it works.
	if res := ta.do("GET", u.RequestURI(), "", nil, nil); res.Status != 200 {
		t.Errorf("following next: %d", res.Status)
	}
}

func TestLayerGeoJSONDownload(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	res := ta.do("GET", "/api/v1/layers/grids.geojson?level=3", tok, nil, nil)
	res.decode(t, &fc)
	if res.Header.Get("Content-Type") != "application/geo+json" || len(fc.Features) != 26 {
		t.Errorf("grids level 3: %s, %d features", res.Header.Get("Content-Type"), len(fc.Features))
	}
	ta.do("GET", "/api/v1/layers/grids.geojson", tok, nil, nil).decode(t, &fc)
	if len(fc.Features) != 40 {
		t.Errorf("all grids: %d, want 40", len(fc.Features))
	}
	for _, layer := range []string{"zones", "roads", "audit"} {
		res := ta.do("GET", "/api/v1/layers/"+layer+".geojson", tok, nil, nil)
		if res.Status != 200 {
			t.Errorf("%s: %d %s", layer, res.Status, truncate(res.Body))
		}
		res.decode(t, &fc)
		if layer != "audit" && len(fc.Features) == 0 {
			t.Errorf("%s: empty", layer)
		}
		if layer == "audit" && len(fc.Features) != 0 {
			t.Errorf("audit of the clean demo town: %d findings", len(fc.Features))
		}
	}
	if res := ta.do("GET", "/api/v1/layers/nosuch.geojson", tok, nil, nil); res.Status != 404 {
		t.Errorf("unknown layer: %d", res.Status)
	}
}

// TestTileAuditLayer: a grid shrunk by an edit leaves a gap in its parent,
// which the audit layer shows right away.
func TestTileAuditLayer(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	tl := gridTile(t, ta, otherGrid, 13)
	if l := decodeTile(t, ta.do("GET", tilePath("audit", tl), tok, nil, nil).Body)["audit"]; l != nil && len(l.Features) > 0 {
		t.Fatalf("clean demo town has %d audit findings", len(l.Features))
	}
	ctx := context.Background()
	g, err := ta.grids.FindGridByCode(ctx, otherGrid, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Shrink the grid to a small square around its centre: its parent now
	// has a gap where the rest of the grid was.
	c := g.Geometry.Bound().Center()
	sq := orb.MultiPolygon{{{{c[0] - 0.001, c[1] - 0.001}, {c[0] + 0.001, c[1] - 0.001}, {c[0] + 0.001, c[1] + 0.001}, {c[0] - 0.001, c[1] + 0.001}, {c[0] - 0.001, c[1] - 0.001}}}}
	gj, _ := json.Marshal(geojson.NewGeometry(sq))
	res := ta.do("PATCH", "/api/v1/grids/"+otherGrid+"?accept_gaps=true", tok, map[string]any{"geometry": json.RawMessage(gj)},
		map[string]string{"If-Match": strconv.Quote(strconv.Itoa(g.Version))})
	if res.Status != 200 {
		t.Fatalf("patch geometry: %d %s", res.Status, res.Body)
	}
	l := decodeTile(t, ta.do("GET", tilePath("audit", tl), tok, nil, nil).Body)["audit"]
	var gaps int
	for _, f := range feats(l) {
		if f.Properties.MustString("kind", "") == "gap" && f.Properties.MustString("parent_code", "") == g.ParentCode && f.Properties.MustFloat64("area_m2", 0) > 1000 {
			gaps++
		}
	}
	if gaps == 0 {
		t.Errorf("no gap in %s after shrinking %s: %v", g.ParentCode, otherGrid, l)
	}
}

// TestGDALReadsOGCAndTiles drives GDAL's ogrinfo as an outside client:
// OAPIF against the running server with an API key, and MVT on a saved
// tile. A missing ogrinfo fails the test.
func TestGDALReadsOGCAndTiles(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatalf("ogrinfo (gdal-bin) is required: %v", err)
	}
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	key := createKey(t, ta, tok)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(ogrinfo, args...)
		cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=30", "CPL_DEBUG=OFF")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	ds := "OAPIF:" + ta.srv.URL + "/ogc?key=" + key
	out := run("-ro", "-so", ds)
	for _, id := range []string{"grids-level-1", "grids-level-2", "grids-level-3", "zones", "roads"} {
		if !strings.Contains(out, id) {
			t.Errorf("ogrinfo does not list %s:\n%s", id, out)
		}
	}
	// Small pages force GDAL to follow next links (which carry the key).
	out = run("-ro", "-oo", "PAGE_SIZE=10", ds, "grids-level-3")
	if n := strings.Count(out, "OGRFeature(grids-level-3)"); n != 26 {
		t.Errorf("ogrinfo read %d level-3 grids, want 26:\n%s", n, truncate([]byte(out)))
	}
	for _, field := range []string{"code (String)", "name (String)", "worker (String)", "households (Integer", "population (Integer"} {
		if !strings.Contains(out, field) {
			t.Errorf("ogrinfo schema lacks %q", field)
		}
	}
	if !strings.Contains(out, "code (String) = "+ownGrid) {
		t.Errorf("ogrinfo output lacks grid %s", ownGrid)
	}
	// A saved z14 tile read by GDAL's MVT driver.
	tl := gridTile(t, ta, ownGrid, 14)
	res := ta.do("GET", tilePath("grids", tl), tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("tile: %d", res.Status)
	}
	file := filepath.Join(t.TempDir(), "saved_tile.pbf")
	if err := os.WriteFile(file, res.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	out = run("-ro", "-oo", fmt.Sprintf("X=%d", tl.X), "-oo", fmt.Sprintf("Y=%d", tl.Y), "-oo", "Z=14", "MVT:"+file, "grids")
	want := len(decodeTile(t, res.Body)["grids"].Features)
	m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(want) {
		t.Errorf("ogrinfo MVT feature count %v, want %d:\n%s", m, want, truncate([]byte(out)))
	}
	if !strings.Contains(out, "code (String) = "+ownGrid) {
		t.Errorf("ogrinfo MVT output lacks grid %s", ownGrid)
	}
}

// TestOGCCRS4490: OGC API Features Part 2 — the collections offer
// EPSG:4490 (CGCS2000); asked for it, geometries come latitude first with
// a Content-Crs header, and a bbox in EPSG:4490 axis order selects the same
// features as the CRS84 one; an unknown CRS is refused.
func TestOGCCRS4490(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("admin")
	type fc struct {
		Features []struct {
			ID       string `json:"id"`
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	var col struct {
		CRS []string `json:"crs"`
	}
	ta.do("GET", "/ogc/collections/grids-level-3", tok, nil, nil).decode(t, &col)
	if !slices.Contains(col.CRS, "http://www.opengis.net/def/crs/EPSG/0/4490") || !slices.Contains(col.CRS, "http://www.opengis.net/def/crs/OGC/1.3/CRS84") {
		t.Errorf("collection crs %v", col.CRS)
	}
	var conf struct {
		ConformsTo []string `json:"conformsTo"`
	}
	ta.do("GET", "/ogc/conformance", tok, nil, nil).decode(t, &conf)
	if !slices.Contains(conf.ConformsTo, "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs") {
		t.Errorf("conformance lacks Part 2: %v", conf.ConformsTo)
	}
	g, err := ta.grids.FindGridByCode(context.Background(), otherGrid, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := g.Geometry.Bound()
	lonLat := fmt.Sprintf("%f,%f,%f,%f", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	latLon := fmt.Sprintf("%f,%f,%f,%f", b.Min[1], b.Min[0], b.Max[1], b.Max[0])
	r84 := ta.do("GET", "/ogc/collections/grids-level-3/items?bbox="+lonLat, tok, nil, nil)
	r4490 := ta.do("GET", "/ogc/collections/grids-level-3/items?bbox-crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490")+
		"&bbox="+latLon+"&crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490"), tok, nil, nil)
	if r4490.Status != 200 || r4490.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/4490>" {
		t.Fatalf("EPSG:4490 items: %d, Content-Crs %q", r4490.Status, r4490.Header.Get("Content-Crs"))
	}
	if r84.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
		t.Errorf("CRS84 Content-Crs %q", r84.Header.Get("Content-Crs"))
	}
	var a, c fc
	r84.decode(t, &a)
	r4490.decode(t, &c)
	if len(a.Features) == 0 || len(a.Features) != len(c.Features) {
		t.Fatalf("bbox selects %d features in CRS84, %d in EPSG:4490", len(a.Features), len(c.Features))
	}
	first := func(raw json.RawMessage) [2]float64 {
		var mp [][][][2]float64
		var p [][][2]float64
		if json.Unmarshal(raw, &mp) == nil && len(mp) > 0 {
			return mp[0][0][0]
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		return p[0][0]
	}
	for i := range a.Features {
		x, y := first(a.Features[i].Geometry.Coordinates), first(c.Features[i].Geometry.Coordinates)
		if a.Features[i].ID != c.Features[i].ID || x[0] != y[1] || x[1] != y[0] || y[0] > 60 {
			t.Errorf("feature %s: CRS84 starts at %v, EPSG:4490 at %v (want latitude first)", a.Features[i].ID, x, y)
		}
	}
	one := ta.do("GET", "/ogc/collections/grids-level-3/items/"+otherGrid+"?crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4490"), tok, nil, nil)
	if one.Status != 200 || one.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/4490>" {
		t.Errorf("one item in EPSG:4490: %d %q", one.Status, one.Header.Get("Content-Crs"))
	}
	for _, q := range []string{"crs=EPSG:3857", "bbox-crs=urn:x&bbox=1,2,3,4"} {
		if res := ta.do("GET", "/ogc/collections/grids-level-3/items?"+q, tok, nil, nil); res.Status != 400 || !strings.Contains(string(res.Body), "unsupported_crs") {
			t.Errorf("%s: %d %s", q, res.Status, res.Body)
		}
	}
}
