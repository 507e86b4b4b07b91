package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// newTestAppURL is the real wiring on the database at url (several apps on
// one database are several gridd instances).
func newTestAppURL(t testing.TB, url string, tweak func(*Config)) (*testApp, Config) {
	t.Helper()
	c := Config{DatabaseURL: url, StatementTimeout: 30 * time.Second, TokenTTL: time.Hour, MaxBody: 1 << 20}
	if tweak != nil {
		tweak(&c)
	}
	return serveTestApp(t, c), c
}

// sseEvent is an event as a stream reader receives it.
type sseEvent struct {
	ID       int64          `json:"id"`
	Kind     string         `json:"kind"`
	Object   string         `json:"object"`
	ObjectID string         `json:"object_id"`
	GridCode string         `json:"grid_code"`
	Data     map[string]any `json:"data"`
	LineID   int64          `json:"-"` // the id: line
}

// stream is an SSE client of GET /api/v1/events.
type stream struct {
	events chan sseEvent
	cancel context.CancelFunc
	done   chan struct{}
}

// openStream opens the caller's event stream (after lastID when not
// empty) and returns once the server answered: events committed from then
// on reach it.
func openStream(t testing.TB, ta *testApp, token, lastID string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", ta.srv.URL+"/api/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		t.Fatalf("events: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	s := &stream{events: make(chan sseEvent, 1000), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var id int64
		var data strings.Builder
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if data.Len() > 0 {
					var e sseEvent
					if err := json.Unmarshal([]byte(data.String()), &e); err == nil {
						e.LineID = id
						s.events <- e
					}
					data.Reset()
				}
			case strings.HasPrefix(line, "id: "):
				id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "data: "):
				data.WriteString(line[6:])
			}
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.cancel()
	<-s.done
}

// next returns the next event, failing after timeout.
func (s *stream) next(t testing.TB, timeout time.Duration) sseEvent {
	t.Helper()
	select {
	case e := <-s.events:
		return e
	case <-time.After(timeout):
		t.Fatalf("no event within %s", timeout)
		return sseEvent{}
	}
}

func (e sseEvent) num(key string) int64 {
	f, _ := e.Data[key].(float64)
	return int64(f)
}

func stringsContains(s, sub string) bool { return strings.Contains(s, sub) }
