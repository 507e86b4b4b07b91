package assessment

import "testing"

// TestVisitCoverageItem: the mass-work block deducts once when a worker
// visited on site fewer of its assigned targets than the rubric asks, lists
// the unvisited ones, and leaves the item out when the rubric sets no
// deduction.
func TestVisitCoverageItem(t *testing.T) {
	ev := &Evidence{Month: "2026-11", Workers: []Worker{{ID: 1, Username: "a"}, {ID: 2, Username: "b"}, {ID: 3, Username: "c"}},
		Visits: []VisitCoverage{
			{WorkerID: 1, Assigned: 4, Visited: 3, Unvisited: []Ref{{Kind: "household", ID: "12"}}},
			{WorkerID: 2, Assigned: 2, Visited: 2, Unvisited: []Ref{}},
		}}
	item := func(res *Result) *Item {
		for _, b := range res.Blocks {
			if b.Key != BlockMassWork {
				continue
			}
			for i := range b.Items {
				if b.Items[i].Key == "visit_coverage" {
					return &b.Items[i]
				}
			}
		}
		return nil
	}
	r := DefaultRubric()
	res := Score(r, ev)
	if it := item(res[0]); it == nil || it.Points != -r.MassWork.VisitShortfall || it.Count != 1 || len(it.Evidence) != 1 || it.Evidence[0].ID != "12" {
		t.Errorf("a (3 of 4): %+v", it)
	}
	if c := res[0].Figures.VisitCoverage; c == nil || *c != 0.75 {
		t.Errorf("a's coverage figure %v, want 0.75", c)
	}
	if it := item(res[1]); it == nil || it.Points != 0 {
		t.Errorf("b (2 of 2): %+v", it)
	}
	if it := item(res[2]); it == nil || it.Points != 0 || res[2].Figures.VisitCoverage != nil {
		t.Errorf("c (nothing assigned): %+v", it)
	}
	if res[0].Total != res[1].Total-r.MassWork.VisitShortfall {
		t.Errorf("totals %v and %v differ by other than the shortfall", res[0].Total, res[1].Total)
	}
	off := DefaultRubric()
	off.MassWork.VisitShortfall = 0
	if err := off.Validate(); err != nil {
		t.Fatal(err)
	}
	if it := item(Score(off, ev)[0]); it != nil {
		t.Errorf("rubric without visit_shortfall still scores visits: %+v", it)
	}
	bad := DefaultRubric()
	bad.MassWork.VisitCoverageMin = 1.5
	if err := bad.Validate(); err == nil {
		t.Error("visit_coverage_min 1.5 accepted")
	}
}
