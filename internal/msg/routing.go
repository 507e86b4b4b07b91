package msg

// Routing reasons (casework.Check.WhyKey): why a routing rule held or did
// not, shown beside the dispatch suggestion (POST /api/v1/routing/explain).
// The arguments are in the order casework.Route gives them.
var routingTexts = map[Key]Text{
	"routing.why.always":         {"无空间条件", "no spatial condition"},
	"routing.why.in_zone":        {"地点位于区域“%s”内", "the point lies inside zone %s"},
	"routing.why.outside_zone":   {"地点不在区域“%s”内", "the point lies outside zone %s"},
	"routing.why.no_road":        {"没有%s类道路", "there is no road of kind %s"},
	"routing.why.near_road":      {"最近的%s“%s”相距 %.1f 米，在 %g 米以内", "the nearest road of kind %s, %s, is %.1f m away: within %g m"},
	"routing.why.far_road":       {"最近的%s“%s”相距 %.1f 米，超过 %g 米", "the nearest road of kind %s, %s, is %.1f m away: more than %g m"},
	"routing.why.section":        {"距地点 %.1f 米的路段“%s”由%s负责", "the point is %.1f m from road section %s, which %s answers for"},
	"routing.why.zone_unit":      {"地点位于区域“%s”内，该区域由%s负责", "the point lies inside zone %s, which %s answers for"},
	"routing.why.no_responsible": {"%g 米内没有指定责任单位的路段，也没有指定责任单位的区域", "no road section with a responsible unit within %g m and no zone with one"},
	"routing.why.in_grid":        {"地点位于网格 %s 内", "the point lies inside grid %s"},
	"routing.why.outside_grids":  {"地点不在网格 %s 内", "the point lies outside grids %s"},
	// Road kinds as the routing layers name them.
	"road.kind.main_road": {"主干道", "main road"},
	"road.kind.street":    {"街巷", "street"},
	"road.kind.river":     {"河道", "river"},
}
