package msg

// Inbox notifications (internal/inbox): reminders one working day before a
// stage's deadline, overdue and escalation notices, and the daily digest of
// a unit. Each takes the case number and the deadline ("2006-01-02 15:04",
// Asia/Shanghai) except the digest, which takes three counts.
const (
	InboxDueSoonReview   Key = "inbox.due_soon.review"
	InboxDueSoonAccept   Key = "inbox.due_soon.accept"
	InboxDueSoonHandle   Key = "inbox.due_soon.handle"
	InboxDueSoonVerify   Key = "inbox.due_soon.verify"
	InboxOverdueReview   Key = "inbox.overdue.review"
	InboxOverdueAccept   Key = "inbox.overdue.accept"
	InboxOverdueHandle   Key = "inbox.overdue.handle"
	InboxOverdueVerify   Key = "inbox.overdue.verify"
	InboxEscalatedReview Key = "inbox.escalated.review"
	InboxEscalatedAccept Key = "inbox.escalated.accept"
	InboxEscalatedHandle Key = "inbox.escalated.handle"
	InboxEscalatedVerify Key = "inbox.escalated.verify"
	InboxDigest          Key = "inbox.digest"
	InboxMention         Key = "inbox.mention" // the actor's name, the case number
)

var inboxTexts = map[Key]Text{
	InboxDueSoonReview:   {"案件%s待受理审核，将于%s到期", "Case %s awaits review; due %s"},
	InboxDueSoonAccept:   {"案件%s待签收，将于%s到期", "Case %s awaits acceptance by the unit; due %s"},
	InboxDueSoonHandle:   {"案件%s待处置，将于%s到期", "Case %s must be handled; due %s"},
	InboxDueSoonVerify:   {"案件%s待核查，将于%s到期", "Case %s awaits verification; due %s"},
	InboxOverdueReview:   {"案件%s受理审核已超时（时限%s）", "Case %s: review is overdue (due %s)"},
	InboxOverdueAccept:   {"案件%s签收已超时（时限%s）", "Case %s: acceptance by the unit is overdue (due %s)"},
	InboxOverdueHandle:   {"案件%s处置已超时（时限%s）", "Case %s: handling is overdue (due %s)"},
	InboxOverdueVerify:   {"案件%s核查已超时（时限%s）", "Case %s: verification is overdue (due %s)"},
	InboxEscalatedReview: {"案件%s受理审核超时，已自动上报至你处（时限%s）", "Case %s: review overdue, escalated to you (due %s)"},
	InboxEscalatedAccept: {"案件%s签收超时，已自动上报至你处（时限%s）", "Case %s: acceptance overdue, escalated to you (due %s)"},
	InboxEscalatedHandle: {"案件%s处置超时，已自动上报至你处（时限%s）", "Case %s: handling overdue, escalated to you (due %s)"},
	InboxEscalatedVerify: {"案件%s核查超时，已自动上报至你处（时限%s）", "Case %s: verification overdue, escalated to you (due %s)"},
	InboxDigest:          {"今日待办：新派遣%d件，已超时%d件，即将到期%d件", "Today: %d newly dispatched, %d overdue, %d due soon"},
	InboxMention:         {"%s在案件%s中提到了你", "%s mentioned you on case %s"},
}
