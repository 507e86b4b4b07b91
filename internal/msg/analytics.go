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

// The meeting pack (internal/report) and the case ledger: titles, section
// names and column headers. Titles take the period label (2026-W49,
// 2026-12); ReportAsOf the time of the figures.
const (
	ReportTitleWeek     Key = "report.title.week"
	ReportTitleMonth    Key = "report.title.month"
	ReportAsOf          Key = "report.as_of"
	ReportPeriod        Key = "report.period" // from, to
	ReportSecUnits      Key = "report.section.units"
	ReportSecVillages   Key = "report.section.villages"
	ReportSecHotspots   Key = "report.section.hotspots"
	ReportSecMap        Key = "report.section.map"
	ReportSecLedger     Key = "report.section.ledger"
	ReportSecChart      Key = "report.section.chart"
	ReportNoData        Key = "report.no_data"
	ReportLegend        Key = "report.legend"
	ReportTotal         Key = "report.total"
	ReportLedgerTitle   Key = "report.ledger.title" // from, to
	ColUnit             Key = "report.col.unit"
	ColVillage          Key = "report.col.village"
	ColReported         Key = "report.col.reported"
	ColProblems         Key = "report.col.problems"
	ColFoundByGrid      Key = "report.col.found_by_grid"
	ColDiscoveryRate    Key = "report.col.discovery_rate"
	ColReportRate       Key = "report.col.report_rate"
	ColAccepted         Key = "report.col.accepted"
	ColDisposalRate     Key = "report.col.disposal_rate"
	ColClosed           Key = "report.col.closed"
	ColOnTimeRate       Key = "report.col.on_time_rate"
	ColReworkRate       Key = "report.col.rework_rate"
	ColMeanDays         Key = "report.col.mean_handling_days"
	ColRank             Key = "report.col.rank"
	ColCell             Key = "report.col.cell"
	ColCount            Key = "report.col.count"
	ColZ                Key = "report.col.z"
	ColQ                Key = "report.col.q"
	ColTrend            Key = "report.col.trend"
	ColCentre           Key = "report.col.centre"
	ColNumber           Key = "report.col.number"
	ColReportedAt       Key = "report.col.reported_at"
	ColCategory         Key = "report.col.category"
	ColSource           Key = "report.col.source"
	ColGrid             Key = "report.col.grid"
	ColStatus           Key = "report.col.status"
	ColLeadUnit         Key = "report.col.lead_unit"
	ColAcceptedAt       Key = "report.col.accepted_at"
	ColClosedAt         Key = "report.col.closed_at"
	ColHandledOnTime    Key = "report.col.handled_on_time"
	ColDescription      Key = "report.col.description"
	ColRecurring        Key = "report.col.recurring"
	ReportYes           Key = "report.yes"
	ReportNo            Key = "report.no"
	ReportSheetSummary  Key = "report.sheet.summary"
	ReportChartVillages Key = "report.chart.villages"
)

var reportTexts = map[Key]Text{
	ReportTitleWeek:     {"%s 周例会材料", "Weekly meeting pack %s"},
	ReportTitleMonth:    {"%s 月例会材料", "Monthly meeting pack %s"},
	ReportAsOf:          {"数据截至 %s", "Figures as of %s"},
	ReportPeriod:        {"统计期间：%s 至 %s", "Period: %s to %s"},
	ReportSecUnits:      {"各单位处置情况", "Handling by unit"},
	ReportSecVillages:   {"各村（社区）情况", "By village"},
	ReportSecHotspots:   {"案件热点（近十二个月）", "Case hot spots (last twelve months)"},
	ReportSecMap:        {"全镇地图", "Map of the town"},
	ReportSecLedger:     {"案件台账", "Case ledger"},
	ReportSecChart:      {"图表", "Charts"},
	ReportNoData:        {"无数据", "no data"},
	ReportLegend:        {"图例：红点为未结案件，蓝点为已结案件，色块为热点，绿色/浅红为巡查覆盖/未覆盖", "Legend: red dots open cases, blue dots closed cases, hexagons hot spots, green/pale red patrolled/missed cells"},
	ReportTotal:         {"合计", "Total"},
	ReportLedgerTitle:   {"案件台账 %s 至 %s", "Case ledger %s to %s"},
	ColUnit:             {"单位", "Unit"},
	ColVillage:          {"村（社区）", "Village"},
	ColReported:         {"上报数", "Reported"},
	ColProblems:         {"问题数", "Problems"},
	ColFoundByGrid:      {"网格发现数", "Found by the grid"},
	ColDiscoveryRate:    {"发现率", "Discovery rate"},
	ColReportRate:       {"上报率", "Report rate"},
	ColAccepted:         {"立案数", "Accepted"},
	ColDisposalRate:     {"处置率", "Disposal rate"},
	ColClosed:           {"结案数", "Closed"},
	ColOnTimeRate:       {"按期结案率", "On-time closure rate"},
	ColReworkRate:       {"返工率", "Rework rate"},
	ColMeanDays:         {"平均处置工作日", "Mean handling working days"},
	ColRank:             {"排名", "Rank"},
	ColCell:             {"H3 单元", "H3 cell"},
	ColCount:            {"案件数", "Cases"},
	ColZ:                {"Gi* z 值", "Gi* z"},
	ColQ:                {"q 值", "q"},
	ColTrend:            {"趋势", "Trend"},
	ColCentre:           {"中心点", "Centre"},
	ColNumber:           {"案件编号", "Case number"},
	ColReportedAt:       {"上报时间", "Reported at"},
	ColCategory:         {"类别", "Category"},
	ColSource:           {"来源", "Source"},
	ColGrid:             {"网格", "Grid"},
	ColStatus:           {"状态", "Status"},
	ColLeadUnit:         {"主办单位", "Lead unit"},
	ColAcceptedAt:       {"立案时间", "Accepted at"},
	ColClosedAt:         {"结案时间", "Closed at"},
	ColHandledOnTime:    {"按期处置", "Handled on time"},
	ColDescription:      {"描述", "Description"},
	ColRecurring:        {"反复发生", "Recurring"},
	ReportYes:           {"是", "yes"},
	ReportNo:            {"否", "no"},
	ReportSheetSummary:  {"概况", "Summary"},
	ReportChartVillages: {"各村（社区）上报数与按期结案率", "Reports and on-time closure by village"},
}
