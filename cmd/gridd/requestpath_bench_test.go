package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// transactions counts the database's committed transactions around run
// (pg_stat_database, every backend's counters flushed: xactCommits),
// minus the reader's own. Background work of the app (listeners, jobs)
// is included: an upper bound for the requests'.
//
// The audit sealer runs during run as serve runs it (its transactions are
// counted, its CPU shared with the requests), and seals the rest at the
// end; no entry may be left unsealed.
func transactions(b *testing.B, ta *benchApp, dbURL string, run func()) int64 {
	pools := []*pgxpool.Pool{ta.db.Pool, ta.testDB.Pool}
	before, own := xactCommits(b, dbURL, pools)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ta.auditStore.RunSealer(ctx, 100*time.Millisecond, 5*time.Second, func(err error) { b.Error(err) })
	}()
	run()
	stop()
	<-done
	// Entries recorded after their answer (writes that changed nothing)
	// may commit after the sealer's last pass: seal until none is left.
	var unsealed int
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := ta.auditStore.Seal(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := ta.testDB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE hash IS NULL`).Scan(&unsealed); err != nil {
			b.Fatal(err)
		}
		if unsealed == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if unsealed != 0 {
		b.Errorf("%d audit entries left unsealed", unsealed)
	}
	after, _ := xactCommits(b, dbURL, pools)
	return after - before - own
}

// BenchmarkIntakeBacklog measures case intake through the HTTP API,
// durable (synchronous_commit on), 16 clients, with 100,000 open cases
// already in the table (reported in the last 72 hours over the demo town,
// the categories of the reports: the duplicate search's worst case) with
// their idempotency keys, and the transactions committed per report
// (pg_stat_database), the CPU of PostgreSQL and of this process per
// report and the WAL per report; each sub-benchmark with another group
// commit setting (--case-group).
func BenchmarkIntakeBacklog(b *testing.B) {
	clk := &testClock{t: time.Now()}
	ta, dbURL := newDurableApp(b, clk)
	ctx := context.Background()
	cats := []string{"0101", "0102", "0104", "0201", "0202", "0304", "0601", "0801", "0903", "1102"}
	err := pgx.BeginFunc(ctx, ta.db.Pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0; SELECT setseed(0.42)`)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
WITH e AS (SELECT ST_Extent(geom)::geometry AS e FROM grid_versions WHERE valid_to IS NULL)
INSERT INTO cases (number, category_code, description, source, geom, reported_at, reporter_id, status, created_at, updated_at)
SELECT '2020-01-' || lpad(i::text, 6, '0'), ($1::text[])[1 + i % cardinality($1::text[])], 'backlog', 'hotline_12345',
       ST_SetSRID(ST_MakePoint(ST_XMin(e) + random() * (ST_XMax(e) - ST_XMin(e)), ST_YMin(e) + random() * (ST_YMax(e) - ST_YMin(e))), 4326),
       $2::timestamptz - random() * interval '72 hours', (SELECT min(id) FROM users), 'reported', $2, $2
FROM generate_series(1, 100000) AS i, e`, cats, clk.Now())
		if err != nil {
			return err
		}
		// Their idempotency keys (kept 7 days): the key look-up of a
		// report searches as many.
		_, err = tx.Exec(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, created_at, case_id)
SELECT reporter_id, 'earlier-' || id, '\x00', reported_at, id FROM cases`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	// As a table that has been in use: vacuumed (no autovacuum pass over the
	// backlog during the run) and checkpointed (the backlog's full-page
	// images not counted in the run's WAL).
	for _, q := range []string{`VACUUM ANALYZE cases, idempotency_keys`, `CHECKPOINT`} {
		if _, err := ta.testDB.Pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	pts := benchPoints(4096)
	tok := ta.login("center")
	var seq atomic.Int64
	pm := benchPostmaster(b, ta)
	// group=0: each report its own one-statement transaction; 1, 2, 4:
	// group commit with that many writers at once (case_group.go).
	for _, group := range []int{0, 1, 2, 4} {
		b.Run(fmt.Sprintf("group=%d", group), func(b *testing.B) {
			ta.caseStore.Group = group
			b.ReportAllocs()
			b.SetParallelism(8) // 16 clients on 2 cores
			var elapsed time.Duration
			var pgCPU, goCPU, wal float64
			report := func() bool {
				i := int(seq.Add(1))
				pt := pts[i%len(pts)]
				res := ta.do("POST", "/api/v1/cases", tok, map[string]any{"category": cats[i%len(cats)], "description": fmt.Sprintf("积压基准 %d", i),
					"lon": pt[0], "lat": pt[1], "source": "hotline_12345"}, map[string]string{"Idempotency-Key": fmt.Sprintf("backlog-%d", i)})
				if res.Status != 201 {
					b.Errorf("status %d: %s", res.Status, res.Body)
					return false
				}
				return true
			}
			xacts := transactions(b, ta, dbURL, func() {
				// The pool's connections are new (transactions closes them to
				// count): warm them up first, as a running server's are — a
				// backend's first statements load the catalog, PostGIS and
				// PROJ (tens of ms each). Their transactions are counted, and
				// the reports with them.
				var wg sync.WaitGroup
				for range benchWarmClients {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range benchWarmReports {
							report()
						}
					}()
				}
				wg.Wait()
				lsn := benchLSN(b, ta)
				pg0, go0 := postgresCPU(pm), processCPU()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if !report() {
							return
						}
					}
				})
				elapsed = time.Since(start)
				pgCPU, goCPU = postgresCPU(pm)-pg0, processCPU()-go0
				wal = benchWALSince(b, ta, lsn)
			})
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reports/s")
			b.ReportMetric(float64(xacts)/float64(b.N+benchWarmClients*benchWarmReports), "xacts/report")
			// CPU per report: PostgreSQL's (every process of the cluster)
			// and this process's (gridd and its 16 clients); WAL written
			// per report.
			b.ReportMetric(pgCPU*1000/float64(b.N), "pg_cpu_ms/report")
			b.ReportMetric(goCPU*1000/float64(b.N), "go_cpu_ms/report")
			b.ReportMetric(wal/float64(b.N), "wal_B/report")
		})
	}
}

// The warm-up of BenchmarkIntakeBacklog: clients × reports each.
const (
	benchWarmClients = 16
	benchWarmReports = 4
)

// benchPostmaster is the pid of the test cluster's postmaster (the parent
// of a backend: the cluster runs on this host).
func benchPostmaster(b *testing.B, ta *benchApp) int {
	var backend int
	if err := ta.testDB.Pool.QueryRow(context.Background(), `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		b.Fatal(err)
	}
	f := procStat(backend)
	if len(f) < 2 {
		b.Fatalf("no /proc stat of backend %d", backend)
	}
	pm, err := strconv.Atoi(f[1])
	if err != nil {
		b.Fatal(err)
	}
	return pm
}

func benchLSN(b *testing.B, ta *benchApp) string {
	var lsn string
	if err := ta.testDB.Pool.QueryRow(context.Background(), `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		b.Fatal(err)
	}
	return lsn
}

func benchWALSince(b *testing.B, ta *benchApp, lsn string) float64 {
	var d float64
	if err := ta.testDB.Pool.QueryRow(context.Background(), `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8`, lsn).Scan(&d); err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkPatrolUpload measures patrol uploads through the HTTP API,
// durable, 16 workers each uploading its own track: batches of one fix
// (a phone sending each fix as it arrives) and of 12 fixes. Reports
// uploads/s, fixes/s and transactions per upload.
func BenchmarkPatrolUpload(b *testing.B) {
	clk := &testClock{t: time.Now()}
	ta, dbURL := newDurableApp(b, clk)
	ctx := context.Background()
	rows, err := ta.db.Pool.Query(ctx, `SELECT username FROM users WHERE role = 'worker' AND NOT disabled ORDER BY username LIMIT 16`)
	if err != nil {
		b.Fatal(err)
	}
	workers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(workers) < 16 {
		b.Fatalf("workers: %v %v", workers, err)
	}
	tokens := make([]string, len(workers))
	for i, w := range workers {
		tokens[i] = ta.login(w)
	}
	day := routeDay()
	var clientSeq, fixSeq atomic.Int64
	// group=0: every upload its own transaction, as before; group=1, 2, 4:
	// group commit with that many transactions at once (the default is 2).
	for _, batch := range []int{1, 12} {
		for _, group := range []int{0, 1, 2, 4} {
			b.Run(fmt.Sprintf("fixes=%d/group=%d", batch, group), func(b *testing.B) {
				ta.patrolStore.Group = group
				b.ReportAllocs()
				b.SetParallelism(8)
				var elapsed time.Duration
				var mu sync.Mutex
				var lat []time.Duration
				xacts := transactions(b, ta, dbURL, func() {
					start := time.Now()
					b.RunParallel(func(pb *testing.PB) {
						c := int(clientSeq.Add(1)-1) % len(workers)
						var mine []time.Duration
						defer func() {
							mu.Lock()
							lat = append(lat, mine...)
							mu.Unlock()
						}()
						for pb.Next() {
							pts := make([]map[string]any, batch)
							for k := range pts {
								// A fresh millisecond for every fix of the run.
								t := day.Add(time.Duration(fixSeq.Add(1)) * time.Millisecond)
								pts[k] = map[string]any{"t": t.Format(time.RFC3339Nano), "lon": 117.53, "lat": 36.70, "accuracy_m": 5}
							}
							t0 := time.Now()
							res := ta.do("POST", "/api/v1/patrols/points", tokens[c], map[string]any{"worker": workers[c], "crs": "wgs84", "points": pts}, nil)
							mine = append(mine, time.Since(t0))
							if res.Status != 200 && res.Status != 201 {
								b.Errorf("status %d: %s", res.Status, res.Body)
								return
							}
						}
					})
					elapsed = time.Since(start)
				})
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "uploads/s")
				b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "fixes/s")
				b.ReportMetric(float64(xacts)/float64(b.N), "xacts/upload")
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
			})
		}
	}
}

// newDurableApp is newCaseApp on a pool of 16 whose commits wait for the
// WAL flush (synchronous_commit=on; the cluster decides whether that
// fsyncs), and its database's URL.
func newDurableApp(b *testing.B, clk *testClock) (*benchApp, string) {
	tdb := dbtest.NewDemo(b)
	url := dbtest.URL(b, tdb)
	dbURL := url + "&synchronous_commit=on"
	if *benchPool > 0 {
		dbURL += fmt.Sprintf("&pool_max_conns=%d", *benchPool)
	}
	c := Config{DatabaseURL: dbURL, StatementTimeout: 30 * time.Second,
		TokenTTL: 24 * 365 * time.Hour, MaxBody: 1 << 20, Now: clk.Now}
	ta := serveTestApp(b, c)
	return &benchApp{ta, tdb}, url
}

// benchPool is the database pool of the durable benchmarks' server: by
// default gridd serve's (pgxpool's: four connections on two cores).
var benchPool = flag.Int("bench.pool", 0, "database connections of the durable benchmarks' server (0: gridd serve's default)")

// benchApp is a test app and the test database's own pool.
type benchApp struct {
	*testApp
	testDB *postgis.DB
}

// postgresCPU is the CPU seconds the cluster used so far: the
// postmaster's own and its reaped children's, plus its live children's.
func postgresCPU(postmaster int) float64 {
	ticks := 0.0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := procStat(pid)
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		num := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v }
		switch {
		case pid == postmaster:
			ticks += num(11) + num(12) + num(13) + num(14) // utime stime cutime cstime
		case ppid == postmaster:
			ticks += num(11) + num(12)
		}
	}
	return ticks / 100 // USER_HZ
}

// procStat returns the fields of /proc/pid/stat from the third (state)
// on — f[1] the parent, f[11] and f[12] user and system time in ticks —
// or nil when the process is gone.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
}
