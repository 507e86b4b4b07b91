package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/gridd/gridd/internal/errs"
)

// Guard keeps webhooks from reaching inside the network gridd runs in
// (SSRF): loopback, link-local (cloud metadata at 169.254.169.254),
// private, shared (100.64/10), unspecified, broadcast and multicast
// addresses are refused when a subscription is made (every address its
// host resolves to) and again when a delivery connects (the address
// actually dialled, which defeats DNS rebinding) — unless AllowPrivate
// (the serve flag --webhook-allow-private) says such targets are wanted.
type Guard struct {
	AllowPrivate bool
	// Resolver resolves host names (nil: net.DefaultResolver).
	Resolver *net.Resolver
}

var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// Forbidden reports whether ip is an address webhooks may not reach.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsPrivate() || ip.IsUnspecified() ||
		sharedSpace.Contains(ip) || thisNetwork.Contains(ip) || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// CheckURL validates a subscription's URL: http or https, a host, no
// credentials, and (unless AllowPrivate) no forbidden address among those
// the host resolves to.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return errs.Invalidf("url", "invalid_url", "want an absolute http or https URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errs.Invalidf("url", "invalid_url", "want an http or https URL, got scheme %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return errs.Invalidf("url", "invalid_url", "the URL has no host")
	}
	if u.User != nil {
		return errs.Invalidf("url", "invalid_url", "put no credentials in the URL: receivers check the signature instead")
	}
	if g.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if Forbidden(ip) {
			return errs.Invalidf("url", "forbidden_target", "%s is a loopback, link-local, private or multicast address: webhooks may not reach it", ip)
		}
		return nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return errs.Invalidf("url", "unresolvable_host", "host %s does not resolve", host)
	}
	for _, ip := range ips {
		if Forbidden(ip) {
			return errs.Invalidf("url", "forbidden_target", "host %s resolves to %s, a loopback, link-local, private or multicast address: webhooks may not reach it", host, ip.Unmap())
		}
	}
	return nil
}

// ErrForbiddenTarget is returned when a delivery would connect to a
// forbidden address.
var ErrForbiddenTarget = errors.New("webhook: forbidden target address")

// control is the net.Dialer Control: it sees the resolved address about
// to be dialled.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, address)
	}
	if Forbidden(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, ap.Addr().Unmap())
	}
	return nil
}
