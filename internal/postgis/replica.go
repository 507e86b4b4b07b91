package postgis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ReplicaConfig configures a read replica: a streaming standby of the
// primary (PostgreSQL physical replication).
type ReplicaConfig struct {
	URL              string
	MaxConns         int32
	StatementTimeout time.Duration // 0: 30 s
	// MaxLag is how far behind the primary the standby may replay and still
	// serve reads (0: 5 s).
	MaxLag time.Duration
	// Wait bounds how long a read carrying a commit position waits for the
	// standby to replay it before it reads the primary instead (0: 200 ms).
	Wait time.Duration
	// Every is the health check's interval (0: 500 ms).
	Every time.Duration
}

// Replica routes reads to a streaming standby while it is healthy: it
// answers, is still a standby, and replays within MaxLag of the primary.
// The health check (Run) takes it out of use and puts it back; a read that
// failed on it (Failed) takes it out until the next check passes.
//
// Only the reads a request marks for it (Route) go to the standby: every
// store read written with db.reader(ctx) — tiles, OGC features, the case
// and register lists, statistics and exports. Everything else, and every
// write, uses the primary.
type Replica struct {
	pool    *pgxpool.Pool
	primary *DB
	cfg     ReplicaConfig
	// Now is the clock of the lag estimate (nil: time.Now).
	Now func() time.Time
	// Changed, if set, is told when the standby is taken out of use
	// (with the reason) or put back (nil).
	Changed func(inUse bool, reason error)

	inUse    atomic.Bool
	replayed atomic.Uint64 // the standby's last seen replay position
	routed   atomic.Int64  // reads sent to the standby
	fellBack atomic.Int64  // reads sent to the primary instead
	failed   atomic.Int64  // reads that failed on the standby (Failed)
	mu       sync.Mutex
	samples  []lsnSample // the primary's write position over time
	lag      time.Duration
	reason   error
}

type lsnSample struct {
	at  time.Time
	lsn LSN
}

// OpenReplica opens the standby's pool. It does not connect: a standby
// that is down at start is out of use until a check finds it healthy (Run
// or Check).
func OpenReplica(primary *DB, cfg ReplicaConfig) (*Replica, error) {
	if cfg.MaxLag <= 0 {
		cfg.MaxLag = 5 * time.Second
	}
	if cfg.Wait <= 0 {
		cfg.Wait = 200 * time.Millisecond
	}
	if cfg.Every <= 0 {
		cfg.Every = 500 * time.Millisecond
	}
	pc, err := poolConfig(Config{URL: cfg.URL, MaxConns: cfg.MaxConns, StatementTimeout: cfg.StatementTimeout})
	if err != nil {
		return nil, fmt.Errorf("read replica: %w", err)
	}
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > 2*time.Second {
		// A dead standby must fail fast: the request then reads the primary.
		pc.ConnConfig.ConnectTimeout = 2 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("read replica: %w", err)
	}
	return &Replica{pool: pool, primary: primary, cfg: cfg, reason: errors.New("not checked yet")}, nil
}

// Close closes the standby's pool.
func (r *Replica) Close() { r.pool.Close() }

// Pool is the standby's pool (tests read its statistics through it).
func (r *Replica) Pool() *pgxpool.Pool { return r.pool }

// InUse reports whether reads go to the standby.
func (r *Replica) InUse() bool { return r.inUse.Load() }

// ReplicaStatus is the standby as last checked.
type ReplicaStatus struct {
	InUse    bool
	Lag      time.Duration
	Replayed LSN
	Reason   string // why it is out of use
	Routed   int64  // reads sent to the standby so far
	FellBack int64  // reads that went to the primary instead
	Failed   int64  // reads that failed on the standby (served again by the primary)
}

// Status returns the standby's state as last checked.
func (r *Replica) Status() ReplicaStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := ReplicaStatus{InUse: r.inUse.Load(), Lag: r.lag, Replayed: LSN(r.replayed.Load()),
		Routed: r.routed.Load(), FellBack: r.fellBack.Load(), Failed: r.failed.Load()}
	if r.reason != nil {
		st.Reason = r.reason.Error()
	}
	return st
}

// Run checks the standby every cfg.Every until ctx ends.
func (r *Replica) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Every)
	defer t.Stop()
	for {
		_ = r.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Replica) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Check checks the standby once and puts it in or out of use; it returns
// why it is out of use (nil: in use). When the primary cannot be asked its
// position, the standby's state is left as it was.
func (r *Replica) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(r.cfg.Every, time.Second))
	defer cancel()
	primary, err := r.primary.currentLSN(ctx)
	if err != nil {
		return fmt.Errorf("read replica check: primary: %w", err)
	}
	now := r.now()
	var standby bool
	var replay *string
	err = r.pool.QueryRow(ctx, `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text`).Scan(&standby, &replay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, lsnSample{at: now, lsn: primary})
	keep := 2*r.cfg.MaxLag + 2*r.cfg.Every
	for len(r.samples) > 1 && now.Sub(r.samples[0].at) > keep {
		r.samples = r.samples[1:]
	}
	switch {
	case err != nil:
		return r.set(false, 0, fmt.Errorf("standby does not answer: %w", err))
	case !standby || replay == nil:
		return r.set(false, 0, errors.New("the read database is not a standby (promoted?)"))
	}
	pos, err := ParseLSN(*replay)
	if err != nil {
		return r.set(false, 0, err)
	}
	r.noteReplayed(pos)
	lag := lagOf(r.samples, pos, now)
	if lag > r.cfg.MaxLag {
		return r.set(false, lag, fmt.Errorf("standby replays %s behind the primary (bound %s)", lag.Round(time.Millisecond), r.cfg.MaxLag))
	}
	return r.set(true, lag, nil)
}

// lagOf estimates how far replay position pos is behind the primary from
// the primary's positions sampled over time (oldest first): zero when pos
// reaches the newest sample, else the age of the oldest sample pos has not
// reached (a lower bound of the lag, within one check interval of it).
func lagOf(samples []lsnSample, pos LSN, now time.Time) time.Duration {
	if len(samples) == 0 || pos >= samples[len(samples)-1].lsn {
		return 0
	}
	for i := len(samples) - 1; i > 0; i-- {
		if samples[i-1].lsn <= pos {
			return now.Sub(samples[i].at)
		}
	}
	return now.Sub(samples[0].at)
}

// set records the check's outcome; r.mu is held.
func (r *Replica) set(in bool, lag time.Duration, reason error) error {
	r.lag, r.reason = lag, reason
	if was := r.inUse.Swap(in); was != in && r.Changed != nil {
		r.Changed(in, reason)
	}
	return reason
}

func (r *Replica) noteReplayed(pos LSN) {
	for {
		old := r.replayed.Load()
		if uint64(pos) <= old || r.replayed.CompareAndSwap(old, uint64(pos)) {
			return
		}
	}
}

// Failed takes the standby out of use after a read on it failed, until
// the next check finds it healthy.
func (r *Replica) Failed(err error) {
	r.failed.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.set(false, r.lag, fmt.Errorf("a read failed on the standby: %w", err))
}

// Route returns ctx marked to read from the standby when it is in use and
// has replayed position after (a pg_lsn's text; "": no position to wait
// for), waiting at most cfg.Wait for it to get there; otherwise it returns
// ctx unchanged (reads go to the primary) and false. A position that does
// not parse reads the primary.
func (r *Replica) Route(ctx context.Context, after string) (context.Context, bool) {
	var pos LSN
	var err error
	if after != "" {
		pos, err = ParseLSN(after)
	}
	if err != nil || !r.inUse.Load() || (pos > LSN(r.replayed.Load()) && !r.waitFor(ctx, pos)) {
		r.fellBack.Add(1)
		return ctx, false
	}
	r.routed.Add(1)
	return context.WithValue(ctx, readPoolKey{}, readRoute{pool: r.pool, after: pos}), true
}

// CommitPosition is the primary's CommitLSN as text.
func (r *Replica) CommitPosition(ctx context.Context) (string, error) {
	pos, err := r.primary.CommitLSN(ctx)
	if err != nil {
		return "", err
	}
	return pos.String(), nil
}

// waitFor polls the standby's replay position until it reaches pos, for at
// most cfg.Wait.
func (r *Replica) waitFor(ctx context.Context, pos LSN) bool {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Wait)
	defer cancel()
	const step = 5 * time.Millisecond
	for {
		var s *string
		if err := r.pool.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&s); err != nil || s == nil {
			return false
		}
		got, err := ParseLSN(*s)
		if err != nil {
			return false
		}
		r.noteReplayed(got)
		if got >= pos {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(step):
		}
	}
}

// readPoolKey marks a request's context with its readRoute
// (Replica.Route).
type readPoolKey struct{}

// readRoute is where a request's replica-eligible reads go: the standby's
// pool, and the position the request must see (0: none).
type readRoute struct {
	pool  *pgxpool.Pool
	after LSN
}

// reader is the pool of a replica-eligible read: the standby when the
// request was routed to it, else the primary.
func (db *DB) reader(ctx context.Context) *pgxpool.Pool {
	if rt, ok := ctx.Value(readPoolKey{}).(readRoute); ok {
		return rt.pool
	}
	return db.Pool
}

// standbyRoute returns ctx's route to a standby, if it has one.
func standbyRoute(ctx context.Context) (readRoute, bool) {
	rt, ok := ctx.Value(readPoolKey{}).(readRoute)
	return rt, ok
}

// currentLSN is the primary's WAL write position (what a standby can have
// received).
func (db *DB) currentLSN(ctx context.Context) (LSN, error) {
	var s string
	if err := db.Pool.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&s); err != nil {
		return 0, err
	}
	return ParseLSN(s)
}
