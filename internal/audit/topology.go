// Package audit finds where the grid registry breaks the plans' rule "no
// blank spots and no cross points" (不留空白点和交叉点): parent area covered
// by no child (gaps), siblings sharing area (overlaps), children reaching
// outside their parent, and invalid geometry.
package audit

import (
	"context"
	"sort"

	"github.com/paulmach/orb"
)

// FindingKind names a kind of topology problem.
type FindingKind string

const (
	Gap           FindingKind = "gap"
	Overlap       FindingKind = "overlap"
	OutsideParent FindingKind = "outside_parent"
	Invalid       FindingKind = "invalid"
)

// Finding is one problem area.
type Finding struct {
	Kind       FindingKind
	ParentCode string   // the parent whose children are audited
	Codes      []string // the grids involved (one for outside/invalid, two for overlaps)
	Geometry   orb.Geometry
	AreaM2     float64
	Reason     string // for invalid geometry
}

// TopologyReport is the result of an audit.
type TopologyReport struct {
	Parent       string
	SliverM2     float64
	ParentsCheck int
	Findings     []Finding // at or above the sliver threshold
	Slivers      []Finding // below it: numerical noise or tiny drafting errors
}

// Clean reports whether no real problem was found.
func (r *TopologyReport) Clean() bool { return len(r.Findings) == 0 }

// TopologyStore computes raw findings; the service sorts them by threshold.
type TopologyStore interface {
	// TopologyFindings audits every parent in the subtree of parent ("" = all)
	// and returns every finding with its area and the number of parents checked.
	TopologyFindings(ctx context.Context, parent string) ([]Finding, int, error)
}

// Topology runs audits.
type Topology struct {
	Store TopologyStore
}

// DefaultSliverM2 is the area under which a finding is a sliver: numerical
// noise or a tiny drafting error, not a problem. The grid write guard
// (internal/registry) lets pieces under it pass.
const DefaultSliverM2 = 1.0

// Audit audits the subtree of parent; findings under sliverM2 (default
// DefaultSliverM2) are listed apart as slivers.
func (t *Topology) Audit(ctx context.Context, parent string, sliverM2 float64) (*TopologyReport, error) {
	if sliverM2 <= 0 {
		sliverM2 = DefaultSliverM2
	}
	fs, n, err := t.Store.TopologyFindings(ctx, parent)
	if err != nil {
		return nil, err
	}
	rep := &TopologyReport{Parent: parent, SliverM2: sliverM2, ParentsCheck: n, Findings: []Finding{}, Slivers: []Finding{}}
	for _, f := range fs {
		if f.Kind != Invalid && f.AreaM2 < sliverM2 {
			rep.Slivers = append(rep.Slivers, f)
		} else {
			rep.Findings = append(rep.Findings, f)
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool { return rep.Findings[i].AreaM2 > rep.Findings[j].AreaM2 })
	return rep, nil
}
