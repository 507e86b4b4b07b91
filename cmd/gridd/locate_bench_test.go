package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
	"github.com/paulmach/orb"
)

// BenchmarkLocateHTTP measures POST /api/v1/locate end to end (JSON decode,
// CRS conversion, lookups, encoding) with 100,000 GCJ-02 points a request.
func BenchmarkLocateHTTP(b *testing.B) {
	ta := newTestAppConfig(b, true, nil)
	tok := ta.login("center")
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, 100_000)
	for i := range pts {
		pts[i] = [2]float64{117.49 + rng.Float64()*0.08, 36.66 + rng.Float64()*0.08}
	}
	body, _ := json.Marshal(map[string]any{"crs": "gcj02", "points": pts})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req, _ := http.NewRequest("POST", ta.srv.URL+"/api/v1/locate", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || n == 0 {
			b.Fatal(fmt.Sprint("status ", res.StatusCode))
		}
	}
	b.ReportMetric(float64(b.N*len(pts))/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkLocateBatch20k measures POST /api/v1/locate as issue 21 states
// its target (≥ 200,000 points/s): 10,000 WGS84 points a request, 4
// clients on keep-alive connections, over ~20,000 grids (140×140 level-3
// cells of ~0.005° and their 35×35 level-2 blocks, imported through the
// grid store) next to the demo town. The points are uniform over the
// tessellation's extent padded by 0.01°, so a few fall outside every grid.
// It reports points/s and the process's CPU per point (gridd and its
// clients: they run in the same process).
func BenchmarkLocateBatch20k(b *testing.B) {
	ta := newTestAppConfig(b, true, nil)
	ctx := context.Background()
	const side, minLon, minLat, cell = 140, 116.0, 36.0, 0.005
	src := gridindextest.Tessellation(5, side, side, minLon, minLat, cell)
	grids := make([]*registry.Grid, len(src))
	code := map[string]string{}
	for i, g := range src {
		c := fmt.Sprintf("3799%011d", i+1)
		code[g.Code] = c
		grids[i] = &registry.Grid{Code: c, Name: "网格 " + g.Code, Level: g.Level, Geometry: g.Geometry, Households: 300, Population: 1000}
		if g.Level == 3 {
			grids[i].ParentCode = code[g.Code[:strings.LastIndex(g.Code, "-")]]
		}
	}
	start := time.Now()
	if _, err := ta.grids.ImportGrids(ctx, grids, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), nil); err != nil {
		b.Fatal(err)
	}
	if err := ta.locator.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d grids imported and indexed in %s (%d in the index)", len(grids), time.Since(start).Round(time.Millisecond), ta.locator.Len())
	tok := ta.login("center")
	rng := rand.New(rand.NewPCG(21, 10_000))
	const perReq, nbodies, conc = 10_000, 8, 4
	ext := orb.Bound{Min: orb.Point{minLon - 0.01, minLat - 0.01}, Max: orb.Point{minLon + side*cell + 0.01, minLat + side*cell + 0.01}}
	bodies := make([][]byte, nbodies)
	for k := range bodies {
		pts := make([][2]float64, perReq)
		for i := range pts {
			pts[i] = [2]float64{ext.Min[0] + rng.Float64()*(ext.Max[0]-ext.Min[0]), ext.Min[1] + rng.Float64()*(ext.Max[1]-ext.Min[1])}
		}
		bodies[k], _ = json.Marshal(map[string]any{"points": pts})
	}
	b.Run("10k-wgs84-c4", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: 60 * time.Second}
		defer client.CloseIdleConnections()
		post := func(i int64) error {
			req, _ := http.NewRequest("POST", ta.srv.URL+"/api/v1/locate", bytes.NewReader(bodies[i%nbodies]))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := client.Do(req)
			if err != nil {
				return err
			}
			n, err := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || n == 0 {
				return fmt.Errorf("status %d, %d bytes", res.StatusCode, n)
			}
			return err
		}
		for i := range int64(conc) { // connections open, caches warm
			if err := post(i); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		cpu0 := processCPU()
		b.ResetTimer()
		runClients(b, conc, post)
		points := float64(b.N * perReq)
		b.ReportMetric(points/b.Elapsed().Seconds(), "points/s")
		if cpu := processCPU() - cpu0; cpu > 0 {
			b.ReportMetric(cpu*1e6/points, "cpu-µs/point")
		}
	})
}
