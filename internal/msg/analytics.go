package msg

// Analytics (internal/analytics): hot-spot trend names, grade names, and
// the headers and titles of the meeting pack and the case ledger.
const (
	TrendNew          Key = "analytics.trend.new"
	TrendIntensifying Key = "analytics.trend.intensifying"
	TrendPersistent   Key = "analytics.trend.persistent"
	TrendFading       Key = "analytics.trend.fading"
	TrendSporadic     Key = "analytics.trend.sporadic"
)

var analyticsTexts = map[Key]Text{
	TrendNew:          {"新增热点", "New hot spot"},
	TrendIntensifying: {"加剧热点", "Intensifying hot spot"},
	TrendPersistent:   {"持续热点", "Persistent hot spot"},
	TrendFading:       {"消退热点", "Fading hot spot"},
	TrendSporadic:     {"零散热点", "Sporadic hot spot"},
}
