package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/webhook"
)

// TestEventsAcrossInstances: a case posted through instance A reaches a
// center streaming from instance B; a worker of another grid and a
// department the case does not name receive none of its events (the
// first thing they receive is a later grid edit they may see), the
// department named by the dispatch receives it from then on.
func TestEventsAcrossInstances(t *testing.T) {
	url := dbtest.URL(t, dbtest.NewDemo(t))
	a, _ := newTestAppURL(t, url, nil)
	// B's statement timeout is short: a stream holds no statement open.
	b, _ := newTestAppURL(t, url, func(c *Config) { c.StatementTimeout = 500 * time.Millisecond })

	center := openStream(t, b, b.login("center"), "")
	otherWorker := openStream(t, b, b.login(otherGrid), "")
	hwsuo := openStream(t, b, b.login("dept-hwsuo"), "")
	zzb := openStream(t, b, b.login("dept-zzb"), "")
	time.Sleep(time.Second) // the streams outlive B's statement timeout

	worker, centerA, admin := a.login(ownGrid), a.login("center"), a.login("admin")
	c := a.report(worker, reportBody("0104", pointIn(ownGrid, 11, 30)), nil)
	e := center.next(t, 2*time.Second)
	if e.Kind != "case.created" || e.num("id") != c.ID || e.Data["number"] != c.Number || e.GridCode != ownGrid ||
		e.Data["status"] != "reported" || e.Data["category"] != "0104" || e.LineID != e.ID || e.ObjectID != strconv.FormatInt(c.ID, 10) {
		t.Fatalf("center got %+v, want case.created of case %d %s", e, c.ID, c.Number)
	}
	if _, ok := e.Data["lon"].(float64); !ok {
		t.Errorf("case event without its location: %v", e.Data)
	}
	a.mustAct(centerA, &c, map[string]any{"action": "accept"})
	a.mustAct(centerA, &c, map[string]any{"action": "dispatch", "unit": "zzb"})
	for _, want := range []string{"accept", "dispatch"} {
		e := center.next(t, 2*time.Second)
		if e.Kind != "case.changed" || e.Data["action"] != want || e.num("id") != c.ID {
			t.Fatalf("center got %s %v, want case.changed %s", e.Kind, e.Data, want)
		}
	}
	if e := zzb.next(t, 2*time.Second); e.Kind != "case.changed" || e.Data["action"] != "dispatch" || e.Data["status"] != "dispatched" {
		t.Fatalf("the unit dispatched to got %s %v first, want the dispatch", e.Kind, e.Data)
	}
	// A marker the worker of the other grid and the other unit may see.
	res := a.do("PATCH", "/api/v1/grids/"+otherGrid, admin, map[string]string{"name": "改名网格"}, map[string]string{"If-Match": `"1"`})
	if res.Status != 200 {
		t.Fatalf("patch grid: %d %s", res.Status, res.Body)
	}
	for name, s := range map[string]*stream{"worker of another grid": otherWorker, "unit not named": hwsuo} {
		if e := s.next(t, 2*time.Second); e.Kind != "grid.edited" || e.GridCode != otherGrid {
			t.Errorf("%s got %s %s %v first, want only the grid edit", name, e.Kind, e.GridCode, e.Data)
		}
	}
	if e := center.next(t, 2*time.Second); e.Kind != "grid.edited" {
		t.Errorf("center got %s, want the grid edit", e.Kind)
	}
}

// TestEventsResume: a reader that reconnects with Last-Event-ID receives
// every event committed while it was away, in order, once.
func TestEventsResume(t *testing.T) {
	ta := newTestApp(t, true)
	tok, worker, center := ta.login("center"), ta.login(ownGrid), ta.login("center")
	s := openStream(t, ta, tok, "")
	first := ta.report(worker, reportBody("0104", pointIn(ownGrid, 21, 30)), nil)
	e := s.next(t, 2*time.Second)
	if e.num("id") != first.ID {
		t.Fatalf("got %+v", e)
	}
	s.close()

	var want []string
	for i := range 3 {
		c := ta.report(worker, reportBody("0104", pointIn(ownGrid, uint64(22+i), 30)), nil)
		want = append(want, fmt.Sprintf("case.created %d", c.ID))
		ta.mustAct(center, &c, map[string]any{"action": "reject", "comment": "重复上报"})
		want = append(want, fmt.Sprintf("case.changed %d", c.ID), fmt.Sprintf("case.returned %d", c.ID))
	}
	s2 := openStream(t, ta, tok, strconv.FormatInt(e.ID, 10))
	var got []string
	last := e.ID
	for range want {
		e := s2.next(t, 2*time.Second)
		if e.ID <= last {
			t.Errorf("event %d after %d: resent or out of order", e.ID, last)
		}
		last = e.ID
		got = append(got, fmt.Sprintf("%s %d", e.Kind, e.num("id")))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after reconnecting: %v, want %v", got, want)
	}
	// The same through ?last_event_id= and one JSON page.
	var page struct{ Events []sseEvent }
	res := ta.do("GET", fmt.Sprintf("/api/v1/events?poll=true&last_event_id=%d", e.ID), tok, nil, nil)
	res.decode(t, &page)
	if len(page.Events) != len(want) {
		t.Fatalf("poll page: %d events, want %d: %s", len(page.Events), len(want), res.Body)
	}
	// The reporter is told: case.returned is addressed to it.
	evs, _, err := ta.events.EventsAfter(context.Background(), events.Position{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ta.people.FindUserByUsername(context.Background(), ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind == events.CaseReturned && ev.ID > e.ID {
			e := ev
			n++
			if !slices.Equal(e.UserIDs, []int64{u.ID}) || e.Data["comment"] != "重复上报" {
				t.Errorf("case.returned %d: users %v data %v, want the reporter %d and the reason", e.ID, e.UserIDs, e.Data, u.ID)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d case.returned events, want 3", n)
	}
	for _, bad := range []string{"abc", "-1", "999999999"} {
		res := ta.do("GET", "/api/v1/events?poll=true&last_event_id="+bad, tok, nil, nil)
		if res.Status != 400 {
			t.Errorf("last_event_id=%s: %d, want 400", bad, res.Status)
		}
	}
}

// TestEventsOutOfOrderCommit: an event whose id was taken first but
// committed last is delivered all the same — it is held back (not
// final) while its transaction runs, so the later id is not delivered
// past it. Both orders of transaction ids are tried.
func TestEventsOutOfOrderCommit(t *testing.T) {
	ta := newTestApp(t, false)
	ctx := context.Background()
	hash, err := dbtest.FastHasher.Hash(dbtest.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.db.Pool.Exec(ctx, `INSERT INTO users (username, name, role, password_hash) VALUES ('root', '管理员', 'admin', $1)`, hash); err != nil {
		t.Fatal(err)
	}
	s := openStream(t, ta, ta.login("root"), "")
	for _, olderXIDFirst := range []bool{false, true} {
		t1, err := ta.db.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t2, err := ta.db.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if olderXIDFirst { // t1 takes the older transaction id but the higher event id
			if _, err := t1.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
				t.Fatal(err)
			}
		}
		var low, high int64
		// Each wakes the hubs at its commit, as the stores do after theirs.
		q := `WITH e AS (INSERT INTO events (kind, object, object_id) VALUES ('case.changed', 'case', $1) RETURNING id)
SELECT id, pg_notify('gridd_events', '') FROM e`
		if olderXIDFirst {
			if err := t2.QueryRow(ctx, q, "t2").Scan(&low, nil); err != nil {
				t.Fatal(err)
			}
			if err := t1.QueryRow(ctx, q, "t1").Scan(&high, nil); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := t1.QueryRow(ctx, q, "t1").Scan(&low, nil); err != nil {
				t.Fatal(err)
			}
			if err := t2.QueryRow(ctx, q, "t2").Scan(&high, nil); err != nil {
				t.Fatal(err)
			}
		}
		// Commit the one that is not blocking first.
		first, second := t2, t1
		if olderXIDFirst {
			first, second = t1, t2
		}
		if err := first.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if !olderXIDFirst {
			// t1 (older, lower id) still runs: t2's event is not final yet.
			head, err := ta.events.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if head.ID == high {
				t.Fatalf("event %d delivered while event %d's transaction runs", high, low)
			}
		}
		if err := second.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for range 2 {
			got[s.next(t, 2*time.Second).ID] = true
		}
		if !got[low] || !got[high] {
			t.Fatalf("olderXIDFirst=%v: got %v, want events %d and %d", olderXIDFirst, got, low, high)
		}
	}
}

// liveRouteCases are the access expectations of the event stream and the
// webhook routes (issue 14). The stream is read as one JSON page
// (?poll=true) so that the request ends.
func liveRouteCases() map[string]routeCase {
	newHook := func(ta *testApp) int64 {
		sub := &webhook.Subscription{URL: "https://93.184.216.34/hook", Kinds: []string{}, Secret: "0123456789abcdef"}
		if err := ta.webhookStore.CreateWebhook(context.Background(), sub); err != nil {
			ta.t.Fatal(err)
		}
		return sub.ID
	}
	return map[string]routeCase{
		"GET /api/v1/events":   {fixed("/api/v1/events?poll=true&last_event_id=0&limit=5"), all(200, nil)},
		"GET /api/v1/webhooks": {fixed("/api/v1/webhooks"), only(200, "admin")},
		"POST /api/v1/webhooks": {func(*testApp, string) (string, any, map[string]string) {
			return "/api/v1/webhooks", map[string]any{"url": "https://93.184.216.34/hook", "kinds": []string{"case.created"}}, nil
		}, only(201, "admin")},
		"DELETE /api/v1/webhooks/{id}": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/webhooks/%d", newHook(ta)), nil, nil
		}, only(204, "admin")},
		"GET /api/v1/webhooks/{id}/deliveries": {func(ta *testApp, _ string) (string, any, map[string]string) {
			return fmt.Sprintf("/api/v1/webhooks/%d/deliveries", newHook(ta)), nil, nil
		}, only(200, "admin")},
	}
}

// TestOpen311StatusNotes: the reporter reads how the request ended or why
// it came back, from the last closing or return step's comment.
func TestOpen311StatusNotes(t *testing.T) {
	ta := newTestApp(t, true)
	worker, center := ta.login(ownGrid), ta.login("center")
	c := ta.report(worker, reportBody("0104", pointIn(ownGrid, 61, 30)), nil)
	open := ta.report(worker, reportBody("0104", pointIn(ownGrid, 62, 30)), nil)
	ta.mustAct(center, &c, map[string]any{"action": "reject", "comment": "不属于受理范围"})
	get := func(number, lang string) string {
		var out []struct {
			StatusNotes string `json:"status_notes"`
		}
		res := ta.do("GET", "/open311/v2/requests/"+number+".json?lang="+lang, worker, nil, nil)
		res.decode(t, &out)
		if len(out) != 1 {
			t.Fatalf("%s: %s", number, res.Body)
		}
		return out[0].StatusNotes
	}
	if got := get(c.Number, "zh"); got != "已退回：不属于受理范围" {
		t.Errorf("status_notes %q", got)
	}
	if got := get(c.Number, "en"); got != "Sent back: 不属于受理范围" {
		t.Errorf("status_notes (en) %q", got)
	}
	if got := get(open.Number, "en"); got == "" || stringsContains(got, "Sent back") {
		t.Errorf("an open request's status_notes %q, want its status", got)
	}
}

// streamGoroutines counts the goroutines serving event streams.
func streamGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "live.(*Hub).Stream(")
}

// TestEventStreamsEndWithTheirClients: a client that goes away ends its
// stream's goroutine (no leak), while others keep streaming.
func TestEventStreamsEndWithTheirClients(t *testing.T) {
	ta := newTestApp(t, true)
	tok := ta.login("center")
	var ss []*stream
	for range 20 {
		ss = append(ss, openStream(t, ta, tok, ""))
	}
	keep := openStream(t, ta, tok, "")
	// A handler enters Stream just after answering the headers.
	waitStreams := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for streamGoroutines() != want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := streamGoroutines(); n != want {
			t.Fatalf("%d stream goroutines, want %d", n, want)
		}
	}
	waitStreams(21)
	for _, s := range ss {
		s.close()
	}
	waitStreams(1) // the 20 clients that left took their goroutines along
	// A stream also outlives the server's read and write timeouts (serve
	// sets both): the same app behind a server with 300 ms ones.
	short := httptest.NewUnstartedServer(ta.srv.Config.Handler)
	short.Config.ReadTimeout, short.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	short.Start()
	defer short.Close()
	long := openStream(t, &testApp{app: ta.app, srv: short, t: t}, tok, "")
	time.Sleep(time.Second)
	c := ta.report(ta.login(ownGrid), reportBody("0104", pointIn(ownGrid, 81, 30)), nil)
	if e := keep.next(t, 2*time.Second); e.num("id") != c.ID {
		t.Fatalf("the remaining stream got %+v", e)
	}
	if e := long.next(t, 2*time.Second); e.num("id") != c.ID {
		t.Fatalf("the stream behind short server timeouts got %+v", e)
	}
	long.close() // before short.Close, which waits for its requests
}

// TestPatrolDayEvent: recomputing a worker's patrol day publishes
// patrol.day_updated addressed to the worker, scoped to its grid.
func TestPatrolDayEvent(t *testing.T) {
	ta := newTestApp(t, true)
	worker := ta.login(ownGrid)
	from, err := ta.events.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res := ta.do("POST", "/api/v1/patrols/points", worker, patrolBody(ownGrid, 1), nil); res.Status != 200 {
		t.Fatalf("points: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/patrols/daily?worker="+ownGrid+"&date="+routeDay().Format("2006-01-02"), worker, nil, nil); res.Status != 200 {
		t.Fatalf("daily: %d %s", res.Status, res.Body)
	}
	u, err := ta.people.FindUserByUsername(context.Background(), ownGrid)
	if err != nil {
		t.Fatal(err)
	}
	evs, _, err := ta.events.EventsAfter(context.Background(), from, 100)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range evs {
		if e.Kind == events.PatrolDayUpdate && slices.Equal(e.UserIDs, []int64{u.ID}) && e.Data["date"] == routeDay().Format("2006-01-02") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no patrol.day_updated for worker %d among %+v", u.ID, evs)
	}
}
