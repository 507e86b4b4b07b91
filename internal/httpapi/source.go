package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// source is the client's address for throttling logins and the public
// lookup. It is the connection's peer, unless the peer is one of the
// trusted proxies (Deps.TrustedProxies): then it is the rightmost address
// in X-Forwarded-For that is not a trusted proxy — each proxy appends the
// address it got the request from, so hops to the left of the first
// untrusted one are whatever the client wrote and are never believed. A
// peer that is no trusted proxy has its X-Forwarded-For ignored.
func (s *Server) source(r *http.Request) string {
	return clientAddr(r, s.TrustedProxies)
}

func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := hostOf(r.RemoteAddr)
	addr, err := netip.ParseAddr(peer)
	if err != nil || !isTrusted(addr, trusted) {
		return peer
	}
	hops := []string{}
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	last := addr // the nearest hop believed so far
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hostOf(strings.TrimSpace(hops[i])))
		if err != nil {
			break // a garbled hop: believe no further
		}
		a = a.Unmap()
		if !isTrusted(a, trusted) {
			return a.String()
		}
		last = a
	}
	return last.Unmap().String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// hostOf strips a port (and IPv6 brackets) from an address when it has one.
func hostOf(v string) string {
	if host, _, err := net.SplitHostPort(v); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
}
