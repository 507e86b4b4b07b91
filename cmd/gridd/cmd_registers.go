package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"

	"github.com/gridd/gridd/internal/auditlog"
	"github.com/gridd/gridd/internal/errs"
)

// cmdAuditVerifyLog walks the audit log's hash chain and fails when it is
// broken (an entry edited, deleted or reordered, or the expected head
// missing).
func cmdAuditVerifyLog(ctx context.Context, args []string) error {
	var c Config
	var head string
	fs := flag.NewFlagSet("audit verify-log", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&head, "head", "", "a head hash noted earlier; the chain must still contain it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	return verifyLog(ctx, a, head)
}

func verifyLog(ctx context.Context, a *app, head string) error {
	rep, err := auditlog.Verify(ctx, a.auditLog.Store, head)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if !rep.OK {
		return errs.E(errs.Unprocessable, "audit_log_broken", "the audit log's hash chain is broken at %d place(s)", len(rep.Breaks))
	}
	return nil
}
