package casework

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/errs"
)

// Predicate kinds of a routing rule.
const (
	PredAlways   = ""          // no spatial condition
	PredInZone   = "in_zone"   // the point lies inside zone Zone (e.g. the town-seat area)
	PredNearRoad = "near_road" // within DistanceM metres of a road of kind RoadKind
	PredInGrid   = "in_grid"   // inside the subtree of one of Grids
	// PredResponsible holds on a road section that a unit answers for
	// (包路段: the nearest such section within DistanceM metres) or, off
	// every such section, inside a zone that a unit answers for (the first
	// by zone code); the case goes to that unit. The rule names no lead unit.
	PredResponsible = "responsible_unit"
)

// Predicate is a rule's optional spatial condition.
type Predicate struct {
	Kind      string   `json:"kind"`
	Zone      string   `json:"zone,omitempty"`
	RoadKind  string   `json:"road_kind,omitempty"`
	DistanceM float64  `json:"distance_m,omitempty"`
	Grids     []string `json:"grids,omitempty"`
}

// Rule routes a category (small class, or every small class of a big
// class) to a lead unit and co-units when its predicate holds. Rules are
// tried in Position order; the first that holds wins.
type Rule struct {
	ID        int64     `json:"id"`
	Position  int       `json:"position"`
	Name      string    `json:"name"`
	Category  string    `json:"category"`
	Predicate Predicate `json:"predicate"`
	LeadUnit  string    `json:"lead_unit"`
	CoUnits   []string  `json:"co_units"`
	// UpperUnit is the lead unit's upper unit for this work: an overdue
	// unit stage is escalated to it as well ("" none).
	UpperUnit string `json:"upper_unit,omitempty"`
}

// RoadDistance is the nearest road of a kind.
type RoadDistance struct {
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	DistanceM float64 `json:"distance_m"`
}

// SectionDistance is the nearest road section that a unit answers for.
type SectionDistance struct {
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	Unit      string  `json:"unit"`
	DistanceM float64 `json:"distance_m"`
}

// ZoneUnit is a zone containing the point and the unit answering for it.
type ZoneUnit struct {
	Zone string `json:"zone"`
	Unit string `json:"unit"`
}

// Facts are what the predicates are evaluated on, for one point.
type Facts struct {
	Zones []string                // codes of the zones containing the point
	Roads map[string]RoadDistance // nearest road per kind
	Chain []string                // grid chain, root first
	// Section is the nearest road section with a responsible unit (nil: none).
	Section *SectionDistance
	// ZoneUnits are the zones containing the point that have a unit, by code.
	ZoneUnits []ZoneUnit
	// ZoneNames names every zone of the layer by code (for the reasons).
	ZoneNames map[string]string
}

// Check is the verdict of one rule for a point.
type Check struct {
	RuleID    int64    `json:"rule_id"`
	Position  int      `json:"position"`
	Name      string   `json:"name"`
	Category  bool     `json:"category_matches"`
	Held      bool     `json:"held"`
	Why       string   `json:"why"`
	DistanceM *float64 `json:"distance_m,omitempty"`
	// WhyKey names Why's message in the catalogue (internal/msg, routing.go)
	// and WhyArgs are its arguments, a UnitCode where a unit is named, so
	// the HTTP layer renders Why in the reader's language with unit names.
	// Why itself is the English form, for logs and the CLI.
	WhyKey  string `json:"why_key"`
	WhyArgs []any  `json:"-"`
}

// UnitCode is a department code among a Check's WhyArgs.
type UnitCode string

// RoadKind is a road kind code among a Check's WhyArgs (the catalogue may
// name it: msg key "road.kind.<kind>").
type RoadKind string

// zoneName is zone code's name where the layer has one.
func (f Facts) zoneName(code string) string {
	if n := f.ZoneNames[code]; n != "" {
		return n
	}
	return code
}

// why sets the check's reason: its message key, arguments and English form.
func (ck *Check) why(key, english string, args ...any) {
	ck.WhyKey, ck.WhyArgs, ck.Why = key, args, fmt.Sprintf(english, args...)
}

// Explanation says which rule matched and why the ones before it did not.
type Explanation struct {
	Matched *Rule   `json:"matched"`
	Checks  []Check `json:"checks"`
}

// categoryMatches reports whether rule category rc covers case category c.
func categoryMatches(rc, c string) bool {
	return rc == c || (len(rc) == 2 && strings.HasPrefix(c, rc))
}

// Route tries rules in order for category at the place described by f and
// explains each verdict up to the first rule that holds.
func Route(rules []*Rule, category string, f Facts) Explanation {
	sorted := slices.Clone(rules)
	slices.SortStableFunc(sorted, func(a, b *Rule) int { return a.Position - b.Position })
	var ex Explanation
	for _, r := range sorted {
		if !categoryMatches(r.Category, category) {
			continue
		}
		ck := Check{RuleID: r.ID, Position: r.Position, Name: r.Name, Category: true}
		p := r.Predicate
		switch p.Kind {
		case PredAlways:
			ck.Held = true
			ck.why("routing.why.always", "no spatial condition")
		case PredInZone:
			ck.Held = slices.Contains(f.Zones, p.Zone)
			if ck.Held {
				ck.why("routing.why.in_zone", "the point lies inside zone %s", f.zoneName(p.Zone))
			} else {
				ck.why("routing.why.outside_zone", "the point lies outside zone %s", f.zoneName(p.Zone))
			}
		case PredNearRoad:
			rd, ok := f.Roads[p.RoadKind]
			if !ok {
				ck.why("routing.why.no_road", "there is no road of kind %s", RoadKind(p.RoadKind))
				break
			}
			d := math.Round(rd.DistanceM*10) / 10
			ck.DistanceM = &d
			ck.Held = rd.DistanceM <= p.DistanceM
			if ck.Held {
				ck.why("routing.why.near_road", "the nearest road of kind %s, %s, is %.1f m away: within %g m", RoadKind(p.RoadKind), rd.Name, d, p.DistanceM)
			} else {
				ck.why("routing.why.far_road", "the nearest road of kind %s, %s, is %.1f m away: more than %g m", RoadKind(p.RoadKind), rd.Name, d, p.DistanceM)
			}
		case PredResponsible:
			unit := ""
			if sec := f.Section; sec != nil {
				d := math.Round(sec.DistanceM*10) / 10
				ck.DistanceM = &d
				if sec.DistanceM <= p.DistanceM {
					unit = sec.Unit
					ck.why("routing.why.section", "the point is %.1f m from road section %s, which %s answers for", d, sec.Name, UnitCode(unit))
				}
			}
			if unit == "" && len(f.ZoneUnits) > 0 {
				unit = f.ZoneUnits[0].Unit
				ck.why("routing.why.zone_unit", "the point lies inside zone %s, which %s answers for", f.zoneName(f.ZoneUnits[0].Zone), UnitCode(unit))
			}
			if unit == "" {
				ck.why("routing.why.no_responsible", "no road section with a responsible unit within %g m and no zone with one", p.DistanceM)
				break
			}
			ck.Held = true
			rr := *r
			rr.LeadUnit = unit
			rr.CoUnits = slices.DeleteFunc(slices.Clone(r.CoUnits), func(u string) bool { return u == unit })
			ex.Checks = append(ex.Checks, ck)
			ex.Matched = &rr
			return ex
		case PredInGrid:
			for _, g := range p.Grids {
				if slices.Contains(f.Chain, g) {
					ck.Held = true
					ck.why("routing.why.in_grid", "the point lies inside grid %s", g)
					break
				}
			}
			if !ck.Held {
				ck.why("routing.why.outside_grids", "the point lies outside grids %s", strings.Join(p.Grids, ", "))
			}
		}
		ex.Checks = append(ex.Checks, ck)
		if ck.Held {
			ex.Matched = r
			return ex
		}
	}
	return ex
}

// ValidateRules checks a whole ordered rule list; units lists the known
// department codes and zone/road kinds what the layers hold.
func ValidateRules(rules []*Rule, units, zones, roadKinds []string, categories map[string]bool) error {
	var bad []errs.Field
	for i, r := range rules {
		add := func(field, reason, detail string) {
			bad = append(bad, errs.Field{Field: fmt.Sprintf("rules[%d].%s", i, field), Index: intp(i), Reason: reason, Detail: detail})
		}
		if utf8.RuneCountInString(r.Name) > 200 {
			add("name", "invalid_name", "at most 200 characters")
		}
		if !categories[r.Category] {
			add("category", "unknown_category", fmt.Sprintf("no category %q in the taxonomy", r.Category))
		}
		if r.Predicate.Kind == PredResponsible {
			if r.LeadUnit != "" {
				add("lead_unit", "lead_unit_from_layer", "a responsible_unit rule takes its unit from the road section or zone: leave lead_unit empty")
			}
		} else if !slices.Contains(units, r.LeadUnit) {
			add("lead_unit", "unknown_unit", fmt.Sprintf("no department %q", r.LeadUnit))
		}
		for _, u := range r.CoUnits {
			if !slices.Contains(units, u) || u == r.LeadUnit {
				add("co_units", "unknown_unit", fmt.Sprintf("co-unit %q is unknown or the lead unit", u))
			}
		}
		if r.UpperUnit != "" && (!slices.Contains(units, r.UpperUnit) || r.UpperUnit == r.LeadUnit) {
			add("upper_unit", "unknown_unit", fmt.Sprintf("upper unit %q is unknown or the lead unit", r.UpperUnit))
		}
		p := r.Predicate
		switch p.Kind {
		case PredAlways:
		case PredInZone:
			if !slices.Contains(zones, p.Zone) {
				add("predicate.zone", "unknown_zone", fmt.Sprintf("no zone %q", p.Zone))
			}
		case PredNearRoad:
			if !slices.Contains(roadKinds, p.RoadKind) {
				add("predicate.road_kind", "unknown_road_kind", fmt.Sprintf("no road of kind %q", p.RoadKind))
			}
			if !(p.DistanceM > 0 && p.DistanceM <= 10000) {
				add("predicate.distance_m", "invalid_distance", "want a distance in metres from 0 (exclusive) to 10000")
			}
		case PredResponsible:
			if !(p.DistanceM > 0 && p.DistanceM <= 10000) {
				add("predicate.distance_m", "invalid_distance", "want how near a road section counts as on it, in metres from 0 (exclusive) to 10000")
			}
		case PredInGrid:
			if len(p.Grids) == 0 {
				add("predicate.grids", "grids_required", "in_grid needs at least one grid code")
			}
		default:
			add("predicate.kind", "invalid_predicate", fmt.Sprintf("want \"\", in_zone, near_road, in_grid or responsible_unit; got %q", p.Kind))
		}
	}
	if len(bad) > 0 {
		e := errs.E(errs.Invalid, "invalid_rules", "%d problems in the routing rules (first %s: %s)", len(bad), bad[0].Field, bad[0].Detail)
		e.Fields = bad
		return e
	}
	return nil
}

func intp(i int) *int { return &i }
