package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
)

// BenchmarkEventLatency measures commit → SSE client on another instance:
// 200 streams of a center are open on instance B; each iteration commits
// one case event through instance A's pool and waits until every stream
// has it. Reported: p50 and p99 of all (stream, event) latencies, timed
// from just before the INSERT (so the commit itself is included).
func BenchmarkEventLatency(b *testing.B) {
	const clients = 200
	url := dbtest.URL(b, dbtest.NewDemo(b))
	a, _ := newTestAppURL(b, url, nil)
	srvB, _ := newTestAppURL(b, url, nil)
	tok := srvB.login("center")
	streams := make([]*stream, clients)
	for i := range streams {
		streams[i] = openStream(b, srvB, tok, "")
	}
	ctx := context.Background()
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		var id int64
		if err := a.db.Pool.QueryRow(ctx, `WITH e AS (INSERT INTO events (kind, object, object_id, grid_code, data)
VALUES ('case.changed', 'case', '0', $1, '{"action":"bench"}') RETURNING id)
SELECT id, pg_notify('gridd_events', '') FROM e`, ownGrid).Scan(&id, nil); err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, s := range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case e := <-s.events:
						if e.ID == id {
							d := time.Since(t0)
							mu.Lock()
							lat = append(lat, d)
							mu.Unlock()
							return
						}
					case <-time.After(10 * time.Second):
						b.Errorf("event %d not received in 10 s", id)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkWebhookDeliveries measures outbox throughput: b.N events are
// committed in one statement while one instance works jobs; the relay
// turns them into deliveries, and the workers (River, 8 at a time) POST
// them to a local receiver. Reported as deliveries/s, from the commit to
// the last delivery received.
func BenchmarkWebhookDeliveries(b *testing.B) {
	ta, c := newTestAppURL(b, dbtest.URL(b, dbtest.NewDemo(b)), func(c *Config) {
		c.WebhookAllowPrivate = true
		c.JobPoll = 50 * time.Millisecond
	})
	var got atomic.Int64
	done := make(chan struct{}, 1)
	var want atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got.Add(1) == want.Load() {
			select {
			case done <- struct{}{}:
			default:
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	admin := ta.login("admin")
	if res := ta.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": rcv.URL}, nil); res.Status != 201 {
		b.Fatalf("subscribe: %d %s", res.Status, res.Body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := ta.startJobs(ctx, c)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	b.ResetTimer()
	got.Store(0)
	want.Store(int64(b.N))
	start := time.Now()
	if _, err := ta.db.Pool.Exec(ctx, `WITH e AS (INSERT INTO events (kind, object, object_id, grid_code)
SELECT 'case.changed', 'case', g::text, $2 FROM generate_series(1, $1) g RETURNING 1)
SELECT pg_notify('gridd_events', '') FROM (SELECT count(*) FROM e) n`, b.N, ownGrid); err != nil {
		b.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d delivered in 5 minutes", got.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}
