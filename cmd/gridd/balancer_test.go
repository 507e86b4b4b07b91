package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
	"github.com/jackc/pgx/v5"
)

// freeAddr returns a loopback address nobody listens on (yet).
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// haproxyPath finds the distribution's HAProxy (make deps-test installs it).
func haproxyPath(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/haproxy"); err == nil {
		return "/usr/sbin/haproxy"
	}
	t.Fatal("haproxy is not installed (make deps-test installs it)")
	return ""
}

// startHAProxy runs HAProxy in the foreground in front of backends
// (servers g0, g1, …), health-checking /readyz every 200 ms — down after
// three failed checks, up after two passed, a check taking up to 3 s — and
// returns its address. Its statistics, as CSV, are at /haproxy-stats;csv on
// the same address (waitBackendUp).
//
// The checks are lenient because the test machine is not a server: under
// `make test` both instances share two cores with every other package, and
// a plain /readyz has been seen to take a second to answer there. Two slow
// checks in a row took the one serving instance out while the other
// restarted, and HAProxy answered 503 with no server left.
func startHAProxy(t testing.TB, backends ...string) string {
	t.Helper()
	return startHAProxyChecks(t, "timeout check 3s\n    default-server inter 200ms fall 3 rise 2", backends...)
}

// startHAProxyChecks is startHAProxy with the backend's health-check
// lines given (default-server, timeout check).
func startHAProxyChecks(t testing.TB, checks string, backends ...string) string {
	t.Helper()
	front := freeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response 503
    # Event streams: forward each frame at once (without it HAProxy holds a
    # partial response's small writes, 200 ms for the stream's opening).
    option http-no-delay
frontend web
    bind %s
    stats enable
    stats uri /haproxy-stats
    default_backend gridd
backend gridd
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    %s
`, front, checks)
	for i, be := range backends {
		fmt.Fprintf(&b, "    server g%d %s check\n", i, be)
	}
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(haproxyPath(t), "-db", "-f", cfg)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy said:\n%s", out.String())
		}
	})
	return front
}

// waitBackendUp waits until HAProxy at lb reports backend server name
// (g0, g1, …) UP, as an operator restarting instances one by one would.
func waitBackendUp(t testing.TB, lb, name string) {
	t.Helper()
	var last string
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(lb + "/haproxy-stats;csv")
		if err != nil {
			last = err.Error()
			continue
		}
		rows, err := csv.NewReader(res.Body).ReadAll()
		res.Body.Close()
		if err != nil || len(rows) < 2 {
			last = fmt.Sprint("stats: ", err)
			continue
		}
		status := -1
		for i, col := range rows[0] {
			if strings.TrimPrefix(col, "# ") == "status" {
				status = i
			}
		}
		for _, r := range rows[1:] {
			if status >= 0 && len(r) > status && r[0] == "gridd" && r[1] == name {
				if last = r[status]; last == "UP" {
					return
				}
			}
		}
	}
	t.Fatalf("HAProxy never reported %s up (last: %s)", name, last)
}

// griddInstance is one `gridd serve` run in the test process.
type griddInstance struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// stop does what SIGTERM does and waits for serve to return.
func (g *griddInstance) stop() error {
	g.once.Do(func() {
		g.cancel()
		g.err = <-g.done
	})
	return g.err
}

// startGridd serves on addr ("" for a free one) and waits until /readyz
// answers 200.
func startGridd(t testing.TB, url, addr string, args ...string) *griddInstance {
	t.Helper()
	if addr == "" {
		addr = freeAddr(t)
	}
	g := &griddInstance{addr: addr, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	go func() {
		g.done <- run(ctx, append([]string{"serve", "--database-url", url, "--addr", g.addr, "--allow-unsafe-durability", "--second-factor-roles", "none"}, args...))
	}()
	t.Cleanup(func() { _ = g.stop() })
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get("http://" + g.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return g
			}
		}
		select {
		case err := <-g.done:
			t.Fatalf("gridd on %s stopped before it was ready: %v", g.addr, err)
		default:
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("gridd on %s never became ready", g.addr)
		}
	}
}

// TestRollingRestartBehindHAProxy: two gridd instances on one database
// behind the distribution's HAProxy; a session made through the balancer
// is valid on both; one instance is stopped (SIGTERM: it drains) and
// started again, then the other, while clients keep reading — and not one
// request fails.
func TestRollingRestartBehindHAProxy(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t, dbtest.NewDemo(t))
	a := startGridd(t, url, "", "--drain-delay", "3s")
	b := startGridd(t, url, "", "--drain-delay", "3s")
	lb := "http://" + startHAProxy(t, a.addr, b.addr)

	// Wait for HAProxy to see both up.
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(lb + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("the balancer never answered: %v", err)
		}
	}
	res, err := http.Post(lb+"/api/v1/auth/login", "application/json", strings.NewReader(fmt.Sprintf(`{"username":"center","password":%q}`, dbtest.DemoPassword)))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&login); err != nil || res.StatusCode != 200 {
		t.Fatalf("login through the balancer: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	// The session is valid on each instance directly.
	for _, g := range []*griddInstance{a, b} {
		req, _ := http.NewRequest("GET", "http://"+g.addr+"/api/v1/auth/me", nil)
		req.Header.Set("Authorization", "Bearer "+login.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("the session on %s: %v %v", g.addr, res, err)
		}
		res.Body.Close()
	}

	var ok, failed atomic.Int64
	var mu sync.Mutex
	var failures []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: time.Minute}
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", lb+"/api/v1/locate?lon=117.5&lat=36.7", nil)
				req.Header.Set("Authorization", "Bearer "+login.Token)
				res, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				if err != nil || res.StatusCode >= 500 {
					failed.Add(1)
					mu.Lock()
					if len(failures) < 10 {
						if err != nil {
							failures = append(failures, err.Error())
						} else {
							failures = append(failures, res.Status)
						}
					}
					mu.Unlock()
				} else {
					ok.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	// Stop a and serve again on its address, then the same for b — each
	// only once the balancer has the other one up.
	for i, g := range []*griddInstance{a, b} {
		waitBackendUp(t, lb, fmt.Sprintf("g%d", 1-i))
		if err := g.stop(); err != nil {
			t.Errorf("stopping %s: %v", g.addr, err)
		}
		startGridd(t, url, g.addr, "--drain-delay", "3s")
		waitBackendUp(t, lb, fmt.Sprintf("g%d", i))
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Fatalf("%d requests failed and %d succeeded during the rolling restart; first failures: %v", failed.Load(), ok.Load(), failures)
	}
	t.Logf("%d requests through the balancer during the rolling restart, none failed", ok.Load())
}

// TestGridEditSeenByAnotherInstance: a grid renamed through instance A is
// what a lookup through instance B answers, told by notification — B's
// fallback poll is an hour, so only the notification can bring it.
func TestGridEditSeenByAnotherInstance(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t, dbtest.NewDemo(t))
	a := startGridd(t, url, "", "--drain-delay", "0s")
	b := startGridd(t, url, "", "--drain-delay", "0s", "--grids-poll", "1h")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var lon, lat float64
	var version int
	if err := conn.QueryRow(ctx, `SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), version FROM grid_versions
WHERE code = $1 AND valid_to IS NULL`, otherGrid).Scan(&lon, &lat, &version); err != nil {
		t.Fatal(err)
	}
	do := func(g *griddInstance, method, path, token string, body any, hdr map[string]string) (int, []byte) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, "http://"+g.addr+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	code, body := do(a, "POST", "/api/v1/auth/login", "", map[string]string{"username": "center", "password": dbtest.DemoPassword}, nil)
	var login struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &login); err != nil || code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	locate := fmt.Sprintf("/api/v1/locate?lon=%f&lat=%f", lon, lat)
	name := "通知改名网格"
	if code, body := do(b, "GET", locate, login.Token, nil, nil); code != 200 || strings.Contains(string(body), name) {
		t.Fatalf("B before the edit: %d %s", code, body)
	}
	if code, body := do(a, "PATCH", "/api/v1/grids/"+otherGrid, login.Token, map[string]string{"name": name}, map[string]string{"If-Match": fmt.Sprintf(`"%d"`, version)}); code != 200 {
		t.Fatalf("rename through A: %d %s", code, body)
	}
	start := time.Now()
	for {
		code, body := do(b, "GET", locate, login.Token, nil, nil)
		if code == 200 && strings.Contains(string(body), name) {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("B still answers %d %s a minute after the edit through A", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("B answered with the edit %v after A acknowledged it", time.Since(start).Round(time.Millisecond))
}
