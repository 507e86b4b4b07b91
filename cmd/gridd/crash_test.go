package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/devdb"
	"github.com/gridd/gridd/internal/people"
)

// TestCrashDuringWrites (issue 16): PostgreSQL — a private, durable
// cluster — is stopped as by a crash (pg_ctl stop -m immediate) while 200
// clients report cases with an Idempotency-Key each and a worker's app
// sends patrol batches, then started again. Clients retry on 503 (and on
// a dropped connection) with the same key or batch. Afterwards: every
// acknowledged case and point is stored, each case once, with its report
// event and number (none half-written); while the database was down
// gridd answered 503, never 500.
func TestCrashDuringWrites(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gridd-crash-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Setting up (initdb, migrations, users) is not what the test is
	// about: it runs on the cluster without fsync, then the cluster stops
	// cleanly and starts again durable (fsync, synchronous_commit and
	// full_page_writes on) for the writes and the crash.
	setup, err := devdb.Start(ctx, devdb.Options{Dir: dir, Database: "gridd"})
	if err != nil {
		t.Fatalf("start a private cluster: %v", err)
	}
	t.Cleanup(func() { _ = setup.Stop(); _ = os.RemoveAll(dir) })
	c := Config{DatabaseURL: setup.URL("gridd") + "&pool_max_conns=8", StatementTimeout: 30 * time.Second, TokenTTL: time.Hour, MaxBody: 1 << 20}
	a, err := openApp(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []*people.User{{Username: "admin", Name: "管理员", Role: people.RoleAdmin, PasswordHash: hash},
		{Username: "w1", Name: "网格员", Role: people.RoleWorker, PasswordHash: hash}} {
		if err := a.people.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	a.close()
	if err := setup.Stop(); err != nil {
		t.Fatal(err)
	}
	cl, err := devdb.Start(ctx, devdb.Options{Dir: dir, Database: "gridd", Durable: true})
	if err != nil {
		t.Fatalf("restart the cluster durable: %v", err)
	}
	t.Cleanup(func() { _ = cl.Stop() })
	var durable string
	if err := a.db.Pool.QueryRow(ctx, `SELECT 1`).Scan(new(int)); err == nil {
		t.Fatal("the setup's pool still answers")
	}
	c.DatabaseURL = cl.URL("gridd") + "&pool_max_conns=8"
	if a, err = openApp(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if err := a.db.Pool.QueryRow(ctx, `SELECT current_setting('fsync') || current_setting('synchronous_commit') || current_setting('full_page_writes')`).Scan(&durable); err != nil || durable != "ononon" {
		t.Fatalf("the crash runs on a durable cluster: fsync, synchronous_commit, full_page_writes = %q (%v)", durable, err)
	}
	if err := a.locator.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.server(c).Handler())
	t.Cleanup(func() { srv.Close(); a.close() })
	ta := &testApp{app: a, srv: srv, t: t}
	admin, worker := ta.login("admin"), ta.login("w1")

	var n503, n500, nOther, acked atomic.Int64
	var otherMu sync.Mutex
	var others []string
	deadline := time.Now().Add(25 * time.Second)
	// send retries one request until it is answered 2xx (returned) or the
	// deadline passes; 503s and dropped connections are retried.
	send := func(method, path, token string, body any, hdr map[string]string) (response, bool) {
		for time.Now().Before(deadline) {
			res, err := ta.doErr(method, path, token, body, hdr)
			switch {
			case err != nil:
			case res.Status < 300:
				return res, true
			case res.Status == 503:
				n503.Add(1)
			case res.Status == 500:
				n500.Add(1)
			default:
				nOther.Add(1)
				otherMu.Lock()
				others = append(others, fmt.Sprintf("%d %s", res.Status, res.Body))
				otherMu.Unlock()
			}
			time.Sleep(100 * time.Millisecond)
		}
		return response{}, false
	}

	const clients = 200
	ids := make([]int64, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 20 * time.Millisecond) // spread over 4 s, across the crash
			body := map[string]any{"category": "0104", "description": fmt.Sprintf("崩溃测试 %03d", i), "lon": 117.5 + float64(i)*1e-4, "lat": 36.7,
				"crs": "wgs84", "source": "hotline_12345", "photos": []int64{}}
			res, ok := send("POST", "/api/v1/cases", admin, body, map[string]string{"Idempotency-Key": fmt.Sprintf("crash-%03d", i)})
			if !ok {
				return
			}
			var cv struct{ ID int64 }
			if json.Unmarshal(res.Body, &cv) == nil {
				ids[i] = cv.ID
				acked.Add(1)
			}
		})
	}
	// The worker's app: 20 batches of 25 points, each retried whole.
	const batches, perBatch = 20, 25
	var pointsAcked atomic.Int64
	t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	for b := range batches {
		wg.Go(func() {
			time.Sleep(time.Duration(b) * 200 * time.Millisecond)
			var pts []map[string]any
			for k := range perBatch {
				at := t0.Add(time.Duration(b*perBatch+k) * 10 * time.Second)
				pts = append(pts, map[string]any{"t": at.Format(time.RFC3339), "lon": 117.5 + float64(k)*1e-5, "lat": 36.7, "accuracy_m": 5})
			}
			if _, ok := send("POST", "/api/v1/patrols/points", worker, map[string]any{"worker": "w1", "crs": "wgs84", "points": pts}, nil); ok {
				pointsAcked.Add(perBatch)
			}
		})
	}
	// Crash once the load is running, come back a second later.
	for acked.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cl.Crash(); err != nil {
		t.Fatal(err)
	}
	crashedAt := acked.Load()
	time.Sleep(500 * time.Millisecond)
	if _, err := devdb.Start(ctx, devdb.Options{Dir: dir, Database: "gridd", Durable: true}); err != nil {
		t.Fatalf("restart the cluster: %v", err)
	}
	wg.Wait()

	t.Logf("acknowledged %d cases (%d before the crash), %d points; %d answers 503, %d 500, %d other", acked.Load(), crashedAt, pointsAcked.Load(), n503.Load(), n500.Load(), nOther.Load())
	if n500.Load() != 0 || nOther.Load() != 0 {
		t.Errorf("%d answers 500 and %d other errors while the database was away: %v", n500.Load(), nOther.Load(), others)
	}
	if n503.Load() == 0 {
		t.Errorf("no request met the outage (no 503): the crash came too late to test anything")
	}
	if acked.Load() != clients || pointsAcked.Load() != batches*perBatch {
		t.Fatalf("only %d of %d cases and %d of %d points acknowledged before the deadline", acked.Load(), clients, pointsAcked.Load(), batches*perBatch)
	}
	var cases, distinct, withoutReport, withoutNumber int
	if err := a.db.Pool.QueryRow(ctx, `
SELECT count(*), count(DISTINCT description),
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id)),
       count(*) FILTER (WHERE number IS NULL OR number = '')
FROM cases c WHERE description LIKE '崩溃测试 %'`).Scan(&cases, &distinct, &withoutReport, &withoutNumber); err != nil {
		t.Fatal(err)
	}
	if cases != clients || distinct != clients {
		t.Errorf("%d cases stored for %d distinct reports, want %d each (0 lost, 0 duplicates)", cases, distinct, clients)
	}
	if withoutReport != 0 || withoutNumber != 0 {
		t.Errorf("half-written cases: %d without their report event, %d without a number", withoutReport, withoutNumber)
	}
	for i, id := range ids {
		var desc string
		if err := a.db.Pool.QueryRow(ctx, `SELECT description FROM cases WHERE id = $1`, id).Scan(&desc); err != nil || desc != fmt.Sprintf("崩溃测试 %03d", i) {
			t.Errorf("acknowledged case %d (report %d): %q %v", id, i, desc, err)
		}
	}
	if n := ta.countPoints("w1"); n != batches*perBatch {
		t.Errorf("%d patrol points stored, %d acknowledged", n, batches*perBatch)
	}
}
