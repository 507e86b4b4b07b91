package msg

// Column headers of the case list export (GET /api/v1/cases/export).
const (
	CaseColNumber      Key = "case.col.number"
	CaseColCategory    Key = "case.col.category"
	CaseColDescription Key = "case.col.description"
	CaseColGrid        Key = "case.col.grid"
	CaseColSource      Key = "case.col.source"
	CaseColStatus      Key = "case.col.status"
	CaseColReportedAt  Key = "case.col.reported_at"
	CaseColLeadUnit    Key = "case.col.lead_unit"
	CaseColStageDue    Key = "case.col.stage_due"
	CaseColDaysOverdue Key = "case.col.days_overdue"
	CaseSheet          Key = "case.sheet"
)

var caseListTexts = map[Key]Text{
	CaseColNumber:      {"案件编号", "Case number"},
	CaseColCategory:    {"类别", "Category"},
	CaseColDescription: {"问题描述", "Description"},
	CaseColGrid:        {"所属网格", "Grid"},
	CaseColSource:      {"来源", "Source"},
	CaseColStatus:      {"状态", "Status"},
	CaseColReportedAt:  {"上报时间", "Reported at"},
	CaseColLeadUnit:    {"承办单位", "Lead unit"},
	CaseColStageDue:    {"当前环节时限", "Stage deadline"},
	CaseColDaysOverdue: {"超期天数", "Days overdue"},
	CaseSheet:          {"案件台账", "Cases"},
}
