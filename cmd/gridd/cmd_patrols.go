package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/gridd/gridd/internal/httpapi"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/workday"
)

// cmdAuditPatrols is `gridd audit patrols --month YYYY-MM [--parent CODE]
// [--cells]`: the patrol-coverage audit as JSON on stdout, the same as GET
// /api/v1/audits/patrol-coverage, and a one-line summary on stderr. It is a
// report: findings do not change the exit status.
func cmdAuditPatrols(ctx context.Context, args []string) error {
	var c Config
	var month, parent string
	var cells bool
	fs := flag.NewFlagSet("audit patrols", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&month, "month", "", "month to audit, YYYY-MM (required)")
	fs.StringVar(&parent, "parent", "", "audit only this grid's subtree")
	fs.BoolVar(&cells, "cells", false, "include the never-visited cells as GeoJSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if month == "" {
		return fmt.Errorf("usage: gridd audit patrols --month YYYY-MM [--parent CODE] [--cells]")
	}
	m, err := patrol.ParseMonth(month, workday.Shanghai())
	if err != nil {
		return err
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	rep, err := a.patrols.Audit(ctx, m, parent, patrol.AuditOptions{Cells: cells})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(httpapi.PatrolAuditToJSON(rep)); err != nil {
		return err
	}
	short := 0
	for _, r := range rep.Rows {
		if !r.CoverageMet {
			short++
		}
	}
	fmt.Fprintf(os.Stderr, "%s: %d workers, %d below %.0f%% monthly coverage, %d grids without a worker, %d checkpoints missed\n",
		month, len(rep.Rows), short, 100*rep.Rules.MonthlyCoverage, len(rep.GridsWithoutWorker), len(rep.MissedCheckpoints))
	return nil
}
