//go:build sim || citymonth

package main

// Helpers shared by the long runs that are not part of `make test`: the
// city simulation (sim_test.go) and the city month (citymonth_test.go).

import (
	"cmp"
	"os"
	"strings"
	"time"
)

// pctl is the p-th percentile of sorted (the zero value when empty).
func pctl[T cmp.Ordered](sorted []T, p int) T {
	if len(sorted) == 0 {
		var zero T
		return zero
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// loadAvg is the machine's 1-minute load average (/proc/loadavg).
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
