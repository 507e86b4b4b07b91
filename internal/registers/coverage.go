package registers

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/paulmach/orb"
)

// GridCoverage is one current grid's register totals and staffing.
type GridCoverage struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Level      int    `json:"level"`
	ParentCode string `json:"parent_code"`
	Leaf       bool   `json:"leaf"`
	Households int    `json:"households"` // assigned to this grid itself
	People     int    `json:"people"`     // assigned to this grid itself
	Others     int    `json:"others"`     // buildings, businesses, places, organisations
	// Official figures entered with the grid (0 = none entered).
	OfficialHouseholds int `json:"official_households"`
	OfficialPopulation int `json:"official_population"`
	Workers            int `json:"workers"` // current grid workers and heads
}

// Outside is a record outside every grid.
type Outside struct {
	Kind  Kind      `json:"kind"`
	ID    int64     `json:"id"`
	Name  string    `json:"name"`
	Point orb.Point `json:"point"`
}

// CoverageOptions tune the audit.
type CoverageOptions struct {
	Parent string // "" = the whole registry
	// HouseholdNorm is the target households per basic grid (~300, P4);
	// a leaf grid is flagged outside [norm·(1−tol), norm·(1+tol)].
	HouseholdNorm      int
	HouseholdTolerance float64
	// PopulationTolerance flags a grid whose registered people differ from
	// its official population by more than this fraction.
	PopulationTolerance float64
	On                  time.Time // the day whose assignments count
}

// CoverageFinding is one grid's problem.
type CoverageFinding struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	Reason   string  `json:"reason"`          // no_responsible_worker, households_off_norm, population_mismatch, records_in_non_basic_grid
	Label    string  `json:"label,omitempty"` // the reason in the reader's language (set by the HTTP layer from internal/msg)
	Value    int     `json:"value"`
	Expected int     `json:"expected,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
}

// CoverageReport is the register coverage audit.
type CoverageReport struct {
	Parent        string            `json:"parent"`
	GridsChecked  int               `json:"grids_checked"`
	HouseholdNorm int               `json:"household_norm"`
	Outside       []Outside         `json:"outside"` // records outside every grid (whole-registry audits only)
	Findings      []CoverageFinding `json:"findings"`
	Clean         bool              `json:"clean"`
}

// Coverage audits the registers against the grids, for admin, center
// and viewer. Without a parent, a scoped caller audits its one scope root.
func (s *Service) Coverage(ctx context.Context, p *auth.Principal, o CoverageOptions) (*CoverageReport, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleViewer); err != nil {
		return nil, err
	}
	scope := p.GridScope()
	switch {
	case o.Parent == "" && scope != nil:
		if len(scope) != 1 {
			return nil, errs.Invalidf("parent", "parent_required", "name the parent grid to audit")
		}
		o.Parent = scope[0]
	case o.Parent != "" && !p.CanReadGrid(s.Tree(), o.Parent):
		return nil, errs.Forbiddenf("grid %s is outside your scope", o.Parent)
	}
	if o.HouseholdNorm <= 0 {
		o.HouseholdNorm = 300
	}
	if o.HouseholdTolerance <= 0 {
		o.HouseholdTolerance = 0.5
	}
	if o.PopulationTolerance <= 0 {
		o.PopulationTolerance = 0.1
	}
	grids, outside, err := s.Store.CoverageRows(ctx, o.Parent, o.On)
	if err != nil {
		return nil, err
	}
	rep := &CoverageReport{Parent: o.Parent, GridsChecked: len(grids), HouseholdNorm: o.HouseholdNorm,
		Outside: outside, Findings: []CoverageFinding{}}
	if rep.Outside == nil {
		rep.Outside = []Outside{}
	}
	// Registered people of each grid's subtree, for the comparison with
	// the official population (which covers the subtree).
	subtree := map[string]int{}
	byLevel := slices.Clone(grids)
	slices.SortFunc(byLevel, func(a, b GridCoverage) int { return b.Level - a.Level })
	for _, g := range byLevel {
		subtree[g.Code] += g.People
		if g.ParentCode != "" {
			subtree[g.ParentCode] += subtree[g.Code]
		}
	}
	lo := int(math.Floor(float64(o.HouseholdNorm) * (1 - o.HouseholdTolerance)))
	hi := int(math.Ceil(float64(o.HouseholdNorm) * (1 + o.HouseholdTolerance)))
	for _, g := range grids {
		records := g.Households + g.People + g.Others
		if g.Leaf && records > 0 && g.Workers == 0 {
			rep.Findings = append(rep.Findings, CoverageFinding{Code: g.Code, Name: g.Name, Reason: "no_responsible_worker", Value: records})
		}
		if !g.Leaf && records > 0 {
			// Inside the grid but in none of its children: a gap between
			// basic grids.
			rep.Findings = append(rep.Findings, CoverageFinding{Code: g.Code, Name: g.Name, Reason: "records_in_non_basic_grid", Value: records})
		}
		if g.Leaf && (g.Households < lo || g.Households > hi) {
			rep.Findings = append(rep.Findings, CoverageFinding{Code: g.Code, Name: g.Name, Reason: "households_off_norm",
				Value: g.Households, Expected: o.HouseholdNorm, Ratio: round2(float64(g.Households) / float64(o.HouseholdNorm))})
		}
		if g.OfficialPopulation > 0 {
			r := float64(subtree[g.Code]) / float64(g.OfficialPopulation)
			if math.Abs(r-1) > o.PopulationTolerance {
				rep.Findings = append(rep.Findings, CoverageFinding{Code: g.Code, Name: g.Name, Reason: "population_mismatch",
					Value: subtree[g.Code], Expected: g.OfficialPopulation, Ratio: round2(r)})
			}
		}
	}
	rep.Clean = len(rep.Findings) == 0 && len(rep.Outside) == 0
	return rep, nil
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
