//go:build unix

package gridindex_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) consumed by the process,
// reported by the benchmarks next to wall-clock figures because the
// benchmark machines may be shared.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
