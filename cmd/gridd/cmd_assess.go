package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/httpapi"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/patrol"
	"github.com/gridd/gridd/internal/postgis"
)

// newAssessments wires the monthly assessment: its store, the plan's
// rubric, and a refresh of the month's patrol results before each run.
func newAssessments(a *app, now func() time.Time) *assessment.Service {
	return &assessment.Service{Store: postgis.NewAssessmentStore(a.db), People: a.people, Rubric: assessment.DefaultRubric(), Now: now,
		RefreshPatrols: func(ctx context.Context, month time.Time) error {
			if a.patrols == nil {
				return nil
			}
			_, err := a.patrols.Audit(ctx, month, "", patrol.AuditOptions{})
			return err
		}}
}

// cmdAssess: gridd assess --month YYYY-MM [--rubric FILE] [--json] [--xlsx FILE] [--lang zh|en]
func cmdAssess(ctx context.Context, args []string) error {
	return runAssess(ctx, args, os.Stdout)
}

func runAssess(ctx context.Context, args []string, out io.Writer) error {
	var c Config
	var month, rubricFile, xlsxFile, lang string
	var asJSON bool
	fs := flag.NewFlagSet("assess", flag.ContinueOnError)
	commonFlags(fs, &c)
	fs.StringVar(&month, "month", "", "the month to assess, YYYY-MM (Asia/Shanghai)")
	fs.StringVar(&rubricFile, "rubric", "", "a rubric JSON document (default: the plan's rubric)")
	fs.BoolVar(&asJSON, "json", false, "print the whole run as JSON")
	fs.StringVar(&xlsxFile, "xlsx", "", "also write the results to this xlsx file")
	fs.StringVar(&lang, "lang", "zh", "language of the xlsx headers: zh or en")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if month == "" {
		return fmt.Errorf("usage: gridd assess --month YYYY-MM [--rubric FILE] [--json] [--xlsx FILE] [--lang zh|en]")
	}
	a, err := openApp(ctx, c, newLogger(0))
	if err != nil {
		return err
	}
	defer a.close()
	if rubricFile != "" {
		b, err := os.ReadFile(rubricFile)
		if err != nil {
			return err
		}
		if a.assessments.Rubric, err = assessment.ParseRubric(b); err != nil {
			return err
		}
	}
	if err := a.locator.Refresh(ctx); err != nil {
		return err
	}
	run, created, err := a.assessments.Assess(ctx, month, 0)
	if err != nil {
		return err
	}
	if xlsxFile != "" {
		b, err := httpapi.AssessmentWorkbook(msg.Must(), msg.ParseLang(lang), run.Month, run.Version, run.Results, run.Departments)
		if err != nil {
			return err
		}
		if err := os.WriteFile(xlsxFile, b, 0o644); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(run)
	}
	state := "unchanged"
	if created {
		state = "new version"
	}
	fmt.Fprintf(out, "assessment %s version %d (%s), rubric %s, %d workers\n", run.Month, run.Version, state, run.RubricVersion, len(run.Results))
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "street\trank\tworker\tname\tattendance\tmass_work\tinformation\tbacktrace\tbonus\ttotal\tvetoed\tpay\tquarter\tflags")
	for _, r := range run.Results {
		grade := ""
		if r.Quarter != nil {
			grade = r.Quarter.Grade
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%v\t%v\t%v\t%v\t%v\t%v\t%v\t%v\t%s\t%s\n", r.Worker.Street, r.Rank, r.StreetSize, r.Worker.Username, r.Worker.Name,
			r.Blocks[0].Score, r.Blocks[1].Score, r.Blocks[2].Score, r.Blocks[3].Score, r.Bonus, r.Total, r.Vetoed, r.PayEligible, grade, strings.Join(r.Flags, ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(run.Diff) > 0 {
		fmt.Fprintf(out, "changes from version %d:\n", run.Version-1)
		for _, d := range run.Diff {
			fmt.Fprintf(out, "  %s %s: %s → %s\n", d.Worker, d.Field, d.From, d.To)
		}
	}
	return nil
}
