package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/dbtest"
)

// loopbackLogin logs in, dialling from src (a loopback address) and sends xff, when
// set, as the request's X-Forwarded-For.
func loopbackLogin(t *testing.T, base, src, xff, username, password string) int {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}).DialContext}}
	defer c.CloseIdleConnections()
	body, _ := json.Marshal(loginBody(username, password, ""))
	req, err := http.NewRequest("POST", base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// haproxyLike is a reverse proxy on 127.0.0.3 in front of target that, like
// HAProxy's "option forwardfor", keeps the client's X-Forwarded-For lines
// and adds one with the address the connection came from; it connects to
// gridd from 127.0.0.3 too.
func haproxyLike(t *testing.T, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			host, _, _ := net.SplitHostPort(pr.In.RemoteAddr)
			pr.Out.Header.Add("X-Forwarded-For", host)
		},
		Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}).DialContext},
	}
	l, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: rp}}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestLoginThrottleBehindProxy: behind a reverse proxy every client has the
// proxy's address, so throttling by the peer throttled everyone at once
// (the owner included) after one stranger's failures. With
// --trusted-proxies the client's address comes from X-Forwarded-For — only
// the hop the trusted proxy added: a stranger writing a fresh address into
// the header at each try is still throttled, and the header sent straight
// to gridd by a peer that is no trusted proxy is ignored.
func TestLoginThrottleBehindProxy(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)}
	ta := newTestAppWith(t, true, func(c *Config) {
		c.Now = clk.Now
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.3/32")}
	})
	proxy := haproxyLike(t, ta.srv.URL)
	const stranger, owner = "127.0.0.1", "127.0.0.2"
	first429 := 0
	for i := 1; i <= 26 && first429 == 0; i++ {
		spoof := fmt.Sprintf("198.51.100.%d", i)
		switch st := loopbackLogin(t, proxy.URL, stranger, spoof, fmt.Sprintf("user%02d", i), "Guess-Number-1"); st {
		case 429:
			first429 = i
		case 401:
		default:
			t.Fatalf("attempt %d through the proxy: %d", i, st)
		}
	}
	if first429 == 0 || first429 > 11 {
		t.Fatalf("a stranger forging X-Forwarded-For through the proxy: first 429 at attempt %d", first429)
	}
	// The owner behind the same proxy is not throttled with the stranger.
	if st := loopbackLogin(t, proxy.URL, owner, "", "admin", dbtest.DemoPassword); st != 200 {
		t.Errorf("owner through the proxy: %d, want 200", st)
	}
	// Straight to gridd, the stranger's header naming another address is
	// ignored: the peer is no trusted proxy.
	if st := loopbackLogin(t, ta.srv.URL, stranger, "203.0.113.50", "admin", dbtest.DemoPassword); st != 429 {
		t.Errorf("stranger straight to gridd with a forged header: %d, want 429", st)
	}
	// Without --trusted-proxies the proxy's clients share its address: the
	// header is ignored even from the proxy.
	plain := newTestAppWith(t, true, func(c *Config) { c.Now = clk.Now })
	proxy2 := haproxyLike(t, plain.srv.URL)
	for i := 1; i <= 12; i++ {
		loopbackLogin(t, proxy2.URL, stranger, "", fmt.Sprintf("user%02d", i), "Guess-Number-1")
	}
	if st := loopbackLogin(t, proxy2.URL, owner, "198.51.100.77", "admin", dbtest.DemoPassword); st != 429 {
		t.Errorf("untrusted proxy: the owner's login %d, want 429 (the header must not count)", st)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	ps, err := parseTrustedProxies("10.0.0.0/8, 192.168.1.7,fd00::/64")
	if err != nil || len(ps) != 3 || ps[1].String() != "192.168.1.7/32" || !ps[0].Contains(netip.MustParseAddr("10.2.3.4")) {
		t.Fatalf("%v %v", ps, err)
	}
	if _, err := parseTrustedProxies("10.0.0.0/33"); err == nil {
		t.Error("10.0.0.0/33 accepted")
	}
	if _, err := parseTrustedProxies("proxy.local"); err == nil {
		t.Error("a host name accepted")
	}
}
