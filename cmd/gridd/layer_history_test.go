package main

import (
	"archive/zip"
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	shp "github.com/jonas-p/go-shp"
)

type historyResp struct {
	Counts struct {
		Added   int `json:"added"`
		Removed int `json:"removed"`
		Changed int `json:"changed"`
	} `json:"counts"`
	Changes []struct {
		Code        string   `json:"code"`
		Change      string   `json:"change"`
		VersionFrom *int     `json:"version_from"`
		VersionTo   *int     `json:"version_to"`
		SizeFrom    *float64 `json:"size_from"`
		SizeTo      *float64 `json:"size_to"`
		AreaFromM2  *float64 `json:"area_from_m2"`
		AreaToM2    *float64 `json:"area_to_m2"`
		GainedM2    float64  `json:"gained_m2"`
		LostM2      float64  `json:"lost_m2"`
		GeomChanged bool     `json:"geometry_changed"`
	} `json:"changes"`
	Before fcJSON `json:"before"`
	After  fcJSON `json:"after"`
}

type layerFC struct {
	Features []struct {
		Properties map[string]any `json:"properties"`
		Geometry   struct {
			Type        string       `json:"type"`
			Coordinates [][2]float64 `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

// roadShapefile writes road sections as a zipped PolyLine Shapefile with
// CODE, NAME, KIND and UNIT columns; parts holds each record's lines.
func roadShapefile(t *testing.T, codes, names, kinds []string, parts [][][][2]float64) []byte {
	t.Helper()
	dir := t.TempDir()
	base := filepath.Join(dir, "roads")
	w, err := shp.Create(base+".shp", shp.POLYLINE)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetFields([]shp.Field{shp.StringField("CODE", 40), shp.StringField("NAME", 80), shp.StringField("KIND", 20), shp.StringField("UNIT", 40)}); err != nil {
		t.Fatal(err)
	}
	for i := range codes {
		var pp [][]shp.Point
		for _, line := range parts[i] {
			var pts []shp.Point
			for _, p := range line {
				pts = append(pts, shp.Point{X: p[0], Y: p[1]})
			}
			pp = append(pp, pts)
		}
		n := w.Write(shp.NewPolyLine(pp))
		for j, v := range []string{codes[i], names[i], kinds[i], ""} {
			if err := w.WriteAttribute(int(n), j, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.Close()
	if _, err := os.Stat(base + "dbf"); err == nil { // go-shp v0.1.1 names the table "roadsdbf"
		if err := os.Rename(base+"dbf", base+".dbf"); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []string{base + ".shp", base + ".shx", base + ".dbf"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zf, _ := zw.Create(filepath.Base(f))
		zf.Write(b)
	}
	zf, _ := zw.Create("roads.cpg")
	zf.Write([]byte("UTF-8"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLayerShapefileVersions: the demo's road sections exported, changed
// (one moved, one dropped, one added) and imported back as a zipped
// Shapefile: unchanged sections keep their version, the moved one gets
// version 2, the dropped one ends; the export as of a date before the
// import is the original layer, the history between the two dates names
// the three changes with their lengths, and importing the original again
// restores it as new versions. A multi-part line and a polyline zone file
// are refused naming the record.
func TestLayerShapefileVersions(t *testing.T) {
	clock := &testClock{t: time.Now().Add(48 * time.Hour).Truncate(time.Second)}
	ta := newTestAppWith(t, true, func(c *Config) { c.Now = clock.Now; c.TokenTTL = 240 * time.Hour })
	tok := ta.login("admin")
	var orig layerFC
	res := ta.do("GET", "/api/v1/layers/roads/export", tok, nil, nil)
	res.decode(t, &orig)
	n := len(orig.Features)
	if res.Status != 200 || n < 3 {
		t.Fatalf("export: %d, %d sections", res.Status, n)
	}
	origJSON := res.Body
	var codes, names, kinds []string
	var parts [][][][2]float64
	for _, f := range orig.Features {
		codes = append(codes, f.Properties["code"].(string))
		names = append(names, f.Properties["name"].(string))
		kinds = append(kinds, f.Properties["kind"].(string))
		parts = append(parts, [][][2]float64{f.Geometry.Coordinates})
	}
	moved, dropped := codes[0], codes[n-1]
	parts[0][0][0][1] += 0.0005 // about 55 m north
	codes, names, kinds, parts = append(codes[:n-1], "new-section"), append(names[:n-1], "新路段"), append(kinds[:n-1], kinds[0]),
		append(parts[:n-1], [][][2]float64{{{117.52, 36.71}, {117.53, 36.71}}})
	t0 := clock.Now()
	clock.Add(24 * time.Hour)
	t1 := clock.Now()

	var rep struct {
		Total   int `json:"total"`
		Changes struct {
			Added, Changed, Removed, Unchanged int
		} `json:"changes"`
	}
	res = ta.do("POST", "/api/v1/layers/roads/import", tok, roadShapefile(t, codes, names, kinds, parts), map[string]string{"Content-Type": "application/zip"})
	res.decode(t, &rep)
	if res.Status != 201 || rep.Total != n || rep.Changes.Added != 1 || rep.Changes.Changed != 1 || rep.Changes.Removed != 1 || rep.Changes.Unchanged != n-2 {
		t.Fatalf("Shapefile import: %d %s", res.Status, res.Body)
	}
	var now layerFC
	ta.do("GET", "/api/v1/layers/roads/export", tok, nil, nil).decode(t, &now)
	version := map[string]float64{}
	for _, f := range now.Features {
		version[f.Properties["code"].(string)] = f.Properties["version"].(float64)
	}
	if version[moved] != 2 || version["new-section"] != 1 || version[codes[1]] != 1 || version[dropped] != 0 {
		t.Errorf("versions after the import: %v", version)
	}
	var then layerFC
	ta.do("GET", "/api/v1/layers/roads/export?at="+url.QueryEscape(t0.Format(time.RFC3339)), tok, nil, nil).decode(t, &then)
	if len(then.Features) != n || then.Features[n-1].Properties["code"] != dropped {
		t.Errorf("the layer as of before the import has %d sections", len(then.Features))
	}

	var h historyResp
	q := "?from=" + url.QueryEscape(t0.Format(time.RFC3339)) + "&to=" + url.QueryEscape(t1.Add(time.Minute).Format(time.RFC3339))
	res = ta.do("GET", "/api/v1/layers/roads/history"+q, tok, nil, nil)
	res.decode(t, &h)
	if res.Status != 200 || h.Counts.Added != 1 || h.Counts.Removed != 1 || h.Counts.Changed != 1 || len(h.Before.Features) != 2 || len(h.After.Features) != 2 {
		t.Fatalf("history: %d %s", res.Status, res.Body)
	}
	for _, c := range h.Changes {
		switch c.Code {
		case moved:
			if c.Change != "changed" || *c.VersionFrom != 1 || *c.VersionTo != 2 || *c.SizeTo == *c.SizeFrom {
				t.Errorf("moved section: %+v", c)
			}
		case dropped:
			if c.Change != "removed" || c.VersionTo != nil || *c.SizeFrom <= 0 {
				t.Errorf("dropped section: %+v", c)
			}
		case "new-section":
			if c.Change != "added" || c.SizeTo == nil || *c.SizeTo < 800 || *c.SizeTo > 950 {
				t.Errorf("new section (about 893 m): %+v", c)
			}
		default:
			t.Errorf("unexpected change %+v", c)
		}
	}

	// The original again (GeoJSON): new versions, the layer as before.
	clock.Add(24 * time.Hour)
	res = ta.do("POST", "/api/v1/layers/roads/import", tok, origJSON, nil)
	res.decode(t, &rep)
	if res.Status != 201 || rep.Changes.Added != 1 || rep.Changes.Changed != 1 || rep.Changes.Removed != 1 {
		t.Fatalf("re-import: %d %s", res.Status, res.Body)
	}
	ta.do("GET", "/api/v1/layers/roads/export", tok, nil, nil).decode(t, &now)
	for _, f := range now.Features {
		if c := f.Properties["code"]; (c == moved && f.Properties["version"].(float64) != 3) || (c == dropped && f.Properties["version"].(float64) != 2) {
			t.Errorf("after the re-import %v is at version %v", c, f.Properties["version"])
		}
	}

	// Refusals.
	var pj problemJSON
	res = ta.do("POST", "/api/v1/layers/roads/import", tok, roadShapefile(t, []string{"two-part"}, []string{"两段"}, []string{kinds[0]},
		[][][][2]float64{{{{117.52, 36.71}, {117.53, 36.71}}, {{117.54, 36.71}, {117.55, 36.71}}}}), nil)
	res.decode(t, &pj)
	if res.Status != 400 || len(pj.Errors) == 0 || pj.Errors[0].Field != "features[0].geometry" || pj.Errors[0].Reason != "not_linestring" {
		t.Errorf("two-part line: %d %s", res.Status, res.Body)
	}
	res = ta.do("POST", "/api/v1/layers/zones/import", tok, roadShapefile(t, []string{"z"}, []string{"线"}, []string{"seat"},
		[][][][2]float64{{{{117.52, 36.71}, {117.53, 36.71}}}}), nil)
	res.decode(t, &pj)
	if res.Status != 400 || len(pj.Errors) == 0 || pj.Errors[0].Reason != "not_polygon" {
		t.Errorf("polyline zones: %d %s", res.Status, res.Body)
	}
	res = ta.do("GET", "/api/v1/layers/roads/history?from="+url.QueryEscape(t1.Format(time.RFC3339))+"&to="+url.QueryEscape(t0.Format(time.RFC3339)), tok, nil, nil)
	res.decode(t, &pj)
	if res.Status != 400 || pj.Reason != "range_reversed" {
		t.Errorf("reversed range: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/layers/roads/history?from=2026-01-01", tok, nil, nil); res.Status != 400 {
		t.Errorf("missing to: %d", res.Status)
	}
}
