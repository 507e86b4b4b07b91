package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
)

// auditKey returns the audit chain's key: Config.AuditKey (tests), else
// GRIDD_AUDIT_KEY, else the file --audit-key-file; nil when none is set
// (links are then plain SHA-256, as before keys existed).
func auditKey(c Config) ([]byte, error) {
	if c.AuditKey != nil {
		return c.AuditKey, nil
	}
	if v := os.Getenv("GRIDD_AUDIT_KEY"); v != "" {
		return parseDataKey("GRIDD_AUDIT_KEY", v)
	}
	if c.AuditKeyFile != "" {
		b, err := os.ReadFile(c.AuditKeyFile)
		if err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
		return parseDataKey(c.AuditKeyFile, string(b))
	}
	return nil, nil
}

const checkpointPrefix = "audit-checkpoint-"

// writeAuditCheckpoint signs the chain's current head into
// dir/audit-checkpoint-<entries>.json (the chain's length: newest last) (written whole, then renamed, then
// synced), unless the newest checkpoint already names that head.
func (a *app) writeAuditCheckpoint(ctx context.Context, c Config) error {
	key, err := auditKey(c)
	if err != nil || key == nil || c.AuditCheckpointDir == "" {
		return err
	}
	// Seal what is committed first, so the checkpoint names the newest
	// entries rather than the head of the sealer's last pass.
	if _, err := a.auditStore.Seal(ctx); err != nil {
		return err
	}
	lastID, head, entries, err := a.auditStore.Head(ctx)
	if err != nil || entries == 0 {
		return err
	}
	if latest, err := latestCheckpoint(c.AuditCheckpointDir); err == nil && latest != nil && latest.LastID == lastID {
		return nil
	}
	cp := auditlog.NewCheckpoint(&auditlog.Report{Entries: entries, LastID: lastID, Head: hex.EncodeToString(head)}, a.db.Now(), auditlog.SigningKey(key))
	b, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.AuditCheckpointDir, 0o700); err != nil {
		return err
	}
	name := filepath.Join(c.AuditCheckpointDir, fmt.Sprintf("%s%020d.json", checkpointPrefix, entries))
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	if d, err := os.Open(c.AuditCheckpointDir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// runAuditCheckpoints writes a checkpoint every c.AuditCheckpointEvery
// until ctx ends, and a last one then.
func (a *app) runAuditCheckpoints(ctx context.Context, c Config) {
	every := c.AuditCheckpointEvery
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := a.writeAuditCheckpoint(context.WithoutCancel(ctx), c); err != nil {
				a.log.Error("audit checkpoint", "err", err)
			}
			return
		case <-t.C:
			if err := a.writeAuditCheckpoint(ctx, c); err != nil {
				a.log.Error("audit checkpoint", "err", err)
			}
		}
	}
}

// latestCheckpoint reads the newest checkpoint in dir (nil when none).
func latestCheckpoint(dir string) (*auditlog.Checkpoint, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, checkpointPrefix) && strings.HasSuffix(n, ".json") {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	slices.Sort(names)
	b, err := os.ReadFile(filepath.Join(dir, names[len(names)-1]))
	if err != nil {
		return nil, err
	}
	return auditlog.ParseCheckpoint(b)
}
