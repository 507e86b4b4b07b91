package postgis

import (
	"testing"
	"time"
)

func TestParseLSN(t *testing.T) {
	for _, c := range []struct {
		in   string
		want LSN
	}{{"0/0", 0}, {"0/16B3748", 0x16B3748}, {"16/B374D848", 0x16_B374D848}, {"FFFFFFFF/FFFFFFFF", 1<<64 - 1}} {
		got, err := ParseLSN(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseLSN(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if got.String() != c.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), c.in)
		}
	}
	for _, bad := range []string{"", "16", "/1", "1/", "x/1", "1/2/3", "123456789/0", "-1/0", " 1/0"} {
		if _, err := ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q): no error", bad)
		}
	}
}

// TestLagOf: the lag is zero once the standby reaches the primary's newest
// position, else the age of the oldest sampled position it has not reached.
func TestLagOf(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	s := []lsnSample{{t0, 100}, {t0.Add(time.Second), 200}, {t0.Add(2 * time.Second), 200}, {t0.Add(3 * time.Second), 300}}
	now := t0.Add(4 * time.Second)
	for _, c := range []struct {
		pos  LSN
		want time.Duration
	}{{300, 0}, {400, 0}, {250, time.Second}, {200, time.Second}, {150, 3 * time.Second}, {100, 3 * time.Second}, {50, 4 * time.Second}} {
		if got := lagOf(s, c.pos, now); got != c.want {
			t.Errorf("lagOf(%d) = %s, want %s", c.pos, got, c.want)
		}
	}
	if got := lagOf(nil, 5, now); got != 0 {
		t.Errorf("no samples: %s", got)
	}
}
