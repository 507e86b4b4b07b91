package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/assessment"
	"github.com/gridd/gridd/internal/dbtest"
	"github.com/gridd/gridd/internal/demo"
	"github.com/gridd/gridd/internal/postgis"
	"github.com/xuri/excelize/v2"
)

// TestCLIAssessDemoMonth assesses the demo month (its patrol tracks, the
// demo's calls, surveys and findings) with `gridd assess` and checks that
// the month gives a believable spread that follows the evidence: the
// patrol personas, the hard-to-reach worker, the vetoed late report and the
// inspectors' findings.
func TestCLIAssessDemoMonth(t *testing.T) {
	db := dbtest.NewDemo(t)
	url := dbtest.URL(t, db)
	ctx := context.Background()
	month := demo.DemoPatrolMonth.Format("2006-01")
	xlsx := filepath.Join(t.TempDir(), "assessment.xlsx")
	var out bytes.Buffer
	if err := runAssess(ctx, []string{"--month", month, "--database-url", url, "--xlsx", xlsx}, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if !strings.Contains(out.String(), "assessment "+month+" version 1 (new version)") {
		t.Errorf("first run: %s", out.String())
	}
	out.Reset()
	if err := runAssess(ctx, []string{"--month", month, "--database-url", url}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "version 1 (unchanged)") {
		t.Errorf("rerun with the same inputs: %s", out.String())
	}
	run, err := postgis.NewAssessmentStore(db).LatestRun(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	town := demo.Generate(dbtest.DemoSeed)
	persona := map[string]string{}
	for _, tr := range demo.Patrols(town, demo.DemoPatrolMonth, 1) {
		persona[tr.Username] = tr.Persona
	}
	recs := demo.DemoAssessment(town, demo.DemoPatrolMonth, 1)
	if len(run.Results) != len(persona) {
		t.Fatalf("%d results for %d demo workers", len(run.Results), len(persona))
	}
	var totals []float64
	vetoed := 0
	diligentClean := []float64{}
	for _, r := range run.Results {
		totals = append(totals, r.Total)
		if len(r.Missing) > 0 {
			t.Errorf("%s: missing evidence %v", r.Worker.Username, r.Missing)
		}
		att := r.Blocks[0]
		switch persona[r.Worker.Username] {
		case demo.PersonaUnderTwoHours:
			// 28 days × −0.5 = −14: attendance 20 − 14 = 6.
			if it := itemOf(r, assessment.BlockAttendance, "short_days"); it.Count != 28 || att.Score != 6 {
				t.Errorf("%s patrols under 2 h: short days %d, attendance %v", r.Worker.Username, it.Count, att.Score)
			}
		case demo.PersonaSkipsFarSide:
			if it := itemOf(r, assessment.BlockAttendance, "coverage"); it.Points != -5 {
				t.Errorf("%s skips the far side: coverage item %+v", r.Worker.Username, it)
			}
		case demo.PersonaDiligent:
			if it := itemOf(r, assessment.BlockAttendance, "short_days"); it.Count != 0 {
				t.Errorf("diligent %s has %d short days", r.Worker.Username, it.Count)
			}
			if len(recs.Findings[r.Worker.Username]) == 0 {
				diligentClean = append(diligentClean, r.Total)
			}
		}
		if r.Vetoed {
			vetoed++
			if fs := recs.Findings[r.Worker.Username]; len(fs) != 1 || fs[0].Kind != assessment.FindingLateReport {
				t.Errorf("%s vetoed without a late report: %+v", r.Worker.Username, fs)
			}
		}
		for _, f := range recs.Findings[r.Worker.Username] {
			if f.Kind == assessment.FindingInspector && itemOf(r, assessment.BlockBacktrace, "inspector_findings").Points != -10 {
				t.Errorf("%s: inspector finding not deducted", r.Worker.Username)
			}
		}
	}
	if vetoed != 1 {
		t.Errorf("%d vetoed months, want the one late report", vetoed)
	}
	lo, hi := slices.Min(totals), slices.Max(totals)
	distinct := slices.Compact(slices.Sorted(slices.Values(totals)))
	t.Logf("demo month %s: %d workers, totals %.1f … %.1f, %d distinct", month, len(totals), lo, hi, len(distinct))
	grades := map[string]bool{}
	for _, r := range run.Results {
		grades[r.Quarter.Grade] = true
	}
	if hi-lo < 10 || len(distinct) < 6 || len(grades) < 3 {
		t.Errorf("no believable spread: totals %v, grades %v", totals, grades)
	}
	for _, r := range run.Results {
		if persona[r.Worker.Username] == demo.PersonaUnderTwoHours && r.Total >= slices.Min(diligentClean) {
			t.Errorf("the worker patrolling under 2 h (%v) scores as well as a diligent one without findings (%v)", r.Total, slices.Min(diligentClean))
		}
	}
	// The xlsx written by the CLI opens and has a row per worker.
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("总分")
	if err != nil || len(rows) != len(run.Results)+1 {
		t.Errorf("xlsx summary: %d rows (%v), want %d", len(rows), err, len(run.Results)+1)
	}
	_ = os.Remove(xlsx)
}
