//go:build sim

package main

// The city simulation (`make sim`, not part of `make test`): a private
// PostGIS primary with the demo town and its streaming standby (the test
// harness's pair), two `gridd serve` processes on them (reads of tiles,
// OGC items, case lists and statistics go to the standby through
// --read-database-url) behind the distribution's HAProxy, and simulated
// users through the balancer: phones posting patrol fixes in batches and
// reports with photos, console users reading tiles, case lists and
// statistics and holding an event stream, clients holding only an event
// stream, and a GIS client paging OGC items. At half time one instance is
// killed (SIGKILL, no drain); at three quarters the standby is crashed
// (immediate shutdown), and at seven eighths it is started again. It
// prints throughput, p50/p99 and errors per route and per phase, the
// standby's replay lag, where the replica routes' reads went, the events
// each stream received, and the gridd processes' CPU per request. Sizes
// come from flags:
//
//	go test -tags sim -run TestSim -count=1 -v ./cmd/gridd -args -sim.phones 100 -sim.streams 200 -sim.consoles 10 -sim.duration 2m

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
	"github.com/jackc/pgx/v5/pgxpool"
)

var (
	simPhones   = flag.Int("sim.phones", 60, "simulated phones posting fixes (each logs in as a demo worker)")
	simBatch    = flag.Int("sim.batch", 12, "fixes per upload")
	simEvery    = flag.Duration("sim.every", 2*time.Second, "pause between a phone's uploads")
	simReport   = flag.Float64("sim.report", 0.02, "chance that a phone reports a case with a photo after an upload")
	simConsoles = flag.Int("sim.consoles", 8, "console users (tiles, case lists, statistics, one event stream each)")
	simStreams  = flag.Int("sim.streams", 20, "clients holding only an event stream (as the center), counting its events")
	simGIS      = flag.Int("sim.gis", 1, "GIS clients paging OGC items")
	simDuration = flag.Duration("sim.duration", 60*time.Second, "length of the run; one instance is killed at 1/2, the standby at 3/4 and started again at 7/8")
	simSeed     = flag.Uint64("sim.seed", 1, "random seed")
)

// The run's phases; failures are counted per phase.
const (
	phaseRunning          = iota
	phaseInstanceKilled   // from the SIGKILL of instance B at 1/2
	phaseReplicaKilled    // from the crash of the standby at 3/4
	phaseReplicaRestarted // from the standby's start at 7/8
	phases
)

var phaseNames = [phases]string{"running", "B killed", "standby down", "standby back"}

// simStats gathers latencies and failures per route.
type simStats struct {
	mu         sync.Mutex
	lat        map[string][]time.Duration
	errs       map[string]*[phases]int
	examples   []string
	delays     []time.Duration // events: from their time to their arrival on a stream
	phase      atomic.Int32
	fixes      atomic.Int64
	sseDropped atomic.Int64
	verified   atomic.Int64
}

func newSimStats() *simStats {
	return &simStats{lat: map[string][]time.Duration{}, errs: map[string]*[phases]int{}}
}

func (s *simStats) add(route string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat[route] = append(s.lat[route], d)
	if s.errs[route] == nil {
		s.errs[route] = &[phases]int{}
	}
	if err != nil {
		s.errs[route][s.phase.Load()]++
		e := strings.Join(strings.Fields(err.Error()), " ")
		if len(s.examples) < 12 && !slices.ContainsFunc(s.examples, func(x string) bool { return strings.HasPrefix(x, route+": ") }) {
			s.examples = append(s.examples, route+": "+e[:min(len(e), 160)])
		}
	}
}

func (s *simStats) delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays = append(s.delays, d)
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

// stream holds an event stream as token until ctx ends, reopening it
// after a drop where it left off (Last-Event-ID, as a browser's
// EventSource does), and returns the ids of the events it received, in
// order. Opening the stream is timed as the route GET /api/v1/events.
func (c *simClient) stream(ctx context.Context, token string) []int64 {
	var ids []int64
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if len(ids) > 0 {
			req.Header.Set("Last-Event-ID", strconv.FormatInt(ids[len(ids)-1], 10))
		}
		t0 := time.Now()
		res, err := http.DefaultClient.Do(req) // no client timeout: the stream lasts
		if err == nil && res.StatusCode != 200 {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			err = fmt.Errorf("GET /api/v1/events: %d %.200s", res.StatusCode, b)
		}
		if ctx.Err() != nil {
			if err == nil {
				res.Body.Close()
			}
			break
		}
		c.stats.add("GET /api/v1/events", time.Since(t0), err)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		ids = c.readEvents(res.Body, ids)
		res.Body.Close()
		if ctx.Err() == nil {
			c.stats.sseDropped.Add(1)
		}
	}
	return ids
}

// readEvents reads an event stream until it ends, appending the ids of its
// events to ids and recording each event's delay from its time.
func (c *simClient) readEvents(body io.Reader, ids []int64) []int64 {
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e struct {
			ID int64
			At time.Time
		}
		if json.Unmarshal([]byte(data), &e) != nil {
			continue // then missing from the ids: counted as missed
		}
		c.stats.delay(time.Since(e.At))
		ids = append(ids, e.ID)
	}
	return ids
}

// pollEvents pages the whole event log token's user may see (poll mode),
// in stream order, and returns the ids.
func (c *simClient) pollEvents(t *testing.T, token string) []int64 {
	t.Helper()
	var ids []int64
	for last := int64(0); ; {
		out, err := c.do("", "GET", fmt.Sprintf("/api/v1/events?poll=true&limit=1000&last_event_id=%d", last), token, nil, "", 200)
		if err != nil {
			t.Fatalf("event log: %v", err)
		}
		var page struct{ Events []struct{ ID int64 } }
		if err := json.Unmarshal(out, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 {
			return ids
		}
		for _, e := range page.Events {
			ids = append(ids, e.ID)
		}
		last = ids[len(ids)-1]
	}
}

// missedEvents counts, over streams, the events of ref (the log in stream
// order) between the first and the last event a stream received that the
// stream did not receive.
func missedEvents(ref []int64, streams [][]int64) int {
	at := make(map[int64]int, len(ref))
	for i, id := range ref {
		at[id] = i
	}
	missed := 0
	for _, ids := range streams {
		got := map[int64]bool{}
		lo, hi := len(ref), -1
		for _, id := range ids {
			got[id] = true
			if i, ok := at[id]; ok {
				lo, hi = min(lo, i), max(hi, i)
			}
		}
		for i := lo; i <= hi; i++ {
			if !got[ref[i]] {
				missed++
			}
		}
	}
	return missed
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
	log  string // the file of its output
}

// cpu returns the process's user+system CPU seconds so far.
func (g *griddProc) cpu() float64 {
	f := procStat(g.cmd.Process.Pid)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// startGriddProc starts `gridd serve` on the database at url with its
// reads on the standby at readURL (the defaults of --read-max-lag and
// --read-check-every: 5 s, 500 ms).
func startGriddProc(t *testing.T, bin, url, readURL string) *griddProc {
	t.Helper()
	g := &griddProc{addr: freeAddr(t)}
	g.cmd = exec.Command(bin, "serve", "--database-url", url, "--read-database-url", readURL, "--addr", g.addr, "--allow-unsafe-durability",
		"--second-factor-roles", "none", "--write-rate", "0", "--write-concurrency", "0", "--drain-delay", "1s")
	g.log = filepath.Join(t.TempDir(), "gridd.log")
	out, err := os.Create(g.log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the process writes to its own descriptor
	g.cmd.Stdout, g.cmd.Stderr = out, out
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
			b, _ := os.ReadFile(g.log)
			t.Fatalf("gridd on %s never became ready:\n%s", g.addr, b)
		}
	}
}

// errorLog returns the number of the process's ERROR log lines and the
// first n of them.
func (g *griddProc) errorLog(n int) (int, []string) {
	b, _ := os.ReadFile(g.log)
	var count int
	var first []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			if count++; count <= n {
				first = append(first, l[:min(len(l), 400)])
			}
		}
	}
	return count, first
}

// metrics returns the instance's /metrics samples by series (the name and
// labels as written), or nil when it does not answer.
func (g *griddProc) metrics() map[string]float64 {
	res, err := http.Get("http://" + g.addr + "/metrics")
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.LastIndexByte(line, ' '); i > 0 && !strings.HasPrefix(line, "#") {
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				m[line[:i]] = v
			}
		}
	}
	return m
}

// The series of the replica routes' reads on /metrics.
const (
	readsOnStandby = `gridd_read_replica_reads_total{target="replica"}`
	readsOnPrimary = `gridd_read_replica_reads_total{target="primary"}`
	readsRetried   = `gridd_read_replica_retries_total`
	replicaInUse   = `gridd_read_replica_in_use`
)

// replicaReads describes the replica routes' reads between two scrapes
// of one instance's /metrics.
func replicaReads(from, to map[string]float64) string {
	return fmt.Sprintf("%.0f on the standby, %.0f on the primary, %.0f retried on the primary after failing on the standby",
		to[readsOnStandby]-from[readsOnStandby], to[readsOnPrimary]-from[readsOnPrimary], to[readsRetried]-from[readsRetried])
}

// waitReplicaInUse waits until g reads from its standby, at most until
// deadline, and says whether it does.
func (g *griddProc) waitReplicaInUse(deadline time.Time) bool {
	for ; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if g.metrics()[replicaInUse] == 1 {
			return true
		}
	}
	return false
}

// lagSample is the standby's replay lag at one moment: the WAL it has yet
// to replay of what the primary had written just before (bytes) and, while
// that is not zero, the age of the last transaction it replayed (lag: an
// upper bound of its lag in time; zero once it has caught up); and the
// primary's own figure, pg_stat_replication.replay_lag (from a local
// flush to the standby's report of its replay).
type lagSample struct {
	phase int32
	bytes float64
	lag   time.Duration
	pgLag time.Duration
}

// sampleLag samples the standby's lag every 200 ms until ctx ends; a
// sample that the standby (or the primary) did not answer within a second
// counts in down.
func sampleLag(ctx context.Context, primary, standby *pgxpool.Pool, phase *atomic.Int32) (samples []lagSample, down int) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return samples, down
		case <-tick.C:
		}
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		s, err := lagNow(qctx, primary, standby)
		cancel()
		switch {
		case ctx.Err() != nil:
			return samples, down
		case err != nil:
			down++
		default:
			s.phase = phase.Load()
			samples = append(samples, s)
		}
	}
}

func lagNow(ctx context.Context, primary, standby *pgxpool.Pool) (lagSample, error) {
	var pos string
	var pgLag *float64
	if err := primary.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text, (SELECT extract(epoch FROM max(replay_lag))::float8 FROM pg_stat_replication)`).
		Scan(&pos, &pgLag); err != nil {
		return lagSample{}, err
	}
	var s lagSample
	if pgLag != nil {
		s.pgLag = time.Duration(*pgLag * float64(time.Second))
	}
	var age *float64
	err := standby.QueryRow(ctx, `
SELECT greatest(pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::float8,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8`, pos).Scan(&s.bytes, &age)
	if err == nil && s.bytes > 0 && age != nil {
		s.lag = time.Duration(*age * float64(time.Second))
	}
	return s, err
}

// lagSummary gives the max and p99 of the samples taken in the phases
// from..to.
func lagSummary(samples []lagSample, from, to int32) string {
	var lags, pgLags []time.Duration
	var bytes []float64
	for _, s := range samples {
		if s.phase >= from && s.phase <= to {
			lags, pgLags, bytes = append(lags, s.lag), append(pgLags, s.pgLag), append(bytes, s.bytes)
		}
	}
	if len(lags) == 0 {
		return "no samples"
	}
	slices.Sort(lags)
	slices.Sort(pgLags)
	slices.Sort(bytes)
	return fmt.Sprintf("%d samples, lag p50 %.1f ms, p99 %.1f ms, max %.1f ms (replay_lag p50 %.1f ms, p99 %.1f ms, max %.1f ms); WAL behind p99 %.0f kB, max %.0f kB",
		len(lags), ms(pctl(lags, 50)), ms(pctl(lags, 99)), ms(lags[len(lags)-1]), ms(pctl(pgLags, 50)), ms(pctl(pgLags, 99)), ms(pgLags[len(pgLags)-1]),
		pctl(bytes, 99)/1024, bytes[len(bytes)-1]/1024)
}

// streamReport writes what the event streams received, against ref (the
// center's event log in stream order), and returns how many streams
// received nothing and how many events streams missed.
func streamReport(sb *strings.Builder, streams [][]int64, ref []int64, stats *simStats) (empty, missed int) {
	if len(streams) == 0 {
		return 0, 0
	}
	counts := make([]int, len(streams))
	for i, ids := range streams {
		counts[i] = len(ids)
		if len(ids) == 0 {
			empty++
		}
	}
	slices.Sort(counts)
	missed = missedEvents(ref, streams)
	slices.Sort(stats.delays)
	fmt.Fprintf(sb, "event streams: %d (%d console + %d SSE-only), events per stream min %d, median %d, max %d; %d streams without events; %d events missed; %d drops reopened; delay from the event's time p50 %.1f ms, p99 %.1f ms\n",
		len(streams), *simConsoles, *simStreams, counts[0], pctl(counts, 50), counts[len(counts)-1], empty, missed, stats.sseDropped.Load(),
		ms(pctl(stats.delays, 50)), ms(pctl(stats.delays, 99)))
	return empty, missed
}

func TestSim(t *testing.T) {
	ctx := context.Background()
	db, pair := dbtest.NewReplicated(t, true)
	url, readURL := dbtest.URL(t, db), pair.ReadURL(t, db)
	bin := filepath.Join(t.TempDir(), "gridd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	a := startGriddProc(t, bin, url, readURL)
	b := startGriddProc(t, bin, url, readURL)
	for _, g := range []*griddProc{a, b} {
		if !g.waitReplicaInUse(time.Now().Add(time.Minute)) {
			t.Fatalf("gridd on %s never took its standby in use", g.addr)
		}
	}
	// Health checks that a loaded machine does not fail by accident (3
	// failed checks of up to 2 s mark a server down): the simulation
	// measures the kill, not the checks' impatience.
	lb := "http://" + startHAProxyChecks(t, "timeout check 2s\n    default-server inter 300ms fall 3 rise 2", a.addr, b.addr)
	stats := newSimStats()
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
	standby, err := pgxpool.New(ctx, readURL)
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()

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

	// Event streams: one per console user, and the SSE-only clients
	// (opening within the first upload interval); each keeps the ids it
	// received.
	streams := make([][]int64, *simConsoles+*simStreams)
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i >= *simConsoles {
				rnd := rand.New(rand.NewPCG(*simSeed, 20_000+uint64(i)))
				time.Sleep(time.Duration(rnd.Int64N(int64(*simEvery))))
			}
			streams[i] = c.stream(runCtx, center)
		}()
	}

	// Console users: tiles around the town, the case list, now and then
	// the statistics of the last 30 days by grid.
	statsPath := fmt.Sprintf("/api/v1/stats/cases?from=%s&to=%s&group_by=grid",
		time.Now().AddDate(0, 0, -30).Format(time.DateOnly), time.Now().AddDate(0, 0, 1).Format(time.DateOnly))
	for u := range *simConsoles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(*simSeed, 10_000+uint64(u)))
			for i := 0; runCtx.Err() == nil; i++ {
				lon := minLon + rnd.Float64()*(maxLon-minLon)
				lat := minLat + rnd.Float64()*(maxLat-minLat)
				z := 13 + rnd.IntN(4)
				x, y := tileOf(lon, lat, z)
				layer := []string{"grids", "cases", "roads"}[rnd.IntN(3)]
				_, _ = c.do("GET /tiles/{layer}/{z}/{x}/{y}.mvt", "GET", fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, z, x, y), center, nil, "", 200)
				_, _ = c.do("GET /api/v1/cases", "GET", "/api/v1/cases?limit=50", center, nil, "", 200)
				if i%4 == 0 {
					_, _ = c.do("GET /api/v1/stats/cases", "GET", statsPath, center, nil, "", 200)
				}
				select {
				case <-runCtx.Done():
				case <-time.After(time.Duration(500+rnd.IntN(1000)) * time.Millisecond):
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

	// The standby's lag, sampled through the run.
	var lags []lagSample
	var lagDown int
	wg.Add(1)
	go func() {
		defer wg.Done()
		lags, lagDown = sampleLag(runCtx, db.Pool, standby, &stats.phase)
	}()

	// The timeline: instance B killed at 1/2, the standby crashed at 3/4
	// and started again at 7/8.
	cpu0, simCPU0 := a.cpu()+b.cpu(), processCPU()
	start := time.Now()
	waitUntil := func(frac float64) { time.Sleep(time.Until(start.Add(time.Duration(frac * float64(*simDuration))))) }
	load := []string{loadAvg()}
	waitUntil(0.5)
	cpuB, metricsB := b.cpu(), b.metrics()
	_ = b.cmd.Process.Signal(syscall.SIGKILL)
	stats.phase.Store(phaseInstanceKilled)
	killedAt := time.Since(start)
	load = append(load, loadAvg())
	waitUntil(0.75)
	metricsA := a.metrics()
	pair.CrashStandby(t)
	stats.phase.Store(phaseReplicaKilled)
	crashedAt := time.Since(start)
	load = append(load, loadAvg())
	waitUntil(0.875)
	pair.StartStandby(t)
	stats.phase.Store(phaseReplicaRestarted)
	restartedAt := time.Since(start)
	backInUse := a.waitReplicaInUse(start.Add(*simDuration))
	backAt := time.Since(start)
	wg.Wait()
	elapsed := time.Since(start)
	load = append(load, loadAvg())
	cpu := a.cpu() - cpu0 + cpuB
	metricsEnd := a.metrics()

	var routes []string
	total, failed, worst, worstRoute := 0, 0, time.Duration(0), ""
	var all []time.Duration
	for r := range stats.lat {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	var sb strings.Builder
	fmt.Fprintf(&sb, "\ncity simulation: %d phones (%d-fix batches every %v), %d console users, %d SSE-only clients, %d GIS clients, %v\n",
		*simPhones, *simBatch, *simEvery, *simConsoles, *simStreams, *simGIS, elapsed.Round(time.Second))
	fmt.Fprintf(&sb, "instance B killed at %v; standby crashed at %v, started again at %v; load average (1 min) at start, B kill, standby crash, end: %s\n",
		killedAt.Round(time.Second), crashedAt.Round(time.Second), restartedAt.Round(time.Second), strings.Join(load, ", "))
	fmt.Fprintf(&sb, "%-40s %8s %7s %9s %9s %7s", "route", "requests", "req/s", "p50 ms", "p99 ms", "errors")
	for _, p := range phaseNames[1:] {
		fmt.Fprintf(&sb, " %13s", p)
	}
	sb.WriteString("\n")
	for _, r := range routes {
		l := stats.lat[r]
		slices.Sort(l)
		all = append(all, l...)
		errs := stats.errs[r]
		n := errs[0] + errs[1] + errs[2] + errs[3]
		total += len(l)
		failed += n
		if p := pctl(l, 99); p > worst {
			worst, worstRoute = p, r
		}
		fmt.Fprintf(&sb, "%-40s %8d %7.1f %9.1f %9.1f %7d", r, len(l), float64(len(l))/elapsed.Seconds(), ms(pctl(l, 50)), ms(pctl(l, 99)), n)
		for _, e := range errs[1:] {
			fmt.Fprintf(&sb, " %13d", e)
		}
		sb.WriteString("\n")
	}
	slices.Sort(all)
	fmt.Fprintf(&sb, "total %d requests (%.1f/s), %d failed, p50 %.1f ms, p99 %.1f ms; worst route p99 %.1f ms (%s); %d fixes stored (%.0f/s)\n",
		total, float64(total)/elapsed.Seconds(), failed, ms(pctl(all, 50)), ms(pctl(all, 99)), ms(worst), worstRoute,
		stats.fixes.Load(), float64(stats.fixes.Load())/elapsed.Seconds())
	fmt.Fprintf(&sb, "%d cases reported and verified through the whole loop\n", stats.verified.Load())

	empty, missed := streamReport(&sb, streams, c.pollEvents(t, center), stats)
	fmt.Fprintf(&sb, "standby lag before its crash: %s\n", lagSummary(lags, phaseRunning, phaseInstanceKilled))
	fmt.Fprintf(&sb, "standby lag after its start: %s; %d samples unanswered; back in use by A: %t (%v after the start)\n",
		lagSummary(lags, phaseReplicaRestarted, phaseReplicaRestarted), lagDown, backInUse, (backAt - restartedAt).Round(100*time.Millisecond))
	fmt.Fprintf(&sb, "replica routes' reads, B until its kill: %s\n", replicaReads(nil, metricsB))
	fmt.Fprintf(&sb, "replica routes' reads, A until the standby crash: %s\n", replicaReads(nil, metricsA))
	fmt.Fprintf(&sb, "replica routes' reads, A from the standby crash: %s\n", replicaReads(metricsA, metricsEnd))
	fmt.Fprintf(&sb, "gridd CPU: %.1f s over both instances, %.2f ms per request; the simulator's own CPU %.1f s\n",
		cpu, 1000*cpu/float64(max(total, 1)), processCPU()-simCPU0)
	for _, e := range stats.examples {
		fmt.Fprintf(&sb, "  e.g. %s\n", e)
	}
	for i, g := range []*griddProc{a, b} {
		n, first := g.errorLog(5)
		fmt.Fprintf(&sb, "gridd %c logged %d errors\n", 'A'+i, n)
		for _, l := range first {
			fmt.Fprintf(&sb, "  %s\n", l)
		}
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
	if empty > 0 || missed > 0 {
		t.Errorf("%d event streams received no event and %d events were missed by streams", empty, missed)
	}
	if metricsA[readsOnStandby] == 0 || metricsB[readsOnStandby] == 0 {
		t.Errorf("no read went to the standby (A %.0f, B %.0f before the kills)", metricsA[readsOnStandby], metricsB[readsOnStandby])
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
