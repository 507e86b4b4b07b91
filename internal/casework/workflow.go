package casework

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
)

// Action is a transition of the case loop.
type Action string

const (
	ActReport             Action = "report"               // intake (timeline only)
	ActCloseOnSite        Action = "close_on_site"        // 先期处置: closed at intake with its evidence
	ActAccept             Action = "accept"               // 立案 (center)
	ActReject             Action = "reject"               // 退回 with a reason (center)
	ActEscalate           Action = "escalate"             // 上报 to the higher center (center)
	ActDispatch           Action = "dispatch"             // 派遣 to a lead unit and co-units (center)
	ActUnitAccept         Action = "unit_accept"          // the unit takes it (department)
	ActReturn             Action = "return"               // not ours: back to the center (department)
	ActRequestExtension   Action = "request_extension"    // 延期 (department)
	ActRequestPostpone    Action = "request_postponement" // 缓办 (department)
	ActGrantExtension     Action = "grant_extension"      // (center)
	ActRefuseExtension    Action = "refuse_extension"     // (center)
	ActGrantPostponement  Action = "grant_postponement"   // the clock stops (center)
	ActRefusePostponement Action = "refuse_postponement"  // (center)
	ActResume             Action = "resume"               // the clock runs again (center)
	ActHandle             Action = "handle"               // 处置反馈 with photos (department)
	ActSendVerification   Action = "send_verification"    // 派遣核查 to the grid worker (center)
	ActVerifyPass         Action = "verify_pass"          // 核查通过 → 结案 (grid worker or center)
	ActVerifyFail         Action = "verify_fail"          // 核查不通过 → 返工 (grid worker or center)
	ActMerge              Action = "merge"                // duplicate merged into the original (center)
	ActFlagEmergency      Action = "flag_emergency"       // emergency flag (center)
	ActRate               Action = "rate"                 // rating after closing (grid worker or center)
	ActMergedIn           Action = "merged_in"            // timeline of the original when a duplicate is merged
)

// party is who may take an action.
type party int

const (
	byCenter   party = iota // the responsible center (admin counts as every center)
	byUnit                  // the case's lead unit
	byVerifier              // the grid worker of the case's grid, or the center
	byRater                 // a verifier, or the volunteer who reported the case
)

type rule struct {
	from []Status
	who  party
}

// transitions is the state machine: for each action the statuses it may
// leave from and who may take it. The resulting status is set by apply.
var transitions = map[Action]rule{
	ActAccept:             {[]Status{StatusReported, StatusEscalated}, byCenter},
	ActReject:             {[]Status{StatusReported, StatusEscalated}, byCenter},
	ActEscalate:           {[]Status{StatusReported, StatusAccepted}, byCenter},
	ActDispatch:           {[]Status{StatusAccepted}, byCenter},
	ActUnitAccept:         {[]Status{StatusDispatched}, byUnit},
	ActReturn:             {[]Status{StatusDispatched}, byUnit},
	ActRequestExtension:   {[]Status{StatusHandling}, byUnit},
	ActRequestPostpone:    {[]Status{StatusHandling}, byUnit},
	ActGrantExtension:     {[]Status{StatusExtensionRequested}, byCenter},
	ActRefuseExtension:    {[]Status{StatusExtensionRequested}, byCenter},
	ActGrantPostponement:  {[]Status{StatusPostponementRequested}, byCenter},
	ActRefusePostponement: {[]Status{StatusPostponementRequested}, byCenter},
	ActResume:             {[]Status{StatusPostponed}, byCenter},
	ActHandle:             {[]Status{StatusHandling}, byUnit},
	ActSendVerification:   {[]Status{StatusHandled}, byCenter},
	ActVerifyPass:         {[]Status{StatusVerifying}, byVerifier},
	ActVerifyFail:         {[]Status{StatusVerifying}, byVerifier},
	ActMerge:              {[]Status{StatusReported, StatusEscalated, StatusAccepted}, byCenter},
	ActFlagEmergency:      {[]Status{StatusReported, StatusEscalated, StatusAccepted, StatusDispatched, StatusHandling, StatusExtensionRequested, StatusPostponementRequested, StatusPostponed, StatusHandled, StatusVerifying}, byCenter},
	ActRate:               {[]Status{StatusClosed}, byRater},
}

// actionOrder is the order in which allowed actions are listed.
var actionOrder = []Action{ActAccept, ActReject, ActEscalate, ActDispatch, ActUnitAccept, ActReturn,
	ActRequestExtension, ActRequestPostpone, ActGrantExtension, ActRefuseExtension, ActGrantPostponement,
	ActRefusePostponement, ActResume, ActHandle, ActSendVerification, ActVerifyPass, ActVerifyFail,
	ActMerge, ActFlagEmergency, ActRate}

// Hierarchy answers subtree questions about grid codes.
type Hierarchy = auth.Hierarchy

// CanRead reports whether p may read c: admin everything; a center or
// viewer the cases in its subtree (an escalated case also the higher
// centers above it); a department the cases dispatched to its unit (or
// escalated to it as the upper unit); a
// worker the cases in its grids.
func CanRead(p *auth.Principal, h Hierarchy, c *Case) bool {
	if c.ReporterID != 0 && c.ReporterID == p.User.ID {
		return true // a reporter always reads its own report, wherever it lies
	}
	switch p.Role() {
	case people.RoleAdmin:
		return true
	case people.RoleDepartment:
		return p.User.DepartmentCode != "" && (c.LeadUnit == p.User.DepartmentCode || slices.Contains(c.CoUnits, p.User.DepartmentCode) ||
			slices.Contains(c.EscalatedUnits, p.User.DepartmentCode))
	case people.RoleCenter, people.RoleViewer:
		if p.User.ScopeCode == "" {
			return true
		}
		if c.GridCode == "" && p.Role() == people.RoleCenter {
			return true // outside every grid: the centers' unassigned queue
		}
		if c.EscalatedFrom != "" && (c.EscalatedFrom == p.User.ScopeCode || h.IsWithin(c.EscalatedFrom, p.User.ScopeCode)) {
			return true
		}
		return c.GridCode != "" && p.CanReadGrid(h, c.GridCode)
	case people.RoleWorker:
		return c.GridCode != "" && p.CanReadGrid(h, c.GridCode)
	case people.RoleVolunteer, people.RoleInformant, people.RolePolice, people.RoleLiaison:
		// The other grid forces read what they reported.
		return c.ReporterID == p.User.ID
	}
	return false
}

// isCenter reports whether p acts as the responsible center of c. While a
// case is escalated only a center strictly above the escalating one (or an
// admin, or a center of the whole registry) may act.
func isCenter(p *auth.Principal, h Hierarchy, c *Case) bool {
	switch p.Role() {
	case people.RoleAdmin:
		return true
	case people.RoleCenter:
		scope := p.User.ScopeCode
		if scope == "" {
			return true
		}
		if c.Status == StatusEscalated || c.EscalationLevel > 0 {
			return c.EscalatedFrom != "" && h.IsWithin(c.EscalatedFrom, scope)
		}
		return c.GridCode != "" && p.CanReadGrid(h, c.GridCode)
	}
	return false
}

func may(p *auth.Principal, h Hierarchy, c *Case, who party) bool {
	switch who {
	case byCenter:
		return isCenter(p, h, c)
	case byUnit:
		return p.Role() == people.RoleDepartment && c.LeadUnit != "" && p.User.DepartmentCode == c.LeadUnit
	case byRater:
		if p.Role() == people.RoleVolunteer {
			return c.ReporterID == p.User.ID
		}
		return may(p, h, c, byVerifier)
	case byVerifier:
		if isCenter(p, h, c) {
			return true
		}
		return p.Role() == people.RoleWorker && c.GridCode != "" && p.CanReadGrid(h, c.GridCode)
	}
	return false
}

// Allowed lists the actions p may take on c now, in loop order.
func Allowed(p *auth.Principal, h Hierarchy, c *Case) []string {
	out := []string{}
	for _, a := range actionOrder {
		t := transitions[a]
		if !slices.Contains(t.from, c.Status) || !may(p, h, c, t.who) {
			continue
		}
		if a == ActRate && c.Rating != 0 {
			continue
		}
		if a == ActFlagEmergency && c.Emergency {
			continue
		}
		out = append(out, string(a))
	}
	return out
}

// Transition is a request to move a case on.
type Transition struct {
	Action  Action
	Comment string
	// Unit and CoUnits for dispatch (department codes).
	Unit    string
	CoUnits []string
	// Days for request_extension.
	Days int
	// Rating 1–5 for rate.
	Rating int
	// Into is the original case for merge.
	Into int64
	// Photos are upload ids attached to the step (handle needs at least one).
	Photos []int64
}

// Clock is what apply needs to compute deadlines.
type Clock struct {
	Now      time.Time
	Calendar *workday.Calendar
	Rule     Deadlines
	Settings ClockSettings
}

// Apply checks that p may take t on c and applies it, returning the
// timeline event. An action that does not exist is Invalid; one not
// allowed in the case's status or for p is a Conflict listing the
// allowed actions. Apply changes c only when it succeeds; the caller
// persists c with its previous version.
func Apply(p *auth.Principal, h Hierarchy, c *Case, t Transition, clk Clock) (*Event, error) {
	rule, ok := transitions[t.Action]
	if !ok {
		e := errs.Invalidf("action", "invalid_action", "unknown action %q", t.Action)
		e.Allowed = Allowed(p, h, c)
		return nil, e
	}
	if !slices.Contains(rule.from, c.Status) || !may(p, h, c, rule.who) ||
		(t.Action == ActRate && c.Rating != 0) || (t.Action == ActFlagEmergency && c.Emergency) {
		e := errs.Conflictf("action_not_allowed", "action %s is not allowed on case %s in status %s for role %s", t.Action, c.Number, c.Status, p.Role())
		e.Allowed = Allowed(p, h, c)
		return nil, e
	}
	if utf8.RuneCountInString(t.Comment) > MaxComment {
		return nil, errs.Invalidf("comment", "comment_too_long", "at most %d characters", MaxComment)
	}
	if len(t.Photos) > MaxPhotos {
		return nil, errs.Invalidf("photos", "too_many_photos", "at most %d photos", MaxPhotos)
	}
	now := clk.Now
	next := *c
	next.CoUnits = slices.Clone(c.CoUnits)
	next.Pauses = slices.Clone(c.Pauses)
	ev := &Event{CaseID: c.ID, Action: t.Action, FromStatus: c.Status, ActorID: p.User.ID, ActorName: p.User.Name,
		At: now, Comment: strings.TrimSpace(t.Comment), Attachments: t.Photos, Data: map[string]any{}}
	cal := clk.Calendar
	needComment := func(what string) error {
		if ev.Comment == "" {
			return errs.Invalidf("comment", "reason_required", "%s needs a reason in comment", what)
		}
		return nil
	}
	switch t.Action {
	case ActAccept:
		next.Status = StatusAccepted
		next.AcceptedAt = &now
	case ActReject:
		if err := needComment("reject"); err != nil {
			return nil, err
		}
		next.Status = StatusRejected
		next.RejectReason = ev.Comment
	case ActEscalate:
		if err := needComment("escalate"); err != nil {
			return nil, err
		}
		from := p.User.ScopeCode
		if from == "" && len(c.GridChain) > 0 {
			from = c.GridChain[0]
		}
		next.Status = StatusEscalated
		next.EscalatedFrom = from
		next.EscalationLevel++
		ev.Data["escalated_from"] = from
	case ActDispatch:
		if t.Unit == "" {
			return nil, errs.Invalidf("unit", "unit_required", "dispatch needs the lead unit (a department code)")
		}
		for i, u := range t.CoUnits {
			if u == t.Unit || slices.Index(t.CoUnits, u) != i {
				return nil, errs.Invalidf("co_units", "duplicate_unit", "co-unit %q is listed twice or is the lead unit", u)
			}
		}
		next.Status = StatusDispatched
		next.LeadUnit = t.Unit
		next.CoUnits = slices.Clone(t.CoUnits)
		next.DispatchedAt = &now
		due := cal.Deadline(now, clk.Rule.AcceptDays)
		next.AcceptDue = &due
		ev.Data["unit"] = t.Unit
		if len(t.CoUnits) > 0 {
			ev.Data["co_units"] = t.CoUnits
		}
	case ActUnitAccept:
		next.Status = StatusHandling
		next.HandleStart = &now
		next.recomputeHandleDue(cal, clk.Rule)
	case ActReturn:
		if err := needComment("return"); err != nil {
			return nil, err
		}
		ev.Data["unit"] = c.LeadUnit
		next.Status = StatusAccepted
		next.LeadUnit = ""
		next.CoUnits = nil
		next.AcceptDue = nil
	case ActRequestExtension:
		if t.Days < 1 || t.Days > 30 {
			return nil, errs.Invalidf("days", "invalid_days", "want 1 to 30 working days, got %d", t.Days)
		}
		if err := needComment("request_extension"); err != nil {
			return nil, err
		}
		next.Status = StatusExtensionRequested
		next.PendingDays = t.Days
		ev.Data["days"] = t.Days
	case ActRequestPostpone:
		if err := needComment("request_postponement"); err != nil {
			return nil, err
		}
		next.Status = StatusPostponementRequested
	case ActGrantExtension:
		next.Status = StatusHandling
		next.ExtensionDays += c.PendingDays
		ev.Data["days"] = c.PendingDays
		next.PendingDays = 0
		next.recomputeHandleDue(cal, clk.Rule)
	case ActRefuseExtension:
		next.Status = StatusHandling
		next.PendingDays = 0
	case ActGrantPostponement:
		next.Status = StatusPostponed
		next.EverPostponed = true
		next.Pauses = append(next.Pauses, Pause{From: now})
		next.HandleDue = nil
	case ActRefusePostponement:
		next.Status = StatusHandling
	case ActResume:
		if n := len(next.Pauses); n > 0 && next.Pauses[n-1].To == nil {
			next.Pauses[n-1].To = &now
		}
		next.Status = StatusHandling
		next.recomputeHandleDue(cal, clk.Rule)
	case ActHandle:
		if len(t.Photos) == 0 {
			return nil, errs.Invalidf("photos", "evidence_required", "handling feedback needs at least one photo (upload id)")
		}
		next.Status = StatusHandled
		next.HandledAt = &now
		onTime := next.HandleDue != nil && now.Before(*next.HandleDue)
		next.HandledOnTime = &onTime
		ev.Data["on_time"] = onTime
		// The verification clock starts with the feedback (the center
		// sends it on); send_verification gives the worker its own.
		due := cal.Deadline(now, clk.Rule.VerifyDays)
		next.VerifyDue = &due
	case ActSendVerification:
		next.Status = StatusVerifying
		due := cal.Deadline(now, clk.Rule.VerifyDays)
		next.VerifyDue = &due
	case ActVerifyPass:
		next.Status = StatusClosed
		next.ClosedAt = &now
	case ActVerifyFail:
		if err := needComment("verify_fail"); err != nil {
			return nil, err
		}
		next.Status = StatusDispatched
		next.ReworkCount++
		next.DispatchedAt = &now
		next.HandledAt = nil
		next.HandledOnTime = nil
		next.VerifyDue = nil
		due := cal.Deadline(now, clk.Rule.AcceptDays)
		next.AcceptDue = &due
		ev.Data["rework"] = next.ReworkCount
	case ActMerge:
		if t.Into == 0 {
			return nil, errs.Invalidf("into", "into_required", "merge needs into: the id of the original case")
		}
		if t.Into == c.ID {
			return nil, errs.Invalidf("into", "merge_into_self", "a case cannot be merged into itself")
		}
		next.Status = StatusMerged
		next.MergedInto = t.Into
		ev.Data["into"] = t.Into
	case ActFlagEmergency:
		next.Emergency = true
	case ActRate:
		if t.Rating < 1 || t.Rating > 5 {
			return nil, errs.Invalidf("rating", "invalid_rating", "want an integer rating from 1 to 5, got %d", t.Rating)
		}
		next.Rating = t.Rating
		next.RatingComment = ev.Comment
		ev.Data["rating"] = t.Rating
	}
	next.setClock(now, StageOf(c.Status), t.Action == ActEscalate, clk)
	next.UpdatedAt = now
	ev.ToStatus = next.Status
	*c = next
	return ev, nil
}

// recomputeHandleDue sets HandleDue: HandleDays plus the granted
// extension days, counted from HandleStart (the unit's acceptance), with
// the postponement pauses left out. While a pause is open it is nil.
func (c *Case) recomputeHandleDue(cal *workday.Calendar, d Deadlines) {
	if c.HandleStart == nil {
		c.HandleDue = nil
		return
	}
	due := cal.DeadlineWithPauses(*c.HandleStart, d.HandleDays+c.ExtensionDays, c.intervals())
	if due.IsZero() {
		c.HandleDue = nil
		return
	}
	c.HandleDue = &due
}

// intervals returns the pauses as workday intervals.
func (c *Case) intervals() []workday.Interval {
	ps := make([]workday.Interval, 0, len(c.Pauses))
	for _, p := range c.Pauses {
		iv := workday.Interval{From: p.From}
		if p.To != nil {
			iv.To = *p.To
		}
		ps = append(ps, iv)
	}
	return ps
}

// stageDue is the deadline of the stage the case is in.
func (c *Case) stageDue() *time.Time {
	switch c.Status {
	case StatusReported, StatusEscalated, StatusAccepted:
		return c.ReviewDue
	case StatusDispatched:
		return c.AcceptDue
	case StatusHandling, StatusExtensionRequested, StatusPostponementRequested:
		return c.HandleDue
	case StatusHandled, StatusVerifying:
		return c.VerifyDue
	}
	return nil
}

// Actions lists the actions of the state machine (those a client may send
// to POST /api/v1/cases/{id}/transitions), in listing order.
func Actions() []Action { return slices.Clone(actionOrder) }
