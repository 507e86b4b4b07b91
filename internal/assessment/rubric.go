// Package assessment is the grid workers' monthly assessment (月考核,
// REQUIREMENTS §5, P5 §六.(一)): a 100-point rubric kept as versioned
// configuration, and a pure scoring engine that turns the month's evidence
// (patrol results, supervisory calls, surveys, spot-check and inspector
// findings, work orders and the backward-tracing join over cases) into a
// score per worker, explained item by item with the evidence ids behind
// every point. It knows nothing of HTTP or SQL: Store is what it needs.
//
// Months are calendar months in Asia/Shanghai. Where the plan leaves room,
// these are the readings implemented (each configurable where it is a number):
//   - work orders (工单) are the worker's own app reports of the month; one
//     counts as qualified (合格) when the center accepted it (立案) or it was
//     resolved on site, as not qualified when rejected (退回), and not at all
//     while waiting for review or when merged as a duplicate; the pass rate
//     is qualified ÷ (qualified + rejected), unscored with no reviewed order;
//   - the bonus tiers are not cumulative (the highest reached applies) and
//     come on top of the information block's maximum, after its floor;
//   - a vetoed month (一票否决) keeps its computed total for explanation but
//     is unqualified, without performance pay, ranked last in its street,
//     and makes the quarter's grade the lowest;
//   - backward tracing counts a case from the configured sources that the
//     center accepted (verified), in a grid the worker held on the report's
//     day, with no own app report of the same small class within RadiusM in
//     the WindowDays before it; each costs its category's coefficient;
//   - a worker without stored patrol results is not scored on the patrol
//     items and the result lists "patrol" as missing evidence.
package assessment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/gridd/gridd/internal/errs"
)

// Rubric is the scoring configuration. Deductions and bonuses are written
// as positive numbers of points; the engine subtracts deductions. Every
// block's score is floored at its Floor (0 unless configured); the
// information block's bonus is added after the floor, on top of its Max
// ("above the block's 40", as the plan says).
type Rubric struct {
	// Version names this configuration; it is stored with each month's
	// results, so a result can always be explained by the rubric it used.
	Version     string           `json:"version"`
	Attendance  AttendanceRules  `json:"attendance"`
	MassWork    MassWorkRules    `json:"mass_work"`
	Information InformationRules `json:"information"`
	Backtrace   BacktraceRules   `json:"backtrace"`
	// QualifiedMin is the monthly total from which a month counts as
	// qualified (合格); a vetoed month is never qualified. Three unqualified
	// months running raise the dismissal-review flag.
	QualifiedMin float64 `json:"qualified_min"`
	// Grades are the quarterly grades, best first, each with the lowest
	// mean monthly total that earns it; the last grade takes the rest.
	Grades []Grade `json:"grades"`
}

// Grade is one quarterly grade (优秀/合格/基本合格/不合格).
type Grade struct {
	Name   string  `json:"name"`
	NameEN string  `json:"name_en"`
	Min    float64 `json:"min"`
}

// AttendanceRules: 出勤率 (20).
type AttendanceRules struct {
	Max   float64 `json:"max"`
	Floor float64 `json:"floor"`
	// CoverageShortfall is deducted once when the month's coverage of any
	// of the worker's grids is below the patrol rule (覆盖范围不足).
	CoverageShortfall float64 `json:"coverage_shortfall"`
	// ShortDay is deducted for each assessed day with less than the daily
	// patrol minimum (每日巡查时间低于2小时).
	ShortDay float64 `json:"short_day"`
	// UnansweredCall is deducted for each unanswered supervisory call.
	UnansweredCall float64 `json:"unanswered_call"`
	// CountedDays says which days the daily patrol minimum counts on:
	// "all" (every calendar day, holidays included: P5 六(一)1; "" reads
	// as all), "working" (the working-day calendar's days) or "rostered"
	// (every day but the worker's recorded rest days). A day of approved
	// leave is never counted.
	CountedDays string `json:"counted_days,omitempty"`
}

// The values of AttendanceRules.CountedDays.
const (
	CountAllDays      = "all"
	CountWorkingDays  = "working"
	CountRosteredDays = "rostered"
)

// MassWorkRules: 群众工作 (20).
type MassWorkRules struct {
	Max   float64 `json:"max"`
	Floor float64 `json:"floor"`
	// Unfamiliar is deducted per finding of unfamiliarity with own duties
	// or grid facts (不熟悉, per spot check).
	Unfamiliar float64 `json:"unfamiliar"`
	// SurveyHouseholds is the sample the plan asks for (20 households);
	// a survey of fewer is still counted and the item notes it.
	SurveyHouseholds int     `json:"survey_households"`
	SurveyMinRate    float64 `json:"survey_min_rate"`  // 0.60
	SurveyDeduction  float64 `json:"survey_deduction"` // 3
	// UnresolvedRequest per request not resolved; UnresolvedSerious instead
	// of it for one whose non-resolution had serious impact.
	UnresolvedRequest float64 `json:"unresolved_request"`
	UnresolvedSerious float64 `json:"unresolved_serious"`
	// VisitShortfall is deducted once when the share of the households,
	// businesses and places a worker answered for that it visited on site
	// in the month (包户走访, internal/visits) is below VisitCoverageMin.
	// 0 leaves the item out of the block.
	VisitCoverageMin float64 `json:"visit_coverage_min,omitempty"`
	VisitShortfall   float64 `json:"visit_shortfall,omitempty"`
}

// InformationRules: 信息采集数量和质量 (40).
type InformationRules struct {
	Max   float64 `json:"max"`
	Floor float64 `json:"floor"`
	// Points below MinPoints cost BelowMinDeduction and, when
	// BelowMinNoPay, the month's performance pay.
	MinPoints         float64 `json:"min_points"`
	BelowMinDeduction float64 `json:"below_min_deduction"`
	BelowMinNoPay     bool    `json:"below_min_no_pay"`
	// Bonus tiers: the highest tier whose Above the points exceed applies
	// (not cumulative).
	Bonus []BonusTier `json:"bonus"`
	// LateReport is deducted per late report that delayed work; with
	// LateReportVeto the month is vetoed (一票否决).
	LateReport     float64 `json:"late_report"`
	LateReportVeto bool    `json:"late_report_veto"`
	// A pass rate (qualified ÷ reviewed work orders) below PassRateMin
	// costs PassRateDeduction; no reviewed order, no deduction.
	PassRateMin       float64 `json:"pass_rate_min"`
	PassRateDeduction float64 `json:"pass_rate_deduction"`
}

// BonusTier adds Bonus when the month's points are strictly above Above.
type BonusTier struct {
	Above float64 `json:"above"`
	Bonus float64 `json:"bonus"`
}

// BacktraceRules: 倒追考核 (20).
type BacktraceRules struct {
	Max   float64 `json:"max"`
	Floor float64 `json:"floor"`
	// InspectorFinding per long-standing unreported problem an inspector
	// found (暗访巡查).
	InspectorFinding float64 `json:"inspector_finding"`
	// A verified case from one of Sources inside the worker's grid with no
	// own report of the same category within RadiusM in the WindowDays
	// before counts as missed and costs its category's coefficient.
	Sources            []string           `json:"sources"`
	RadiusM            float64            `json:"radius_m"`
	WindowDays         int                `json:"window_days"`
	DefaultCoefficient float64            `json:"default_coefficient"`
	Coefficients       map[string]float64 `json:"coefficients"` // small or big class code → coefficient
}

// BacktraceSources are the report channels the backward tracing may use.
var BacktraceSources = []string{"hotline_12345", "wechat", "online", "public", "video", "inspector"}

// DefaultRubric is the plan's rubric (P5 §六.(一)) with the plans' grades
// (P1): 优秀 ≥ 90, 合格 ≥ 75, 基本合格 ≥ 60, else 不合格.
func DefaultRubric() *Rubric {
	return &Rubric{
		Version:    "p5-2026.1",
		Attendance: AttendanceRules{Max: 20, CoverageShortfall: 5, ShortDay: 0.5, UnansweredCall: 0.5},
		MassWork: MassWorkRules{Max: 20, Unfamiliar: 2, SurveyHouseholds: 20, SurveyMinRate: 0.60, SurveyDeduction: 3,
			UnresolvedRequest: 2, UnresolvedSerious: 10, VisitCoverageMin: 1, VisitShortfall: 2},
		Information: InformationRules{Max: 40, MinPoints: 150, BelowMinDeduction: 10, BelowMinNoPay: true,
			Bonus:      []BonusTier{{Above: 170, Bonus: 2}, {Above: 200, Bonus: 3}, {Above: 250, Bonus: 5}},
			LateReport: 10, LateReportVeto: true, PassRateMin: 0.80, PassRateDeduction: 5},
		Backtrace: BacktraceRules{Max: 20, InspectorFinding: 10,
			Sources: []string{"hotline_12345", "wechat", "online", "public"}, RadiusM: 100, WindowDays: 30,
			DefaultCoefficient: 1,
			// Illegal building, work safety and environment weigh most (P5 §六.(一).4).
			Coefficients: map[string]float64{"02": 2, "03": 2, "05": 2}},
		QualifiedMin: 60,
		Grades: []Grade{{Name: "优秀", NameEN: "excellent", Min: 90}, {Name: "合格", NameEN: "qualified", Min: 75},
			{Name: "基本合格", NameEN: "basically qualified", Min: 60}, {Name: "不合格", NameEN: "unqualified", Min: 0}},
	}
}

var (
	versionRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	categoryRe = regexp.MustCompile(`^[0-9]{2}([0-9]{2})?$`)
)

// ParseRubric decodes a rubric JSON document (unknown fields refused) and validates it.
func ParseRubric(b []byte) (*Rubric, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Rubric
	if err := dec.Decode(&r); err != nil {
		return nil, errs.Invalidf("rubric", "invalid_json", "%v", err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate checks every field and names each bad one.
func (r *Rubric) Validate() error {
	var bad []errs.Field
	add := func(field, reason, detail string) {
		bad = append(bad, errs.Field{Field: field, Reason: reason, Detail: detail})
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	max := func(field string, v float64) {
		if !finite(v) || v <= 0 || v > 100 {
			add(field, "invalid_max", "want a block maximum above 0 and at most 100")
		}
	}
	floor := func(field string, v float64) {
		if !finite(v) || v > 0 || v < -100 {
			add(field, "invalid_floor", "want a floor from -100 to 0 (0: a block never goes below 0)")
		}
	}
	points := func(field string, v float64) {
		if !finite(v) || v < 0 || v > 100 {
			add(field, "invalid_points", "want points from 0 to 100 (deductions are written as positive numbers)")
		}
	}
	rate := func(field string, v float64) {
		if !finite(v) || v < 0 || v > 1 {
			add(field, "invalid_rate", "want a share from 0 to 1 (0.6 = 60%)")
		}
	}
	if !versionRe.MatchString(r.Version) {
		add("version", "invalid_version", "want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	a := r.Attendance
	max("attendance.max", a.Max)
	floor("attendance.floor", a.Floor)
	points("attendance.coverage_shortfall", a.CoverageShortfall)
	points("attendance.short_day", a.ShortDay)
	points("attendance.unanswered_call", a.UnansweredCall)
	switch a.CountedDays {
	case "", CountAllDays, CountWorkingDays, CountRosteredDays:
	default:
		add("attendance.counted_days", "invalid_counted_days", "want all, working or rostered")
	}
	m := r.MassWork
	max("mass_work.max", m.Max)
	floor("mass_work.floor", m.Floor)
	points("mass_work.unfamiliar", m.Unfamiliar)
	if m.SurveyHouseholds < 1 || m.SurveyHouseholds > 1000 {
		add("mass_work.survey_households", "invalid_count", "want 1 to 1000 households")
	}
	rate("mass_work.survey_min_rate", m.SurveyMinRate)
	points("mass_work.survey_deduction", m.SurveyDeduction)
	points("mass_work.unresolved_request", m.UnresolvedRequest)
	points("mass_work.unresolved_serious", m.UnresolvedSerious)
	rate("mass_work.visit_coverage_min", m.VisitCoverageMin)
	points("mass_work.visit_shortfall", m.VisitShortfall)
	in := r.Information
	max("information.max", in.Max)
	floor("information.floor", in.Floor)
	if !finite(in.MinPoints) || in.MinPoints < 0 || in.MinPoints > 100000 {
		add("information.min_points", "invalid_points", "want 0 to 100000 work-order points")
	}
	points("information.below_min_deduction", in.BelowMinDeduction)
	for i, t := range in.Bonus {
		f := fmt.Sprintf("information.bonus[%d]", i)
		if !finite(t.Above) || t.Above < 0 || t.Above > 100000 {
			add(f+".above", "invalid_points", "want 0 to 100000 work-order points")
		}
		points(f+".bonus", t.Bonus)
		if i > 0 && !(t.Above > in.Bonus[i-1].Above && t.Bonus >= in.Bonus[i-1].Bonus) {
			add(f, "tiers_out_of_order", "list tiers by increasing 'above', each bonus at least the previous one")
		}
	}
	points("information.late_report", in.LateReport)
	rate("information.pass_rate_min", in.PassRateMin)
	points("information.pass_rate_deduction", in.PassRateDeduction)
	b := r.Backtrace
	max("backtrace.max", b.Max)
	floor("backtrace.floor", b.Floor)
	points("backtrace.inspector_finding", b.InspectorFinding)
	if len(b.Sources) == 0 {
		add("backtrace.sources", "sources_required", "want at least one of "+strings.Join(BacktraceSources, ", "))
	}
	for i, s := range b.Sources {
		if !slices.Contains(BacktraceSources, s) {
			add(fmt.Sprintf("backtrace.sources[%d]", i), "invalid_source", "want one of "+strings.Join(BacktraceSources, ", ")+"; got "+s)
		}
	}
	if !finite(b.RadiusM) || b.RadiusM <= 0 || b.RadiusM > 5000 {
		add("backtrace.radius_m", "invalid_radius", "want a radius above 0 and at most 5000 metres")
	}
	if b.WindowDays < 1 || b.WindowDays > 366 {
		add("backtrace.window_days", "invalid_window", "want 1 to 366 days")
	}
	points("backtrace.default_coefficient", b.DefaultCoefficient)
	for _, code := range sortedKeys(b.Coefficients) {
		f := "backtrace.coefficients." + code
		if !categoryRe.MatchString(code) {
			add(f, "invalid_category", "want a big (NN) or small (NNMM) category code")
		}
		points(f, b.Coefficients[code])
	}
	if !finite(r.QualifiedMin) || r.QualifiedMin < 0 || r.QualifiedMin > 200 {
		add("qualified_min", "invalid_points", "want 0 to 200")
	}
	if len(r.Grades) < 2 {
		add("grades", "grades_required", "want at least two grades, best first (优秀, 合格, 基本合格, 不合格)")
	}
	for i, g := range r.Grades {
		f := fmt.Sprintf("grades[%d]", i)
		if strings.TrimSpace(g.Name) == "" {
			add(f+".name", "name_required", "name the grade")
		}
		if !finite(g.Min) || g.Min < 0 || g.Min > 200 {
			add(f+".min", "invalid_points", "want 0 to 200")
		}
		if i > 0 && g.Min >= r.Grades[i-1].Min {
			add(f+".min", "grades_out_of_order", "list grades best first, each min below the previous one")
		}
	}
	if len(bad) > 0 {
		e := errs.E(errs.Invalid, "invalid_rubric", "rubric: %d fields are invalid (first %s: %s)", len(bad), bad[0].Field, bad[0].Detail)
		e.Fields = bad
		return e
	}
	return nil
}

// Coefficient returns the backward-tracing coefficient of a category: its
// small class's, else its big class's, else the default.
func (b BacktraceRules) Coefficient(category string) float64 {
	if c, ok := b.Coefficients[category]; ok {
		return c
	}
	if len(category) >= 2 {
		if c, ok := b.Coefficients[category[:2]]; ok {
			return c
		}
	}
	return b.DefaultCoefficient
}

// Grade returns the grade a mean total earns.
func (r *Rubric) Grade(mean float64) Grade {
	for _, g := range r.Grades {
		if mean >= g.Min {
			return g
		}
	}
	return r.Grades[len(r.Grades)-1]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
