package main

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// countingReader yields n bytes of a JSON-looking body and counts what
// the server read.
type countingReader struct {
	left int64
	read atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > c.left {
		n = c.left
	}
	for i := range p[:n] {
		p[i] = ' '
	}
	if c.read.Load() == 0 && n > 0 {
		p[0] = '['
	}
	c.left -= n
	c.read.Add(n)
	return int(n), nil
}

// TestBodyCapsAndWriteLimits (issue 16): on main POST /api/v1/locate (open
// to viewers) parsed a 200 MB body for 20 s before answering 413, and one
// worker posted 300 reports in 2 s. Now a declared 200 MB body is refused
// before it is read, an undeclared (chunked) one after at most the route's
// cap, and each user's writes are rate limited (429 with Retry-After)
// while reads (POST /locate and /routing/explain too) and other users go
// on.
func TestBodyCapsAndWriteLimits(t *testing.T) {
	ta := newTestAppConfig(t, true, func(c *Config) { c.WriteRate, c.WriteBurst, c.WriteConcurrency = 0.5, 5, 4 })
	viewer := ta.login("center")
	post := func(body io.Reader, length int64) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", ta.srv.URL+"/api/v1/locate", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		req.Header.Set("Authorization", "Bearer "+viewer)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type") + " " + string(b)
	}
	const big = 200 << 20
	declared := &countingReader{left: big}
	status, body := post(declared, big)
	if status != 413 || !strings.Contains(body, "problem+json") {
		t.Errorf("declared 200 MB: %d %s", status, body)
	}
	if n := declared.read.Load(); n > 4<<20 {
		t.Errorf("the server read %d bytes of a declared 200 MB body before refusing it", n)
	}
	chunked := &countingReader{left: big}
	status, body = post(chunked, -1)
	if status != 413 {
		t.Errorf("chunked 200 MB: %d %s", status, body)
	}
	if n := chunked.read.Load(); n > 16<<20 {
		t.Errorf("the server read %d bytes of a chunked 200 MB body (cap 8 MiB)", n)
	}

	// Writes: the burst passes, then 429 with Retry-After; reads and
	// another user are not held back.
	worker := ta.login(ownGrid)
	var ok, limited int
	for i := range 12 {
		lon, lat := regPointIn(t, ta, ownGrid, 0)
		res := ta.do("POST", "/api/v1/registers/household", worker, map[string]any{"address": "限流测试" + strings.Repeat("号", i+1), "lon": lon, "lat": lat}, nil)
		switch res.Status {
		case 201:
			ok++
		case 429:
			limited++
			if res.Header.Get("Retry-After") == "" || !strings.Contains(string(res.Body), "write_rate_limited") {
				t.Errorf("429 without Retry-After or reason: %v %s", res.Header, res.Body)
			}
		default:
			t.Errorf("write %d: %d %s", i, res.Status, res.Body)
		}
	}
	if ok < 5 || ok > 6 || limited < 6 {
		t.Errorf("%d writes passed and %d were limited; want the burst of 5 (±1 refill) to pass and the rest limited", ok, limited)
	}
	if res := ta.do("GET", "/api/v1/registers/household?limit=1", worker, nil, nil); res.Status != 200 {
		t.Errorf("a read after the limit: %d", res.Status)
	}
	// Reads sent as POST are not writes: a batch lookup and a routing
	// explanation go on past the limit.
	c := pointIn(ownGrid, 2, 60)
	for i := range 8 {
		if res := ta.do("POST", "/api/v1/locate", worker, map[string]any{"points": [][]float64{{c[0], c[1]}}}, nil); res.Status != 200 {
			t.Fatalf("batch lookup %d after the limit: %d %s", i, res.Status, res.Body)
		}
	}
	if res := ta.do("POST", "/api/v1/routing/explain", worker, map[string]any{"category": "0101", "lon": c[0], "lat": c[1]}, nil); res.Status != 200 {
		t.Errorf("a routing explanation after the limit: %d %s", res.Status, res.Body)
	}
	lon, lat := regPointIn(t, ta, otherGrid, 0)
	if res := ta.do("POST", "/api/v1/registers/household", ta.login(otherGrid), map[string]any{"address": "另一用户", "lon": lon, "lat": lat}, nil); res.Status != 201 {
		t.Errorf("another user's write: %d %s", res.Status, res.Body)
	}
}
