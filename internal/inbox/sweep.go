package inbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/casework"
	"github.com/gridd/gridd/internal/events"
	"github.com/gridd/gridd/internal/msg"
	"github.com/gridd/gridd/internal/workday"
)

// Mark is what the clock job did once to a case in one stage occurrence
// (the stage and when it began): the store writes it with its effects and
// refuses a second one.
type Mark struct {
	CaseID     int64
	Kind       NoteKind // due_soon, overdue or escalated
	Stage      casework.Stage
	StageSince time.Time
	At         time.Time
	ToScope    string // escalated: the center above
	ToUnit     string // escalated: the upper unit
}

// OverdueWrite is everything the clock job writes, in one transaction, for
// an overdue case: the mark that makes it happen once, the escalation (the
// case at its new state, written if still at PrevVersion, and its timeline
// event), the notifications and the events.
type OverdueWrite struct {
	Overdue   Mark
	Escalated *Mark
	Case      *casework.Case // nil: the case itself does not change
	Prev      int
	Timeline  *casework.Event
	Notes     []Notification
	Events    []events.Event
}

// UnitDigest are a unit's counts for its daily digest.
type UnitDigest struct {
	Unit    string
	Users   []int64
	New     int // dispatched to the unit in the last 24 hours
	Overdue int // the unit's cases past their stage's deadline
	DueSoon int // the unit's cases whose reminder is due
}

// SweepStore is what the clock job needs from the database.
type SweepStore interface {
	// UnstagedCases are open cases without a stage clock (written before
	// clocks existed).
	UnstagedCases(ctx context.Context, limit int) ([]*casework.Case, error)
	// SaveClock writes c's stage clock fields only.
	SaveClock(ctx context.Context, c *casework.Case) error
	// DueReminders are open cases whose reminder is due at now (remind_at
	// passed, deadline not yet) and not yet sent for their stage.
	DueReminders(ctx context.Context, now time.Time, limit int) ([]*casework.Case, error)
	// OverdueCases are open cases past their stage's deadline at now not yet
	// marked overdue in their stage.
	OverdueCases(ctx context.Context, now time.Time, limit int) ([]*casework.Case, error)
	// CenterScopes are the scopes of the enabled scoped center users.
	CenterScopes(ctx context.Context) ([]string, error)
	// Users returns the enabled users among: the centers of scopes, the
	// departments of units and the users ids.
	Users(ctx context.Context, scopes, units []string, ids []int64) ([]int64, error)
	// RecordReminder writes the mark, the notifications and the event in
	// one transaction; false (and nothing written) if the mark exists.
	RecordReminder(ctx context.Context, m Mark, notes []Notification, ev events.Event) (bool, error)
	// RecordOverdue writes w in one transaction; false (and nothing
	// written) if the overdue mark exists or the case moved on meanwhile.
	RecordOverdue(ctx context.Context, w OverdueWrite) (bool, error)
	// DigestCounts returns every unit's digest counts at now, with its users.
	DigestCounts(ctx context.Context, now time.Time) ([]UnitDigest, error)
	// SaveNotifications inserts notifications, skipping those a user
	// already has under the same dedup key; it returns how many it added.
	SaveNotifications(ctx context.Context, notes []Notification) (int, error)
	// NotifyMentions notifies the users named as @username in timeline
	// comments made since since who may read the case (once per comment and
	// user; never the comment's author); it returns how many it added.
	NotifyMentions(ctx context.Context, since, now time.Time) (int, error)
	// LightsChanged reports whether an open case turned yellow or red since
	// the last call (bumping the cases map layer if so) and records now.
	LightsChanged(ctx context.Context, now time.Time) (bool, error)
}

// Clock is the clock job: reminders, overdue notices, automatic
// escalation and daily digests. Each Sweep handles everything due at the
// instant it is given, so a run missed while every instance was down is
// made up by the next; the store's marks make every effect happen once.
type Clock struct {
	Store SweepStore
	// Cases gives each case's calendar, limits and clock settings.
	Cases *casework.Service
	// DigestAt is the local time of day (Asia/Shanghai) from which a
	// working day's digest is due; default 08:00.
	DigestAt time.Duration
	// Batch bounds the cases handled per query; default 200.
	Batch int
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	Backfilled, Reminded, Overdue, Escalated, Digests, Mentions int
	LightsChanged                                               bool
}

// MentionWindow is how far back each run looks for @mentions.
const MentionWindow = 7 * 24 * time.Hour

// DeadlineFormat is how notification texts show a deadline (Asia/Shanghai).
const DeadlineFormat = "2006-01-02 15:04"

// Sweep does everything due at now.
func (j *Clock) Sweep(ctx context.Context, now time.Time) (SweepResult, error) {
	var res SweepResult
	batch := j.Batch
	if batch <= 0 {
		batch = 200
	}
	// Cases from before stage clocks get theirs first.
	for {
		cs, err := j.Store.UnstagedCases(ctx, batch)
		if err != nil {
			return res, err
		}
		for _, c := range cs {
			clk, err := j.Cases.ClockFor(ctx, c, now)
			if err != nil {
				return res, err
			}
			casework.BackfillClock(c, clk)
			if err := j.Store.SaveClock(ctx, c); err != nil {
				return res, err
			}
			res.Backfilled++
		}
		if len(cs) < batch {
			break
		}
	}
	centers, err := j.Store.CenterScopes(ctx)
	if err != nil {
		return res, err
	}
	var failed []error
	for {
		cs, err := j.Store.DueReminders(ctx, now, batch)
		if err != nil {
			return res, err
		}
		done := 0
		for _, c := range cs {
			ok, err := j.remind(ctx, c, centers, now)
			if err != nil {
				// One case's failure does not hold up the others; the
				// next run tries it again.
				failed = append(failed, fmt.Errorf("reminder of case %s: %w", c.Number, err))
				continue
			}
			if ok {
				res.Reminded++
				done++
			}
		}
		if len(cs) < batch || done == 0 {
			break
		}
	}
	for {
		cs, err := j.Store.OverdueCases(ctx, now, batch)
		if err != nil {
			return res, err
		}
		done := 0
		for _, c := range cs {
			ok, escalated, err := j.overdue(ctx, c, centers, now)
			if err != nil {
				failed = append(failed, err)
				continue
			}
			if ok {
				res.Overdue++
				done++
			}
			if escalated {
				res.Escalated++
			}
		}
		if len(cs) < batch || done == 0 {
			break
		}
	}
	if res.Digests, err = j.digests(ctx, now); err != nil {
		return res, err
	}
	// A week back: mentions made while every instance was down are still
	// told; each only once.
	if res.Mentions, err = j.Store.NotifyMentions(ctx, now.Add(-MentionWindow), now); err != nil {
		return res, err
	}
	if res.LightsChanged, err = j.Store.LightsChanged(ctx, now); err != nil {
		return res, err
	}
	return res, errors.Join(failed...)
}

// actors are the users who must act on c in its stage: the responsible
// center's users in the review (and before verification is sent), the
// lead unit's users in its stages, the grid worker while verifying.
func (j *Clock) actors(ctx context.Context, c *casework.Case, centers []string) ([]int64, error) {
	scope, _ := casework.Responsible(c, centers)
	var scopes, units []string
	var ids []int64
	switch {
	case c.Stage == casework.StageAccept || c.Stage == casework.StageHandle:
		if c.LeadUnit != "" {
			units = []string{c.LeadUnit}
		}
	case c.Status == casework.StatusVerifying && c.WorkerID != 0:
		ids = []int64{c.WorkerID}
	default:
		if scope != "" {
			scopes = []string{scope}
		}
	}
	if len(scopes)+len(units)+len(ids) == 0 {
		return []int64{}, nil
	}
	return j.Store.Users(ctx, scopes, units, ids)
}

// stageKeys are the notification texts per stage: due soon, overdue, escalated.
var stageKeys = map[casework.Stage][3]msg.Key{
	casework.StageReview: {msg.InboxDueSoonReview, msg.InboxOverdueReview, msg.InboxEscalatedReview},
	casework.StageAccept: {msg.InboxDueSoonAccept, msg.InboxOverdueAccept, msg.InboxEscalatedAccept},
	casework.StageHandle: {msg.InboxDueSoonHandle, msg.InboxOverdueHandle, msg.InboxEscalatedHandle},
	casework.StageVerify: {msg.InboxDueSoonVerify, msg.InboxOverdueVerify, msg.InboxEscalatedVerify},
}

// caseData names the case in an event.
func caseData(c *casework.Case, stage casework.Stage, due *time.Time) map[string]any {
	d := map[string]any{"id": c.ID, "number": c.Number, "status": string(c.Status), "stage": string(stage)}
	if due != nil {
		d["stage_due"] = due.In(workday.Shanghai()).Format(time.RFC3339)
	} else {
		d["stage_due"] = nil
	}
	return d
}

func caseUnits(c *casework.Case) []string {
	if c.LeadUnit == "" {
		return []string{}
	}
	return append([]string{c.LeadUnit}, c.CoUnits...)
}

func notes(users []int64, kind NoteKind, caseID int64, key msg.Key, dedup string, now time.Time, args ...any) []Notification {
	out := make([]Notification, len(users))
	for i, u := range users {
		out[i] = Notification{UserID: u, Kind: kind, CaseID: caseID, Key: key, Args: args, DedupKey: dedup, CreatedAt: now}
	}
	return out
}

func occurrence(c *casework.Case) string {
	return strconv.FormatInt(c.ID, 10) + ":" + string(c.Stage) + ":" + strconv.FormatInt(c.StageSince.UnixMicro(), 10)
}

func (j *Clock) remind(ctx context.Context, c *casework.Case, centers []string, now time.Time) (bool, error) {
	if c.StageSince == nil || c.DueAt == nil {
		return false, nil
	}
	users, err := j.actors(ctx, c, centers)
	if err != nil {
		return false, err
	}
	due := c.DueAt.In(workday.Shanghai()).Format(DeadlineFormat)
	m := Mark{CaseID: c.ID, Kind: NoteDueSoon, Stage: c.Stage, StageSince: *c.StageSince, At: now}
	ev := events.Event{Kind: events.CaseDueSoon, Object: "case", ObjectID: strconv.FormatInt(c.ID, 10), GridCode: c.GridCode,
		UnitCodes: caseUnits(c), UserIDs: users, Data: caseData(c, c.Stage, c.DueAt), At: now}
	return j.Store.RecordReminder(ctx, m, notes(users, NoteDueSoon, c.ID, stageKeys[c.Stage][0], "due_soon:"+occurrence(c), now, c.Number, due), ev)
}

func (j *Clock) overdue(ctx context.Context, c *casework.Case, centers []string, now time.Time) (done, escalated bool, err error) {
	if c.StageSince == nil || c.DueAt == nil {
		return false, false, nil
	}
	users, err := j.actors(ctx, c, centers)
	if err != nil {
		return false, false, err
	}
	stage, due := c.Stage, *c.DueAt
	dueText := due.In(workday.Shanghai()).Format(DeadlineFormat)
	keys := stageKeys[stage]
	occ := occurrence(c)
	id := strconv.FormatInt(c.ID, 10)
	w := OverdueWrite{Overdue: Mark{CaseID: c.ID, Kind: NoteOverdue, Stage: stage, StageSince: *c.StageSince, At: now}, Prev: c.Version}
	w.Notes = notes(users, NoteOverdue, c.ID, keys[1], "overdue:"+occ, now, c.Number, dueText)
	w.Events = append(w.Events, events.Event{Kind: events.CaseOverdue, Object: "case", ObjectID: id, GridCode: c.GridCode,
		UnitCodes: caseUnits(c), UserIDs: users, Data: caseData(c, stage, &due), At: now})
	from, above := casework.Responsible(c, centers)
	upper := ""
	if stage == casework.StageAccept || stage == casework.StageHandle {
		rules, err := j.Cases.Rules(ctx)
		if err != nil {
			return false, false, err
		}
		upper = casework.UpperUnit(rules, c)
	}
	if above != "" || upper != "" {
		clk, err := j.Cases.ClockFor(ctx, c, now)
		if err != nil {
			return false, false, err
		}
		var scopes, units []string
		if above != "" {
			scopes = []string{above}
		}
		if upper != "" {
			units = []string{upper}
		}
		up, err := j.Store.Users(ctx, scopes, units, nil)
		if err != nil {
			return false, false, err
		}
		w.Escalated = &Mark{CaseID: c.ID, Kind: NoteEscalated, Stage: stage, StageSince: *c.StageSince, At: now, ToScope: above, ToUnit: upper}
		w.Timeline = casework.AutoEscalate(c, from, above, upper, now, clk)
		w.Case = c
		w.Notes = append(w.Notes, notes(up, NoteEscalated, c.ID, keys[2], "escalated:"+occ, now, c.Number, dueText)...)
		data := caseData(c, stage, &due)
		data["to_scope"], data["escalated_from"], data["to_unit"] = above, from, upper
		w.Events = append(w.Events, events.Event{Kind: events.CaseEscalated, Object: "case", ObjectID: id, GridCode: c.GridCode,
			UnitCodes: caseUnits(c), UserIDs: up, Data: data, At: now})
	}
	ok, err := j.Store.RecordOverdue(ctx, w)
	if err != nil {
		return false, false, fmt.Errorf("overdue case %s: %w", c.Number, err)
	}
	return ok, ok && w.Escalated != nil, nil
}

// digests writes each unit's digest once per working day, from DigestAt on.
func (j *Clock) digests(ctx context.Context, now time.Time) (int, error) {
	cal, err := j.Cases.Calendar(ctx)
	if err != nil {
		return 0, err
	}
	day := workday.DateOf(now)
	at := j.DigestAt
	if at == 0 {
		at = 8 * time.Hour
	}
	if !cal.IsWorkingDay(day) || now.Before(day.Start().Add(at)) {
		return 0, nil
	}
	units, err := j.Store.DigestCounts(ctx, now)
	if err != nil {
		return 0, err
	}
	var all []Notification
	for _, u := range units {
		if u.New+u.Overdue+u.DueSoon == 0 {
			continue
		}
		all = append(all, notes(u.Users, NoteDigest, 0, msg.InboxDigest, "digest:"+day.String()+":"+u.Unit, now, u.New, u.Overdue, u.DueSoon)...)
	}
	if len(all) == 0 {
		return 0, nil
	}
	return j.Store.SaveNotifications(ctx, all)
}
