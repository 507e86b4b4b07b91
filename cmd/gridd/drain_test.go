package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
)

// TestServeDrainsOnStop: told to stop (SIGTERM cancels serve's context),
// gridd first answers /readyz with 503 "draining" while it still serves
// every other request — so that a load balancer takes it out before it
// stops taking connections — and ends its event streams so that their
// clients reconnect elsewhere; then it stops cleanly.
func TestServeDrainsOnStop(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t, dbtest.NewDemo(t))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--database-url", url, "--addr", addr, "--allow-unsafe-durability", "--drain-delay", "5s", "--second-factor-roles", "none"})
	}()
	base := "http://" + addr
	get := func(path, token string) (int, string, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), nil
	}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if code, _, err := get("/readyz", ""); err == nil && code == 200 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped before it was ready: %v", err)
		default:
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatal("serve never became ready")
		}
	}
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(fmt.Sprintf(`{"username":"center","password":%q}`, dbtest.DemoPassword)))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&login); err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	res.Body.Close()

	// An open event stream.
	req, _ := http.NewRequest("GET", base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("event stream: %v", err)
	}
	defer stream.Body.Close()
	rd := bufio.NewReader(stream.Body)
	if line, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("event stream began %q, %v", line, err)
	}
	streamEnded := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, rd)
		streamEnded <- err
	}()

	cancel() // what SIGTERM does
	var sawDraining bool
	for start := time.Now(); !sawDraining && time.Since(start) < time.Minute; time.Sleep(50 * time.Millisecond) {
		code, body, err := get("/readyz", "")
		if err != nil {
			t.Fatalf("/readyz refused a connection before it answered draining: %v", err)
		}
		sawDraining = code == 503 && strings.Contains(body, "draining")
	}
	if !sawDraining {
		t.Fatal("/readyz never answered 503 draining after the stop")
	}
	// Still serving everything else while the load balancer notices.
	if code, body, err := get("/api/v1/auth/me", login.Token); err != nil || code != 200 {
		t.Fatalf("a request while draining: %d %s %v", code, body, err)
	}
	select {
	case err := <-streamEnded:
		if err != nil {
			t.Errorf("the event stream ended with %v, want a clean end", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the event stream did not end on drain")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after the drain: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop after the drain")
	}
	if _, _, err := get("/healthz", ""); err == nil {
		t.Error("the server still takes connections after it stopped")
	}
}
