package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/gridd/gridd/internal/workday"
)

// cmdPatrols is `gridd patrols partitions|archive`: the storage of patrol
// fixes (monthly partitions of patrol_points, retention).
func cmdPatrols(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "partitions" && args[0] != "archive") {
		return fmt.Errorf("usage: gridd patrols partitions [--ahead 2] | gridd patrols archive --before YYYY-MM [--out DIR [--drop]]")
	}
	var c Config
	var ahead int
	var before, dir string
	var drop bool
	fs := flag.NewFlagSet("patrols "+args[0], flag.ContinueOnError)
	commonFlags(fs, &c)
	if args[0] == "partitions" {
		fs.IntVar(&ahead, "ahead", patrolMonthsAhead, "months after the current one to create")
	} else {
		fs.StringVar(&before, "before", "", "archive the months before this one, YYYY-MM (required)")
		fs.StringVar(&dir, "out", "", "write each month's fixes to DIR/patrol_points_yYYYYmMM.csv.gz")
		fs.BoolVar(&drop, "drop", false, "drop the detached tables once written (needs --out)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if args[0] == "archive" && before == "" {
		return fmt.Errorf("usage: gridd patrols archive --before YYYY-MM [--out DIR [--drop]]")
	}
	var bm time.Time
	if before != "" {
		m, err := patrol.ParseMonth(before, workday.Shanghai())
		if err != nil {
			return err
		}
		bm = m
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	if args[0] == "partitions" {
		if _, err := a.patrolStore.EnsureMonthsAhead(ctx, a.db.Now(), ahead); err != nil {
			return err
		}
		return printPatrolPartitions(ctx, a.patrolStore)
	}
	done, err := a.patrolStore.ArchivePatrols(ctx, postgis.ArchiveOptions{Before: bm, Dir: dir, Drop: drop, Now: a.db.Now()})
	for _, m := range done {
		where := m.Detached
		if m.File != "" {
			where += " " + m.File
		}
		fmt.Printf("archived %s: %d fixes → %s\n", m.Month.Format("2006-01"), m.Fixes, where)
	}
	if err == nil && len(done) == 0 {
		fmt.Printf("no month before %s to archive\n", before)
	}
	return err
}

func printPatrolPartitions(ctx context.Context, s *postgis.PatrolStore) error {
	parts, err := s.PatrolPartitions(ctx)
	if err != nil {
		return err
	}
	for _, p := range parts {
		fmt.Printf("%s\t%s\n", p.Month.Format("2006-01"), p.Table)
	}
	arch, err := s.ArchivedMonths(ctx)
	if err != nil {
		return err
	}
	for _, m := range arch {
		fmt.Printf("%s\tarchived: %d fixes %s %s\n", m.Month.Format("2006-01"), m.Fixes, m.Detached, m.File)
	}
	return nil
}
