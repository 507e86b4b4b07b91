package msg

// The assessment workbook (GET /api/v1/assessments/export.xlsx, gridd
// assess --xlsx): sheet names, column headers and the words in its cells.
const (
	AxYes             Key = "assessment.xlsx.yes"
	AxNo              Key = "assessment.xlsx.no"
	AxSheetSummary    Key = "assessment.xlsx.sheet.summary"
	AxSheetDepts      Key = "assessment.xlsx.sheet.departments"
	AxBlockAttendance Key = "assessment.xlsx.block.attendance"
	AxBlockMassWork   Key = "assessment.xlsx.block.mass_work"
	AxBlockInfo       Key = "assessment.xlsx.block.information"
	AxBlockBacktrace  Key = "assessment.xlsx.block.backtrace"
	AxColMonth        Key = "assessment.xlsx.col.month"
	AxColVersion      Key = "assessment.xlsx.col.version"
	AxColRank         Key = "assessment.xlsx.col.rank"
	AxColWorker       Key = "assessment.xlsx.col.worker"
	AxColName         Key = "assessment.xlsx.col.name"
	AxColStreet       Key = "assessment.xlsx.col.street"
	AxColGrids        Key = "assessment.xlsx.col.grids"
	AxColBonus        Key = "assessment.xlsx.col.bonus"
	AxColTotal        Key = "assessment.xlsx.col.total"
	AxColVetoed       Key = "assessment.xlsx.col.vetoed"
	AxColPayEligible  Key = "assessment.xlsx.col.pay_eligible"
	AxColQualified    Key = "assessment.xlsx.col.qualified"
	AxColGrade        Key = "assessment.xlsx.col.grade"
	AxColFlags        Key = "assessment.xlsx.col.flags"
	AxColMissing      Key = "assessment.xlsx.col.missing"
	AxColItem         Key = "assessment.xlsx.col.item"
	AxColCount        Key = "assessment.xlsx.col.count"
	AxColPoints       Key = "assessment.xlsx.col.points"
	AxColArithmetic   Key = "assessment.xlsx.col.arithmetic"
	AxColEvidence     Key = "assessment.xlsx.col.evidence"
	AxBlockScore      Key = "assessment.xlsx.block_score"
	AxBlockSum        Key = "assessment.xlsx.block_sum" // the block's maximum
	AxColUnit         Key = "assessment.xlsx.col.unit"
	AxColUnitName     Key = "assessment.xlsx.col.unit_name"
	AxColDispatched   Key = "assessment.xlsx.col.dispatched"
	AxColHandled      Key = "assessment.xlsx.col.handled"
	AxColOnTime       Key = "assessment.xlsx.col.on_time"
	AxColOnTimeRate   Key = "assessment.xlsx.col.on_time_rate"
	AxColReturns      Key = "assessment.xlsx.col.returns"
	AxColReworks      Key = "assessment.xlsx.col.reworks"
)

// AxRefKind is the key of an evidence reference's kind (case, call, day,
// grid, survey, finding) in the workbook's evidence column.
func AxRefKind(kind string) Key { return Key("assessment.xlsx.ref." + kind) }

var assessmentExportTexts = map[Key]Text{
	AxYes:                         {"是", "yes"},
	AxNo:                          {"否", "no"},
	AxSheetSummary:                {"总分", "Summary"},
	AxSheetDepts:                  {"职能部门", "Departments"},
	AxBlockAttendance:             {"出勤率", "Attendance"},
	AxBlockMassWork:               {"群众工作", "Mass work"},
	AxBlockInfo:                   {"信息采集数量和质量", "Information collection"},
	AxBlockBacktrace:              {"倒追考核", "Backward tracing"},
	AxColMonth:                    {"月份", "Month"},
	AxColVersion:                  {"版本", "Version"},
	AxColRank:                     {"街道排名", "Rank in street"},
	AxColWorker:                   {"网格员账号", "Worker"},
	AxColName:                     {"姓名", "Name"},
	AxColStreet:                   {"街道", "Street"},
	AxColGrids:                    {"网格", "Grids"},
	AxColBonus:                    {"加分", "Bonus"},
	AxColTotal:                    {"总分", "Total"},
	AxColVetoed:                   {"一票否决", "Vetoed"},
	AxColPayEligible:              {"绩效资格", "Pay eligible"},
	AxColQualified:                {"当月合格", "Qualified"},
	AxColGrade:                    {"季度等级", "Quarterly grade"},
	AxColFlags:                    {"预警", "Flags"},
	AxColMissing:                  {"缺少证据", "Missing evidence"},
	AxColItem:                     {"考核项", "Item"},
	AxColCount:                    {"次数", "Count"},
	AxColPoints:                   {"分值", "Points"},
	AxColArithmetic:               {"计算说明", "Arithmetic"},
	AxColEvidence:                 {"证据", "Evidence"},
	AxBlockScore:                  {"本项得分", "Block score"},
	AxBlockSum:                    {"%s + （各项分值之和）", "%s + (sum of the items)"},
	AxColUnit:                     {"单位代码", "Unit"},
	AxColUnitName:                 {"单位", "Name"},
	AxColDispatched:               {"派遣", "Dispatched"},
	AxColHandled:                  {"处置反馈", "Handled"},
	AxColOnTime:                   {"按期处置", "Handled on time"},
	AxColOnTimeRate:               {"按期处置率", "On-time rate"},
	AxColReturns:                  {"退回", "Returns"},
	AxColReworks:                  {"返工", "Reworks"},
	"assessment.xlsx.ref.case":    {"案件", "case"},
	"assessment.xlsx.ref.call":    {"电话", "call"},
	"assessment.xlsx.ref.day":     {"日期", "day"},
	"assessment.xlsx.ref.grid":    {"网格", "grid"},
	"assessment.xlsx.ref.survey":  {"测评", "survey"},
	"assessment.xlsx.ref.finding": {"记录", "finding"},
}
