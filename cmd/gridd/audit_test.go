package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/registry"
)

// rectArea is the area in m² of a lon/lat rectangle on the WGS84 ellipsoid:
// M(φ)·N(φ)·cos φ at the middle latitude times the angular extent. For
// rectangles of a few hundred metres the error is below 1e-7.
func rectArea(lon0, lat0, lon1, lat1 float64) float64 {
	const a, e2 = 6378137.0, 0.00669437999014
	phi := (lat0 + lat1) / 2 * math.Pi / 180
	s := math.Sin(phi)
	w := 1 - e2*s*s
	m := a * (1 - e2) / (w * math.Sqrt(w))
	n := a / math.Sqrt(w)
	return m * n * math.Cos(phi) * (lat1 - lat0) * math.Pi / 180 * (lon1 - lon0) * math.Pi / 180
}

func rect(lon0, lat0, lon1, lat1 float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%.8f,%.8f],[%.8f,%.8f],[%.8f,%.8f],[%.8f,%.8f],[%.8f,%.8f]]]}`,
		lon0, lat0, lon1, lat0, lon1, lat1, lon0, lat1, lon0, lat0)
}

// TestTopologyAuditKnownAreas: a village whose grids leave a known gap, a
// known overlap, a grid outside the village and a sliver below 1 m².
func TestTopologyAuditKnownAreas(t *testing.T) {
	ta, tok := emptyApp(t)
	village := `"code":"370114001002000","name":"审计村","level":2,"parent_code":"370114001000000"`
	child := func(n int) string {
		return fmt.Sprintf(`"code":"370114001002%03d","name":"格%d","level":3,"parent_code":"370114001002000"`, n, n)
	}
	body := collection(
		feature(village, rect(117.50, 36.70, 117.52, 36.72)),
		feature(child(1), rect(117.50, 36.702, 117.511, 36.72)),       // A
		feature(child(2), rect(117.510, 36.70, 117.52, 36.715)),       // B overlaps A
		feature(child(3), rect(117.511, 36.715, 117.52, 36.71999999)), // leaves a sliver at the top
		feature(child(4), rect(117.515, 36.695, 117.525, 36.70)),      // outside the village
		// [117.50,117.51]×[36.70,36.702] is a real gap; [117.511,117.52]×
		// [36.71999999,36.72] a sliver of under 1 m², apart from it
	)
	// The API's topology guard refuses such a registry; it is loaded past
	// it, as legacy data arrives, for the audit to find its problems.
	fs, probs, err := registry.ParseGeoJSON(bytes.NewReader(body))
	if err != nil || len(probs) > 0 {
		t.Fatalf("parse: %v %v", err, probs)
	}
	var grids []*registry.Grid
	for _, f := range fs {
		grids = append(grids, &registry.Grid{Code: f.Code, Name: f.Name, Level: f.Level, ParentCode: f.ParentCode, Geometry: f.Geometry})
	}
	if _, err := ta.grids.ImportGrids(context.Background(), grids, time.Now(), nil); err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := ta.locator.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Clean    bool           `json:"clean"`
		Counts   map[string]int `json:"counts"`
		Findings fcJSON         `json:"findings"`
		Slivers  fcJSON         `json:"slivers"`
	}
	res := ta.do("GET", "/api/v1/audits/topology?parent=370114001002000", tok, nil, nil)
	if res.Status != 200 {
		t.Fatalf("audit: %d %s", res.Status, res.Body)
	}
	res.decode(t, &rep)
	want := map[string]float64{
		"gap":            rectArea(117.50, 36.70, 117.51, 36.702),
		"overlap":        rectArea(117.510, 36.702, 117.511, 36.715),
		"outside_parent": rectArea(117.515, 36.695, 117.525, 36.70),
	}
	got := map[string][]float64{}
	var codes []string
	for _, f := range rep.Findings.Features {
		k := f.Properties["kind"].(string)
		got[k] = append(got[k], f.Properties["area_m2"].(float64))
		if k == "overlap" {
			for _, c := range f.Properties["codes"].([]any) {
				codes = append(codes, c.(string))
			}
		}
	}
	for kind, area := range want {
		if len(got[kind]) != 1 {
			t.Errorf("%s: %d findings, want 1 (%s)", kind, len(got[kind]), truncate(res.Body))
			continue
		}
		if rel := math.Abs(got[kind][0]-area) / area; rel > 0.001 {
			t.Errorf("%s area %.2f m², want %.2f m² (off by %.3f%%)", kind, got[kind][0], area, rel*100)
		}
	}
	sort.Strings(codes)
	if strings.Join(codes, ",") != "370114001002001,370114001002002" {
		t.Errorf("overlap between %v", codes)
	}
	if rep.Clean || len(rep.Slivers.Features) != 1 {
		t.Errorf("clean=%v, %d slivers (want 1)", rep.Clean, len(rep.Slivers.Features))
	} else if a := rep.Slivers.Features[0].Properties["area_m2"].(float64); a <= 0 || a >= 1 {
		t.Errorf("sliver area %g m², want in (0, 1)", a)
	}
	// A larger sliver threshold moves nothing real into slivers; an invalid one is a 400.
	if res := ta.do("GET", "/api/v1/audits/topology?parent=370114001002000&sliver_m2=-1", tok, nil, nil); res.Status != 400 {
		t.Errorf("sliver_m2=-1: %d", res.Status)
	}
	if res := ta.do("GET", "/api/v1/audits/topology?parent=370114009000000", tok, nil, nil); res.Status != 404 {
		t.Errorf("unknown parent: %d", res.Status)
	}
}
