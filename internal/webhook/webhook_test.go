package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/events"
)

// TestSign checks the signature against one computed independently:
// printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'topsecret-0123456789'
func TestSign(t *testing.T) {
	const want = "sha256=626e5ba229f6bb6d3f4106bca9a65587340c1de8729475535aca9ac9323003ff"
	if got := Sign("topsecret-0123456789", 1700000000, []byte(`{"a":1}`)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	now := time.Unix(1700000000, 0)
	if !Verify("topsecret-0123456789", want, 1700000000, []byte(`{"a":1}`), now.Add(time.Minute), 5*time.Minute) {
		t.Error("a valid signature fails")
	}
	if Verify("topsecret-0123456789", want, 1700000000, []byte(`{"a":2}`), now, 5*time.Minute) {
		t.Error("a changed body passes")
	}
	if Verify("topsecret-0123456789", want, 1700000000, []byte(`{"a":1}`), now.Add(time.Hour), 5*time.Minute) {
		t.Error("a replayed (old) delivery passes")
	}
}

func TestForbidden(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "127.8.8.8", "::1", "169.254.169.254", "fe80::1", "10.0.0.1", "172.16.5.4", "192.168.0.1",
		"fc00::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "100.64.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:10.0.0.1"} {
		if !Forbidden(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8", "172.32.0.1"} {
		if Forbidden(netip.MustParseAddr(s)) {
			t.Errorf("%s refused", s)
		}
	}
}

// TestSenderRefusesAtConnect: a subscription that passed the check (or a
// name that resolves elsewhere later: DNS rebinding) still cannot reach a
// loopback receiver: the dialer checks the address it connects to.
func TestSenderRefusesAtConnect(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	sub := &Subscription{ID: 1, URL: srv.URL, Secret: "0123456789abcdef"}
	e := events.Event{ID: 1, Kind: events.CaseCreated, Object: "case", ObjectID: "1"}
	_, err := NewSender(&Guard{}, nil).Send(context.Background(), sub, &Delivery{ID: 1}, e)
	if !errors.Is(err, ErrForbiddenTarget) || hits.Load() != 0 {
		t.Fatalf("send to loopback: %v (receiver hit %d times), want ErrForbiddenTarget", err, hits.Load())
	}
	code, err := NewSender(&Guard{AllowPrivate: true}, nil).Send(context.Background(), sub, &Delivery{ID: 1}, e)
	if err != nil || code != 200 || hits.Load() != 1 {
		t.Fatalf("with AllowPrivate: %d %v", code, err)
	}
	// A redirect is not followed (it could point anywhere): a failed attempt.
	redir := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusFound))
	defer redir.Close()
	sub.URL = redir.URL
	if code, err := NewSender(&Guard{AllowPrivate: true}, nil).Send(context.Background(), sub, &Delivery{ID: 1}, e); err == nil || code != 302 || hits.Load() != 1 {
		t.Fatalf("redirect: %d %v, %d hits", code, err, hits.Load())
	}
}
