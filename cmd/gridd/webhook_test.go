package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/webhook"
)

// receiver is a local webhook endpoint that checks signatures.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	secret string
	status int // what it answers

	mu         sync.Mutex
	byEvent    map[int64]int // event id → deliveries received
	deliveries map[string]int64
	hits       int
	bad        []string
	got        chan struct{}
}

func newReceiver(t testing.TB, status int) *receiver {
	r := &receiver{t: t, status: status, byEvent: map[int64]int{}, deliveries: map[string]int64{}, got: make(chan struct{}, 10000)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts, _ := strconv.ParseInt(req.Header.Get("X-Gridd-Timestamp"), 10, 64)
	var b webhook.Body
	err := json.Unmarshal(body, &b)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits++
	switch {
	case err != nil:
		r.bad = append(r.bad, "body: "+err.Error())
	case !webhook.Verify(r.secret, req.Header.Get("X-Gridd-Signature"), ts, body, time.Now(), 5*time.Minute):
		r.bad = append(r.bad, "bad signature on delivery "+req.Header.Get("X-Gridd-Delivery"))
	case req.Header.Get("X-Gridd-Delivery") != b.Delivery || req.Header.Get("X-Gridd-Event") != string(b.Event.Kind):
		r.bad = append(r.bad, "headers disagree with the body")
	}
	if r.status != 0 {
		w.WriteHeader(r.status)
	} else {
		if prev, ok := r.deliveries[b.Delivery]; ok && prev != b.Event.ID {
			r.bad = append(r.bad, "delivery id reused for another event")
		}
		r.deliveries[b.Delivery] = b.Event.ID
		r.byEvent[b.Event.ID]++
		w.WriteHeader(http.StatusNoContent)
	}
	r.got <- struct{}{}
}

// waitEvents waits until every event id in want was received.
func (r *receiver) waitEvents(t testing.TB, want []int64, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		missing := 0
		for _, id := range want {
			if r.byEvent[id] == 0 {
				missing++
			}
		}
		r.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%d of %d events not delivered within %s", missing, len(want), timeout)
		}
	}
}

func (r *receiver) check(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		t.Error(b)
	}
	for id, n := range r.byEvent {
		if n != 1 {
			t.Errorf("event %d delivered %d times", id, n)
		}
	}
}

func fastWebhooks(c *Config) {
	c.WebhookAllowPrivate = true
	c.JobPoll = 50 * time.Millisecond
	c.WebhookAttempts = 3
	c.WebhookBackoff = func(int) time.Duration { return 100 * time.Millisecond }
	c.InstanceID = fmt.Sprintf("test-%d", time.Now().UnixNano())
}

// subscribe creates a webhook to rcv as admin and returns its id.
func subscribe(t testing.TB, ta *testApp, admin string, rcv *receiver, body map[string]any) int64 {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["url"] = rcv.srv.URL + "/hook"
	res := ta.do("POST", "/api/v1/webhooks", admin, body, nil)
	if res.Status != 201 {
		t.Fatalf("subscribe: %d %s", res.Status, res.Body)
	}
	var sub webhook.Subscription
	res.decode(t, &sub)
	if len(sub.Secret) < webhook.MinSecret {
		t.Fatalf("no secret shown at creation: %s", res.Body)
	}
	rcv.secret = sub.Secret
	if list := ta.do("GET", "/api/v1/webhooks", admin, nil, nil); list.Status != 200 || stringsContains(string(list.Body), sub.Secret) {
		t.Errorf("the list shows the secret again: %d %s", list.Status, list.Body)
	}
	return sub.ID
}

func contains(b []byte, s string) bool {
	return len(s) > 0 && string(b) != "" && stringsContains(string(b), s)
}

// eventIDsAfter lists the ids of the events committed after id.
func eventIDsAfter(t testing.TB, ta *testApp, after int64) []int64 {
	t.Helper()
	rows, err := ta.db.Pool.Query(context.Background(), `SELECT id FROM events WHERE id > $1 ORDER BY id`, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func maxEventID(t testing.TB, ta *testApp) int64 {
	t.Helper()
	var id int64
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT coalesce(max(id), 0) FROM events`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestWebhookDeliversEveryEventOnce: a local receiver subscribed to all
// kinds gets every event committed after it subscribed, once each, signed.
// The events are committed while no instance works jobs ("gridd was
// killed between the commit and the delivery"); an instance started
// afterwards delivers the backlog, and the live ones after it.
func TestWebhookDeliversEveryEventOnce(t *testing.T) {
	url := dbtest.URL(t, dbtest.NewDemo(t))
	a, cfgA := newTestAppURL(t, url, fastWebhooks)
	rcv := newReceiver(t, 0)
	admin, worker, center := a.login("admin"), a.login(ownGrid), a.login("center")
	since := maxEventID(t, a)
	id := subscribe(t, a, admin, rcv, nil)

	// Committed with no job client anywhere: only the outbox has them.
	for i := range 3 {
		c := a.report(worker, reportBody("0104", pointIn(ownGrid, uint64(40+i), 30)), nil)
		a.mustAct(center, &c, map[string]any{"action": "accept"})
	}
	backlog := eventIDsAfter(t, a, since)
	if len(backlog) != 6 {
		t.Fatalf("%d events committed, want 6", len(backlog))
	}
	// A new instance starts and works jobs.
	b, cb := newTestAppURL(t, url, fastWebhooks)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := b.startJobs(ctx, cb)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	rcv.waitEvents(t, backlog, 20*time.Second)

	// Live, with both instances working jobs now: more events, each still
	// delivered once (the relays take turns, the delivery jobs are unique).
	stopA, err := a.startJobs(ctx, cfgA)
	if err != nil {
		t.Fatal(err)
	}
	defer stopA()
	for i := range 3 {
		a.report(worker, reportBody("0104", pointIn(ownGrid, uint64(50+i), 30)), nil)
	}
	all := eventIDsAfter(t, a, since)
	rcv.waitEvents(t, all, 20*time.Second)
	rcv.check(t)
	// Each attempt is recorded just after the receiver answered. The jobs
	// now running may commit events of their own (a patrol day settled, a
	// clock reminder) after all was read: only all's deliveries are judged.
	want := make(map[int64]bool, len(all))
	for _, e := range all {
		want[e] = true
	}
	var ds struct{ Deliveries []webhook.Delivery }
	mine := func() []webhook.Delivery {
		var out []webhook.Delivery
		for _, d := range ds.Deliveries {
			if want[d.EventID] {
				out = append(out, d)
			}
		}
		return out
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		ds.Deliveries = nil
		a.do("GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?status=delivered", id), admin, nil, nil).decode(t, &ds)
		if len(mine()) >= len(all) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ds.Deliveries = mine()
	seen := make(map[int64]bool, len(all))
	for _, d := range ds.Deliveries {
		if seen[d.EventID] {
			t.Errorf("event %d delivered twice", d.EventID)
		}
		seen[d.EventID] = true
	}
	if len(ds.Deliveries) != len(all) {
		t.Fatalf("%d deliveries of the %d events listed as delivered, want one each", len(ds.Deliveries), len(all))
	}
	for _, d := range ds.Deliveries {
		if d.Status != webhook.StatusDelivered || d.Attempts != 1 || d.LastStatus == nil || *d.LastStatus != 204 {
			t.Errorf("delivery %d: %+v, want delivered at the first attempt with 204", d.ID, d)
		}
	}
}

// TestWebhookDeadLetter: a receiver answering 500 sees every attempt,
// then the delivery is dead and listed with its last error and status.
func TestWebhookDeadLetter(t *testing.T) {
	ta, c := newTestAppURL(t, dbtest.URL(t, dbtest.NewDemo(t)), fastWebhooks)
	rcv := newReceiver(t, http.StatusInternalServerError)
	admin := ta.login("admin")
	id := subscribe(t, ta, admin, rcv, map[string]any{"kinds": []string{"grid.edited"}, "grid_code": viewerScope})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := ta.startJobs(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// One matching event (a grid in the subtree), one outside it.
	if res := ta.do("PATCH", "/api/v1/grids/"+ownGrid, admin, map[string]string{"name": "不在订阅范围"}, map[string]string{"If-Match": `"1"`}); res.Status != 200 {
		t.Fatalf("patch: %d %s", res.Status, res.Body)
	}
	if res := ta.do("PATCH", "/api/v1/grids/"+otherGrid, admin, map[string]string{"name": "订阅范围内"}, map[string]string{"If-Match": `"1"`}); res.Status != 200 {
		t.Fatalf("patch: %d %s", res.Status, res.Body)
	}
	deadline := time.Now().Add(30 * time.Second)
	var ds struct{ Deliveries []webhook.Delivery }
	for {
		ds.Deliveries = nil
		ta.do("GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?status=dead", id), admin, nil, nil).decode(t, &ds)
		if len(ds.Deliveries) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(ds.Deliveries) != 1 {
		t.Fatalf("%d dead letters, want 1", len(ds.Deliveries))
	}
	d := ds.Deliveries[0]
	if d.Attempts != 3 || d.LastStatus == nil || *d.LastStatus != 500 || !stringsContains(d.LastError, "500") || d.Kind != "grid.edited" {
		t.Errorf("dead letter %+v, want 3 attempts ending in 500", d)
	}
	rcv.mu.Lock()
	hits := rcv.hits
	rcv.mu.Unlock()
	if hits != 3 {
		t.Errorf("the receiver saw %d attempts, want 3 (retries of the one matching event)", hits)
	}
	rcv.check(t)
}

// TestWebhookRefusesPrivateTargets: without --webhook-allow-private a
// subscription to loopback, link-local, private or a name resolving to
// loopback is refused, naming the url field.
func TestWebhookRefusesPrivateTargets(t *testing.T) {
	ta := newTestApp(t, true)
	admin := ta.login("admin")
	for _, u := range []string{"http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/hook",
		"http://[::1]:8080/hook", "http://localhost:9/hook", "http://192.168.1.10/", "http://[fe80::1]/", "http://0.0.0.0/"} {
		res := ta.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": u}, nil)
		if res.Status != 400 || !stringsContains(string(res.Body), `"field":"url"`) || !stringsContains(string(res.Body), "forbidden_target") {
			t.Errorf("%s: %d %s, want 400 forbidden_target on url", u, res.Status, res.Body)
		}
	}
	for body, field := range map[string]string{
		`{"url":"ftp://example.org/"}`:                              "url",
		`{"url":"https://93.184.216.34/","kinds":["case.nothing"]}`: "kinds[0]",
		`{"url":"https://93.184.216.34/","grid_code":"999"}`:        "grid_code",
		`{"url":"https://93.184.216.34/","secret":"short"}`:         "secret",
		`{"url":"https://user:pw@93.184.216.34/"}`:                  "url",
		`{"url":"https://93.184.216.34/","unknown":1}`:              "body",
	} {
		res := ta.do("POST", "/api/v1/webhooks", admin, []byte(body), nil)
		if res.Status != 400 || !stringsContains(string(res.Body), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 400 on %s", body, res.Status, res.Body, field)
		}
	}
	var n int
	if err := ta.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM webhooks`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d webhooks stored from refused requests (%v)", n, err)
	}
}
