package assessment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
)

// Period is a month as instants and civil dates, in Asia/Shanghai.
type Period struct {
	Month    string    // YYYY-MM
	From, To time.Time // [first instant, first instant of the next month)
}

// PeriodOf parses YYYY-MM.
func PeriodOf(month string) (Period, error) {
	from, err := MonthStart(month)
	if err != nil || from.Format("2006-01") != month {
		return Period{}, errs.Invalidf("month", "invalid_month", "want YYYY-MM, got %q", month)
	}
	return Period{Month: month, From: from, To: from.AddDate(0, 1, 0)}, nil
}

// DepartmentFigure is a unit's handling in the month (cases of the Cases
// loop): dispatched to it, handled (feedback given), handled on time,
// returned by it as not its responsibility, and sent back for rework
// after a failed verification.
type DepartmentFigure struct {
	Unit       string   `json:"unit"`
	Name       string   `json:"name"`
	Dispatched int      `json:"dispatched"`
	Handled    int      `json:"handled"`
	OnTime     int      `json:"handled_on_time"`
	OnTimeRate *float64 `json:"on_time_rate"`
	Returns    int      `json:"returns"`
	Reworks    int      `json:"reworks"`
}

// Run is one computed version of a month.
type Run struct {
	Month         string             `json:"month"`
	Version       int                `json:"version"`
	RubricVersion string             `json:"rubric_version"`
	Rubric        *Rubric            `json:"rubric"`
	Results       []*Result          `json:"results"`
	Departments   []DepartmentFigure `json:"departments"`
	Digest        string             `json:"digest"`
	Diff          []Change           `json:"diff"`
	CreatedBy     int64              `json:"created_by,omitempty"`
	CreatedAt     time.Time          `json:"created_at"`
}

// Change is one difference between a version and the one before it.
type Change struct {
	Worker string `json:"worker"` // username
	Field  string `json:"field"`  // total, vetoed, pay_eligible, <block>, <block>.<item>, worker
	From   string `json:"from"`
	To     string `json:"to"`
}

// Store is what the assessment needs from the database.
type Store interface {
	// Evidence gathers the month's evidence for every worker assigned
	// to a grid during it; the backward-tracing join uses r's Backtrace rules.
	Evidence(ctx context.Context, p Period, r *Rubric) (*Evidence, error)
	DepartmentFigures(ctx context.Context, p Period) ([]DepartmentFigure, error)
	// LatestRun returns the highest version of month (NotFound when none).
	LatestRun(ctx context.Context, month string) (*Run, error)
	FindRun(ctx context.Context, month string, version int) (*Run, error)
	// InsertRun stores run (and its rubric version); Conflict when the
	// month already has that version.
	InsertRun(ctx context.Context, run *Run) error
	CreateCall(ctx context.Context, c *Call, by int64) error
	CreateSurvey(ctx context.Context, s *Survey, by int64) error
	CreateFinding(ctx context.Context, f *Finding, by int64) error
}

// Service computes, stores and serves the monthly assessments.
type Service struct {
	Store  Store
	People people.Store
	Rubric *Rubric
	Now    func() time.Time
	// RefreshPatrols recomputes the month's stored patrol results before
	// an assessment (nil: use what is stored).
	RefreshPatrols func(ctx context.Context, month time.Time) error
	// VisitCoverage returns each worker's visit coverage of the period
	// (internal/visits; nil: the visit item finds no evidence).
	VisitCoverage func(ctx context.Context, p Period) ([]VisitCoverage, error)
	// Calendar is the working-day calendar, read when the rubric counts
	// working days only (nil: Monday–Friday).
	Calendar func(ctx context.Context) (*workday.Calendar, error)
}

// nonWorkingDays lists the days of p that are not working days.
func (s *Service) nonWorkingDays(ctx context.Context, p Period) ([]string, error) {
	var cal *workday.Calendar
	if s.Calendar != nil {
		c, err := s.Calendar(ctx)
		if err != nil {
			return nil, err
		}
		cal = c
	}
	var out []string
	from := p.From.In(workday.Shanghai())
	to := p.To.In(workday.Shanghai())
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		if !cal.IsWorkingDay(workday.DateOf(d)) {
			out = append(out, d.Format("2006-01-02"))
		}
	}
	return out, nil
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) period(month string) (Period, error) {
	p, err := PeriodOf(month)
	if err != nil {
		return p, err
	}
	if !p.From.Before(s.now()) {
		return p, errs.Invalidf("month", "month_not_started", "month %s has not started yet", month)
	}
	return p, nil
}

// Assess computes the month and stores it as a new version when the
// result differs from the latest stored version (with the differences
// listed); otherwise it returns the latest version unchanged. Same inputs,
// same result: run twice or concurrently, the month gets one version.
func (s *Service) Assess(ctx context.Context, month string, by int64) (*Run, bool, error) {
	p, err := s.period(month)
	if err != nil {
		return nil, false, err
	}
	if s.RefreshPatrols != nil {
		if err := s.RefreshPatrols(ctx, p.From); err != nil && !errs.Is(err, errs.Invalid) {
			return nil, false, fmt.Errorf("refresh patrol results: %w", err)
		}
	}
	r := s.Rubric
	if r == nil {
		r = DefaultRubric()
	}
	ev, err := s.Store.Evidence(ctx, p, r)
	if err != nil {
		return nil, false, err
	}
	if s.VisitCoverage != nil {
		if ev.Visits, err = s.VisitCoverage(ctx, p); err != nil {
			return nil, false, fmt.Errorf("visit coverage: %w", err)
		}
	}
	if r.Attendance.CountedDays == CountWorkingDays {
		if ev.NonWorkingDays, err = s.nonWorkingDays(ctx, p); err != nil {
			return nil, false, err
		}
	}
	results := Score(r, ev)
	history := map[string][]*Result{}
	_, qMonths := QuarterOf(month)
	for _, m := range append([]string{AddMonths(month, -1), AddMonths(month, -2)}, qMonths...) {
		if _, ok := history[m]; ok || m == month {
			continue
		}
		prev, err := s.Store.LatestRun(ctx, m)
		switch {
		case errs.Is(err, errs.NotFound):
			history[m] = nil
		case err != nil:
			return nil, false, err
		default:
			history[m] = prev.Results
		}
	}
	Annotate(r, month, results, history)
	deps, err := s.Store.DepartmentFigures(ctx, p)
	if err != nil {
		return nil, false, err
	}
	if deps == nil {
		deps = []DepartmentFigure{}
	}
	run := &Run{Month: month, RubricVersion: r.Version, Rubric: r, Results: results, Departments: deps, CreatedBy: by}
	if run.Digest, err = digest(run); err != nil {
		return nil, false, err
	}
	for attempt := 0; ; attempt++ {
		latest, err := s.Store.LatestRun(ctx, month)
		switch {
		case errs.Is(err, errs.NotFound):
			run.Version, run.Diff = 1, []Change{}
		case err != nil:
			return nil, false, err
		case latest.Digest == run.Digest:
			return latest, false, nil
		default:
			run.Version, run.Diff = latest.Version+1, Diff(latest, run)
		}
		run.CreatedAt = s.now()
		err = s.Store.InsertRun(ctx, run)
		if err == nil {
			return run, true, nil
		}
		if !errs.Is(err, errs.Conflict) || attempt >= 4 {
			return nil, false, err
		}
	}
}

// Get returns version (0: the latest) of month, computing the month first
// when it has never been assessed.
func (s *Service) Get(ctx context.Context, month string, version int) (*Run, error) {
	if _, err := s.period(month); err != nil {
		return nil, err
	}
	if version > 0 {
		return s.Store.FindRun(ctx, month, version)
	}
	run, err := s.Store.LatestRun(ctx, month)
	if errs.Is(err, errs.NotFound) {
		run, _, err = s.Assess(ctx, month, 0)
	}
	return run, err
}

// digest hashes what a version says: rubric, results and department figures.
func digest(run *Run) (string, error) {
	b, err := json.Marshal(struct {
		R *Rubric
		S []*Result
		D []DepartmentFigure
	}{run.Rubric, run.Results, run.Departments})
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// Diff lists what changed per worker from old to new: total, veto, pay,
// each block's score and each item's points; workers added or removed.
func Diff(old, new *Run) []Change {
	out := []Change{}
	if old.RubricVersion != new.RubricVersion {
		out = append(out, Change{Field: "rubric_version", From: old.RubricVersion, To: new.RubricVersion})
	}
	prev := map[int64]*Result{}
	for _, r := range old.Results {
		prev[r.Worker.ID] = r
	}
	seen := map[int64]bool{}
	for _, r := range new.Results {
		seen[r.Worker.ID] = true
		o := prev[r.Worker.ID]
		if o == nil {
			out = append(out, Change{Worker: r.Worker.Username, Field: "worker", From: "", To: "assessed"})
			continue
		}
		u := r.Worker.Username
		f := func(field string, a, b float64) {
			if a != b {
				out = append(out, Change{Worker: u, Field: field, From: num(a), To: num(b)})
			}
		}
		bl := func(field string, a, b bool) {
			if a != b {
				out = append(out, Change{Worker: u, Field: field, From: fmt.Sprint(a), To: fmt.Sprint(b)})
			}
		}
		f("total", o.Total, r.Total)
		bl("vetoed", o.Vetoed, r.Vetoed)
		bl("pay_eligible", o.PayEligible, r.PayEligible)
		for _, b := range r.Blocks {
			ob := findBlock(o, b.Key)
			f(b.Key, ob.Score, b.Score)
			keys := []string{}
			for _, it := range ob.Items {
				keys = append(keys, it.Key)
			}
			for _, it := range b.Items {
				if !slices.Contains(keys, it.Key) {
					keys = append(keys, it.Key)
				}
			}
			for _, k := range keys {
				f(b.Key+"."+k, findItem(ob, k).Points, findItem(b, k).Points)
			}
		}
	}
	for _, r := range old.Results {
		if !seen[r.Worker.ID] {
			out = append(out, Change{Worker: r.Worker.Username, Field: "worker", From: "assessed", To: ""})
		}
	}
	return out
}

func findBlock(r *Result, key string) Block {
	for _, b := range r.Blocks {
		if b.Key == key {
			return b
		}
	}
	return Block{Key: key}
}

func findItem(b Block, key string) Item {
	for _, it := range b.Items {
		if it.Key == key {
			return it
		}
	}
	return Item{Key: key}
}

// Visible returns the results p may read, under parent ("" = all): a
// worker only its own; admin all; a center or viewer the workers with a
// grid in its scope; a department none (it reads the department figures).
func Visible(p *auth.Principal, h auth.Hierarchy, parent string, results []*Result) []*Result {
	out := []*Result{}
	for _, r := range results {
		switch p.Role() {
		case people.RoleWorker:
			if r.Worker.ID != p.User.ID {
				continue
			}
		case people.RoleDepartment:
			continue
		case people.RoleAdmin:
		default:
			if !slices.ContainsFunc(r.Worker.Grids, func(g string) bool { return p.CanReadGrid(h, g) }) {
				continue
			}
		}
		if parent != "" && !slices.ContainsFunc(r.Worker.Grids, func(g string) bool { return g == parent || h.IsWithin(g, parent) }) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// VisibleDepartments returns the department figures p may read: a
// department its own unit's; a worker none; the others all.
func VisibleDepartments(p *auth.Principal, ds []DepartmentFigure) []DepartmentFigure {
	out := []DepartmentFigure{}
	for _, d := range ds {
		switch p.Role() {
		case people.RoleWorker:
			continue
		case people.RoleDepartment:
			if d.Unit != p.User.DepartmentCode {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// Records the center enters.

// MaxNote bounds a record's note (characters).
const MaxNote = 500

// CallInput is a supervisory call as entered.
type CallInput struct {
	Worker   string     `json:"worker"` // username
	At       *time.Time `json:"at"`
	Answered *bool      `json:"answered"`
	Note     string     `json:"note"`
}

// SurveyInput is a survey as entered.
type SurveyInput struct {
	Worker     string `json:"worker"`
	Date       string `json:"date"` // YYYY-MM-DD
	Households *int   `json:"households"`
	Satisfied  *int   `json:"satisfied"`
	Note       string `json:"note"`
}

// FindingInput is a finding as entered.
type FindingInput struct {
	Worker     string `json:"worker"`
	Kind       string `json:"kind"`
	Date       string `json:"date"`
	CaseNumber string `json:"case_number"`
	Note       string `json:"note"`
}

type fieldErrs []errs.Field

func (f *fieldErrs) add(field, reason, detail string) {
	*f = append(*f, errs.Field{Field: field, Reason: reason, Detail: detail})
}

func (f fieldErrs) err(what string) error {
	if len(f) == 0 {
		return nil
	}
	e := errs.E(errs.Invalid, "invalid_"+what, "%s: %d fields are invalid (first %s: %s)", what, len(f), f[0].Field, f[0].Detail)
	e.Fields = f
	return e
}

func (s *Service) checkDate(bad *fieldErrs, field, v string) {
	d, err := time.ParseInLocation("2006-01-02", v, workday.Shanghai())
	switch {
	case err != nil || d.Format("2006-01-02") != v:
		bad.add(field, "invalid_date", "want a date YYYY-MM-DD, got "+quote(v))
	case d.After(s.now()):
		bad.add(field, "in_future", "the date is in the future")
	case d.Before(s.now().AddDate(-2, 0, 0)):
		bad.add(field, "too_old", "the date is more than two years ago")
	}
}

func checkNote(bad *fieldErrs, note string) {
	if utf8.RuneCountInString(note) > MaxNote {
		bad.add("note", "note_too_long", fmt.Sprintf("at most %d characters", MaxNote))
	}
}

// worker resolves a worker username: it must be a grid worker p may assess
// (a center: a worker with a grid in its scope).
func (s *Service) worker(ctx context.Context, p *auth.Principal, h auth.Hierarchy, bad *fieldErrs, username string) *people.User {
	if strings.TrimSpace(username) == "" {
		bad.add("worker", "worker_required", "name the grid worker (username)")
		return nil
	}
	u, err := s.People.FindUserByUsername(ctx, username)
	if err != nil {
		bad.add("worker", "unknown_worker", "no user "+quote(username))
		return nil
	}
	role := people.GridWorker
	as, err := s.People.FindAssignments(ctx, people.AssignmentFilter{UserID: &u.ID, Role: &role})
	if err != nil || len(as) == 0 {
		bad.add("worker", "not_a_worker", "user "+quote(username)+" has never been a grid worker")
		return nil
	}
	if p.GridScope() != nil && !slices.ContainsFunc(as, func(a *people.Assignment) bool { return p.CanReadGrid(h, a.GridCode) }) {
		bad.add("worker", "outside_scope", "worker "+quote(username)+" works outside your scope")
		return nil
	}
	return u
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// requireCenter: only the center and admin enter records.
func requireCenter(p *auth.Principal) error {
	return p.RequireRole(people.RoleAdmin, people.RoleCenter)
}

// CreateCall validates and stores a supervisory call.
func (s *Service) CreateCall(ctx context.Context, p *auth.Principal, h auth.Hierarchy, in CallInput) (*Call, error) {
	if err := requireCenter(p); err != nil {
		return nil, err
	}
	var bad fieldErrs
	u := s.worker(ctx, p, h, &bad, in.Worker)
	switch {
	case in.At == nil:
		bad.add("at", "at_required", "when the call was made (RFC 3339)")
	case in.At.After(s.now().Add(5 * time.Minute)):
		bad.add("at", "in_future", "the call time is in the future")
	case in.At.Before(s.now().AddDate(-2, 0, 0)):
		bad.add("at", "too_old", "the call is more than two years ago")
	}
	if in.Answered == nil {
		bad.add("answered", "answered_required", "true or false")
	}
	checkNote(&bad, in.Note)
	if err := bad.err("call"); err != nil {
		return nil, err
	}
	c := &Call{WorkerID: u.ID, At: *in.At, Answered: *in.Answered, Note: in.Note}
	if err := s.Store.CreateCall(ctx, c, p.User.ID); err != nil {
		return nil, err
	}
	return c, nil
}

// CreateSurvey validates and stores a satisfaction survey.
func (s *Service) CreateSurvey(ctx context.Context, p *auth.Principal, h auth.Hierarchy, in SurveyInput) (*Survey, error) {
	if err := requireCenter(p); err != nil {
		return nil, err
	}
	var bad fieldErrs
	u := s.worker(ctx, p, h, &bad, in.Worker)
	s.checkDate(&bad, "date", in.Date)
	switch {
	case in.Households == nil:
		bad.add("households", "households_required", "the number of households surveyed (1–1000)")
	case *in.Households < 1 || *in.Households > 1000:
		bad.add("households", "invalid_count", "want 1 to 1000 households")
	}
	switch {
	case in.Satisfied == nil:
		bad.add("satisfied", "satisfied_required", "the number of satisfied households")
	case *in.Satisfied < 0 || (in.Households != nil && *in.Satisfied > *in.Households):
		bad.add("satisfied", "invalid_count", "want 0 to the number of households surveyed")
	}
	checkNote(&bad, in.Note)
	if err := bad.err("survey"); err != nil {
		return nil, err
	}
	sv := &Survey{WorkerID: u.ID, Date: in.Date, Households: *in.Households, Satisfied: *in.Satisfied, Note: in.Note}
	if err := s.Store.CreateSurvey(ctx, sv, p.User.ID); err != nil {
		return nil, err
	}
	return sv, nil
}

// CreateFinding validates and stores a finding.
func (s *Service) CreateFinding(ctx context.Context, p *auth.Principal, h auth.Hierarchy, in FindingInput) (*Finding, error) {
	if err := requireCenter(p); err != nil {
		return nil, err
	}
	var bad fieldErrs
	u := s.worker(ctx, p, h, &bad, in.Worker)
	if !slices.Contains(FindingKinds, FindingKind(in.Kind)) {
		ks := make([]string, len(FindingKinds))
		for i, k := range FindingKinds {
			ks[i] = string(k)
		}
		bad.add("kind", "invalid_kind", "want one of "+strings.Join(ks, ", ")+"; got "+quote(in.Kind))
	}
	s.checkDate(&bad, "date", in.Date)
	if in.CaseNumber != "" && !caseNumberRe(in.CaseNumber) {
		bad.add("case_number", "invalid_case_number", "want a case number YYYY-MM-NNNNNN")
	}
	checkNote(&bad, in.Note)
	if err := bad.err("finding"); err != nil {
		return nil, err
	}
	f := &Finding{WorkerID: u.ID, Kind: FindingKind(in.Kind), Date: in.Date, CaseNumber: in.CaseNumber, Note: in.Note}
	if err := s.Store.CreateFinding(ctx, f, p.User.ID); err != nil {
		return nil, err
	}
	return f, nil
}

func caseNumberRe(s string) bool {
	if len(s) != 14 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ratio is a share rounded to 4 digits, nil when b is 0.
func ratio(a, b int) *float64 {
	if b <= 0 {
		return nil
	}
	v := math.Round(float64(a)/float64(b)*10000) / 10000
	return &v
}

// FinishDepartments sets the on-time rates.
func FinishDepartments(ds []DepartmentFigure) {
	for i := range ds {
		ds[i].OnTimeRate = ratio(ds[i].OnTime, ds[i].Handled)
	}
}
