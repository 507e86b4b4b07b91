package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/maptile"
)

// The read-replica tests share the test binary's primary and standby pair
// and pause or stop its standby: none of them runs in parallel.

// newReplicaApp is the real wiring on a demo database of the pair's
// primary with --read-database-url on its standby, once the standby is
// in use.
func newReplicaApp(t testing.TB, tweak func(*Config)) (*testApp, *dbtest.Pair, string) {
	t.Helper()
	db, pair := dbtest.NewReplicated(t, true)
	c := Config{DatabaseURL: dbtest.URL(t, db), ReadDatabaseURL: pair.ReadURL(t, db), ReadMaxLag: 30 * time.Second,
		ReadWait: 200 * time.Millisecond, ReadCheckEvery: 100 * time.Millisecond,
		StatementTimeout: 30 * time.Second, TokenTTL: time.Hour, MaxBody: 1 << 20}
	if tweak != nil {
		tweak(&c)
	}
	ta := serveTestApp(t, c)
	eventually(t, "the standby in use", ta.replica.InUse)
	return ta, pair, c.ReadDatabaseURL
}

// listHas reports whether the case list (read with hdr) holds number.
func listHas(ta *testApp, token, number string, hdr map[string]string) bool {
	ta.t.Helper()
	res := ta.do("GET", "/api/v1/cases?limit=500", token, nil, hdr)
	if res.Status != 200 {
		ta.t.Fatalf("case list: %d %s", res.Status, res.Body)
	}
	var page listPage
	res.decode(ta.t, &page)
	for _, c := range page.Cases {
		if c.Number == number {
			return true
		}
	}
	return false
}

// tileHas reports whether the cases tile at tile (read with hdr) holds number.
func tileHas(t *testing.T, ta *testApp, token, number string, tile maptile.Tile, hdr map[string]string) bool {
	ta.t.Helper()
	res := ta.do("GET", tilePath("cases", tile), token, nil, hdr)
	if res.Status != 200 {
		ta.t.Fatalf("cases tile: %d %s", res.Status, res.Body)
	}
	for _, f := range feats(decodeTile(t, res.Body)["cases"]) {
		if f.Properties.MustString("number", "") == number {
			return true
		}
	}
	return false
}

// TestReplicaReadYourWrites: with the standby's replay paused, a new case
// is missing from the list and the tile read without the writer's commit
// position (they come from the standby) and present with it (the standby
// has not replayed it within the wait: the primary serves them); once
// replay resumes the standby serves the read with the position, the case
// in it. The position comes back as the Gridd-LSN header and the
// gridd_lsn cookie, and the cookie alone works as well.
func TestReplicaReadYourWrites(t *testing.T) {
	ta, pair, _ := newReplicaApp(t, nil)
	worker, center := ta.login(ownGrid), ta.login("center")
	p := pointIn(ownGrid, 77, 30)
	tile := maptile.At(p, 16)

	pair.PauseReplay(t)
	res := ta.do("POST", "/api/v1/cases", worker, reportBody("0104", p), nil)
	if res.Status != 201 {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	var c caseView
	res.decode(t, &c)
	lsn := res.Header.Get("Gridd-LSN")
	var cookie *http.Cookie
	for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
		if ck.Name == "gridd_lsn" {
			cookie = ck
		}
	}
	if lsn == "" || cookie == nil || cookie.Value != lsn || !cookie.HttpOnly {
		t.Fatalf("write answered without its commit position: header %q, cookie %v", lsn, cookie)
	}

	before := ta.replica.Status()
	if listHas(ta, center, c.Number, nil) {
		t.Error("the list without a position shows the case: it was not read on the paused standby")
	}
	if tileHas(t, ta, center, c.Number, tile, nil) {
		t.Error("the tile without a position shows the case: it was not read on the paused standby")
	}
	if st := ta.replica.Status(); st.Routed < before.Routed+2 {
		t.Errorf("reads without a position sent to the standby: %d, want 2", st.Routed-before.Routed)
	}
	withPos := map[string]string{"Gridd-LSN": lsn}
	if !listHas(ta, center, c.Number, withPos) {
		t.Error("the list read after the write misses it (read-your-writes)")
	}
	if !tileHas(t, ta, center, c.Number, tile, withPos) {
		t.Error("the tile read after the write misses it (read-your-writes)")
	}
	if !listHas(ta, center, c.Number, map[string]string{"Cookie": "gridd_lsn=" + lsn}) {
		t.Error("the list read with the position cookie misses the write")
	}
	if st := ta.replica.Status(); st.FellBack < before.FellBack+3 {
		t.Errorf("reads with an unreplayed position that went to the primary: %d, want 3", st.FellBack-before.FellBack)
	}

	pair.ResumeReplay(t)
	before = ta.replica.Status()
	if !listHas(ta, center, c.Number, withPos) || !tileHas(t, ta, center, c.Number, tile, withPos) {
		t.Error("after replay resumed, the read with the position misses the write")
	}
	if st := ta.replica.Status(); st.Routed != before.Routed+2 || st.FellBack != before.FellBack {
		t.Errorf("after replay resumed: %d reads on the standby, %d on the primary; want 2 and 0",
			st.Routed-before.Routed, st.FellBack-before.FellBack)
	}
	if res := ta.do("GET", "/api/v1/cases", center, nil, map[string]string{"Gridd-LSN": "not-a-position"}); res.Status != 200 {
		t.Errorf("a malformed position: %d %s", res.Status, res.Body)
	}
}

// standbyScans counts the scans of table on the standby's copy of the
// database (the standby's own statistics: only queries run there count).
func standbyScans(t *testing.T, readURL, table string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, readURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = $1`, table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReplicaServesReads checks on the standby itself that the case list,
// summary, statistics, export, register list, OGC items and tiles ran
// there: the scans of their tables counted by the standby grow; a write
// (and the case detail, not a replica route) stays on the primary.
func TestReplicaServesReads(t *testing.T) {
	ta, _, readURL := newReplicaApp(t, nil)
	center, admin := ta.login("center"), ta.login("admin")
	cases0, grids0, regs0 := standbyScans(t, readURL, "cases"), standbyScans(t, readURL, "grid_versions"), standbyScans(t, readURL, "register_records")
	for _, path := range []string{"/api/v1/cases?limit=5", "/api/v1/cases/summary", "/api/v1/stats/cases?group_by=unit&from=2026-01-01&to=2026-12-31",
		"/api/v1/cases/export?format=csv"} {
		if res := ta.do("GET", path, center, nil, nil); res.Status != 200 {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
	}
	if res := ta.do("GET", "/api/v1/registers/households?limit=5", admin, nil, nil); res.Status != 200 {
		t.Fatalf("register list: %d %s", res.Status, res.Body)
	}
	for _, path := range []string{"/ogc/collections/grids-level-3/items?limit=5", "/ogc/collections/cases/items?limit=5"} {
		if res := ta.do("GET", path, center, nil, nil); res.Status != 200 {
			t.Fatalf("%s: %d %s", path, res.Status, res.Body)
		}
	}
	// Statistics reach the standby's counters when its sessions go idle
	// (within a second).
	eventually(t, "scans of cases, grid_versions and register_records on the standby", func() bool {
		return standbyScans(t, readURL, "cases") >= cases0+5 && standbyScans(t, readURL, "grid_versions") > grids0 &&
			standbyScans(t, readURL, "register_records") > regs0
	})
	st := ta.replica.Status()
	if st.Routed < 7 || st.FellBack != 0 {
		t.Errorf("routed %d reads to the standby and %d to the primary; want ≥ 7 and 0", st.Routed, st.FellBack)
	}
	m := string(ta.do("GET", "/metrics", "", nil, nil).Body)
	for _, want := range []string{"gridd_read_replica_in_use 1", fmt.Sprintf(`gridd_read_replica_reads_total{target="replica"} %d`, st.Routed),
		`gridd_read_replica_reads_total{target="primary"} 0`, "gridd_read_replica_lag_seconds "} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestReplicaStoppedUnderLoad stops the standby (immediate shutdown, as a
// crash) while clients read the
// replica routes: every request succeeds (a read that failed on the
// standby is served again from the primary), the standby is taken out of
// use, and put back once it runs again.
func TestReplicaStoppedUnderLoad(t *testing.T) {
	ta, pair, _ := newReplicaApp(t, nil)
	center := ta.login("center")
	paths := []string{"/api/v1/cases?limit=20", "/ogc/collections/grids-level-3/items?limit=20", "/api/v1/stats/cases?group_by=unit&from=2026-01-01&to=2026-12-31",
		"/ogc/collections/cases/items?limit=20"}
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var failures []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				path := paths[(i+n)%len(paths)]
				res, err := ta.doErr("GET", path, center, nil, nil)
				if err != nil || res.Status != 200 {
					failed.Add(1)
					mu.Lock()
					if err != nil {
						failures = append(failures, fmt.Sprintf("%s: %v", path, err))
					} else {
						failures = append(failures, fmt.Sprintf("%s: %d %s", path, res.Status, res.Body))
					}
					mu.Unlock()
					continue
				}
				ok.Add(1)
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	routedBefore := ta.replica.Status().Routed
	pair.CrashStandby(t)
	stopped := true
	defer func() {
		if stopped {
			pair.StartStandby(t)
		}
	}()
	eventually(t, "the stopped standby out of use", func() bool { return !ta.replica.InUse() })
	time.Sleep(500 * time.Millisecond) // reads on the primary only
	t0 := time.Now()
	pair.StartStandby(t)
	stopped = false
	eventually(t, "the restarted standby back in use", ta.replica.InUse)
	t.Logf("standby back in use %s after the start command", time.Since(t0))
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed while the standby stopped: %s", failed.Load(), failed.Load()+ok.Load(), strings.Join(failures[:min(5, len(failures))], "; "))
	}
	st := ta.replica.Status()
	if routedBefore == 0 || st.Routed <= routedBefore || st.FellBack == 0 {
		t.Errorf("reads: %d on the standby before the stop, %d in all, %d on the primary: want some of each", routedBefore, st.Routed, st.FellBack)
	}
	t.Logf("%d requests, none failed; standby %d, primary %d, served again after failing on the standby %d", ok.Load(), st.Routed, st.FellBack, st.Failed)
}

// TestReplicaFailedReadServedAgain crashes the standby between two health
// checks (an hour apart here): the next read is routed to it, fails there,
// takes it out of use and is answered by the primary — the client sees
// only the answer.
func TestReplicaFailedReadServedAgain(t *testing.T) {
	ta, pair, _ := newReplicaApp(t, func(c *Config) { c.ReadCheckEvery = time.Hour })
	center := ta.login("center")
	pair.CrashStandby(t)
	defer pair.StartStandby(t)
	for _, path := range []string{"/api/v1/cases?limit=5", "/ogc/collections/grids-level-3/items?limit=5"} {
		if res := ta.do("GET", path, center, nil, nil); res.Status != 200 {
			t.Errorf("%s with the standby crashed: %d %s", path, res.Status, res.Body)
		}
	}
	st := ta.replica.Status()
	if st.Failed != 1 || st.InUse || !strings.Contains(st.Reason, "failed on the standby") {
		t.Errorf("after the failed read: %d failed, in use %t (%q); want 1, out of use", st.Failed, st.InUse, st.Reason)
	}
}

// TestReplicaLagTakesItOut: a standby replaying further behind the
// primary than --read-max-lag is taken out of use (reads see the primary's
// latest writes, without any position), and back in once it catches up.
func TestReplicaLagTakesItOut(t *testing.T) {
	ta, pair, _ := newReplicaApp(t, func(c *Config) { c.ReadMaxLag = time.Second })
	worker, center := ta.login(ownGrid), ta.login("center")
	pair.PauseReplay(t)
	c := ta.report(worker, reportBody("0104", pointIn(ownGrid, 78, 30)), nil)
	eventually(t, "the lagging standby out of use", func() bool { return !ta.replica.InUse() })
	if st := ta.replica.Status(); !strings.Contains(st.Reason, "behind the primary") || st.Lag <= time.Second {
		t.Errorf("out of use for %q at lag %s; want lag beyond 1s", st.Reason, st.Lag)
	}
	if !listHas(ta, center, c.Number, nil) {
		t.Error("with the standby out of use, the list misses the latest write")
	}
	pair.ResumeReplay(t)
	eventually(t, "the caught-up standby back in use", ta.replica.InUse)
	before := ta.replica.Status().Routed
	if !listHas(ta, center, c.Number, nil) {
		t.Error("the caught-up standby misses the write")
	}
	if ta.replica.Status().Routed != before+1 {
		t.Error("the caught-up standby did not serve the list")
	}
}
