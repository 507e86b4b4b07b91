package auth

import (
	"testing"
	"time"
)

func TestBackoffDoubles(t *testing.T) {
	for _, c := range []struct {
		n, free int
		want    time.Duration
	}{
		{0, 2, 0}, {2, 2, 0}, {3, 2, time.Second}, {4, 2, 2 * time.Second}, {5, 2, 4 * time.Second},
		{12, 2, 512 * time.Second}, {13, 2, maxDelay}, {1000, 2, maxDelay},
		{9, 9, 0}, {10, 9, time.Second}, {11, 9, 2 * time.Second},
	} {
		if got := backoff(c.n, c.free); got != c.want {
			t.Errorf("backoff(%d, %d) = %s, want %s", c.n, c.free, got, c.want)
		}
	}
}

// TestWaitTakesTheLongerDelay: the pair's and the source's delays run from
// their own latest failure; the longer remaining one counts.
func TestWaitTakesTheLongerDelay(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	f := Failures{Pair: 4, PairLast: now.Add(-time.Second), Source: 11, SourceLast: now.Add(-500 * time.Millisecond)}
	if got := f.wait(now); got != 1500*time.Millisecond {
		t.Errorf("wait = %s, want 1.5s (source: 2 s from 0.5 s ago)", got)
	}
	if got := (Failures{Pair: 2, Source: 9, PairLast: now, SourceLast: now}).wait(now); got != 0 {
		t.Errorf("free failures wait %s", got)
	}
	if got := f.wait(now.Add(time.Hour)); got != 0 {
		t.Errorf("after the delays: %s", got)
	}
}
