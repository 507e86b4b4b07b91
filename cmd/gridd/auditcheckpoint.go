package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/errs"
	"github.com/riverqueue/river"
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

// writeAuditCheckpoint seals what is committed, then signs the chain's
// head into dir/audit-checkpoint-<entries>.json (the chain's length, so
// the newest sorts last; written whole, then renamed, then synced), unless
// the newest checkpoint already names that head. The newest checkpoint's
// entry must still hold the hash it signed — when the chain no longer
// holds it (cut or rewritten) nothing is written, so that `gridd audit
// verify-log` keeps comparing against the last good head. It returns the
// checkpoint's file name ("" when none was written).
func (a *app) writeAuditCheckpoint(ctx context.Context, c Config) (string, error) {
	key, err := auditKey(c)
	if err != nil || key == nil || c.AuditCheckpointDir == "" {
		return "", err
	}
	if _, err := a.auditStore.Seal(ctx); err != nil {
		return "", err
	}
	latest, err := latestCheckpoint(c.AuditCheckpointDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if latest != nil {
		h, err := a.auditStore.EntryHash(ctx, latest.LastID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return "", err
		}
		if hex.EncodeToString(h) != latest.Head {
			return "", fmt.Errorf("audit checkpoint: the chain no longer holds entry %d signed by the newest checkpoint (%s); run gridd audit verify-log",
				latest.LastID, latest.At.Format(time.RFC3339))
		}
	}
	lastID, head, entries, err := a.auditStore.Head(ctx)
	if err != nil || entries == 0 {
		return "", err
	}
	if latest != nil && latest.LastID == lastID {
		return "", nil
	}
	cp := auditlog.NewCheckpoint(&auditlog.Report{Entries: entries, LastID: lastID, Head: hex.EncodeToString(head)}, a.db.Now(), auditlog.SigningKey(key))
	b, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(c.AuditCheckpointDir, 0o700); err != nil {
		return "", err
	}
	name := filepath.Join(c.AuditCheckpointDir, fmt.Sprintf("%s%020d.json", checkpointPrefix, entries))
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, name); err != nil {
		return "", err
	}
	if d, err := os.Open(c.AuditCheckpointDir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return name, nil
}

// auditCheckpointArgs is the periodic job writing a checkpoint: River runs
// periodic jobs on its elected leader only, and the job is unique per
// interval, so the instances together write one per interval.
type auditCheckpointArgs struct{}

func (auditCheckpointArgs) Kind() string { return "audit_checkpoint" }

type auditCheckpointWorker struct {
	river.WorkerDefaults[auditCheckpointArgs]
	a *app
}

func (w *auditCheckpointWorker) Work(ctx context.Context, _ *river.Job[auditCheckpointArgs]) error {
	_, err := w.a.writeAuditCheckpoint(ctx, w.a.checkpointCfg)
	return err
}

// auditJobs registers the audit checkpoint, every --audit-checkpoint-every
// (a minute by default) and on start, when a checkpoint directory is set.
func auditJobs(a *app, w *river.Workers) []*river.PeriodicJob {
	c := a.checkpointCfg
	if c.AuditCheckpointDir == "" {
		return nil
	}
	every := c.AuditCheckpointEvery
	if every <= 0 {
		every = time.Minute
	}
	period := max(every, time.Second) // River's least unique period
	river.AddWorker(w, &auditCheckpointWorker{a: a})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) {
			return auditCheckpointArgs{}, &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: period}}
		}, &river.PeriodicJobOpts{RunOnStart: true})}
}

// checkpointOnStop writes a last checkpoint when ctx ends (this instance's
// own writes are then covered; skipped when the head has not moved).
func (a *app) checkpointOnStop(ctx context.Context, c Config) {
	<-ctx.Done()
	if _, err := a.writeAuditCheckpoint(context.WithoutCancel(ctx), c); err != nil {
		a.log.Error("audit checkpoint", "err", err)
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
