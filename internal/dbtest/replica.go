package dbtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/internal/devdb"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/jackc/pgx/v5"
)

// Pair is a private primary and its streaming standby (PostgreSQL physical
// replication from a pg_basebackup), started once per test binary by the
// first test that asks (NewReplicated) and stopped when the binary exits.
// It is separate from the cluster of New: tests stop its standby and pause
// its replay. Tests that do must not run in parallel with each other.
type Pair struct {
	primary, standby *devdb.Cluster
}

var (
	pairOnce sync.Once
	pair     *Pair
	pairErr  error
)

func startPair() (*Pair, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var dirs [2]string
	for i := range dirs {
		d, err := os.MkdirTemp("", "gridd-dbtest-pair-")
		if err == nil {
			err = os.Chmod(d, 0o755)
		}
		if err != nil {
			return nil, err
		}
		dirs[i] = d
	}
	p, err := devdb.Start(ctx, devdb.Options{Dir: filepath.Join(dirs[0], "pg")})
	if err != nil {
		return nil, fmt.Errorf("start the primary: %w", err)
	}
	if err := p.StopWhenGone(os.Getpid(), dirs[0]); err != nil {
		return nil, err
	}
	s, err := p.StartStandby(ctx, filepath.Join(dirs[1], "pg"))
	if err != nil {
		return nil, fmt.Errorf("start the standby: %w", err)
	}
	if err := s.StopWhenGone(os.Getpid(), dirs[1]); err != nil {
		return nil, err
	}
	return &Pair{primary: p, standby: s}, nil
}

// NewReplicated returns a fresh database (the demo town when withDemo) on
// the pair's primary, and the pair; the database has reached the standby
// when it returns.
func NewReplicated(t testing.TB, withDemo bool) (*postgis.DB, *Pair) {
	t.Helper()
	pairOnce.Do(func() { pair, pairErr = startPair() })
	if pairErr != nil {
		t.Fatalf("primary and standby (PostgreSQL with PostGIS is required): %v", pairErr)
	}
	db, name := createOn(t, pair.primary.URL("postgres"), withDemo)
	pair.CatchUp(t, db)
	// The standby may still be opening the new database's files: connect once.
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := pgx.Connect(context.Background(), pair.StandbyURL(name))
		if err == nil {
			conn.Close(context.Background())
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database did not reach the standby: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return db, pair
}

// StandbyURL is the standby's URL of database name.
func (p *Pair) StandbyURL(name string) string { return p.standby.URL(name) }

// ReadURL is the standby's URL of db's database.
func (p *Pair) ReadURL(t testing.TB, db *postgis.DB) string {
	t.Helper()
	return p.StandbyURL(db.Pool.Config().ConnConfig.Database)
}

// CatchUp waits until the standby has replayed everything committed on
// db's primary so far.
func (p *Pair) CatchUp(t testing.TB, db *postgis.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pos, err := db.CommitLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, p.standby.URL("postgres"))
	if err != nil {
		t.Fatalf("standby: %v", err)
	}
	defer conn.Close(ctx)
	for {
		var s string
		if err := conn.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&s); err != nil {
			t.Fatalf("standby replay position: %v", err)
		}
		got, err := postgis.ParseLSN(s)
		if err != nil {
			t.Fatal(err)
		}
		if got >= pos {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StopStandby stops the standby (fast shutdown: its sessions end).
func (p *Pair) StopStandby(t testing.TB) {
	t.Helper()
	if err := p.standby.Stop(); err != nil {
		t.Fatal(err)
	}
}

// CrashStandby stops the standby as a crash would (immediate shutdown).
func (p *Pair) CrashStandby(t testing.TB) {
	t.Helper()
	if err := p.standby.Crash(); err != nil {
		t.Fatal(err)
	}
}

// StartStandby starts the standby again after StopStandby or CrashStandby.
func (p *Pair) StartStandby(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := p.standby.Restart(ctx); err != nil {
		t.Fatal(err)
	}
}

// PauseReplay stops the standby applying the WAL it receives (its data
// stays as it is and its lag grows) until ResumeReplay; the test resumes
// it when it ends.
func (p *Pair) PauseReplay(t testing.TB) {
	t.Helper()
	p.standbyExec(t, `SELECT pg_wal_replay_pause()`)
	t.Cleanup(func() { p.ResumeReplay(t) })
}

// ResumeReplay lets the standby apply the WAL again.
func (p *Pair) ResumeReplay(t testing.TB) {
	t.Helper()
	p.standbyExec(t, `SELECT pg_wal_replay_resume()`)
}

func (p *Pair) standbyExec(t testing.TB, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.standby.URL("postgres"))
	if err != nil {
		t.Fatalf("standby: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("standby: %s: %v", sql, err)
	}
}
