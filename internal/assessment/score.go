package assessment

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/gridd/gridd/internal/workday"
)

// Ref names one piece of evidence behind an item: a case number, a call id,
// a date, a grid, a survey or a finding.
type Ref struct {
	Kind string `json:"kind"` // case | call | day | grid | survey | finding
	ID   string `json:"id"`
	Date string `json:"date,omitempty"` // YYYY-MM-DD (calls: local time)
	Note string `json:"note,omitempty"`
	// NotePhrase is Note as a catalogue phrase (nil: Note is the user's own text).
	NotePhrase *Phrase `json:"note_phrase,omitempty"`
}

// Item is one line of the rubric applied to one worker. Points are signed:
// a deduction is negative, a bonus or a floor adjustment positive.
type Item struct {
	Key    string  `json:"key"`
	Name   string  `json:"name"`
	NameEN string  `json:"name_en"`
	Count  int     `json:"count"`
	Points float64 `json:"points"`
	Detail string  `json:"detail"` // the arithmetic, in English
	// Phrases are Detail's sentences as catalogue phrases, rendered in the
	// reader's language by the HTTP layer.
	Phrases  []Phrase `json:"phrases,omitempty"`
	Evidence []Ref    `json:"evidence"`
}

// Block is one of the rubric's four blocks. Score = Max + Σ Items.Points
// (the floor, when reached, is an item of its own; so is the bonus).
type Block struct {
	Key    string  `json:"key"`
	Name   string  `json:"name"`
	NameEN string  `json:"name_en"`
	Max    float64 `json:"max"`
	Score  float64 `json:"score"`
	Items  []Item  `json:"items"`
}

// Figures are the raw figures of a worker's month.
type Figures struct {
	DaysAssessed   int      `json:"days_assessed"`
	ShortDays      int      `json:"short_days"`
	MinCoverage    *float64 `json:"min_coverage"`
	Calls          int      `json:"calls"`
	Unanswered     int      `json:"unanswered_calls"`
	SurveyRate     *float64 `json:"survey_rate"`
	Points         float64  `json:"work_order_points"`
	Orders         int      `json:"work_orders"`
	OrdersPassed   int      `json:"work_orders_passed"`
	OrdersRejected int      `json:"work_orders_rejected"`
	OrdersPending  int      `json:"work_orders_pending"`
	PassRate       *float64 `json:"pass_rate"`
	Missed         int      `json:"missed_problems"`
	VisitCoverage  *float64 `json:"visit_coverage"`
}

// Result is one worker's month.
type Result struct {
	Worker      Worker   `json:"worker"`
	Total       float64  `json:"total"`
	Bonus       float64  `json:"bonus"`
	Vetoed      bool     `json:"vetoed"`
	PayEligible bool     `json:"pay_eligible"`
	Qualified   bool     `json:"qualified"`
	Blocks      []Block  `json:"blocks"`
	Figures     Figures  `json:"figures"`
	Missing     []string `json:"missing_evidence"`
	// Set by Annotate.
	Rank         int      `json:"rank"`          // in the street; vetoed months rank last
	StreetSize   int      `json:"street_size"`   // workers ranked in the street
	Last         bool     `json:"last"`          // last place in the street (of more than one rank)
	Quarter      *Quarter `json:"quarter"`       // quarterly grade so far
	Flags        []string `json:"flags"`         // last_place_two_months, unqualified_three_months
	FlagsDetails []string `json:"flags_details"` // the months behind each flag
	FlagPhrases  []Phrase `json:"flag_phrases,omitempty"`
}

// Flags of a result.
const (
	FlagLastTwoMonths          = "last_place_two_months"    // written explanation and interview
	FlagUnqualifiedThreeMonths = "unqualified_three_months" // dismissal review
)

// Block keys, in rubric order.
const (
	BlockAttendance  = "attendance"
	BlockMassWork    = "mass_work"
	BlockInformation = "information"
	BlockBacktrace   = "backtrace"
)

// Score computes every worker's result from the evidence. It is pure and
// deterministic: the evidence is sorted first, so its order does not
// matter, and results come sorted by worker username then id.
func Score(r *Rubric, ev *Evidence) []*Result {
	ev = sortEvidence(ev)
	byWorker := func() map[int64]*bucket {
		m := map[int64]*bucket{}
		for _, w := range ev.Workers {
			m[w.ID] = &bucket{findings: map[FindingKind][]Finding{}}
		}
		return m
	}()
	for _, p := range ev.Patrols {
		if b := byWorker[p.WorkerID]; b != nil {
			b.patrols = append(b.patrols, p)
		}
	}
	for _, d := range ev.ShortDays {
		if b := byWorker[d.WorkerID]; b != nil {
			b.short = append(b.short, d)
		}
	}
	for _, a := range ev.Absences {
		if b := byWorker[a.WorkerID]; b != nil {
			if b.absent == nil {
				b.absent = map[string]Absence{}
			}
			if prev, ok := b.absent[a.Date]; !ok || prev.Kind == "rest" {
				b.absent[a.Date] = a // leave wins over rest on the same day
			}
		}
	}
	nonWorking := map[string]bool{}
	for _, d := range ev.NonWorkingDays {
		nonWorking[d] = true
	}
	for _, b := range byWorker {
		b.nonWorking = nonWorking
	}
	for _, c := range ev.Calls {
		if b := byWorker[c.WorkerID]; b != nil {
			b.calls = append(b.calls, c)
		}
	}
	for _, s := range ev.Surveys {
		if b := byWorker[s.WorkerID]; b != nil {
			b.surveys = append(b.surveys, s)
		}
	}
	for _, f := range ev.Findings {
		if b := byWorker[f.WorkerID]; b != nil {
			b.findings[f.Kind] = append(b.findingsOf(f.Kind), f)
		}
	}
	for _, o := range ev.WorkOrders {
		if b := byWorker[o.WorkerID]; b != nil {
			b.orders = append(b.orders, o)
		}
	}
	for _, m := range ev.Missed {
		if b := byWorker[m.WorkerID]; b != nil {
			b.missed = append(b.missed, m)
		}
	}
	for i := range ev.Visits {
		if b := byWorker[ev.Visits[i].WorkerID]; b != nil {
			b.visits = &ev.Visits[i]
		}
	}
	out := make([]*Result, 0, len(ev.Workers))
	for _, w := range ev.Workers {
		out = append(out, scoreWorker(r, w, byWorker[w.ID]))
	}
	return out
}

type bucket struct {
	patrols  []PatrolMonth
	short    []ShortDay
	calls    []Call
	surveys  []Survey
	findings map[FindingKind][]Finding
	orders   []WorkOrder
	missed   []Missed
	visits   *VisitCoverage
	// absent are the approved leave and rest days by date; nonWorking the
	// calendar's days off.
	absent     map[string]Absence
	nonWorking map[string]bool
}

// excused says why the short day d (patrolled hours) is not counted
// under rule counted, as a note ("" and nil when it counts).
func (b *bucket) excused(counted, d, hours string) (string, *Phrase) {
	if a, ok := b.absent[d]; ok && a.Kind == "leave" {
		return notePhrase("assessment.note.excused.leave", hours, strconv.FormatInt(a.LeaveID, 10))
	}
	switch counted {
	case CountWorkingDays:
		if b.nonWorking[d] {
			return notePhrase("assessment.note.excused.day_off", hours)
		}
	case CountRosteredDays:
		if a, ok := b.absent[d]; ok && a.Kind == "rest" {
			return notePhrase("assessment.note.excused.rest", hours, strconv.FormatInt(a.LeaveID, 10))
		}
	}
	return "", nil
}

func (b *bucket) findingsOf(k FindingKind) []Finding { return b.findings[k] }

func scoreWorker(r *Rubric, w Worker, b *bucket) *Result {
	res := &Result{Worker: w, Missing: []string{}, Flags: []string{}, FlagsDetails: []string{}}
	res.Blocks = []Block{
		attendance(r, b, res),
		massWork(r, b, res),
		information(r, b, res),
		backtrace(r, b, res),
	}
	for _, bl := range res.Blocks {
		res.Total += bl.Score
	}
	res.Total = round2(res.Total)
	res.PayEligible = !res.Vetoed && res.PayEligible
	res.Qualified = !res.Vetoed && res.Total >= r.QualifiedMin
	return res
}

func attendance(r *Rubric, b *bucket, res *Result) Block {
	a := r.Attendance
	cov := Item{Key: "coverage", Name: "巡查覆盖范围不足", NameEN: "Monthly patrol coverage below the rule", Evidence: []Ref{}}
	short := Item{Key: "short_days", Name: "每日巡查时间不足", NameEN: "Days patrolled under the daily minimum", Evidence: []Ref{}}
	excused := Item{Key: "excused_days", Name: "不计考勤的日期（请假、休息日、非工作日）", NameEN: "Short days not counted (leave, rest days, days off)", Evidence: []Ref{}}
	if len(b.patrols) == 0 {
		res.Missing = append(res.Missing, "patrol")
		cov.say("assessment.not_scored.patrol")
		short.say("assessment.not_scored.patrol")
	} else {
		var low []Ref
		minCov := math.Inf(1)
		for _, p := range b.patrols {
			minCov = math.Min(minCov, p.Coverage)
			res.Figures.DaysAssessed = max(res.Figures.DaysAssessed, p.Days)
			if !p.CoverageMet {
				ref := Ref{Kind: "grid", ID: p.GridCode}
				ref.Note, ref.NotePhrase = notePhrase("assessment.note.coverage", f1(p.Coverage*100))
				low = append(low, ref)
			}
		}
		mc := round4(minCov)
		res.Figures.MinCoverage = &mc
		if len(low) > 0 {
			cov.Count = len(low)
			cov.Points = -a.CoverageShortfall
			cov.Evidence = low
			cov.say("assessment.coverage.low", itoa(len(low)), num(a.CoverageShortfall))
		} else {
			cov.say("assessment.coverage.met")
		}
		counted := a.CountedDays
		if counted == "" {
			counted = CountAllDays
		}
		for _, d := range b.short {
			hours := f1(d.PatrolSeconds / 3600)
			ref := Ref{Kind: "day", ID: d.Date, Date: d.Date}
			if note, p := b.excused(counted, d.Date, hours); p != nil {
				ref.Note, ref.NotePhrase = note, p
				excused.Evidence = append(excused.Evidence, ref)
				continue
			}
			ref.Note, ref.NotePhrase = notePhrase("assessment.note.hours", hours)
			short.Evidence = append(short.Evidence, ref)
		}
		short.Count = len(short.Evidence)
		short.Points = -float64(short.Count) * a.ShortDay
		short.say("assessment.short_days", itoa(short.Count), num(a.ShortDay))
		excused.Count = len(excused.Evidence)
		excused.say("assessment.excused_days", itoa(excused.Count), "@counted."+counted)
		res.Figures.ShortDays = short.Count
	}
	calls := Item{Key: "unanswered_calls", Name: "电话督查未接听", NameEN: "Unanswered supervisory calls", Evidence: []Ref{}}
	for _, c := range b.calls {
		res.Figures.Calls++
		if c.Answered {
			continue
		}
		calls.Count++
		at := c.At.In(workday.Shanghai())
		calls.Evidence = append(calls.Evidence, Ref{Kind: "call", ID: strconv.FormatInt(c.ID, 10), Date: at.Format("2006-01-02 15:04"), Note: c.Note})
	}
	res.Figures.Unanswered = calls.Count
	calls.Points = -float64(calls.Count) * a.UnansweredCall
	calls.say("assessment.calls", itoa(calls.Count), itoa(res.Figures.Calls), num(a.UnansweredCall))
	return finish(BlockAttendance, "出勤率", "Attendance", a.Max, a.Floor, []Item{cov, short, excused, calls}, nil)
}

func massWork(r *Rubric, b *bucket, res *Result) Block {
	m := r.MassWork
	items := []Item{
		countItem("unfamiliar", "应知应会不熟悉", "Unfamiliar with own duties or grid facts", b.findingsOf(FindingUnfamiliar), m.Unfamiliar),
	}
	survey := Item{Key: "survey", Name: "群众满意度低于标准", NameEN: "Household satisfaction below the minimum", Evidence: []Ref{}}
	households, satisfied := 0, 0
	for _, s := range b.surveys {
		households += s.Households
		satisfied += s.Satisfied
		ref := Ref{Kind: "survey", ID: strconv.FormatInt(s.ID, 10), Date: s.Date}
		ref.Note, ref.NotePhrase = notePhrase("assessment.note.satisfied", itoa(s.Satisfied), itoa(s.Households))
		survey.Evidence = append(survey.Evidence, ref)
	}
	switch {
	case households == 0:
		survey.say("assessment.not_scored.survey")
	default:
		rate := round4(float64(satisfied) / float64(households))
		res.Figures.SurveyRate = &rate
		survey.say("assessment.survey", itoa(satisfied), itoa(households), f1(rate*100), f0(m.SurveyMinRate*100))
		if households < m.SurveyHouseholds {
			survey.say("assessment.survey.small", itoa(m.SurveyHouseholds))
		}
		if rate < m.SurveyMinRate {
			survey.Count = 1
			survey.Points = -m.SurveyDeduction
			survey.say("assessment.deduct", num(m.SurveyDeduction))
		}
	}
	items = append(items, survey,
		countItem("unresolved_requests", "群众诉求未落实解决", "Unresolved requests", b.findingsOf(FindingUnresolved), m.UnresolvedRequest),
		countItem("unresolved_serious", "诉求未解决造成极坏影响", "Unresolved requests with serious impact", b.findingsOf(FindingUnresolvedSerious), m.UnresolvedSerious))
	if m.VisitShortfall > 0 {
		items = append(items, visitItem(m, b.visits, res))
	}
	return finish(BlockMassWork, "群众工作", "Mass work", m.Max, m.Floor, items, nil)
}

// visitItem: the share of the targets the worker answered for that it
// visited on site in the month, against the rubric's minimum.
func visitItem(m MassWorkRules, v *VisitCoverage, res *Result) Item {
	it := Item{Key: "visit_coverage", Name: "包户走访未全覆盖", NameEN: "Assigned households not all visited", Evidence: []Ref{}}
	if v == nil || v.Assigned == 0 {
		it.say("assessment.not_scored.visits")
		return it
	}
	rate := round4(float64(v.Visited) / float64(v.Assigned))
	res.Figures.VisitCoverage = &rate
	it.say("assessment.visits", itoa(v.Visited), itoa(v.Assigned), f1(rate*100), f0(m.VisitCoverageMin*100))
	if rate < m.VisitCoverageMin {
		it.Count = v.Assigned - v.Visited
		it.Points = -m.VisitShortfall
		it.Evidence = append(it.Evidence, v.Unvisited...)
		it.say("assessment.deduct", num(m.VisitShortfall))
	}
	return it
}

func information(r *Rubric, b *bucket, res *Result) Block {
	in := r.Information
	points := 0.0
	below := Item{Key: "points_below_min", Name: "工单得分不足", NameEN: "Work-order points below the minimum", Evidence: []Ref{}}
	pass := Item{Key: "pass_rate", Name: "工单合格率不足", NameEN: "Work-order pass rate below the minimum", Evidence: []Ref{}}
	var passed []Ref
	for _, o := range b.orders {
		res.Figures.Orders++
		ref := Ref{Kind: "case", ID: o.CaseNumber, Date: o.ReportedAt.In(workday.Shanghai()).Format("2006-01-02")}
		switch {
		case o.Qualified == nil:
			res.Figures.OrdersPending++
		case *o.Qualified:
			res.Figures.OrdersPassed++
			points += o.Points
			ref.Note, ref.NotePhrase = notePhrase("assessment.note.points", num(o.Points))
			passed = append(passed, ref)
		default:
			res.Figures.OrdersRejected++
			ref.Note, ref.NotePhrase = notePhrase("assessment.note.rejected")
			pass.Evidence = append(pass.Evidence, ref)
		}
	}
	points = round2(points)
	res.Figures.Points = points
	res.PayEligible = true
	below.Evidence = append(below.Evidence, passed...)
	if points < in.MinPoints {
		below.Count = 1
		below.Points = -in.BelowMinDeduction
		below.say("assessment.points.below", num(points), itoa(len(passed)), num(in.MinPoints), num(in.BelowMinDeduction))
		if in.BelowMinNoPay {
			res.PayEligible = false
			below.say("assessment.points.no_pay")
		}
	} else {
		below.say("assessment.points.enough", num(points), itoa(len(passed)), num(in.MinPoints))
	}
	late := countItem("late_report", "信息上报不及时贻误工作", "Late report that delayed work", b.findingsOf(FindingLateReport), in.LateReport)
	if late.Count > 0 && in.LateReportVeto {
		res.Vetoed = true
		late.say("assessment.vetoed")
	}
	reviewed := res.Figures.OrdersPassed + res.Figures.OrdersRejected
	if reviewed == 0 {
		pass.say("assessment.not_scored.orders")
	} else {
		rate := round4(float64(res.Figures.OrdersPassed) / float64(reviewed))
		res.Figures.PassRate = &rate
		pass.say("assessment.pass_rate", itoa(res.Figures.OrdersPassed), itoa(reviewed), f1(rate*100), f0(in.PassRateMin*100))
		if rate < in.PassRateMin {
			pass.Count = 1
			pass.Points = -in.PassRateDeduction
			pass.say("assessment.deduct", num(in.PassRateDeduction))
		}
	}
	bonus := Item{Key: "bonus", Name: "工单得分加分", NameEN: "Work-order points bonus", Evidence: []Ref{}}
	for _, t := range in.Bonus {
		if points > t.Above {
			bonus.Points = t.Bonus
			bonus.Count = 1
			bonus.Detail, bonus.Phrases = "", nil
			bonus.say("assessment.bonus", num(points), num(t.Above), num(t.Bonus))
		}
	}
	if bonus.Count == 0 {
		bonus.say("assessment.bonus.none", num(points))
	}
	res.Bonus = bonus.Points
	return finish(BlockInformation, "信息采集数量和质量", "Information collection", in.Max, in.Floor, []Item{below, late, pass}, &bonus)
}

func backtrace(r *Rubric, b *bucket, res *Result) Block {
	bt := r.Backtrace
	insp := countItem("inspector_findings", "暗访发现长期未上报问题", "Long-standing unreported problems found by inspectors", b.findingsOf(FindingInspector), bt.InspectorFinding)
	missed := Item{Key: "missed_problems", Name: "群众举报经核实而网格员未上报", NameEN: "Verified problems from other sources the worker never reported", Evidence: []Ref{}}
	for _, m := range b.missed {
		c := bt.Coefficient(m.Category)
		missed.Count++
		missed.Points -= c
		ref := Ref{Kind: "case", ID: m.CaseNumber, Date: m.ReportedAt.In(workday.Shanghai()).Format("2006-01-02")}
		ref.Note, ref.NotePhrase = notePhrase("assessment.note.missed", "@source."+string(m.Source), string(m.Category), num(c))
		missed.Evidence = append(missed.Evidence, ref)
	}
	missed.Points = round2(missed.Points)
	res.Figures.Missed = missed.Count
	missed.say("assessment.missed", itoa(missed.Count), num(-missed.Points), num(bt.RadiusM), itoa(bt.WindowDays))
	return finish(BlockBacktrace, "倒追考核", "Backward tracing", bt.Max, bt.Floor, []Item{insp, missed}, nil)
}

// countItem deducts per finding.
func countItem(key, name, nameEN string, fs []Finding, each float64) Item {
	it := Item{Key: key, Name: name, NameEN: nameEN, Count: len(fs), Points: round2(-float64(len(fs)) * each), Evidence: []Ref{}}
	for _, f := range fs {
		ref := Ref{Kind: "finding", ID: strconv.FormatInt(f.ID, 10), Date: f.Date, Note: f.Note}
		if f.CaseNumber != "" {
			ref.Note, ref.NotePhrase = notePhrase("assessment.note.case_finding", f.CaseNumber, f.Note)
		}
		it.Evidence = append(it.Evidence, ref)
	}
	it.say("assessment.per_finding", itoa(len(fs)), num(each))
	return it
}

// finish adds the floor adjustment (when the deductions go below the
// floor) and the bonus, and sums the block.
func finish(key, name, nameEN string, maxPts, floor float64, items []Item, bonus *Item) Block {
	b := Block{Key: key, Name: name, NameEN: nameEN, Max: maxPts, Items: items}
	raw := maxPts
	for i := range b.Items {
		b.Items[i].Points = round2(b.Items[i].Points)
		raw += b.Items[i].Points
	}
	raw = round2(raw)
	if raw < floor {
		fl := Item{Key: "floor", Name: "扣分保底", NameEN: "Block floor", Count: 1, Points: round2(floor - raw), Evidence: []Ref{}}
		fl.say("assessment.floor", num(raw), num(floor))
		b.Items = append(b.Items, fl)
		raw = floor
	}
	if bonus != nil {
		b.Items = append(b.Items, *bonus)
		raw += bonus.Points
	}
	b.Score = round2(raw)
	return b
}

func sortEvidence(ev *Evidence) *Evidence {
	c := *ev
	c.Workers = slices.Clone(ev.Workers)
	slices.SortFunc(c.Workers, func(a, b Worker) int {
		return cmp.Or(cmp.Compare(a.Username, b.Username), cmp.Compare(a.ID, b.ID))
	})
	for i := range c.Workers {
		c.Workers[i].Grids = slices.Clone(c.Workers[i].Grids)
		slices.Sort(c.Workers[i].Grids)
	}
	c.Patrols = slices.Clone(ev.Patrols)
	slices.SortFunc(c.Patrols, func(a, b PatrolMonth) int {
		return cmp.Or(cmp.Compare(a.WorkerID, b.WorkerID), cmp.Compare(a.GridCode, b.GridCode))
	})
	c.ShortDays = slices.Clone(ev.ShortDays)
	slices.SortFunc(c.ShortDays, func(a, b ShortDay) int {
		return cmp.Or(cmp.Compare(a.WorkerID, b.WorkerID), cmp.Compare(a.Date, b.Date))
	})
	c.Calls = slices.Clone(ev.Calls)
	slices.SortFunc(c.Calls, func(a, b Call) int {
		return cmp.Or(cmp.Compare(a.WorkerID, b.WorkerID), a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	c.Surveys = slices.Clone(ev.Surveys)
	slices.SortFunc(c.Surveys, func(a, b Survey) int {
		return cmp.Or(cmp.Compare(a.WorkerID, b.WorkerID), cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	c.Findings = slices.Clone(ev.Findings)
	slices.SortFunc(c.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.WorkerID, b.WorkerID), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	c.Visits = slices.Clone(ev.Visits)
	slices.SortFunc(c.Visits, func(a, b VisitCoverage) int { return cmp.Compare(a.WorkerID, b.WorkerID) })
	c.WorkOrders = slices.Clone(ev.WorkOrders)
	slices.SortFunc(c.WorkOrders, func(a, b WorkOrder) int {
		return cmp.Or(cmp.Compare(a.WorkerID, b.WorkerID), cmp.Compare(a.CaseNumber, b.CaseNumber))
	})
	c.Missed = slices.Clone(ev.Missed)
	slices.SortFunc(c.Missed, func(a, b Missed) int {
		return cmp.Or(cmp.Compare(a.WorkerID, b.WorkerID), cmp.Compare(a.CaseNumber, b.CaseNumber))
	})
	return &c
}

// round2 rounds to cents of a point; never −0 (it would print as "-0").
func round2(v float64) float64 {
	r := math.Round(v*100) / 100
	if r == 0 {
		return 0
	}
	return r
}
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

// num formats points without trailing zeros.
func num(v float64) string { return strconv.FormatFloat(round2(v), 'f', -1, 64) }

// MonthStart returns the first instant of month (YYYY-MM) in Asia/Shanghai.
func MonthStart(month string) (time.Time, error) {
	return time.ParseInLocation("2006-01", month, workday.Shanghai())
}
