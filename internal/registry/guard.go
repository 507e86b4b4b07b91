package registry

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gridd/gridd/internal/audit"
	"github.com/gridd/gridd/internal/errs"
)

// The topology guard: a grid write (PATCH, import, a multi-grid edit) must
// not make the registry worse than it was. Against the state before the
// write, it refuses
//
//   - new area shared with a sibling (409 topology_overlap, naming the
//     neighbour's code and the area in m²),
//   - new area outside the parent (422 topology_outside_parent),
//   - new area of the parent covered by no child (422 topology_gap), unless
//     the request accepts gaps (a river or a lake left outside on purpose).
//
// "New" is measured against the same pair, parent or grid before the write,
// so a write that leaves an old problem as it was (or shrinks it) passes,
// and filling an empty parent grid by grid is never a gap. Pieces smaller
// than the audit's sliver threshold (audit.DefaultSliverM2) are numerical
// noise and pass. The pieces are computed by the store inside the write's
// transaction (PostGIS overlay, spheroidal areas, as the audit measures),
// after locking the parents involved, so two concurrent writes cannot each
// pass alone and overlap together.

// TopologyPiece is one polygon a write would add to a problem: a new
// overlap of two siblings, new area of a child outside its parent, or new
// area of a parent covered by no child.
type TopologyPiece struct {
	Kind   audit.FindingKind
	Parent string
	Codes  []string // the grids involved: two for an overlap, one for outside, none for a gap
	AreaM2 float64
}

// GuardOptions are the choices a request makes about the guard.
type GuardOptions struct {
	// AcceptGaps lets the write open new gaps inside parents.
	AcceptGaps bool
	// SliverM2 is the threshold under which pieces pass (default
	// audit.DefaultSliverM2).
	SliverM2 float64
}

// TopologyCheck decides on the pieces of a write; a non-nil error refuses
// it and the store stores nothing.
type TopologyCheck func(pieces []TopologyPiece) error

// TopologyVerdict is the guard's finding, summed per grid pair, grid or
// parent over the pieces at or above the sliver threshold.
type TopologyVerdict struct {
	Overlaps []TopologyProblem `json:"overlaps"`
	Outside  []TopologyProblem `json:"outside_parent"`
	Gaps     []TopologyProblem `json:"gaps"`
	// GapsAccepted is true when gaps were found and the request accepted them.
	GapsAccepted bool `json:"gaps_accepted"`
}

// TopologyProblem is one refused (or accepted) problem with its area.
type TopologyProblem struct {
	Parent string   `json:"parent_code"`
	Codes  []string `json:"codes"`
	AreaM2 float64  `json:"area_m2"`
}

// Judge sums the pieces at or above the sliver threshold.
func Judge(pieces []TopologyPiece, opts GuardOptions) TopologyVerdict {
	sliver := opts.SliverM2
	if sliver <= 0 {
		sliver = audit.DefaultSliverM2
	}
	sums := map[string]*TopologyProblem{}
	kinds := map[string]audit.FindingKind{}
	var keys []string
	for _, p := range pieces {
		if p.AreaM2 < sliver {
			continue
		}
		codes := slices.Clone(p.Codes)
		slices.Sort(codes)
		k := string(p.Kind) + "|" + p.Parent + "|" + strings.Join(codes, ",")
		if s, ok := sums[k]; ok {
			s.AreaM2 += p.AreaM2
			continue
		}
		if codes == nil {
			codes = []string{}
		}
		sums[k] = &TopologyProblem{Parent: p.Parent, Codes: codes, AreaM2: p.AreaM2}
		kinds[k] = p.Kind
		keys = append(keys, k)
	}
	sort.Strings(keys)
	v := TopologyVerdict{Overlaps: []TopologyProblem{}, Outside: []TopologyProblem{}, Gaps: []TopologyProblem{}}
	for _, k := range keys {
		s := *sums[k]
		s.AreaM2 = math.Round(s.AreaM2*10) / 10
		switch kinds[k] {
		case audit.Overlap:
			v.Overlaps = append(v.Overlaps, s)
		case audit.OutsideParent:
			v.Outside = append(v.Outside, s)
		case audit.Gap:
			v.Gaps = append(v.Gaps, s)
		}
	}
	v.GapsAccepted = opts.AcceptGaps && len(v.Gaps) > 0
	return v
}

// Err is the refusal of a write with this verdict, or nil when it may pass:
// overlaps first (409), then outside the parent and gaps (422). Every
// problem is listed as a field naming the grids and the area in m².
func (v TopologyVerdict) Err(acceptGaps bool) error {
	var e *errs.Error
	switch {
	case len(v.Overlaps) > 0:
		o := v.Overlaps[0]
		e = errs.E(errs.Conflict, "topology_overlap", "grids %s would overlap by %.1f m² under %s; move the shared boundary in both grids (POST /api/v1/grids/edits)",
			strings.Join(o.Codes, " and "), o.AreaM2, o.Parent)
	case len(v.Outside) > 0:
		o := v.Outside[0]
		e = errs.E(errs.Unprocessable, "topology_outside_parent", "grid %s would reach %.1f m² outside its parent %s",
			strings.Join(o.Codes, ","), o.AreaM2, o.Parent)
	case len(v.Gaps) > 0 && !acceptGaps:
		o := v.Gaps[0]
		e = errs.E(errs.Unprocessable, "topology_gap", "the write would leave %.1f m² of %s covered by no grid; cover it or send accept_gaps=true",
			o.AreaM2, o.Parent)
	default:
		return nil
	}
	add := func(reason string, ps []TopologyProblem, what string) {
		for _, p := range ps {
			code := ""
			if len(p.Codes) > 0 {
				code = p.Codes[0]
			}
			detail := fmt.Sprintf("%s %.1f m² under %s", what, p.AreaM2, p.Parent)
			if len(p.Codes) == 2 {
				detail = fmt.Sprintf("%s and %s %s %.1f m² under %s", p.Codes[0], p.Codes[1], what, p.AreaM2, p.Parent)
			}
			e.Fields = append(e.Fields, errs.Field{Field: "geometry", Code: code, Reason: reason, Detail: detail})
		}
	}
	add("topology_overlap", v.Overlaps, "would overlap by")
	add("topology_outside_parent", v.Outside, "would reach outside the parent by")
	if !acceptGaps {
		add("topology_gap", v.Gaps, "would leave a new gap of")
	}
	return e
}

// Guard returns the check that refuses a write on its verdict.
func Guard(opts GuardOptions) TopologyCheck {
	return func(pieces []TopologyPiece) error {
		return Judge(pieces, opts).Err(opts.AcceptGaps)
	}
}
