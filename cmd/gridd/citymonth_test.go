//go:build citymonth

package main

// The city month (`make city-month`, not part of `make test`): a city's
// month of patrols through gridd's own code on a private, durable
// PostgreSQL + PostGIS cluster (fsync, synchronous commits, full-page
// writes), end to end and timed in three phases:
//
//  1. intake: every worker's month of fixes stored through the path the
//     phones' uploads take after the HTTP layer — patrol.Service.Intake
//     into PatrolStore.InsertFixes (group commit, dirty-day marks), in
//     uploads of -city.batch fixes from -city.senders concurrent senders,
//     day by day and round robin over the workers as phones send them;
//  2. settle: the patrol_settle job's body (patrol.Service.Settle)
//     computing every dirty worker-day from the stored fixes;
//  3. audit: the month audit (patrol.Service.Audit, as `gridd audit
//     patrols` runs it) producing every worker's monthly figures and
//     storing them.
//
// Each worker has its own ~1 km² grid (gridindextest.Tessellation, 0.01°
// cells, under their 4×4 blocks) and walks it as the demo's workers do
// (demo.WalkMonth: lanes 60 m apart, ~3 h a day with a tea break, GPS
// noise, poor fixes and jumps; every 20th worker skips the far half, every
// 20th patrols ~80 minutes, every 20th misses days), with a fix every
// -city.every while patrolling. The run fails unless every fix is stored
// once, no dirty day is left, the stored days are exactly the worker-days
// with fixes, the audit has a row per worker, and a sample of workers'
// monthly figures equal a recomputation from the generated fixes by the
// pure functions (patrol.ComputeDay, coverage). It prints the phases'
// wall and CPU times (gridd, PostgreSQL, the whole machine), fixes/s,
// upload latencies, the load average, storage and WAL, and a linear
// extrapolation to 10,000 workers.
//
//	go test -tags citymonth -run TestCityMonth -count=1 -v -timeout 3h ./cmd/gridd -args -city.workers 1000

import (
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
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/devdb"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/internal/tiles"
	"github.com/gridd/gridd/internal/workday"
	"github.com/gridd/gridd/spatial/coverage"
	"github.com/gridd/gridd/spatial/gridindex/gridindextest"
	"golang.org/x/sync/errgroup"
)

var (
	cityWorkers = flag.Int("city.workers", 1000, "workers, each with its own grid")
	cityEvery   = flag.Duration("city.every", 30*time.Second, "one fix every this long while patrolling (the demo's 30 s; the issue's phones 5 s)")
	cityBatch   = flag.Int("city.batch", 12, "fixes per upload")
	citySenders = flag.Int("city.senders", 128, "uploads in flight at once")
	cityMonth   = flag.String("city.month", "2026-02", "the month, YYYY-MM")
	citySample  = flag.Int("city.sample", 24, "workers whose monthly figures are recomputed from their fixes and compared")
	citySeed    = flag.Uint64("city.seed", 1, "random seed of the grids and walks")
	cityDir     = flag.String("city.dir", "", "parent directory of the private cluster (default: the system's temporary directory); removed afterwards")
	citySettle  = flag.Duration("city.settle-during", 0, "also run the patrol_settle job this long after each run while fixes are stored (gridd serve: every 5 min); 0: only after intake")
	cityProfile = flag.String("city.profile", "", "write each phase's CPU profile of gridd's process to DIR/PHASE.pprof")
	cityHTTP    = flag.Bool("city.http", false, "send the uploads as the phones do, POST /api/v1/patrols/points with each worker's token, instead of calling patrol.Service.Intake")
)

// cityFix is a generated fix, kept small: a month of a city's fixes is
// held in memory between generation and intake.
type cityFix struct {
	sec      int32 // seconds after the month's start
	acc, spd float32
	lon, lat float64
}

// cityWorker is one worker: its grid, its login and its month of fixes.
type cityWorker struct {
	id      int64
	login   string
	token   string // with -city.http
	grid    *registry.Grid
	persona string
	fixes   []cityFix
	days    []int // index of each day's first fix in fixes; len = days of the month + 1
}

// cityPhase is what one phase cost.
type cityPhase struct {
	name                string
	wall                time.Duration
	gridd, pg, machine  float64 // CPU seconds
	walBytes            float64
	loadStart, loadEnd  string
	count               int // fixes stored, worker-days computed, audit rows
	countUnit           string
	settledDuringIntake int
}

func TestCityMonth(t *testing.T) {
	n := *cityWorkers
	if n <= 0 || *cityBatch <= 0 || *citySenders <= 0 || *cityEvery <= 0 {
		t.Fatalf("bad flags: -city.workers %d -city.batch %d -city.senders %d -city.every %v", n, *cityBatch, *citySenders, *cityEvery)
	}
	loc := workday.Shanghai()
	month, err := patrol.ParseMonth(*cityMonth, loc)
	if err != nil {
		t.Fatal(err)
	}
	ndays := int(math.Round(month.AddDate(0, 1, 0).Sub(month).Hours() / 24))
	// gridd's clock: the morning after the month, as at a month-end audit.
	now := month.AddDate(0, 1, 1).Add(6 * time.Hour)
	ctx := context.Background()
	path := "patrol.Service.Intake"
	if *cityHTTP {
		path = "POST /api/v1/patrols/points"
	}
	fmt.Printf("city month: %d workers, %s, a fix every %v while patrolling, uploads of %d from %d senders through %s; %d cores, load average %s\n",
		n, month.Format("2006-01"), *cityEvery, *cityBatch, *citySenders, path, runtime.NumCPU(), loadAvg())

	// A private durable cluster, stopped and removed afterwards.
	parent := *cityDir
	if parent == "" {
		parent = os.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "gridd-citymonth-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cl, err := devdb.Start(ctx, devdb.Options{Dir: filepath.Join(dir, "pg"), Database: "gridd", Durable: true})
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	if err := cl.StopWhenGone(os.Getpid(), dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cl.Stop(); err != nil {
			t.Log(err)
		}
		os.RemoveAll(dir)
	})
	url := cl.URL("gridd")
	db, err := postgis.Open(ctx, postgis.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The wiring of `gridd serve` with its defaults for patrols (the pool
	// is pgx's default: 4 connections on 2 cores).
	ta := serveTestApp(t, Config{DatabaseURL: url, StatementTimeout: 30 * time.Second, TokenTTL: 24 * time.Hour, MaxBody: 1 << 20,
		PatrolCopyMin: 64, PatrolGroup: 2, PatrolSettleEvery: 5 * time.Minute, Now: func() time.Time { return now }})
	a := ta.app

	t0 := time.Now()
	workers := cityWorkersSetup(ctx, t, a, n, month)
	fmt.Printf("setup: %d grids and workers in %.1f s\n", n, time.Since(t0).Seconds())
	t0 = time.Now()
	total, workerDays := cityGenerate(workers, month, ndays)
	fmt.Printf("generated %d fixes (%.0f per worker-day) on %d worker-days in %.1f s\n",
		total, float64(total)/float64(workerDays), workerDays, time.Since(t0).Seconds())

	pgPID := postmasterPID(t, cl)
	var phases []cityPhase
	measure := func(name string, fn func() (int, string)) {
		p := cityPhase{name: name, loadStart: loadAvg()}
		g0, pg0, m0, w0 := processCPU(), postgresCPU(pgPID), machineCPU(), walLSN(ctx, t, a)
		stopProfile := cityStartProfile(t, name)
		start := time.Now()
		p.count, p.countUnit = fn()
		p.wall = time.Since(start)
		stopProfile()
		p.gridd, p.pg, p.machine = processCPU()-g0, postgresCPU(pgPID)-pg0, machineCPU()-m0
		p.walBytes = walDiff(ctx, t, a, w0)
		p.loadEnd = loadAvg()
		phases = append(phases, p)
		fmt.Printf("%s: %.1f s wall, %d %s; CPU gridd %.1f s, PostgreSQL %.1f s, machine %.1f s; WAL %.2f GB; load average %s → %s\n",
			name, p.wall.Seconds(), p.count, p.countUnit, p.gridd, p.pg, p.machine, p.walBytes/1e9, p.loadStart, p.loadEnd)
	}

	// Phase 1: intake.
	var lat []time.Duration
	var settledDuring atomic.Int64
	measure("intake", func() (int, string) {
		stored, l := cityIntake(ctx, t, ta, workers, month, ndays, &settledDuring)
		lat = l
		return stored, "fixes stored"
	})
	slices.Sort(lat)
	phases[0].settledDuringIntake = int(settledDuring.Load())
	fmt.Printf("intake: %.0f fixes/s, %d uploads, latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		float64(phases[0].count)/phases[0].wall.Seconds(), len(lat), ms(pctl(lat, 50)), ms(pctl(lat, 99)), ms(lat[len(lat)-1]))
	if phases[0].count != total {
		t.Fatalf("stored %d fixes, generated %d", phases[0].count, total)
	}

	// Phase 2: the settle job.
	measure("settle", func() (int, string) {
		days, err := a.patrols.Settle(ctx)
		if err != nil {
			t.Fatalf("settle: %v", err)
		}
		return days, "worker-days computed"
	})

	// After the settle job nothing is left for the audit to compute.
	var dirty, stored int
	if err := a.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM patrol_dirty_days), (SELECT count(*) FROM patrol_days)`).Scan(&dirty, &stored); err != nil {
		t.Fatal(err)
	}
	if dirty != 0 || stored != workerDays {
		t.Errorf("after the settle job: %d dirty days left, %d days stored, want 0 and %d", dirty, stored, workerDays)
	}

	// Phase 3: the month audit.
	var audit *patrol.Audit
	measure("audit", func() (int, string) {
		var err error
		if audit, err = a.patrols.Audit(ctx, month, "", patrol.AuditOptions{}); err != nil {
			t.Fatalf("audit: %v", err)
		}
		return len(audit.Rows), "monthly rows"
	})

	cityCheck(ctx, t, a, workers, audit, month, total, workerDays, int(settledDuring.Load()))
	cityCoveragePages(ctx, t, a, month)
	cityReport(ctx, t, a, phases, n, total)
}

// cityStartProfile starts the CPU profile of a phase when -city.profile
// is given, and returns what stops it.
func cityStartProfile(t *testing.T, phase string) func() {
	if *cityProfile == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(*cityProfile, phase+".pprof"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}
}

// cityWorkersSetup imports n grids of ~1 km² under their blocks and
// creates a worker assigned to each.
func cityWorkersSetup(ctx context.Context, t *testing.T, a *app, n int, month time.Time) []*cityWorker {
	nx := int(math.Ceil(math.Sqrt(float64(n))))
	ny := (n + nx - 1) / nx
	src := gridindextest.Tessellation(*citySeed, nx, ny, 116.0, 36.0, 0.01)
	// The first n cells and the blocks holding them (level 2 comes first).
	var cells []int
	chosen := map[string]bool{}
	for i, g := range src {
		if g.Level == 3 && len(cells) < n {
			cells = append(cells, i)
			chosen[g.Code], chosen[g.Code[:strings.LastIndex(g.Code, "-")]] = true, true
		}
	}
	code := map[string]string{}
	var grids []*registry.Grid
	byIndex := map[int]*registry.Grid{}
	for i, g := range src {
		if !chosen[g.Code] {
			continue
		}
		c := fmt.Sprintf("3701%011d", len(grids)+1)
		code[g.Code] = c
		rg := &registry.Grid{Code: c, Name: "网格 " + g.Code, Level: g.Level, Geometry: g.Geometry, Households: 300, Population: 1000}
		if g.Level == 3 {
			rg.ParentCode = code[g.Code[:strings.LastIndex(g.Code, "-")]]
			byIndex[i] = rg
		}
		grids = append(grids, rg)
	}
	from := month.AddDate(-1, 0, 0)
	if _, err := a.grids.ImportGrids(ctx, grids, from, nil); err != nil {
		t.Fatal(err)
	}
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	workers := make([]*cityWorker, n)
	for k, i := range cells {
		g := byIndex[i]
		u := &people.User{Username: fmt.Sprintf("cw%05d", k+1), Name: fmt.Sprintf("网格员 %d", k+1), Role: people.RoleWorker,
			PasswordHash: hash}
		if err := a.people.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := a.people.CreateAssignment(ctx, &people.Assignment{UserID: u.ID, GridCode: g.Code, GridRole: people.GridWorker,
			FullTime: true, ValidFrom: day}); err != nil {
			t.Fatal(err)
		}
		persona := demo.PersonaDiligent
		switch k % 20 {
		case 4:
			persona = demo.PersonaSkipsFarSide
		case 9:
			persona = demo.PersonaUnderTwoHours
		case 14:
			persona = demo.PersonaMissesDays
		}
		workers[k] = &cityWorker{id: u.ID, login: u.Username, grid: g, persona: persona}
		if *cityHTTP {
			sess, err := a.auth.Login(ctx, auth.Credentials{Username: u.Username, Password: dbtest.DemoPassword})
			if err != nil {
				t.Fatal(err)
			}
			workers[k].token = sess.Token
		}
	}
	if _, err := a.db.Pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	return workers
}

// cityGenerate walks every worker's month (on every core) and returns the
// fixes and the worker-days with fixes.
func cityGenerate(workers []*cityWorker, month time.Time, ndays int) (total, workerDays int) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k, w := range workers {
		g.Go(func() error {
			rng := rand.New(rand.NewPCG(*citySeed, uint64(k)))
			fs := demo.WalkMonth(rng, w.grid.Geometry[0][0], month, w.persona, *cityEvery)
			w.fixes = make([]cityFix, len(fs))
			w.days = make([]int, ndays+1)
			d := 0
			for i, f := range fs {
				for d < ndays && !f.T.Before(month.AddDate(0, 0, d+1)) {
					d++
					w.days[d] = i
				}
				w.fixes[i] = cityFix{sec: int32(f.T.Sub(month) / time.Second), acc: float32(f.AccuracyM), spd: float32(f.SpeedMps), lon: f.Lon, lat: f.Lat}
			}
			for d < ndays {
				d++
				w.days[d] = len(fs)
			}
			return nil
		})
	}
	_ = g.Wait()
	for _, w := range workers {
		total += len(w.fixes)
		for d := range w.days[:len(w.days)-1] {
			if w.days[d+1] > w.days[d] {
				workerDays++
			}
		}
	}
	return total, workerDays
}

func (f cityFix) fix(month time.Time) patrol.Fix {
	return patrol.Fix{T: month.Add(time.Duration(f.sec) * time.Second), Lon: f.lon, Lat: f.lat,
		AccuracyM: float64(f.acc), SpeedMps: float64(f.spd)}
}

// cityUpload is one phone upload.
type cityUpload struct {
	worker *cityWorker
	fixes  []patrol.Fix
}

// send stores u through patrol.Service.Intake, or with -city.http through
// POST /api/v1/patrols/points as the worker's phone, and returns the
// fixes stored.
func (u cityUpload) send(ctx context.Context, a *app, client *http.Client, base string) (int, error) {
	if !*cityHTTP {
		return a.patrols.Intake(ctx, u.worker.id, u.fixes)
	}
	type point struct {
		T         string  `json:"t"`
		Lon       float64 `json:"lon"`
		Lat       float64 `json:"lat"`
		AccuracyM float64 `json:"accuracy_m"`
		SpeedMps  float64 `json:"speed_mps"`
	}
	pts := make([]point, len(u.fixes))
	for i, f := range u.fixes {
		pts[i] = point{f.T.Format(time.RFC3339), f.Lon, f.Lat, f.AccuracyM, f.SpeedMps}
	}
	body, err := json.Marshal(map[string]any{"worker": u.worker.login, "points": pts})
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/patrols/points", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+u.worker.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%d %s", res.StatusCode, b)
	}
	var out struct{ Stored int }
	err = json.Unmarshal(b, &out)
	return out.Stored, err
}

// cityIntake sends every fix through patrol.Service.Intake, day by day;
// within a day the workers' k-th uploads go before anyone's (k+1)-th, as
// phones uploading every batch × every would send them. It returns the
// fixes stored and every upload's latency. With -city.settle-during the
// settle job runs meanwhile, counting the worker-days it computed.
func cityIntake(ctx context.Context, t *testing.T, ta *testApp, workers []*cityWorker, month time.Time, ndays int, settled *atomic.Int64) (int, []time.Duration) {
	a := ta.app
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *citySenders}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	jobs := make(chan cityUpload, 4**citySenders)
	var stored, sent atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range *citySenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for u := range jobs {
				if failed.Load() {
					continue
				}
				t0 := time.Now()
				k, err := u.send(ctx, a, client, ta.srv.URL)
				mine = append(mine, time.Since(t0))
				if err != nil {
					if !failed.Swap(true) {
						t.Errorf("intake of worker %d: %v", u.worker.id, err)
					}
					continue
				}
				stored.Add(int64(k))
				sent.Add(int64(len(u.fixes)))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	done := make(chan struct{})
	var side sync.WaitGroup
	side.Add(1)
	go func() { // progress
		defer side.Done()
		start, last, lastN := time.Now(), time.Now(), int64(0)
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				s := sent.Load()
				fmt.Printf("  intake %4.0f s: %d fixes, %.0f fixes/s in the last %.0f s, load average %s\n",
					now.Sub(start).Seconds(), s, float64(s-lastN)/now.Sub(last).Seconds(), now.Sub(last).Seconds(), loadAvg())
				last, lastN = now, s
			}
		}
	}()
	if *citySettle > 0 {
		side.Add(1)
		go func() { // the settle job, as gridd serve runs it
			defer side.Done()
			for {
				select {
				case <-done:
					return
				case <-time.After(*citySettle):
				}
				t0 := time.Now()
				k, err := a.patrols.Settle(ctx)
				if err != nil {
					t.Errorf("settle during intake: %v", err)
					return
				}
				settled.Add(int64(k))
				fmt.Printf("  settle during intake: %d worker-days in %.1f s\n", k, time.Since(t0).Seconds())
			}
		}()
	}
	b := *cityBatch
	for d := range ndays {
		for k := 0; ; k++ {
			any := false
			for _, w := range workers {
				lo, hi := w.days[d]+k*b, w.days[d+1]
				if lo >= hi {
					continue
				}
				any = true
				fs := make([]patrol.Fix, 0, b)
				for _, f := range w.fixes[lo:min(lo+b, hi)] {
					fs = append(fs, f.fix(month))
				}
				jobs <- cityUpload{worker: w, fixes: fs}
			}
			if !any {
				break
			}
		}
	}
	close(jobs)
	wg.Wait()
	close(done)
	side.Wait()
	return int(stored.Load()), lat
}

// cityCheck checks the stored fixes, days and monthly rows, and
// recomputes a sample of workers' months from their generated fixes.
func cityCheck(ctx context.Context, t *testing.T, a *app, workers []*cityWorker, audit *patrol.Audit, month time.Time, total, workerDays, settledDuring int) {
	end := month.AddDate(0, 1, 0)
	var fixes, days, daySum, dirty, months int64
	q := a.db.Pool.QueryRow(ctx, `
SELECT (SELECT count(*) FROM patrol_points WHERE t >= $1 AND t < $2),
       (SELECT count(*) FROM patrol_days WHERE day >= $3::date AND day < $4::date),
       (SELECT coalesce(sum(fixes), 0) FROM patrol_days WHERE day >= $3::date AND day < $4::date),
       (SELECT count(*) FROM patrol_dirty_days),
       (SELECT count(*) FROM patrol_months WHERE month = $3::date)`,
		month, end, month.Format("2006-01-02"), end.Format("2006-01-02"))
	if err := q.Scan(&fixes, &days, &daySum, &dirty, &months); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("check: %d fixes stored (generated %d), %d days stored (worker-days with fixes %d) holding %d fixes, %d dirty days left, %d monthly rows, %d audit rows\n",
		fixes, total, days, workerDays, daySum, dirty, months, len(audit.Rows))
	if fixes != int64(total) || days != int64(workerDays) || daySum != int64(total) || dirty != 0 ||
		months != int64(len(workers)) || len(audit.Rows) != len(workers) {
		t.Errorf("stored figures do not match what was generated (see the check line)")
	}
	rows := map[int64]patrol.AuditRow{}
	met := 0
	for _, r := range audit.Rows {
		rows[r.WorkerID] = r
		if r.CoverageMet {
			met++
		}
	}
	fmt.Printf("audit: %d of %d workers at ≥ %.0f%% monthly coverage\n", met, len(audit.Rows), 100*audit.Rules.MonthlyCoverage)

	// The sample: the first worker of each persona other than diligent,
	// and workers evenly spaced over the rest.
	var sample []int
	for _, k := range []int{4, 9, 14} {
		if k < len(workers) && len(sample) < *citySample {
			sample = append(sample, k)
		}
	}
	step := max(1, len(workers)/max(1, *citySample))
	for k := 0; k < len(workers) && len(sample) < *citySample; k += step {
		if !slices.Contains(sample, k) {
			sample = append(sample, k)
		}
	}
	rules := patrol.DefaultRules()
	now := a.db.Now()
	for _, k := range sample {
		w := workers[k]
		g, err := a.grids.FindGridByCode(ctx, w.grid.Code, nil)
		if err != nil {
			t.Fatal(err)
		}
		cells, err := coverage.Discretise(g.Geometry, coverage.Options{Resolution: rules.Resolution, RadiusM: rules.RadiusM})
		if err != nil {
			t.Fatal(err)
		}
		own := []patrol.OwnGrid{{Code: g.Code, Name: g.Name, Version: g.Version, Cells: cells}}
		union := cells.NewCover()
		want := patrol.AuditRow{Days: audit.Days, Cells: cells.Len()}
		fixDays := 0
		for d := range audit.Days {
			lo, hi := w.days[d], w.days[d+1]
			if lo == hi {
				continue
			}
			fixDays++
			fs := make([]patrol.Fix, 0, hi-lo)
			for _, f := range w.fixes[lo:hi] {
				x := f.fix(month)
				x.ReceivedAt = now // stamped by Intake from gridd's clock
				fs = append(fs, x)
			}
			dd := patrol.ComputeDay(w.id, month.AddDate(0, 0, d), fs, own, nil, rules, now)
			gd := dd.Grids[0]
			want.DaysPatrolled += b2i(dd.Patrolled)
			want.FullDays += b2i(gd.Full)
			want.PatrolSeconds += gd.PatrolSeconds
			want.DistanceM += gd.DistanceM
			union.Or(cells.CoverFromBytes(gd.Cover))
		}
		want.DaysWithoutFixes = want.Days - fixDays
		want.DaysUnder = want.Days - want.DaysPatrolled
		want.Coverage = roundTo(union.Fraction(), 4)
		want.CoverageMet = want.Coverage >= rules.MonthlyCoverage
		want.PatrolSeconds, want.DistanceM = roundTo(want.PatrolSeconds, 1), roundTo(want.DistanceM, 1)
		got := rows[w.id]
		if got.Days != want.Days || got.DaysPatrolled != want.DaysPatrolled || got.DaysUnder != want.DaysUnder ||
			got.DaysWithoutFixes != want.DaysWithoutFixes || got.FullDays != want.FullDays || got.PatrolSeconds != want.PatrolSeconds ||
			got.DistanceM != want.DistanceM || got.Coverage != want.Coverage || got.CoverageMet != want.CoverageMet || got.Cells != want.Cells {
			t.Errorf("worker %d (%s): audit %s; recomputed %s", k+1, w.persona, brief(got), brief(want))
		} else if k < 15 {
			fmt.Printf("  worker %d (%s): %s\n", k+1, w.persona, brief(got))
		}
	}
	fmt.Printf("check: %d sampled workers' monthly figures compared with a recomputation from their fixes (patrol.ComputeDay, coverage)\n", len(sample))
	if settledDuring > 0 {
		fmt.Printf("check: %d worker-days were computed while the fixes arrived\n", settledDuring)
	}
}

func brief(r patrol.AuditRow) string {
	return fmt.Sprintf("days %d patrolled %d under %d without %d full %d patrol_s %.1f distance_m %.1f coverage %.4f met %t cells %d",
		r.Days, r.DaysPatrolled, r.DaysUnder, r.DaysWithoutFixes, r.FullDays, r.PatrolSeconds, r.DistanceM, r.Coverage, r.CoverageMet, r.Cells)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func roundTo(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// cityReport prints the phases, the storage and the linear extrapolation
// to 10,000 workers.
func cityReport(ctx context.Context, t *testing.T, a *app, phases []cityPhase, n, total int) {
	var points, days, dbSize int64
	if err := a.db.Pool.QueryRow(ctx, `
SELECT (SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) FROM pg_inherits WHERE inhparent = 'patrol_points'::regclass),
       pg_total_relation_size('patrol_days') + pg_total_relation_size('patrol_day_grids'),
       pg_database_size(current_database())`).Scan(&points, &days, &dbSize); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n| phase | wall | count | rate | gridd CPU | PostgreSQL CPU | machine CPU | WAL | load average |\n|---|---|---|---|---|---|---|---|---|\n")
	var wall time.Duration
	for _, p := range phases {
		wall += p.wall
		fmt.Fprintf(&sb, "| %s | %.1f s | %d %s | %.0f/s | %.1f s | %.1f s | %.1f s | %.2f GB | %s → %s |\n", p.name, p.wall.Seconds(), p.count, p.countUnit,
			float64(p.count)/p.wall.Seconds(), p.gridd, p.pg, p.machine, p.walBytes/1e9, p.loadStart, p.loadEnd)
	}
	fmt.Fprintf(&sb, "| **all** | **%.1f s** | | | | | | | |\n", wall.Seconds())
	fmt.Fprintf(&sb, "\nstorage: patrol_points %.2f GB (%.0f bytes per fix), patrol days %.1f MB, database %.2f GB\n",
		float64(points)/1e9, float64(points)/float64(total), float64(days)/1e6, float64(dbSize)/1e9)
	scale := 10000 / float64(n)
	fmt.Fprintf(&sb, "extrapolated linearly to 10,000 workers (×%.1f; not measured): ", scale)
	for _, p := range phases {
		fmt.Fprintf(&sb, "%s %.0f s, ", p.name, p.wall.Seconds()*scale)
	}
	ext := wall.Seconds() * scale
	verdict := "met"
	if ext > 15*60 {
		verdict = "NOT met"
	}
	fmt.Fprintf(&sb, "all %.0f s = %.1f min (target ≤ 15 min: %s); %.0f M fixes, patrol_points ≈ %.0f GB\n",
		ext, ext/60, verdict, float64(total)*scale/1e6, float64(points)*scale/1e9)
	fmt.Print(sb.String())
}

// postmasterPID is the cluster's postmaster (the first line of
// postmaster.pid).
func postmasterPID(t *testing.T, cl *devdb.Cluster) int {
	b, err := os.ReadFile(filepath.Join(cl.Dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// machineCPU is the busy CPU seconds of the whole machine so far
// (/proc/stat: every state but idle and iowait).
func machineCPU() float64 {
	b, _ := os.ReadFile("/proc/stat")
	line := strings.SplitN(string(b), "\n", 2)[0]
	f := strings.Fields(line)
	busy := 0.0
	for i, v := range f[1:] {
		if i == 3 || i == 4 || i >= 8 { // idle, iowait; guest time is in user already
			continue
		}
		x, _ := strconv.ParseFloat(v, 64)
		busy += x
	}
	return busy / 100
}

func walLSN(ctx context.Context, t *testing.T, a *app) string {
	var lsn string
	if err := a.db.Pool.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	return lsn
}

func walDiff(ctx context.Context, t *testing.T, a *app, from string) float64 {
	var d float64
	if err := a.db.Pool.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8`, from).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// cityCoveragePages times pages of the coverage collection over the whole
// city's month, as a GIS client paging it without a window asks for them:
// the first, one in the middle and the last, each twice (the grids'
// cells are computed on the first page and kept).
func cityCoveragePages(ctx context.Context, t *testing.T, a *app, month time.Time) {
	total := 0
	for _, at := range []string{"first", "first", "middle", "middle", "last", "last"} {
		pg := &tiles.SourcePage{Limit: 100}
		switch at {
		case "middle":
			pg.Offset = total / 2
		case "last":
			pg.Offset = total - 100
		}
		t0 := time.Now()
		fs, err := a.patrols.CoverageFeatures(ctx, tiles.SourceQuery{Params: tiles.Params{"month": month.Format("2006-01")}, Page: pg})
		if err != nil {
			t.Fatalf("coverage page: %v", err)
		}
		total = pg.Total
		if len(fs) != 100 {
			t.Errorf("coverage page at %d: %d features", pg.Offset, len(fs))
		}
		fmt.Printf("coverage page (%s, offset %d of %d cells, limit 100, no bbox): %.0f ms\n", at, pg.Offset, total, ms(time.Since(t0)))
	}
}
