package auth

import "time"

// Failures are the recent failed logins seen from one source address: for
// one account (Pair) and for any account (Source), each with its latest.
type Failures struct {
	Pair, Source         int
	PairLast, SourceLast time.Time
}

// Throttling slows guessing down by source address, never by account
// alone, so strangers failing against an account cannot lock its owner
// out: the owner's own address has no failures. The delay after the n-th
// failure doubles from one second, up to maxDelay:
//   - per (account, source): from the pairFree+1-th failure;
//   - per source (any accounts): from the sourceFree+1-th failure, so
//     trying many accounts once each from one address is slowed too.
//
// A correct login clears the pair's failures, not the source's.
const (
	pairFree   = 2
	sourceFree = 9
	maxDelay   = 15 * time.Minute
)

// backoff is the delay after n failures when the first free ones cost
// nothing.
func backoff(n, free int) time.Duration {
	if n <= free {
		return 0
	}
	steps := n - free - 1
	if steps >= 10 { // 2^10 s > maxDelay
		return maxDelay
	}
	return min(time.Duration(1<<steps)*time.Second, maxDelay)
}

// wait is how long a new attempt must still wait at now (0: none).
func (f Failures) wait(now time.Time) time.Duration {
	w := max(f.PairLast.Add(backoff(f.Pair, pairFree)).Sub(now),
		f.SourceLast.Add(backoff(f.Source, sourceFree)).Sub(now))
	return max(w, 0)
}
