package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
)

// BenchmarkLocateAuth measures GET /api/v1/locate, one point a request, 4
// clients on keep-alive connections, through gridd's HTTP API with the
// auth cache and without it (every request reads session and user), and
// a bare net/http handler that checks a bearer token against a map and
// answers a fixed body of a locate answer's size: this machine's HTTP
// ceiling for the same client.
func BenchmarkLocateAuth(b *testing.B) {
	dbURL := dbtest.URL(b, dbtest.NewDemo(b))
	cached, _ := newTestAppURL(b, dbURL, nil)
	uncached, _ := newTestAppURL(b, dbURL, func(c *Config) { c.AuthCache = -1 })
	rng := rand.New(rand.NewPCG(1, 2))
	paths := make([]string, 1024)
	for i := range paths {
		paths[i] = fmt.Sprintf("/api/v1/locate?lon=%.6f&lat=%.6f", 117.49+rng.Float64()*0.08, 36.66+rng.Float64()*0.08)
	}
	tok := cached.login("center")
	sample := cached.do("GET", paths[0], tok, nil, nil)
	if sample.Status != 200 {
		b.Fatalf("locate: %d %s", sample.Status, sample.Body)
	}
	tokens := map[string]bool{tok: true}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(sample.Body)
	}))
	b.Cleanup(bare.Close)
	for _, c := range []struct {
		name, base, tok string
	}{
		{"gridd-cache", cached.srv.URL, tok},
		{"gridd-no-cache", uncached.srv.URL, uncached.login("center")},
		{"bare-net-http", bare.URL, tok},
	} {
		b.Run(c.name, func(b *testing.B) { hammer(b, c.base, c.tok, paths, 4) })
	}
}

// runClients calls do(i) for i in [0, b.N) from conc goroutines, each
// taking the next i, then stops the timer; the first error fails b.
func runClients(b *testing.B, conc int, do func(i int64) error) {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := do(i); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// hammer sends b.N GET requests from conc clients sharing one keep-alive
// transport and reports requests per second.
func hammer(b *testing.B, base, tok string, paths []string, conc int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(i int64) error {
		req, _ := http.NewRequest("GET", base+paths[i%int64(len(paths))], nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("status %d", res.StatusCode)
		}
		return err
	}
	for i := range int64(conc) { // connections open, caches warm
		if err := get(i); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	runClients(b, conc, get)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
