package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientAddr: X-Forwarded-For counts only from a trusted proxy, and
// then only its rightmost hop that is no trusted proxy; what a client
// writes to the left is never believed.
func TestClientAddr(t *testing.T) {
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("fd00::/64")}
	cases := []struct {
		name, peer string
		xff        []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxies configured: the header is ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, nil, "203.0.113.9"},
		{"untrusted peer spoofing: ignored", "203.0.113.9:5000", []string{"198.51.100.1, 10.0.0.5"}, lb, "203.0.113.9"},
		{"one proxy", "10.0.0.5:443", []string{"198.51.100.1"}, lb, "198.51.100.1"},
		{"client's forged hop left of the real one", "10.0.0.5:443", []string{"1.2.3.4, 198.51.100.1"}, lb, "198.51.100.1"},
		{"two proxies, two headers", "10.0.0.5:443", []string{"1.2.3.4", "198.51.100.1, 10.0.0.7"}, lb, "198.51.100.1"},
		{"only proxies: the leftmost", "10.0.0.5:443", []string{"10.0.0.9, 10.0.0.7"}, lb, "10.0.0.9"},
		{"no header from a proxy: the proxy", "10.0.0.5:443", nil, lb, "10.0.0.5"},
		{"garbled hop stops the walk", "10.0.0.5:443", []string{"198.51.100.1, garbage"}, lb, "10.0.0.5"},
		{"hop with a port", "10.0.0.5:443", []string{"198.51.100.1:31337"}, lb, "198.51.100.1"},
		{"IPv6 proxy and client", "[fd00::2]:443", []string{"2001:db8::7"}, lb, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.5]:443", []string{"198.51.100.1"}, lb, "198.51.100.1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddr(r, c.trusted); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
