//go:build sim

package main

// The city simulation (`make sim`, not part of `make test`): a private
// PostGIS cluster with the demo town, two `gridd serve` processes behind
// the distribution's HAProxy, and simulated users through the balancer:
// phones posting patrol fixes in batches and reports with photos, console
// users reading tiles and case lists and holding an event stream, and a
// GIS client paging OGC items. Halfway through, one instance is killed
// (SIGKILL, no drain). It prints throughput, p50/p99 and errors per route,
// the failed requests after the kill and the gridd processes' CPU per
// request. Sizes come from flags:
//
//	go test -tags sim -run TestSim -count=1 -v ./cmd/gridd -args -sim.phones 200 -sim.duration 2m

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
)

var (
	simPhones   = flag.Int("sim.phones", 60, "simulated phones posting fixes (each logs in as a demo worker)")
	simBatch    = flag.Int("sim.batch", 12, "fixes per upload")
	simEvery    = flag.Duration("sim.every", 2*time.Second, "pause between a phone's uploads")
	simReport   = flag.Float64("sim.report", 0.02, "chance that a phone reports a case with a photo after an upload")
	simConsoles = flag.Int("sim.consoles", 8, "console users (tiles, case lists, one event stream each)")
	simGIS      = flag.Int("sim.gis", 1, "GIS clients paging OGC items")
	simDuration = flag.Duration("sim.duration", 60*time.Second, "length of the run; one instance is killed at half time")
	simSeed     = flag.Uint64("sim.seed", 1, "random seed")
)

// simStats gathers latencies and failures per route.
type simStats struct {
	mu         sync.Mutex
	lat        map[string][]time.Duration
	errs       map[string]int
	afterKill  map[string]int
	examples   []string
	killed     atomic.Bool
	fixes      atomic.Int64
	sseEvents  atomic.Int64
	sseDropped atomic.Int64
	verified   atomic.Int64
}

func (s *simStats) add(route string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat[route] = append(s.lat[route], d)
	if err != nil {
		s.errs[route]++
		if s.killed.Load() {
			s.afterKill[route]++
		}
		e := strings.Join(strings.Fields(err.Error()), " ")
		if len(s.examples) < 12 && !slices.ContainsFunc(s.examples, func(x string) bool { return strings.HasPrefix(x, route+": ") }) {
			s.examples = append(s.examples, route+": "+e[:min(len(e), 160)])
		}
	}
}

// simClient sends requests through the balancer.
type simClient struct {
	base  string
	http  *http.Client
	stats *simStats
}

func (c *simClient) do(route, method, path, token string, body []byte, ctype string, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	t0 := time.Now()
	res, err := c.http.Do(req)
	var out []byte
	if err == nil {
		out, err = io.ReadAll(res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != want {
			err = fmt.Errorf("%s %s: %d %.200s", method, path, res.StatusCode, out)
		}
	}
	if route != "" {
		c.stats.add(route, time.Since(t0), err)
	}
	return out, err
}

func (c *simClient) login(t *testing.T, user string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": user, "password": dbtest.DemoPassword})
	out, err := c.do("", "POST", "/api/v1/auth/login", "", b, "application/json", 200)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	var s struct{ Token string }
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return s.Token
}

// caseLoop takes a reported case through the loop to the reporter's
// verification: the center accepts and dispatches it to unit jw, the
// unit accepts and handles it with a photo, the center sends it for
// verification and the reporting worker verifies it.
func (c *simClient) caseLoop(created []byte, worker, center, unit string, photo []byte) {
	var cs struct{ ID, Version int64 }
	if json.Unmarshal(created, &cs) != nil {
		return
	}
	act := func(token string, body map[string]any) bool {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/cases/%d/transitions", c.base, cs.ID), bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, cs.Version))
		t0 := time.Now()
		res, err := c.http.Do(req)
		var out []byte
		if err == nil {
			out, err = io.ReadAll(res.Body)
			res.Body.Close()
			if err == nil && res.StatusCode != 200 {
				err = fmt.Errorf("%s: %d %.200s", body["action"], res.StatusCode, out)
			}
		}
		if err == nil {
			err = json.Unmarshal(out, &cs)
		}
		c.stats.add("POST /api/v1/cases/{id}/transitions", time.Since(t0), err)
		return err == nil
	}
	if !act(center, map[string]any{"action": "accept"}) || !act(center, map[string]any{"action": "dispatch", "unit": "jw"}) ||
		!act(unit, map[string]any{"action": "unit_accept"}) {
		return
	}
	out, err := c.do("POST /api/v1/uploads", "POST", "/api/v1/uploads", unit, photo, "image/png", 201)
	var up struct{ ID int64 }
	if err != nil || json.Unmarshal(out, &up) != nil {
		return
	}
	if act(unit, map[string]any{"action": "handle", "comment": "已处置", "photos": []int64{up.ID}}) &&
		act(center, map[string]any{"action": "send_verification"}) &&
		act(worker, map[string]any{"action": "verify_pass", "comment": "核查通过"}) {
		c.stats.verified.Add(1)
	}
}

// griddProc is one `gridd serve` process.
type griddProc struct {
	addr string
	cmd  *exec.Cmd
}

// cpu returns the process's user+system CPU seconds so far.
func (g *griddProc) cpu() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", g.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func startGriddProc(t *testing.T, bin, url string) *griddProc {
	t.Helper()
	g := &griddProc{addr: freeAddr(t)}
	g.cmd = exec.Command(bin, "serve", "--database-url", url, "--addr", g.addr, "--allow-unsafe-durability",
		"--second-factor-roles", "none", "--write-rate", "0", "--write-concurrency", "0", "--drain-delay", "1s")
	var out bytes.Buffer
	g.cmd.Stdout, g.cmd.Stderr = &out, &out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = g.cmd.Process.Signal(syscall.SIGTERM)
		_ = g.cmd.Wait()
	})
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get("http://" + g.addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return g
			}
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("gridd on %s never became ready:\n%s", g.addr, out.String())
		}
	}
}

func TestSim(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDemo(t)
	url := dbtest.URL(t, db)
	bin := filepath.Join(t.TempDir(), "gridd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	a := startGriddProc(t, bin, url)
	b := startGriddProc(t, bin, url)
	// Health checks that a loaded machine does not fail by accident (3
	// failed checks of up to 2 s mark a server down): the simulation
	// measures the kill, not the checks' impatience.
	lb := "http://" + startHAProxyChecks(t, "timeout check 2s\n    default-server inter 300ms fall 3 rise 2", a.addr, b.addr)
	stats := &simStats{lat: map[string][]time.Duration{}, errs: map[string]int{}, afterKill: map[string]int{}}
	c := &simClient{base: lb, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}, stats: stats}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if _, err := c.do("", "GET", "/readyz", "", nil, "", 200); err == nil {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatal("the balancer never answered")
		}
	}

	// Demo workers with a point inside their grid.
	rows, err := db.Pool.Query(ctx, `
SELECT DISTINCT ON (u.username) u.username, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
FROM users u JOIN grid_assignments a ON a.user_id = u.id AND a.grid_role = 'worker' AND a.valid_to IS NULL
JOIN grid_versions g ON g.code = a.grid_code AND g.valid_to IS NULL
WHERE u.role = 'worker' AND NOT u.disabled ORDER BY u.username, a.grid_code`)
	if err != nil {
		t.Fatal(err)
	}
	type worker struct {
		user     string
		lon, lat float64
		token    string
	}
	var workers []*worker
	for rows.Next() {
		w := &worker{}
		if err := rows.Scan(&w.user, &w.lon, &w.lat); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	rows.Close()
	if len(workers) == 0 {
		t.Fatal("no demo workers")
	}
	for _, w := range workers {
		w.token = c.login(t, w.user)
	}
	center := c.login(t, "center")
	unit := c.login(t, "dept-jw")
	var minLon, minLat, maxLon, maxLat float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM grid_versions WHERE valid_to IS NULL) x`).
		Scan(&minLon, &minLat, &maxLon, &maxLat); err != nil {
		t.Fatal(err)
	}
	photo := testPNG(t, 90)

	runCtx, stop := context.WithTimeout(ctx, *simDuration)
	defer stop()
	var wg sync.WaitGroup
	base := time.Now().Add(-24 * time.Hour)

	// Phones: fixes in batches, now and then a report with a photo.
	for p := range *simPhones {
		w := workers[p%len(workers)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(*simSeed, uint64(p)))
			seq := 0
			time.Sleep(time.Duration(rnd.Int64N(int64(*simEvery))))
			for runCtx.Err() == nil {
				pts := make([]map[string]any, *simBatch)
				for k := range pts {
					// Phones sharing an account keep distinct times.
					at := base.Add(time.Duration(seq*(*simPhones)+p) * time.Millisecond)
					seq++
					pts[k] = map[string]any{"t": at.Format(time.RFC3339Nano), "lon": w.lon + (rnd.Float64()-0.5)*1e-4,
						"lat": w.lat + (rnd.Float64()-0.5)*1e-4, "accuracy_m": 5}
				}
				body, _ := json.Marshal(map[string]any{"worker": w.user, "crs": "wgs84", "points": pts})
				if _, err := c.do("POST /api/v1/patrols/points", "POST", "/api/v1/patrols/points", w.token, body, "application/json", 200); err == nil {
					stats.fixes.Add(int64(*simBatch))
				}
				if rnd.Float64() < *simReport {
					out, err := c.do("POST /api/v1/uploads", "POST", "/api/v1/uploads", w.token, photo, "image/png", 201)
					var up struct{ ID int64 }
					if err == nil && json.Unmarshal(out, &up) == nil {
						rep, _ := json.Marshal(map[string]any{"category": "0105", "description": "模拟上报", "lon": w.lon, "lat": w.lat,
							"crs": "wgs84", "source": "worker_app", "photos": []int64{up.ID}})
						if out, err := c.do("POST /api/v1/cases", "POST", "/api/v1/cases", w.token, rep, "application/json", 201); err == nil {
							c.caseLoop(out, w.token, center, unit, photo)
						}
					}
				}
				select {
				case <-runCtx.Done():
				case <-time.After(*simEvery):
				}
			}
		}()
	}

	// Console users: tiles around the town, the case list, one event stream.
	for u := range *simConsoles {
		wg.Add(2)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(*simSeed, 10_000+uint64(u)))
			for runCtx.Err() == nil {
				lon := minLon + rnd.Float64()*(maxLon-minLon)
				lat := minLat + rnd.Float64()*(maxLat-minLat)
				z := 13 + rnd.IntN(4)
				x, y := tileOf(lon, lat, z)
				layer := []string{"grids", "cases", "roads"}[rnd.IntN(3)]
				_, _ = c.do("GET /tiles/{layer}/{z}/{x}/{y}.mvt", "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, z, x, y), center, nil, "", 200)
				_, _ = c.do("GET /api/v1/cases", "GET", "/api/v1/cases?limit=50", center, nil, "", 200)
				select {
				case <-runCtx.Done():
				case <-time.After(time.Duration(500+rnd.IntN(1000)) * time.Millisecond):
				}
			}
		}()
		go func() {
			defer wg.Done()
			// The stream is reopened after a drop (the killed instance).
			for runCtx.Err() == nil {
				req, _ := http.NewRequestWithContext(runCtx, "GET", lb+"/api/v1/events", nil)
				req.Header.Set("Authorization", "Bearer "+center)
				res, err := (&http.Client{}).Do(req)
				if err != nil {
					if runCtx.Err() == nil {
						stats.sseDropped.Add(1)
						time.Sleep(200 * time.Millisecond)
					}
					continue
				}
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "data:") {
						stats.sseEvents.Add(1)
					}
				}
				res.Body.Close()
				if runCtx.Err() == nil {
					stats.sseDropped.Add(1)
				}
			}
		}()
	}

	// GIS clients: page every OGC collection's items, again and again.
	out, err := c.do("", "GET", "/ogc/collections", center, nil, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	var colls struct {
		Collections []struct{ ID string } `json:"collections"`
	}
	if err := json.Unmarshal(out, &colls); err != nil || len(colls.Collections) == 0 {
		t.Fatalf("OGC collections: %v %s", err, out)
	}
	var ids []string
	for _, cl := range colls.Collections {
		ids = append(ids, cl.ID)
	}
	t.Logf("OGC collections paged: %v", ids)
	for range *simGIS {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; runCtx.Err() == nil; i++ {
				next := "/ogc/collections/" + colls.Collections[i%len(colls.Collections)].ID + "/items?limit=100"
				for next != "" && runCtx.Err() == nil {
					out, err := c.do("GET /ogc/collections/{id}/items", "GET", next, center, nil, "", 200)
					if err != nil {
						time.Sleep(200 * time.Millisecond)
						break
					}
					next = ""
					var page struct {
						Links []struct{ Rel, Href string }
					}
					_ = json.Unmarshal(out, &page)
					for _, l := range page.Links {
						if i := strings.Index(l.Href, "/ogc/"); l.Rel == "next" && i >= 0 {
							next = l.Href[i:]
						}
					}
				}
			}
		}()
	}

	cpu0 := a.cpu() + b.cpu()
	start := time.Now()
	time.Sleep(*simDuration / 2)
	cpuB := b.cpu()
	_ = b.cmd.Process.Signal(syscall.SIGKILL)
	stats.killed.Store(true)
	killedAt := time.Since(start)
	wg.Wait()
	elapsed := time.Since(start)
	cpu := a.cpu() - cpu0 + cpuB

	var routes []string
	total, failed, failedAfter := 0, 0, 0
	for r := range stats.lat {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	var sb strings.Builder
	fmt.Fprintf(&sb, "\ncity simulation: %d phones (%d-fix batches every %v), %d console users, %d GIS clients, %v; instance B killed at %v\n",
		*simPhones, *simBatch, *simEvery, *simConsoles, *simGIS, elapsed.Round(time.Second), killedAt.Round(time.Second))
	fmt.Fprintf(&sb, "%-40s %8s %8s %9s %9s %7s %11s\n", "route", "requests", "req/s", "p50 ms", "p99 ms", "errors", "after kill")
	for _, r := range routes {
		l := stats.lat[r]
		slices.Sort(l)
		total += len(l)
		failed += stats.errs[r]
		failedAfter += stats.afterKill[r]
		fmt.Fprintf(&sb, "%-40s %8d %8.1f %9.1f %9.1f %7d %11d\n", r, len(l), float64(len(l))/elapsed.Seconds(),
			float64(l[len(l)/2].Microseconds())/1000, float64(l[len(l)*99/100].Microseconds())/1000, stats.errs[r], stats.afterKill[r])
	}
	fmt.Fprintf(&sb, "total %d requests (%.1f/s), %d failed (%d after the kill); %d fixes stored (%.0f/s); %d SSE events, %d streams dropped\n",
		total, float64(total)/elapsed.Seconds(), failed, failedAfter, stats.fixes.Load(), float64(stats.fixes.Load())/elapsed.Seconds(),
		stats.sseEvents.Load(), stats.sseDropped.Load())
	fmt.Fprintf(&sb, "%d cases reported and verified through the whole loop\n", stats.verified.Load())
	fmt.Fprintf(&sb, "gridd CPU: %.1f s over both instances, %.2f ms per request\n", cpu, 1000*cpu/float64(max(total, 1)))
	for _, e := range stats.examples {
		fmt.Fprintf(&sb, "  e.g. %s\n", e)
	}
	t.Log(sb.String())
	var stored int64
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM patrol_points WHERE t >= $1`, base).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	// Every acknowledged fix is stored (the killed instance's included).
	if stored < stats.fixes.Load() {
		t.Errorf("%d fixes acknowledged, %d stored", stats.fixes.Load(), stored)
	}
}

// tileOf returns the web-mercator tile of a point at zoom z.
func tileOf(lon, lat float64, z int) (int, int) {
	n := float64(int(1) << z)
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}
