package httpapi

import (
	"testing"
	"time"
)

// TestWriteLimiter: a user's bucket (rate, burst) and in-flight cap; users
// do not share them.
func TestWriteLimiter(t *testing.T) {
	l := newWriteLimiter(WriteLimits{Rate: 2, Burst: 3, Concurrent: 2})
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	r1, _, ok1 := l.acquire(1, now)
	r2, _, ok2 := l.acquire(1, now)
	if !ok1 || !ok2 {
		t.Fatal("the first two writes are refused")
	}
	if _, retry, ok := l.acquire(1, now); ok || retry <= 0 {
		t.Fatalf("a third concurrent write is admitted (retry %v)", retry)
	}
	if r, _, ok := l.acquire(2, now); !ok {
		t.Fatal("another user is limited by user 1")
	} else {
		r()
	}
	r1()
	r3, _, ok := l.acquire(1, now) // the burst's third token
	if !ok {
		t.Fatal("a write within the burst after a release is refused")
	}
	r2()
	r3()
	if _, retry, ok := l.acquire(1, now); ok || retry < 400*time.Millisecond {
		t.Fatalf("the burst is spent but a write passes (retry %v)", retry)
	}
	if r, _, ok := l.acquire(1, now.Add(600*time.Millisecond)); !ok {
		t.Fatal("a token after 1/rate is refused")
	} else {
		r()
	}
}
