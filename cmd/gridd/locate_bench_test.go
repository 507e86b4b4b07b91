package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
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
