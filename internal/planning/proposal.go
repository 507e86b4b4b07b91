// Package planning proposes divisions of a parent grid (a village,
// community or street) into grids of about a target number of households
// along roads and blocks (P4 三: about 300 households per grid, following
// roads, blocks and natural boundaries) and applies a proposal as new grid
// versions.
//
// The store cuts the area by the road network (and, if asked, the zone
// boundaries) into blocks and counts the households (or people, or
// buildings) in each from the registers; spatial/division groups the
// blocks; the store unions each group exactly and measures it. A proposal
// is stored and served as a FeatureCollection; applying it (with If-Match
// of the parent) is one atomic multi-grid edit through the topology guard.
package planning

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/registry"
	"github.com/gridd/gridd/spatial/division"
	"github.com/paulmach/orb"
)

// Count names what a grid's size is counted in.
type Count string

// The counts a division can balance.
const (
	Households Count = "households"
	People     Count = "people"
	Buildings  Count = "buildings"
)

// Request is what a proposal is asked for.
type Request struct {
	Parent string `json:"parent_code"`
	Target int    `json:"target"`
	Min    int    `json:"min"`
	Max    int    `json:"max"`
	Count  Count  `json:"count"`
	// RoadKinds are the kinds of road whose sections cut blocks; empty: all.
	RoadKinds []string `json:"road_kinds"`
	// Zones: zone boundaries cut blocks too (rivers, markets, the seat area).
	Zones bool `json:"zones"`
	// KeepExisting keeps the current children and divides only the rest of
	// the parent; otherwise the proposal replaces them.
	KeepExisting bool `json:"keep_existing"`
}

// Normalize fills the defaults and checks the bounds.
func (r *Request) Normalize() error {
	if r.Target == 0 {
		r.Target = 300
	}
	if r.Min == 0 {
		r.Min = r.Target * 2 / 3
	}
	if r.Max == 0 {
		r.Max = r.Target * 4 / 3
	}
	if r.Count == "" {
		r.Count = Households
	}
	switch {
	case r.Target < 1 || r.Target > 100000:
		return errs.Invalidf("target", "invalid_target", "want a target from 1 to 100000, got %d", r.Target)
	case r.Min < 0 || r.Min > r.Target:
		return errs.Invalidf("min", "invalid_min", "want a min from 0 to the target %d, got %d", r.Target, r.Min)
	case r.Max < r.Target:
		return errs.Invalidf("max", "invalid_max", "want a max of at least the target %d, got %d", r.Target, r.Max)
	case r.Count != Households && r.Count != People && r.Count != Buildings:
		return errs.Invalidf("count", "invalid_count", "want households, people or buildings, got %q", r.Count)
	}
	return nil
}

// Blocks is the parent's area cut into blocks, with what the grouping and
// the measuring need.
type Blocks struct {
	ParentName    string
	ParentLevel   int
	ParentVersion int
	Blocks        []division.Block
	Geoms         map[int]orb.MultiPolygon // by Block.ID
	// Region is the area divided (the parent, less the kept children);
	// Lines are the road sections (and zone boundaries) that cut it.
	Region orb.MultiPolygon
	Lines  orb.Geometry
}

// Piece is one block or piece of a block of a proposed grid.
type Piece struct {
	Grid  int
	Block orb.MultiPolygon
	Rect  *orb.Bound
}

// Assembled is one proposed grid as the store unions and measures it.
type Assembled struct {
	Geometry  orb.MultiPolygon
	AreaM2    float64
	PerimM    float64
	InternalM float64 // boundary length inside the region (shared with other grids)
	RoadM     float64 // of which along a road section or zone boundary
}

// Audit is a proposal's own topology audit.
type Audit struct {
	Clean     bool    `json:"clean"`
	GapM2     float64 `json:"gap_m2"`
	OverlapM2 float64 `json:"overlap_m2"`
	OutsideM2 float64 `json:"outside_m2"`
	// Covered is the share of the region's area the grids cover.
	Covered float64 `json:"covered"`
}

// Store is what planning needs from the database.
type Store interface {
	DivisionBlocks(ctx context.Context, r Request) (*Blocks, error)
	// Assemble unions the pieces of each grid (0..n-1) and measures them
	// against the region and lines; the audit uses the sliver threshold.
	Assemble(ctx context.Context, b *Blocks, pieces []Piece, n int, sliverM2 float64) ([]Assembled, Audit, error)
	CreateProposal(ctx context.Context, p *Proposal) error
	FindProposal(ctx context.Context, id int64) (*Proposal, error)
	MarkApplied(ctx context.Context, id int64, at time.Time) error
}

// Grid is one proposed grid.
type Grid struct {
	Code        string           `json:"code"`
	Name        string           `json:"name"`
	Geometry    orb.MultiPolygon `json:"geometry"`
	Count       int              `json:"count"` // households, people or buildings (Request.Count)
	AreaM2      float64          `json:"area_m2"`
	Compactness float64          `json:"compactness"` // Polsby-Popper 4πA/P²
	RoadShare   float64          `json:"road_share"`  // share of internal boundary along roads
	Parts       int              `json:"parts"`       // polygons (1 = contiguous)
	SplitBlock  bool             `json:"split_block"` // a block was split to fit the bounds
	Replaces    bool             `json:"replaces"`    // a current grid with this code gets a new version
}

// Proposal is a stored division proposal.
type Proposal struct {
	ID            int64          `json:"id"`
	Parent        string         `json:"parent_code"`
	ParentVersion int            `json:"parent_version"`
	Request       Request        `json:"request"`
	Grids         []Grid         `json:"grids"`
	Audit         Audit          `json:"audit"`
	InBounds      bool           `json:"in_bounds"`
	RoadShare     float64        `json:"road_share"` // over all internal boundary
	Children      map[string]int `json:"children"`   // current children → version when proposed
	Ends          []string       `json:"ends"`       // children the apply ends
	CreatedBy     string         `json:"created_by"`
	CreatedAt     time.Time      `json:"created_at"`
	AppliedAt     *time.Time     `json:"applied_at,omitempty"`
}

// Service proposes and applies divisions.
type Service struct {
	Store    Store
	Grids    registry.Store
	Registry *registry.Service
	Now      func() time.Time
	// SliverM2 is the audit's sliver threshold (default 1 m²).
	SliverM2 float64
}

// nameFormat names a proposed grid after its parent and sequence number.
const nameFormat = "%s第%d网格"

// Propose computes, stores and returns a proposal. canEdit is asked for the
// parent.
func (s *Service) Propose(ctx context.Context, r Request, by string, canEdit func(string) bool) (*Proposal, error) {
	if err := r.Normalize(); err != nil {
		return nil, err
	}
	if canEdit != nil && !canEdit(r.Parent) {
		return nil, errs.Forbiddenf("you may not plan grids under %s", r.Parent)
	}
	parent, err := s.Grids.FindGridByCode(ctx, r.Parent, nil)
	if err != nil {
		return nil, err
	}
	if parent.Level >= registry.LevelBasic {
		return nil, errs.E(errs.Unprocessable, "parent_too_deep", "grid %s is a level %d grid; divide a street or a community", r.Parent, parent.Level)
	}
	kids, err := s.Grids.FindGrids(ctx, registry.GridFilter{Parent: &r.Parent, Limit: 100000})
	if err != nil {
		return nil, err
	}
	b, err := s.Store.DivisionBlocks(ctx, r)
	if err != nil {
		return nil, err
	}
	if len(b.Blocks) == 0 {
		return nil, errs.E(errs.Unprocessable, "nothing_to_divide", "nothing of %s is left to divide", r.Parent)
	}
	groups := division.Divide(b.Blocks, division.Options{Target: r.Target, Min: r.Min, Max: r.Max})
	var pieces []Piece
	for gi, g := range groups {
		for _, p := range g.Parts {
			pieces = append(pieces, Piece{Grid: gi, Block: b.Geoms[p.Block], Rect: p.Rect})
		}
	}
	sliver := s.SliverM2
	if sliver <= 0 {
		sliver = 1
	}
	as, audit, err := s.Store.Assemble(ctx, b, pieces, len(groups), sliver)
	if err != nil {
		return nil, err
	}

	p := &Proposal{Parent: r.Parent, ParentVersion: parent.Version, Request: r, Audit: audit, InBounds: true,
		Children: map[string]int{}, Ends: []string{}, CreatedBy: by, CreatedAt: s.now()}
	for _, k := range kids {
		p.Children[k.Code] = k.Version
	}
	// Codes west→east, north→south (registry numbering): after every code
	// the parent ever had when the current children stay, from 001 when
	// the proposal replaces them (a grid whose code exists gets a new
	// version and keeps its people).
	fs := make([]registry.Feature, len(as))
	for i, a := range as {
		fs[i] = registry.Feature{Index: i, Level: parent.Level + 1, ParentCode: r.Parent, Geometry: a.Geometry}
	}
	siblings := map[string][]string{}
	if r.KeepExisting {
		codes, err := s.Grids.FindGridCodes(ctx, r.Parent)
		if err != nil {
			return nil, err
		}
		siblings[r.Parent] = codes
	}
	if err := registry.NumberCodes(fs, siblings); err != nil {
		return nil, err
	}
	var internal, road float64
	for i, a := range as {
		g := Grid{Code: fs[i].Code, Geometry: a.Geometry, Count: groups[i].Weight, AreaM2: round1(a.AreaM2),
			Parts: len(a.Geometry), SplitBlock: groups[i].Split(), RoadShare: 1}
		if a.PerimM > 0 {
			g.Compactness = round3(4 * 3.141592653589793 * a.AreaM2 / (a.PerimM * a.PerimM))
		}
		if a.InternalM > 0 {
			g.RoadShare = round3(a.RoadM / a.InternalM)
		}
		internal += a.InternalM
		road += a.RoadM
		_, g.Replaces = p.Children[g.Code]
		if g.Count < r.Min || g.Count > r.Max {
			p.InBounds = false
		}
		p.Grids = append(p.Grids, g)
	}
	slices.SortFunc(p.Grids, func(a, b Grid) int {
		if a.Code < b.Code {
			return -1
		}
		return 1
	})
	for i := range p.Grids {
		p.Grids[i].Name = fmt.Sprintf(nameFormat, parent.Name, i+1)
	}
	p.RoadShare = 1
	if internal > 0 {
		p.RoadShare = round3(road / internal)
	}
	if !r.KeepExisting {
		for _, k := range kids {
			if !slices.ContainsFunc(p.Grids, func(g Grid) bool { return g.Code == k.Code }) {
				p.Ends = append(p.Ends, k.Code)
			}
		}
	}
	if err := s.Store.CreateProposal(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Find returns a proposal; canRead is asked for its parent.
func (s *Service) Find(ctx context.Context, id int64, canRead func(string) bool) (*Proposal, error) {
	p, err := s.Store.FindProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if canRead != nil && !canRead(p.Parent) {
		return nil, errs.NotFoundf("proposal %d not found", id)
	}
	return p, nil
}

// Apply turns a proposal into new grid versions in one atomic edit: the
// proposed grids (new versions of codes that exist, new grids otherwise),
// the replaced children ended with their people's assignments. ifMatch is
// the parent's version; it, the parent's and the children's versions must
// be those the proposal was made on (else 409, nothing written). The
// registers follow through the registry's change hook.
func (s *Service) Apply(ctx context.Context, id int64, parentCode string, ifMatch int, canEdit func(string) bool) (*registry.EditResult, error) {
	p, err := s.Find(ctx, id, canEdit)
	if err != nil {
		return nil, err
	}
	if p.Parent != parentCode {
		return nil, errs.NotFoundf("proposal %d is not for grid %s", id, parentCode)
	}
	if canEdit != nil && !canEdit(p.Parent) {
		return nil, errs.Forbiddenf("you may not edit grids under %s", p.Parent)
	}
	if p.AppliedAt != nil {
		return nil, errs.E(errs.Conflict, "proposal_applied", "proposal %d was applied at %s", id, p.AppliedAt.Format(time.RFC3339))
	}
	parent, err := s.Grids.FindGridByCode(ctx, p.Parent, nil)
	if err != nil {
		return nil, err
	}
	if ifMatch != parent.Version || parent.Version != p.ParentVersion {
		return nil, errs.E(errs.Conflict, "version_mismatch", "grid %s is at version %d; the proposal was made on version %d and If-Match says %d",
			p.Parent, parent.Version, p.ParentVersion, ifMatch)
	}
	req := registry.EditRequest{}
	for _, g := range p.Grids {
		name, geom := g.Name, g.Geometry
		e := registry.EditInput{Code: g.Code, Name: &name, Geometry: &geom, ParentCode: p.Parent}
		if v, ok := p.Children[g.Code]; ok {
			e.Version = v
		}
		req.Edits = append(req.Edits, e)
	}
	for _, c := range p.Ends {
		req.Edits = append(req.Edits, registry.EditInput{Code: c, Version: p.Children[c], End: true})
	}
	res, err := s.Registry.Edit(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := s.Store.MarkApplied(ctx, id, s.now()); err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }
func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
