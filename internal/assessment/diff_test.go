package assessment

import (
	"math/rand/v2"
	"testing"
)

// TestDiff lists the changed items, blocks and totals of a corrected month.
func TestDiff(t *testing.T) {
	r := DefaultRubric()
	ev := knownMonth()
	old := &Run{RubricVersion: r.Version, Results: Score(r, ev)}
	// The correction: one more unanswered call for w-excellent, and the
	// failing worker's late report withdrawn.
	ev.Calls = append(ev.Calls, Call{ID: 104, WorkerID: 1, At: at(28, 10)})
	var fs []Finding
	for _, f := range ev.Findings {
		if f.ID != 35 {
			fs = append(fs, f)
		}
	}
	ev.Findings = fs
	new := &Run{RubricVersion: r.Version, Results: Score(r, ev)}
	got := map[Change]bool{}
	for _, c := range Diff(old, new) {
		got[c] = true
	}
	want := []Change{
		{Worker: "w-excellent", Field: "total", From: "102.5", To: "102"},
		{Worker: "w-excellent", Field: "attendance", From: "19.5", To: "19"},
		{Worker: "w-excellent", Field: "attendance.unanswered_calls", From: "0", To: "-0.5"},
		{Worker: "w-failing", Field: "total", From: "21", To: "31"},
		{Worker: "w-failing", Field: "vetoed", From: "true", To: "false"},
		{Worker: "w-failing", Field: "information", From: "15", To: "25"},
		{Worker: "w-failing", Field: "information.late_report", From: "-10", To: "0"},
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("diff lacks %+v", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("diff has %d changes, want %d: %+v", len(got), len(want), Diff(old, new))
	}
	if d := Diff(old, old); len(d) != 0 {
		t.Errorf("diff of a version with itself: %v", d)
	}
}

// BenchmarkScore scores a month of 1,000 workers (about 150 work orders,
// 8 short days and a few calls, findings and missed problems each).
func BenchmarkScore(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	ev := randomMonth(rng, 1000)
	r := DefaultRubric()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res := Score(r, ev)
		Annotate(r, ev.Month, res, nil)
	}
}
