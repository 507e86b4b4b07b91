package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
)

// testApp is the real wiring of cmd/gridd on a fresh demo database.
type testApp struct {
	*app
	srv *httptest.Server
	t   testing.TB
}

func newTestApp(t *testing.T, withDemo bool) *testApp {
	t.Helper()
	return newTestAppConfig(t, withDemo, nil)
}

// newTestAppConfig is newTestApp with a chance to adjust the configuration.
func newTestAppConfig(t testing.TB, withDemo bool, tweak func(*Config)) *testApp {
	t.Helper()
	var url string
	if withDemo {
		url = dbtest.URL(t, dbtest.NewDemo(t))
	} else {
		url = dbtest.URL(t, dbtest.New(t))
	}
	c := Config{DatabaseURL: url, StatementTimeout: 30 * time.Second, TokenTTL: time.Hour, MaxBody: 1 << 20}
	if tweak != nil {
		tweak(&c)
	}
	return serveTestApp(t, c)
}

// serveTestApp opens the real wiring with c and serves it on an httptest
// server, both closed when the test ends.
func serveTestApp(t testing.TB, c Config) *testApp {
	t.Helper()
	ctx := context.Background()
	a, err := openApp(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.locator.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.server(c).Handler())
	t.Cleanup(func() { srv.Close(); a.close() })
	return &testApp{app: a, srv: srv, t: t}
}

// login returns a token for username with the demo password.
func (ta *testApp) login(username string) string {
	ta.t.Helper()
	res := ta.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": dbtest.DemoPassword}, nil)
	if res.Status != 200 {
		ta.t.Fatalf("login %s: %d %s", username, res.Status, res.Body)
	}
	var s struct{ Token string }
	res.decode(ta.t, &s)
	return s.Token
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// do sends a request; body may be nil, []byte (sent as is) or a value to JSON-encode.
func (ta *testApp) do(method, path, token string, body any, hdr map[string]string) response {
	ta.t.Helper()
	res, err := ta.doErr(method, path, token, body, hdr)
	if err != nil {
		ta.t.Fatal(err)
	}
	return res
}

// doErr is do returning a transport failure instead of failing the test.
func (ta *testApp) doErr(method, path, token string, body any, hdr map[string]string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, ta.srv.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// JSON goes out as application/json, as the console and the field app
	// send it (gridd answers 415 otherwise); raw bytes only when they look
	// like JSON (an object or array, well-formed or not), and a
	// Content-Type in hdr wins.
	if raw, ok := body.([]byte); body != nil && (!ok || looksJSON(raw)) {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
		if v == "" {
			req.Header.Del(k) // an empty value: send none
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

func looksJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}
