package main

import (
	"testing"
)

// TestWorkerResults: the quarter's results come from the monthly
// assessments (computed on first read), graded by the rubric's bands; a
// worker sees only its own result; bad input names the field.
func TestWorkerResults(t *testing.T) {
	clk := &testClock{t: cst(2026, 12, 10, 10, 0)}
	ta := newCaseApp(t, clk)
	admin, worker := ta.login("admin"), ta.login(ownGrid)
	var pr struct {
		Assessed []string `json:"assessed"`
		Grades   []struct {
			Name string  `json:"name"`
			Min  float64 `json:"min"`
		} `json:"grades"`
		Workers []struct {
			Worker struct {
				Username string `json:"username"`
			} `json:"worker"`
			Months []struct {
				Month string  `json:"month"`
				Total float64 `json:"total"`
			} `json:"months"`
			Mean     float64 `json:"mean"`
			Grade    string  `json:"grade"`
			Complete bool    `json:"complete"`
			Rank     int     `json:"rank"`
		} `json:"workers"`
		Advanced []struct {
			GridCode string `json:"grid_code"`
		} `json:"advanced_grids"`
	}
	res := ta.do("GET", "/api/v1/results/workers?period=2026-Q4", admin, nil, nil)
	if res.Status != 200 {
		t.Fatalf("results: %d %s", res.Status, res.Body)
	}
	res.decode(t, &pr)
	if len(pr.Assessed) != 2 || pr.Assessed[0] != "2026-10" || pr.Assessed[1] != "2026-11" {
		t.Errorf("assessed %v, want October and November", pr.Assessed)
	}
	if len(pr.Workers) < 26 {
		t.Fatalf("%d workers", len(pr.Workers))
	}
	for _, w := range pr.Workers {
		var sum float64
		for _, m := range w.Months {
			sum += m.Total
		}
		if len(w.Months) == 0 || !near(&w.Mean, sum/float64(len(w.Months))) || w.Complete || w.Grade == "" || w.Rank < 1 {
			t.Errorf("worker %s: %+v", w.Worker.Username, w)
		}
	}
	if len(pr.Advanced) != 0 {
		t.Errorf("an incomplete quarter has advanced grids: %+v", pr.Advanced)
	}
	res = ta.do("GET", "/api/v1/results/workers?period=2026-Q4", worker, nil, nil)
	res.decode(t, &pr)
	if len(pr.Workers) != 1 || pr.Workers[0].Worker.Username != ownGrid {
		t.Errorf("worker sees %d results", len(pr.Workers))
	}
	for q, field := range map[string]string{"period=2026-Q5": "period", "": "period", "period=2026&advanced_share=2": "advanced_share"} {
		res := ta.do("GET", "/api/v1/results/workers?"+q, admin, nil, nil)
		if res.Status != 400 || problemOf(t, res).Errors[0].Field != field {
			t.Errorf("?%s: %d %s", q, res.Status, res.Body)
		}
	}
}
