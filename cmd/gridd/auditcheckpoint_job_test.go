package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestAuditCheckpointCommandAndJob: checkpoints used to be written only by
// each serving instance's own ticker, counting the whole audit table each
// time. Now `gridd audit checkpoint` writes one on demand, the scheduled
// job writes one per interval across instances (River's leader, unique per
// period), counting only the entries after the newest checkpoint's; and a
// chain that no longer holds that checkpoint's entry gets no new checkpoint
// over the cut.
func TestAuditCheckpointCommandAndJob(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	dir := t.TempDir()
	const every = time.Second // River's least unique period
	ta := newTestAppWith(t, true, func(c *Config) { c.AuditKey = key; c.AuditCheckpointDir = dir; c.AuditCheckpointEvery = every })
	ctx := context.Background()
	fail := func(n int) {
		for i := 0; i < n; i++ {
			ta.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "wrong-password"}, nil)
		}
	}
	files := func() []string {
		fs, _ := filepath.Glob(filepath.Join(dir, "audit-checkpoint-*.json"))
		return fs
	}
	count := func() int { return countRows(t, ta, `SELECT count(*) FROM audit_log`) }
	fail(3)

	// The command.
	t.Setenv("GRIDD_AUDIT_KEY", hex.EncodeToString(key))
	url := ta.db.Pool.Config().ConnString()
	if err := run(ctx, []string{"audit", "checkpoint", "--database-url", url, "--audit-checkpoint-dir", dir}); err != nil {
		t.Fatal(err)
	}
	cp, err := latestCheckpoint(dir)
	if err != nil || cp == nil || len(files()) != 1 || cp.Entries != count() {
		t.Fatalf("gridd audit checkpoint: %d files, %+v (%v), %d entries in the table", len(files()), cp, err, count())
	}
	if err := run(ctx, []string{"audit", "checkpoint", "--database-url", url, "--audit-checkpoint-dir", dir}); err != nil || len(files()) != 1 {
		t.Fatalf("a second checkpoint with no new entry: %v, %d files", err, len(files()))
	}
	if err := run(ctx, []string{"audit", "verify-log", "--database-url", url, "--audit-checkpoint-dir", dir}); err != nil {
		t.Fatalf("verify-log: %v", err)
	}

	// Incremental: entries before the checkpoint's are not counted again
	// (one removed there by a superuser is left to verify-log, which sees
	// the broken link), the new ones are.
	tamper := func(q string) {
		t.Helper()
		if err := pgx.BeginFunc(ctx, ta.db.Pool, func(tx pgx.Tx) error {
			for _, s := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`, q, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`} {
				if _, err := tx.Exec(ctx, s); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	tamper(`DELETE FROM audit_log WHERE id = (SELECT min(id) FROM audit_log)`)
	before := cp.Entries
	fail(2)
	added := count() - (before - 1)
	if _, err := ta.writeAuditCheckpoint(ctx, Config{AuditKey: key, AuditCheckpointDir: dir}); err != nil {
		t.Fatal(err)
	}
	cp, _ = latestCheckpoint(dir)
	if cp.Entries != before+added {
		t.Errorf("incremental checkpoint: %d entries, want %d (the previous %d plus %d new)", cp.Entries, before+added, before, added)
	}
	if err := verifyLog(ctx, ta.app, Config{AuditKey: key, AuditCheckpointDir: dir}, ""); err == nil {
		t.Error("verify-log passed with an old entry deleted")
	}

	// The scheduled job on two instances: one checkpoint per interval.
	for _, id := range []string{"a", "b"} {
		stopCtx, cancel := context.WithCancel(context.Background())
		stop, err := ta.startJobs(stopCtx, Config{InstanceID: "audit-" + id, JobPoll: 50 * time.Millisecond})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Cleanup(func() { stop(); cancel() })
	}
	n := len(files())
	fail(1)
	eventually(t, "a checkpoint by the job", func() bool { return len(files()) > n })
	start := time.Now()
	for time.Since(start) < 4*every {
		fail(1)
		time.Sleep(every / 3)
	}
	eventually(t, "the job's checkpoint of the last entries", func() bool {
		cp, _ := latestCheckpoint(dir)
		return cp != nil && cp.Entries == count()+1 // the entry deleted above stays counted
	})
	jobsRun := countRows(t, ta, `SELECT count(*) FROM river_job WHERE kind = 'audit_checkpoint'`)
	periods := countRows(t, ta, `SELECT count(DISTINCT floor(extract(epoch FROM scheduled_at) * 1000 / $1)) FROM river_job WHERE kind = 'audit_checkpoint'`, every.Milliseconds())
	if jobsRun != periods || jobsRun < 2 {
		t.Errorf("checkpoint jobs: %d over %d periods, want one per period (two instances)", jobsRun, periods)
	}

	// Cut the newest entries: the job writes nothing over the cut.
	last, _ := latestCheckpoint(dir)
	tamper(`DELETE FROM audit_log WHERE id >= (SELECT max(id) - 1 FROM audit_log)`)
	fail(3)
	if _, err := ta.writeAuditCheckpoint(ctx, Config{AuditKey: key, AuditCheckpointDir: dir}); err == nil {
		t.Error("a checkpoint was written over a cut chain")
	}
	time.Sleep(2 * every)
	if cp, _ := latestCheckpoint(dir); cp.LastID != last.LastID || cp.Head != last.Head {
		t.Errorf("the job wrote a checkpoint over the cut: %+v after %+v", cp, last)
	}
}
