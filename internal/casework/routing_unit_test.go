package casework

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestRouteResponsibleUnit: on a road section (within the rule's distance)
// the section's unit leads; off every section, the unit of the zone the
// point lies in; else the next rule. The unit is never also a co-unit.
func TestRouteResponsibleUnit(t *testing.T) {
	l := &RoutingLayers{
		Zones: []ZoneShape{{Code: "market", Unit: "scjgs", Geom: orb.MultiPolygon{{{{0, 0}, {0.01, 0}, {0.01, 0.01}, {0, 0.01}, {0, 0}}}}}},
		Roads: []RoadShape{
			{Code: "jsl-1", Name: "经十路", Kind: "main", Unit: "jtj", Geom: orb.LineString{{0, 0.02}, {0.05, 0.02}}},
			{Code: "jsl-2", Name: "经十路", Kind: "main", Unit: "cgj", Geom: orb.LineString{{0.05, 0.02}, {0.10, 0.02}}},
			{Code: "lane", Name: "小巷", Kind: "lane", Geom: orb.LineString{{0, 0.005}, {0.01, 0.005}}},
		},
	}
	l.Prepare()
	rules := []*Rule{
		{ID: 1, Position: 1, Name: "包路段", Category: "01", Predicate: Predicate{Kind: PredResponsible, DistanceM: 30}, CoUnits: []string{"jtj", "hwsuo"}},
		{ID: 2, Position: 2, Name: "兜底", Category: "01", LeadUnit: "center"},
	}
	cases := []struct {
		name string
		p    orb.Point
		rule int64
		unit string
		co   int
	}{
		{"on the first section", orb.Point{0.02, 0.02 + 0.0001}, 1, "jtj", 1},
		{"on the second section", orb.Point{0.07, 0.02 - 0.0002}, 1, "cgj", 2},
		{"in the market, near a lane without unit", orb.Point{0.005, 0.005}, 1, "scjgs", 2},
		{"near nothing", orb.Point{0.2, 0.2}, 2, "center", 0},
	}
	for _, c := range cases {
		ex := Route(rules, "0102", l.Facts(c.p))
		if ex.Matched == nil || ex.Matched.ID != c.rule || ex.Matched.LeadUnit != c.unit || len(ex.Matched.CoUnits) != c.co {
			t.Errorf("%s: %+v (checks %+v)", c.name, ex.Matched, ex.Checks)
		}
	}
	if rules[0].LeadUnit != "" || len(rules[0].CoUnits) != 2 {
		t.Errorf("Route changed the rule itself: %+v", rules[0])
	}
	if err := ValidateRules(rules[:1], []string{"jtj", "hwsuo"}, nil, nil, map[string]bool{"01": true}); err != nil {
		t.Errorf("valid responsible_unit rule: %v", err)
	}
	bad := []*Rule{{Name: "x", Category: "01", LeadUnit: "jtj", Predicate: Predicate{Kind: PredResponsible}}}
	if err := ValidateRules(bad, []string{"jtj"}, nil, nil, map[string]bool{"01": true}); err == nil {
		t.Error("a responsible_unit rule with a lead unit and no distance passed")
	}
}
