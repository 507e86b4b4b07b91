package casework

import (
	"fmt"
	"slices"
	"time"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
)

// Stage is whose move it is and which clock runs: every open case is in
// one stage, and every stage has a deadline (stage_due) except a granted
// postponement (缓办), which stops the clock.
type Stage string

const (
	StageReview Stage = "review" // the center reviews (受理/立案) and dispatches: reported, escalated, accepted
	StageAccept Stage = "accept" // the unit accepts (签收): dispatched
	StageHandle Stage = "handle" // the unit handles (处置): handling, extension/postponement requested, postponed (clock stopped)
	StageVerify Stage = "verify" // verification (核查): handled (the center sends it), verifying (the grid worker)
)

// StageOf is the stage of a case in status st ("" for a final status).
func StageOf(st Status) Stage {
	switch st {
	case StatusReported, StatusEscalated, StatusAccepted:
		return StageReview
	case StatusDispatched:
		return StageAccept
	case StatusHandling, StatusExtensionRequested, StatusPostponementRequested, StatusPostponed:
		return StageHandle
	case StatusHandled, StatusVerifying:
		return StageVerify
	}
	return ""
}

// DeadlineState is the traffic light of a running clock.
type DeadlineState string

const (
	Green  DeadlineState = "green"
	Yellow DeadlineState = "yellow" // less than the warning margin left (ClockSettings)
	Red    DeadlineState = "red"    // the deadline has passed
)

// ParseDeadlineState validates a deadline_state filter.
func ParseDeadlineState(field, s string) (DeadlineState, error) {
	switch DeadlineState(s) {
	case Green, Yellow, Red:
		return DeadlineState(s), nil
	}
	return "", errs.Invalidf(field, "invalid_deadline_state", "want green, yellow or red; got %q", s)
}

// Limit is a time limit in working days (counted from the day after the
// start, ending at 24:00 of the last one, like every limit of the plans)
// or in working hours (time on working days; see workday.AddWorkingTime).
// Exactly one is set.
type Limit struct {
	Days  int `json:"days,omitempty"`
	Hours int `json:"hours,omitempty"`
}

func (l Limit) validate(field string) *errs.Field {
	switch {
	case l.Days < 0 || l.Hours < 0:
		return &errs.Field{Field: field, Reason: "invalid_limit", Detail: "days and hours must not be negative"}
	case (l.Days == 0) == (l.Hours == 0):
		return &errs.Field{Field: field, Reason: "invalid_limit", Detail: `want exactly one of "days" (1–60) or "hours" (1–480)`}
	case l.Days > 60 || l.Hours > 480:
		return &errs.Field{Field: field, Reason: "invalid_limit", Detail: "at most 60 working days or 480 working hours"}
	}
	return nil
}

// due is the deadline of l for a stage starting at start.
func (l Limit) due(cal *workday.Calendar, start time.Time) time.Time {
	if l.Hours > 0 {
		return cal.AddWorkingTime(start, time.Duration(l.Hours)*time.Hour)
	}
	return cal.Deadline(start, l.Days)
}

// ReviewRule gives the center's review its own limit for a category (small
// or big class; "" any) and/or a source ("" any).
type ReviewRule struct {
	Category string `json:"category,omitempty"`
	Source   string `json:"source,omitempty"`
	Limit
}

// ClockSettings are the editable parts of the stage clocks (GET/PUT
// /api/v1/deadlines). The unit's acceptance, handling and verification
// limits are the category's (Category.Rule); the center's review limit is
// Review unless a rule matches (the first match wins). A running clock is
// yellow once less than YellowShare of the stage's working time, or less
// than YellowHours working hours, is left (0 turns a threshold off).
type ClockSettings struct {
	Review      Limit        `json:"review"`
	ReviewRules []ReviewRule `json:"review_rules"`
	YellowShare float64      `json:"yellow_share"`
	YellowHours int          `json:"yellow_hours"`
}

// DefaultClockSettings: review within 1 working day; yellow in the last
// quarter of a stage or its last 8 working hours.
var DefaultClockSettings = ClockSettings{Review: Limit{Days: 1}, ReviewRules: []ReviewRule{}, YellowShare: 0.25, YellowHours: 8}

// Validate checks the settings against the taxonomy (known reports whether
// a category code exists) and returns every problem.
func (s *ClockSettings) Validate(known func(code string) bool) error {
	var bad []errs.Field
	if f := s.Review.validate("review"); f != nil {
		bad = append(bad, *f)
	}
	if len(s.ReviewRules) > 200 {
		bad = append(bad, errs.Field{Field: "review_rules", Reason: "too_many_rules", Detail: "at most 200 rules"})
	}
	for i, r := range s.ReviewRules {
		field := fmt.Sprintf("review_rules[%d]", i)
		if r.Category == "" && r.Source == "" {
			bad = append(bad, errs.Field{Field: field, Reason: "rule_matches_everything", Detail: "name a category, a source or both (the default is review)"})
		}
		if r.Category != "" && (!ValidCategoryCode(r.Category) || !known(r.Category)) {
			bad = append(bad, errs.Field{Field: field + ".category", Reason: "unknown_category", Detail: fmt.Sprintf("no category %q (GET /api/v1/categories)", r.Category)})
		}
		if r.Source != "" {
			if _, err := ParseSource(field+".source", r.Source); err != nil {
				bad = append(bad, errs.Field{Field: field + ".source", Reason: "invalid_source", Detail: err.Error()})
			}
		}
		if f := r.Limit.validate(field); f != nil {
			bad = append(bad, *f)
		}
	}
	if s.YellowShare < 0 || s.YellowShare >= 1 {
		bad = append(bad, errs.Field{Field: "yellow_share", Reason: "invalid_share", Detail: "want a share from 0 (off) to below 1, e.g. 0.25"})
	}
	if s.YellowHours < 0 || s.YellowHours > 480 {
		bad = append(bad, errs.Field{Field: "yellow_hours", Reason: "invalid_hours", Detail: "want 0 (off) to 480 working hours"})
	}
	if len(bad) > 0 {
		e := errs.E(errs.Invalid, "invalid_deadlines", "%d fields are invalid (first %s: %s)", len(bad), bad[0].Field, bad[0].Detail)
		e.Fields = bad
		return e
	}
	return nil
}

// ReviewLimit is the review limit of a case of category (small class) from source.
func (s *ClockSettings) ReviewLimit(category string, source Source) Limit {
	for _, r := range s.ReviewRules {
		if r.Category != "" && r.Category != category && (len(category) < 2 || r.Category != category[:2]) {
			continue
		}
		if r.Source != "" && r.Source != string(source) {
			continue
		}
		return r.Limit
	}
	return s.Review
}

// DeadlineState is the light of c's running clock at now ("" when no
// clock runs: a final status or a postponement).
func (c *Case) DeadlineState(now time.Time) DeadlineState {
	if !c.Status.Open() || c.DueAt == nil {
		return ""
	}
	switch {
	case !now.Before(*c.DueAt):
		return Red
	case c.WarnAt != nil && !now.Before(*c.WarnAt):
		return Yellow
	}
	return Green
}

// setClock brings the stage fields of c up to date after a change at now:
// the stage, when it began (a new stage, or a new review after an
// escalation or a return, starts its clock at now), the review deadline
// of a new review, the stage's deadline (DueAt), and the instants it turns
// yellow (WarnAt) and the reminder is due (RemindAt: one working day
// before the deadline; nil when the stage is not longer than that).
// prev is the stage before the change ("" at intake); restart forces a new
// review.
func (c *Case) setClock(now time.Time, prev Stage, restart bool, clk Clock) {
	st := StageOf(c.Status)
	c.Stage = st
	if st != prev || restart {
		since := now
		c.StageSince = &since
		if st == StageReview {
			due := clk.Settings.ReviewLimit(c.Category, c.Source).due(clk.Calendar, now)
			c.ReviewDue = &due
		}
	}
	if st == "" {
		c.StageSince = nil
	}
	c.DueAt = c.stageDue()
	c.WarnAt, c.RemindAt = nil, nil
	if c.DueAt == nil || c.StageSince == nil {
		return
	}
	cal, due, since := clk.Calendar, *c.DueAt, *c.StageSince
	margin := time.Duration(float64(cal.WorkingTimeBetween(since, due)) * clk.Settings.YellowShare)
	if h := time.Duration(clk.Settings.YellowHours) * time.Hour; h > margin {
		margin = h
	}
	warn := due
	if margin > 0 {
		warn = cal.AddWorkingTime(due, -margin)
	}
	if warn.Before(since) {
		warn = since
	}
	c.WarnAt = &warn
	if remind := cal.AddWorkingTime(due, -24*time.Hour); remind.After(since) {
		c.RemindAt = &remind
	}
}

// ActAutoEscalate is the clock job's escalation of an overdue case (a
// system action on the timeline; not a transition anyone may request).
const ActAutoEscalate Action = "auto_escalate"

// AutoEscalate records that c's overdue stage was escalated at now to the
// center of scope to (a grid code; "" none) and to the upper unit toUnit
// ("" none; it may read the case from now on) by the clock job, and returns the
// timeline event (actor 0: the system). In the center's review the case
// goes up as a center's escalation would (status escalated from the
// responsible center's scope from; the center above reviews it on a new
// clock); in a unit's stage or verification it stays where it is and the
// center above is told. prevVersion bookkeeping is the caller's.
func AutoEscalate(c *Case, from, to, toUnit string, now time.Time, clk Clock) *Event {
	ev := &Event{CaseID: c.ID, Action: ActAutoEscalate, FromStatus: c.Status, At: now,
		Data: map[string]any{"stage": string(c.Stage), "to_scope": to, "system": true}}
	if c.DueAt != nil {
		ev.Data["stage_due"] = *c.DueAt
	}
	if toUnit != "" {
		ev.Data["to_unit"] = toUnit
		if !slices.Contains(c.EscalatedUnits, toUnit) {
			c.EscalatedUnits = append(slices.Clone(c.EscalatedUnits), toUnit)
		}
	}
	prev := c.Stage
	if prev == StageReview {
		c.Status = StatusEscalated
		c.EscalatedFrom = from
		c.EscalationLevel++
		ev.Data["escalated_from"] = from
		c.setClock(now, prev, true, clk)
	}
	c.UpdatedAt = now
	ev.ToStatus = c.Status
	return ev
}

// BackfillClock computes the stage clock of a case written before stages
// had clocks, from the instants it holds: the review from its last
// acceptance, escalation or report, the unit's stages from dispatch and
// acceptance, verification from the feedback.
func BackfillClock(c *Case, clk Clock) {
	st := StageOf(c.Status)
	c.Stage = st
	var since *time.Time
	switch st {
	case StageReview:
		t := c.CreatedAt
		since = &t
		due := clk.Settings.ReviewLimit(c.Category, c.Source).due(clk.Calendar, t)
		c.ReviewDue = &due
	case StageAccept:
		since = c.DispatchedAt
	case StageHandle:
		since = c.HandleStart
	case StageVerify:
		since = c.HandledAt
		if c.VerifyDue == nil && since != nil {
			due := clk.Calendar.Deadline(*since, clk.Rule.VerifyDays)
			c.VerifyDue = &due
		}
	}
	if since == nil && st != "" {
		t := c.UpdatedAt
		since = &t
	}
	c.StageSince = since
	// Keep the stage and its start: setClock with the same stage only
	// recomputes the deadline, the warning and the reminder.
	c.setClock(clk.Now, st, false, clk)
}

// Responsible returns the scope of the center that acts on c now among the
// scoped centers' scopes (grid codes; a center of the whole registry sees
// every case and is nobody's level above), and the scope of the center above it ("" when none):
// the deepest center over the case's grid, or, while the case is escalated,
// the deepest center strictly above the scope it was escalated from.
func Responsible(c *Case, centers []string) (scope, above string) {
	has := map[string]bool{}
	for _, s := range centers {
		has[s] = true
	}
	limit := len(c.GridChain)
	if c.EscalatedFrom != "" {
		if i := slices.Index(c.GridChain, c.EscalatedFrom); i >= 0 {
			limit = i
		}
	}
	idx := -1
	for i := limit - 1; i >= 0; i-- {
		if has[c.GridChain[i]] {
			idx = i
			break
		}
	}
	if idx < 0 {
		return "", ""
	}
	scope = c.GridChain[idx]
	for i := idx - 1; i >= 0; i-- {
		if has[c.GridChain[i]] {
			return scope, c.GridChain[i]
		}
	}
	return scope, ""
}

// UpperUnit returns the upper unit of c's lead unit from the routing
// rules: that of the rule suggested at intake if it names the same lead
// unit, else of the first rule for the lead unit and the case's category
// (its small or big class) that names one; "" when none does.
func UpperUnit(rules []*Rule, c *Case) string {
	if c.LeadUnit == "" {
		return ""
	}
	for _, r := range rules {
		if r.ID == c.SuggestedRuleID && r.LeadUnit == c.LeadUnit && r.UpperUnit != "" {
			return r.UpperUnit
		}
	}
	for _, r := range rules {
		if r.LeadUnit == c.LeadUnit && r.UpperUnit != "" && (r.Category == c.Category || (len(c.Category) >= 2 && r.Category == c.Category[:2])) {
			return r.UpperUnit
		}
	}
	return ""
}
