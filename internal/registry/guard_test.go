package registry

import (
	"testing"

	"github.com/gridd/gridd/internal/audit"
	"github.com/gridd/gridd/internal/errs"
)

func TestJudgeSumsAndRefuses(t *testing.T) {
	pieces := []TopologyPiece{
		{Kind: audit.Overlap, Parent: "P", Codes: []string{"B", "A"}, AreaM2: 30},
		{Kind: audit.Overlap, Parent: "P", Codes: []string{"A", "B"}, AreaM2: 12.5},
		{Kind: audit.Overlap, Parent: "P", Codes: []string{"A", "C"}, AreaM2: 0.4}, // a sliver
		{Kind: audit.Gap, Parent: "P", AreaM2: 100},
		{Kind: audit.OutsideParent, Parent: "P", Codes: []string{"A"}, AreaM2: 7},
	}
	v := Judge(pieces, GuardOptions{})
	if len(v.Overlaps) != 1 || v.Overlaps[0].AreaM2 != 42.5 || v.Overlaps[0].Codes[0] != "A" {
		t.Fatalf("overlaps %+v", v.Overlaps)
	}
	if err := v.Err(false); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("overlap: %v", err)
	}
	v = Judge(pieces[3:], GuardOptions{})
	if e, _ := errs.As(v.Err(false)); e == nil || e.Kind != errs.Unprocessable || e.Reason != "topology_outside_parent" {
		t.Fatalf("outside: %v", e)
	}
	v = Judge(pieces[3:4], GuardOptions{})
	if e, _ := errs.As(v.Err(false)); e == nil || e.Reason != "topology_gap" {
		t.Fatalf("gap: %v", e)
	}
	v = Judge(pieces[3:4], GuardOptions{AcceptGaps: true})
	if err := v.Err(true); err != nil || !v.GapsAccepted {
		t.Fatalf("accepted gap: %v %+v", err, v)
	}
	if err := Judge(pieces[2:3], GuardOptions{}).Err(false); err != nil {
		t.Fatalf("a sliver refused: %v", err)
	}
}
