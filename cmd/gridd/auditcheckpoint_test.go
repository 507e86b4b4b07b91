package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/jackc/pgx/v5"
)

// TestAuditCheckpointDetectsTruncation: deleting the newest audit rows
// used to pass `gridd audit verify-log` (an unkeyed chain, its head kept
// nowhere). Now the chain is keyed and a signed checkpoint of its head is
// written outside the database: the cut, a forged unkeyed tail and a
// checkpoint signed with another key all fail verification.
func TestAuditCheckpointDetectsTruncation(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	dir := t.TempDir()
	ta := newTestAppWith(t, true, func(c *Config) { c.AuditKey = key; c.AuditCheckpointDir = dir })
	c := Config{AuditKey: key, AuditCheckpointDir: dir}
	ctx := context.Background()
	tok := ta.login("admin")
	for i := 0; i < 3; i++ {
		ta.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "wrong-password"}, nil)
	}
	ta.do("POST", "/api/v1/auth/logout", tok, nil, nil)
	if err := verifyLog(ctx, ta.app, c, ""); err == nil {
		t.Error("verify-log passed without a checkpoint in the configured directory")
	}
	if _, err := ta.writeAuditCheckpoint(ctx, c); err != nil {
		t.Fatal(err)
	}
	cp, err := latestCheckpoint(dir)
	if err != nil || cp == nil || cp.Entries < 4 {
		t.Fatalf("checkpoint: %+v, %v", cp, err)
	}
	if err := verifyLog(ctx, ta.app, c, ""); err != nil {
		t.Fatalf("verify-log on an untouched log: %v", err)
	}
	// The chain is keyed: without the key, its links do not verify.
	if rep, _ := auditlog.Verify(ctx, ta.auditLog.Store, ""); rep.OK {
		t.Error("a keyed chain verified without the key")
	}
	// A checkpoint signed with another key is refused.
	if rep, _ := auditlog.VerifyWith(ctx, ta.auditLog.Store, auditlog.VerifyOptions{Key: key,
		Checkpoint: auditlog.NewCheckpoint(&auditlog.Report{Entries: cp.Entries, LastID: cp.LastID, Head: cp.Head}, cp.At, auditlog.SigningKey(bytes.Repeat([]byte{8}, 32)))}); rep.OK {
		t.Error("a checkpoint signed with another key verified")
	}

	// Superuser deletes the newest two rows: the chain alone still links.
	tamper := func(q string, args ...any) {
		t.Helper()
		err := pgx.BeginFunc(ctx, ta.db.Pool, func(tx pgx.Tx) error {
			for _, s := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`, q, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`} {
				a := args
				if s != q {
					a = nil
				}
				if _, err := tx.Exec(ctx, s, a...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	tamper(`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log ORDER BY id DESC LIMIT 2)`)
	if rep, _ := auditlog.VerifyWith(ctx, ta.auditLog.Store, auditlog.VerifyOptions{Key: key}); !rep.OK {
		t.Fatalf("the chain without its tail should still link (that is the gap checkpoints close): %+v", rep)
	}
	err = verifyLog(ctx, ta.app, c, "")
	if err == nil {
		t.Fatal("verify-log passed after the newest rows were deleted")
	}
	rep, _ := auditlog.VerifyWith(ctx, ta.auditLog.Store, auditlog.VerifyOptions{Key: key, Checkpoint: cp})
	if rep.OK || rep.Breaks[len(rep.Breaks)-1].Reason != "checkpoint_missing" {
		t.Errorf("truncation: %+v", rep)
	}
	// A forged tail appended with plain links after keyed ones is caught
	// too, even when it restores the row count.
	forged := &auditlog.Log{Store: postgis.NewAuditLogStore(ta.db)} // no key
	for i := 0; i < 2; i++ {
		if err := forged.Record(ctx, &auditlog.Entry{Action: "login", Actor: "admin"}); err != nil {
			t.Fatal(err)
		}
	}
	rep, _ = auditlog.VerifyWith(ctx, ta.auditLog.Store, auditlog.VerifyOptions{Key: key})
	if rep.OK || rep.Breaks[0].Reason != "unkeyed_link" {
		t.Errorf("forged unkeyed tail: %+v", rep)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "audit-checkpoint-*.json"))
	if len(files) != 1 {
		t.Errorf("checkpoint files: %v", files)
	}
	if b, _ := os.ReadFile(files[0]); !bytes.Contains(b, []byte(`"signature"`)) {
		t.Errorf("checkpoint file: %s", b)
	}
}
