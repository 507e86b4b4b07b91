package msg

// Field duties (internal/inspection, internal/training, internal/attendance):
// the description of a case a failed checklist item opens (the record's
// name, the item's text) and the licence reminder of the inbox (the
// business, the licence type, its expiry date).
const (
	InspectionCaseDescription Key = "inspection.case_description"
	InspectionLicenceDue      Key = "inspection.licence_due"
	InspectionLicenceExpired  Key = "inspection.licence_expired"
)

var inspectionTexts = map[Key]Text{
	InspectionCaseDescription: {"检查不合格：%s，%s", "Inspection failed: %s, %s"},
	InspectionLicenceDue:      {"%s的%s将于%s到期", "%s: licence %s expires on %s"},
	InspectionLicenceExpired:  {"%s的%s已于%s过期", "%s: licence %s expired on %s"},
}
