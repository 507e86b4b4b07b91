package msg

// Field duties (issue 18: responsibility, visits, the daily log): the names
// of what is visited, a visit's state and check, and the daily log's flags.
const (
	DutyKindHousehold Key = "duty.kind.household"
	DutyKindBusiness  Key = "duty.kind.business"
	DutyKindPlace     Key = "duty.kind.place"
	DutyKindKeyPerson Key = "duty.kind.key_person"
	// A schedule: every N days / weeks / months (the number).
	DutyEveryDay   Key = "duty.every.day"
	DutyEveryWeek  Key = "duty.every.week"
	DutyEveryMonth Key = "duty.every.month"
	// A due visit: overdue by N days / due on a date.
	DutyOverdue Key = "duty.overdue"
	DutyDueOn   Key = "duty.due_on"
	// A recorded visit: on site, or N metres from the target (and the tolerance).
	DutyOnSite      Key = "duty.on_site"
	DutyOffSite     Key = "duty.off_site"
	DutyNotLocated  Key = "duty.not_located"
	DutyLogLate     Key = "duty.log.late"    // the deadline
	DutyLogOnTime   Key = "duty.log.on_time" // the submission time
	DutyLogMissing  Key = "duty.log.missing"
	DutyLogPatrol   Key = "duty.log.patrol" // hours, km
	DutyLogNoPatrol Key = "duty.log.no_patrol"
)

var dutyTexts = map[Key]Text{
	DutyKindHousehold: {"住户", "Household"},
	DutyKindBusiness:  {"商户", "Business"},
	DutyKindPlace:     {"场所", "Place"},
	DutyKindKeyPerson: {"重点人员", "Key person"},
	DutyEveryDay:      {"每%d天一次", "Every %d day(s)"},
	DutyEveryWeek:     {"每%d周一次", "Every %d week(s)"},
	DutyEveryMonth:    {"每%d个月一次", "Every %d month(s)"},
	DutyOverdue:       {"已逾期%d天", "Overdue by %d day(s)"},
	DutyDueOn:         {"应于%s前走访", "Visit by %s"},
	DutyOnSite:        {"现场走访", "Visited on site"},
	DutyOffSite:       {"距走访对象%.0f米，超出%.0f米范围，不计入走访", "%.0f m from the target, beyond %.0f m: not counted"},
	DutyNotLocated:    {"走访对象无坐标，未核验位置", "The target has no location: place not checked"},
	DutyLogLate:       {"逾期提交（截止%s）", "Submitted late (due %s)"},
	DutyLogOnTime:     {"已于%s提交", "Submitted at %s"},
	DutyLogMissing:    {"当日日志未提交", "The day's log is not submitted"},
	DutyLogPatrol:     {"巡查%.1f小时，%.1f公里", "Patrolled %.1f h, %.1f km"},
	DutyLogNoPatrol:   {"当日无巡查轨迹", "No patrol track that day"},
}
