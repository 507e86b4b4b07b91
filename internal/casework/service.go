package casework

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/locate"
	"github.com/gridd/gridd/internal/people"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
)

// CaseFilter selects cases; nil and empty fields do not filter.
type CaseFilter struct {
	Status   []Status
	Grid     *string // subtree root
	Unit     *string // lead or co-unit
	Category *string // small class, or big class (2 digits) for all its small classes
	Source   *string
	Overdue  *bool // compared with Now
	// DeadlineState selects open cases whose clock shows this light at Now.
	DeadlineState *DeadlineState
	Now           time.Time
	BBox          *orb.Bound
	From, To      *time.Time // reported_at in [From, To)
	Numbers       []string   // case numbers
	Reporter      *int64     // reported by this user
	// Unassigned selects the center's unassigned queue: cases outside
	// every grid or without a responsible grid worker.
	Unassigned bool
	// Query matches a case number exactly or by prefix, or a keyword in
	// the description.
	Query *string
	// Period narrows reported_at to today, this week or this month in
	// Asia/Shanghai at Now (List resolves it into From and To).
	Period Period
	Sort   CaseSort
	// After is the keyset position: only cases after it in Sort order.
	After *CaseCursor
	// Access scope: ScopeGrids (nil: all) are subtree roots; ScopeUnit
	// limits to cases dispatched to that unit. With ScopeGrids set,
	// ScopeReporter also admits that user's own reports and ScopeGridless
	// the cases outside every grid (a center's unassigned queue).
	ScopeGrids    []string
	ScopeUnit     *string
	ScopeReporter *int64
	ScopeGridless bool
	Limit         int
	Offset        int
	// NoTotal skips counting the matches (the total returned is 0): for
	// the export's later pages, whose total is known from the first.
	NoTotal bool
}

// IdemKey is an idempotency key scoped to its user, with the hash of the
// request it first came with.
type IdemKey struct {
	UserID int64
	Key    string
	Hash   []byte
}

// Store is what casework needs from the database.
type Store interface {
	FindCategories(ctx context.Context) ([]*Category, error)
	SaveCategory(ctx context.Context, c *Category) error
	FindRules(ctx context.Context) ([]*Rule, error)
	ReplaceRules(ctx context.Context, rules []*Rule) error
	// RoutingLayers reads the zones and roads with their version.
	RoutingLayers(ctx context.Context) (*RoutingLayers, error)
	// RoutingVersion returns the version of the zones and roads.
	RoutingVersion(ctx context.Context) (string, error)
	// LayerNames lists the zone codes and road kinds.
	LayerNames(ctx context.Context) (zones, roadKinds []string, err error)
	FindCalendarYears(ctx context.Context) ([]workday.Year, error)
	// FindClockSettings returns the stored clock settings, or
	// DefaultClockSettings when none were saved.
	FindClockSettings(ctx context.Context) (ClockSettings, error)
	SaveClockSettings(ctx context.Context, s ClockSettings) error
	SaveCalendarYear(ctx context.Context, y workday.Year) error
	// IntakeFacts answers what intake needs before it writes a report,
	// without a round trip on the hot path: the routing layers' version and
	// the new case's id (drawn ahead, so that the request's audit entry,
	// which names the case, is written with it).
	IntakeFacts(ctx context.Context) (IntakeFacts, error)
	// FindIdempotency returns the case created under key and the request
	// hash it was created with, or NotFound.
	FindIdempotency(ctx context.Context, userID int64, key string) (caseID int64, hash []byte, err error)
	// CreateCase inserts c with its timeline, attaching its photos (uploads
	// of c.ReporterID not yet attached), in one transaction; under c.ID
	// when it is set (IntakeFacts.CaseID), else a new id. The write itself
	// fills in what the case stores but intake decides nothing on (q): its
	// number (the next of q.NumberMonth, unless c.Number is set), its grid's
	// worker on q.Day and its duplicate candidates, seeing every case
	// committed before it. With a key it first claims the key: if the key
	// exists (or a concurrent request holds it) nothing is inserted and the
	// existing case id and hash are returned.
	CreateCase(ctx context.Context, c *Case, events []*Event, key *IdemKey, q IntakeQuery) (existingID int64, existingHash []byte, err error)
	// PurgeIdempotencyKeys deletes keys created before before.
	PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)
	FindCase(ctx context.Context, id int64) (*Case, error)
	FindTimeline(ctx context.Context, id int64) ([]*Event, error)
	// FindStatusNotes returns each case's last step among actions.
	FindStatusNotes(ctx context.Context, ids []int64, actions []Action) (map[int64]*Event, error)
	// UpdateCase writes c if its version is still prev (else Conflict),
	// bumps the version and appends the events (which may belong to other
	// cases, e.g. the original of a merge) in one transaction, attaching
	// the events' photos uploaded by their actors.
	UpdateCase(ctx context.Context, c *Case, prev int, events []*Event) error
	// FindEventByKey returns the case and action of the event actorID
	// appended under an Idempotency-Key (Event.Data["idempotency_key"]), or
	// NotFound.
	FindEventByKey(ctx context.Context, actorID int64, key string) (caseID int64, action Action, err error)
	FindCases(ctx context.Context, f CaseFilter) ([]*Case, int, error)
	// EachCaseFigures streams the cases matching f (filters only: no order,
	// no page) to fn with the fields the statistics read filled in: id,
	// category, source, status, reported_at, grid code and chain, lead
	// unit, the stage timestamps and deadlines, postponement, rework and
	// pauses. The *Case is reused for the next row; fn must not keep it.
	EachCaseFigures(ctx context.Context, f CaseFilter, fn func(*Case) error) error
	// SummarizeCases counts the cases matching f per status, and those
	// overdue at f.Now, in one statement.
	SummarizeCases(ctx context.Context, f CaseFilter) (*CaseSummary, error)
}

// Assignments finds who held a grid role when.
type Assignments interface {
	FindAssignments(ctx context.Context, f people.AssignmentFilter) ([]*people.Assignment, error)
	FindDepartments(ctx context.Context) ([]*people.Department, error)
}

// Locator gives a point's grid chain as of an instant.
type Locator interface {
	Locate(ctx context.Context, pts []orb.Point, at *time.Time) ([]locate.Result, error)
}

// Config tunes the service.
type Config struct {
	DuplicateRadiusM float64       // default 50
	DuplicateWindow  time.Duration // default 72 h
	CacheTTL         time.Duration // taxonomy, rules and calendar; default 30 s
	// IdempotencyKeep is how long idempotency keys are kept; default 8
	// days (at least the 7 promised to clients, whatever the purge interval).
	IdempotencyKeep time.Duration
}

// IntakeQuery is what a new case's write looks up for it (CreateCase).
type IntakeQuery struct {
	RadiusM float64   // duplicate candidates: open cases of the category within this distance...
	Since   time.Time // ...reported since this instant, nearest first
	Day     time.Time // the civil date (00:00 UTC) of the report, for its grid's worker
	// NumberMonth (YYYY-MM): the month whose next case number it takes.
	NumberMonth string
}

// IntakeFacts is the store's answer to what intake needs before the write.
type IntakeFacts struct {
	// LayersVersion is the routing layers' version (RoutingLayers.Version).
	LayersVersion string
	// CaseID is the id of the case to create, drawn ahead so that its
	// audit entry (which names it) can be written with it in one round
	// trip (0: CreateCase draws one).
	CaseID int64
}

// Service runs the case loop.
type Service struct {
	Store   Store
	People  Assignments
	Locator Locator
	// Tree returns the current grid hierarchy (access checks).
	Tree   func() Hierarchy
	Now    func() time.Time
	Config Config
	// Shifts, when set, says whether a community police officer's report
	// was made on one of its rostered shifts: the report event's data
	// holds on_shift (and shift, its number, when true).
	Shifts Shifts

	mu       sync.Mutex
	catalog  *catalog
	loadedAt time.Time
	// layers is the in-memory copy of the routing layers.
	layers atomic.Pointer[RoutingLayers]
}

type catalog struct {
	categories map[string]*Category
	list       []*Category
	rules      []*Rule
	calendar   *workday.Calendar
	clock      ClockSettings
}

// Shifts answers which rostered shift a police officer was on at an
// instant (0: none).
type Shifts interface {
	ShiftAt(ctx context.Context, u *people.User, at time.Time) (int, error)
}

// NewService returns a service with defaults filled in.
func NewService(st Store, ppl Assignments, loc Locator, tree func() Hierarchy, now func() time.Time, cfg Config) *Service {
	if cfg.DuplicateRadiusM == 0 {
		cfg.DuplicateRadiusM = 50
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = 72 * time.Hour
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 30 * time.Second
	}
	if cfg.IdempotencyKeep < 7*24*time.Hour {
		cfg.IdempotencyKeep = 8 * 24 * time.Hour
	}
	if now == nil {
		now = time.Now
	}
	return &Service{Store: st, People: ppl, Locator: loc, Tree: tree, Now: now, Config: cfg}
}

// invalidate drops the cached taxonomy, rules and calendar.
func (s *Service) invalidate() {
	s.mu.Lock()
	s.catalog = nil
	s.mu.Unlock()
}

func (s *Service) load(ctx context.Context) (*catalog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.catalog != nil && time.Since(s.loadedAt) < s.Config.CacheTTL {
		return s.catalog, nil
	}
	cats, err := s.Store.FindCategories(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := s.Store.FindRules(ctx)
	if err != nil {
		return nil, err
	}
	years, err := s.Store.FindCalendarYears(ctx)
	if err != nil {
		return nil, err
	}
	cal, err := workday.New(years...)
	if err != nil {
		return nil, fmt.Errorf("calendar in the database: %w", err)
	}
	clock, err := s.Store.FindClockSettings(ctx)
	if err != nil {
		return nil, err
	}
	c := &catalog{categories: map[string]*Category{}, list: cats, rules: rules, calendar: cal, clock: clock}
	for _, k := range cats {
		c.categories[k.Code] = k
	}
	s.catalog, s.loadedAt = c, time.Now()
	return c, nil
}

// Calendar returns the working-day calendar the database holds.
func (s *Service) Calendar(ctx context.Context) (*workday.Calendar, error) {
	c, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	return c.calendar, nil
}

// ClockSettings returns the stage clocks' settings (every signed-in user may read them).
func (s *Service) ClockSettings(ctx context.Context) (ClockSettings, error) {
	c, err := s.load(ctx)
	if err != nil {
		return ClockSettings{}, err
	}
	return c.clock, nil
}

// PutClockSettings replaces the stage clocks' settings (admin). They apply
// to stages that begin afterwards; running clocks keep their deadlines.
func (s *Service) PutClockSettings(ctx context.Context, p *auth.Principal, cs ClockSettings) error {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	cat, err := s.load(ctx)
	if err != nil {
		return err
	}
	if cs.ReviewRules == nil {
		cs.ReviewRules = []ReviewRule{}
	}
	if err := cs.Validate(func(code string) bool { _, ok := cat.categories[code]; return ok }); err != nil {
		return err
	}
	if err := s.Store.SaveClockSettings(ctx, cs); err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// ClockFor returns what a transition of c at now needs: the calendar, the
// category's limits and the clock settings.
func (s *Service) ClockFor(ctx context.Context, c *Case, now time.Time) (Clock, error) {
	cat, err := s.load(ctx)
	if err != nil {
		return Clock{}, err
	}
	rule := DefaultDeadlines
	if k, ok := cat.categories[c.Category]; ok {
		rule = k.Rule
	}
	return Clock{Now: now, Calendar: cat.calendar, Rule: rule, Settings: cat.clock}, nil
}

// Categories returns the taxonomy.
func (s *Service) Categories(ctx context.Context) ([]*Category, error) {
	c, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	return c.list, nil
}

// SaveCategory creates or edits a category (admin).
func (s *Service) SaveCategory(ctx context.Context, p *auth.Principal, c *Category) error {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.IsSmall() {
		cat, err := s.load(ctx)
		if err != nil {
			return err
		}
		if _, ok := cat.categories[c.Parent]; !ok {
			return errs.Invalidf("parent", "unknown_parent", "big class %s does not exist", c.Parent)
		}
	}
	if err := s.Store.SaveCategory(ctx, c); err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// RulesFor returns the ordered routing rules to p (admin, center).
func (s *Service) RulesFor(ctx context.Context, p *auth.Principal) ([]*Rule, error) {
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter); err != nil {
		return nil, err
	}
	return s.Rules(ctx)
}

// Rules returns the routing rules in order (for the server's own jobs).
func (s *Service) Rules(ctx context.Context) ([]*Rule, error) {
	c, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	return c.rules, nil
}

// ReplaceRules replaces the whole ordered rule list (admin). Positions are
// renumbered in the given order.
func (s *Service) ReplaceRules(ctx context.Context, p *auth.Principal, rules []*Rule) error {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	cat, err := s.load(ctx)
	if err != nil {
		return err
	}
	deps, err := s.People.FindDepartments(ctx)
	if err != nil {
		return err
	}
	var units []string
	for _, d := range deps {
		units = append(units, d.Code)
	}
	zones, kinds, err := s.Store.LayerNames(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for code := range cat.categories {
		known[code] = true
	}
	if err := ValidateRules(rules, units, zones, kinds, known); err != nil {
		return err
	}
	for i, r := range rules {
		r.Position = i + 1
		if r.CoUnits == nil {
			r.CoUnits = []string{}
		}
	}
	if err := s.Store.ReplaceRules(ctx, rules); err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// PutCalendarYear replaces one year of the calendar (admin).
func (s *Service) PutCalendarYear(ctx context.Context, p *auth.Principal, y workday.Year) error {
	if err := p.RequireRole(people.RoleAdmin); err != nil {
		return err
	}
	if err := y.Validate(); err != nil {
		return errs.E(errs.Invalid, "invalid_calendar", "%v", err)
	}
	if err := s.Store.SaveCalendarYear(ctx, y); err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// Explain routes category at p (WGS84) and says why.
func (s *Service) Explain(ctx context.Context, category string, p orb.Point) (Explanation, []string, error) {
	cat, err := s.load(ctx)
	if err != nil {
		return Explanation{}, nil, err
	}
	if k, ok := cat.categories[category]; !ok || !k.IsSmall() {
		return Explanation{}, nil, errs.Invalidf("category", "unknown_category", "no small class %q in the taxonomy (GET /api/v1/categories)", category)
	}
	res, err := s.Locator.Locate(ctx, []orb.Point{p}, nil)
	if err != nil {
		return Explanation{}, nil, err
	}
	v, err := s.Store.RoutingVersion(ctx)
	if err != nil {
		return Explanation{}, nil, err
	}
	layers, err := s.routingLayers(ctx, v)
	if err != nil {
		return Explanation{}, nil, err
	}
	f := layers.Facts(p)
	f.Chain = chainCodes(res[0])
	return Route(cat.rules, category, f), f.Chain, nil
}

func chainCodes(r locate.Result) []string {
	out := make([]string, len(r.Chain))
	for i, h := range r.Chain {
		out[i] = h.Code
	}
	return out
}

// reportHash is the idempotency fingerprint of a report as sent.
func reportHash(r Report) []byte {
	b, _ := json.Marshal(r)
	h := sha256.Sum256(b)
	return h[:]
}

// routingLayers returns the in-memory routing layers of version, reading
// them when the copy held is of another version.
func (s *Service) routingLayers(ctx context.Context, version string) (*RoutingLayers, error) {
	if l := s.layers.Load(); l != nil && l.Version == version {
		return l, nil
	}
	l, err := s.Store.RoutingLayers(ctx)
	if err != nil {
		return nil, err
	}
	l.Prepare()
	s.layers.Store(l)
	return l, nil
}

// checkReport validates r and its category; it returns the category.
func (s *Service) checkReport(cat *catalog, r Report, now time.Time) (*Category, error) {
	if err := r.Validate(now); err != nil {
		return nil, err
	}
	k, ok := cat.categories[r.Category]
	if !ok || !k.IsSmall() || !k.Active {
		return nil, errs.Invalidf("category", "unknown_category", "no active small class %q in the taxonomy (GET /api/v1/categories)", r.Category)
	}
	return k, nil
}

// workerDefaults fills in what a grid worker's app need not send: the
// source (worker_app) and, when the worker typed nothing, a description
// naming the category (the photo and the place say the rest). Other roles
// send both. The idempotency hash is of the report as sent.
func workerDefaults(p *auth.Principal, cat *catalog, r Report) Report {
	if slices.Contains(people.FieldForces, p.Role()) {
		// The other grid forces report through their own channel: the
		// source is their role, whatever they send.
		r.Source = string(p.Role())
		return r
	}
	if p.Role() != people.RoleWorker {
		return r
	}
	if r.Source == "" {
		r.Source = string(SourceWorkerApp)
	}
	if strings.TrimSpace(r.Description) == "" {
		if k, ok := cat.categories[r.Category]; ok {
			r.Description = k.Name
		}
	}
	return r
}

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 200

// Intake records a report. With key, the same key and report replay the
// case created first (replayed true); the same key with a different report
// is Unprocessable. It locates the grid chain as of reported_at, finds the
// grid worker responsible on that date, duplicate candidates and a routing
// suggestion. A report resolved on site closes at once.
func (s *Service) Intake(ctx context.Context, p *auth.Principal, r Report, key string) (*Case, bool, error) {
	if err := p.RequireRole(append([]people.Role{people.RoleAdmin, people.RoleCenter, people.RoleWorker}, people.FieldForces...)...); err != nil {
		return nil, false, err
	}
	if err := CheckKey(key); err != nil {
		return nil, false, err
	}
	now := s.Now()
	hash := reportHash(r)
	cat, err := s.load(ctx)
	if err != nil {
		return nil, false, err
	}
	r = workerDefaults(p, cat, r)
	k, invalid := s.checkReport(cat, r, now)
	if invalid != nil {
		// A retry of a report that was accepted replays it even if it
		// would not be accepted now (its category retired meanwhile, say).
		if key != "" {
			if id, h, err := s.Store.FindIdempotency(ctx, p.User.ID, key); err == nil {
				return s.replay(ctx, id, h, hash)
			} else if !errs.Is(err, errs.NotFound) {
				return nil, false, err
			}
		}
		return nil, false, invalid
	}
	at := now
	if r.ReportedAt != nil {
		at = *r.ReportedAt
	}
	pt := orb.Point{r.Lon, r.Lat}
	c := &Case{Category: r.Category, Description: r.Description, Source: Source(r.Source), Location: pt,
		ReportedAt: at, ReporterID: p.User.ID, ReporterName: p.User.Name, Photos: slices.Clone(r.Photos),
		Status: StatusReported, ResolvedOnSite: r.ResolvedOnSite, Version: 1, CreatedAt: now, UpdatedAt: now}
	if c.Photos == nil {
		c.Photos = []int64{}
	}
	// The grid chain as of the report (the locator answers from its current
	// index for any instant after the registry's last change).
	res, err := s.Locator.Locate(ctx, []orb.Point{pt}, &at)
	if err != nil {
		return nil, false, err
	}
	c.GridChain = chainCodes(res[0])
	if n := len(c.GridChain); n > 0 {
		c.GridCode = c.GridChain[n-1]
	}
	day := workday.DateOf(at)
	iq := IntakeQuery{RadiusM: s.Config.DuplicateRadiusM, Since: at.Add(-s.Config.DuplicateWindow),
		Day: time.Date(day.Year, day.Month, day.Day, 0, 0, 0, 0, time.UTC), NumberMonth: MonthOf(at)}
	facts, err := s.Store.IntakeFacts(ctx)
	if err != nil {
		return nil, false, err
	}
	c.ID = facts.CaseID
	layers, err := s.routingLayers(ctx, facts.LayersVersion)
	if err != nil {
		return nil, false, err
	}
	f := layers.Facts(pt)
	f.Chain = c.GridChain
	if ex := Route(cat.rules, r.Category, f); ex.Matched != nil {
		c.SuggestedRuleID = ex.Matched.ID
		c.SuggestedLead = ex.Matched.LeadUnit
		c.SuggestedCo = slices.Clone(ex.Matched.CoUnits)
	}
	if c.SuggestedCo == nil {
		c.SuggestedCo = []string{}
	}
	events := []*Event{{Action: ActReport, ToStatus: StatusReported, ActorID: p.User.ID, ActorName: p.User.Name, At: now,
		Comment: r.Description, Attachments: c.Photos, Data: map[string]any{"source": r.Source}}}
	if p.Role() == people.RolePolice && s.Shifts != nil {
		n, err := s.Shifts.ShiftAt(ctx, p.User, at)
		if err != nil {
			return nil, false, err
		}
		events[0].Data["on_shift"] = n > 0
		if n > 0 {
			events[0].Data["shift"] = n
		}
	}
	if r.ResolvedOnSite {
		c.Status = StatusClosed
		c.AcceptedAt, c.ClosedAt, c.HandledAt = &now, &now, &now
		onTime := true
		c.HandledOnTime = &onTime
		events = append(events, &Event{Action: ActCloseOnSite, FromStatus: StatusReported, ToStatus: StatusClosed,
			ActorID: p.User.ID, ActorName: p.User.Name, At: now, Comment: "先期处置，现场解决", Attachments: c.Photos, Data: map[string]any{}})
	}
	c.setClock(now, "", false, Clock{Now: now, Calendar: cat.calendar, Rule: k.Rule, Settings: cat.clock})
	var ik *IdemKey
	if key != "" {
		ik = &IdemKey{UserID: p.User.ID, Key: key, Hash: hash}
	}
	existing, h, err := s.Store.CreateCase(ctx, c, events, ik, iq)
	if err != nil {
		return nil, false, err
	}
	if existing != 0 {
		return s.replay(ctx, existing, h, hash)
	}
	c.Timeline = events
	c.CategoryName = k.Name
	return c, false, nil
}

func (s *Service) replay(ctx context.Context, id int64, stored, hash []byte) (*Case, bool, error) {
	if string(stored) != string(hash) {
		return nil, false, errs.E(errs.Unprocessable, "idempotency_key_reused",
			"this Idempotency-Key was used with a different request body; use a new key for a new report")
	}
	c, err := s.Store.FindCase(ctx, id)
	if err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// Get returns a case with its timeline, if p may read it.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (*Case, error) {
	c, err := s.Store.FindCase(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanRead(p, s.Tree(), c) {
		return nil, errs.Forbiddenf("case %d is outside your scope", id)
	}
	tl, err := s.Store.FindTimeline(ctx, id)
	if err != nil {
		return nil, err
	}
	c.Timeline = tl
	return c, nil
}

// Scope narrows f to what p may read.
func Scope(p *auth.Principal, f *CaseFilter) {
	switch p.Role() {
	case people.RoleDepartment:
		u := p.User.DepartmentCode
		f.ScopeUnit = &u
	case people.RoleVolunteer, people.RoleInformant, people.RolePolice, people.RoleLiaison:
		// The other grid forces list their own reports, wherever they lie.
		id := p.User.ID
		f.Reporter, f.ScopeGrids = &id, nil
	default:
		f.ScopeGrids = p.GridScope()
		if f.ScopeGrids != nil {
			id := p.User.ID
			f.ScopeReporter = &id
			f.ScopeGridless = p.Role() == people.RoleCenter
		}
	}
}

// List returns the cases p may read matching f, and the total count.
func (s *Service) List(ctx context.Context, p *auth.Principal, f CaseFilter) ([]*Case, int, error) {
	Scope(p, &f)
	f.Now = s.Now()
	f.resolvePeriod()
	return s.Store.FindCases(ctx, f)
}

// Summary counts the cases p may read matching f per status and overdue.
func (s *Service) Summary(ctx context.Context, p *auth.Principal, f CaseFilter) (*CaseSummary, error) {
	Scope(p, &f)
	f.Now = s.Now()
	f.resolvePeriod()
	return s.Store.SummarizeCases(ctx, f)
}

// Transition applies t to case id if its version is still version. A
// stale version is a Conflict; so is an action not allowed now (listing
// the allowed ones).
func (s *Service) Transition(ctx context.Context, p *auth.Principal, id int64, version int, t Transition) (*Case, error) {
	c, _, err := s.TransitionOnce(ctx, p, id, version, t, "")
	return c, err
}

// TransitionOnce is Transition under an Idempotency-Key: when p already
// took the same action on the same case under key (a retry whose answer
// was lost), it changes nothing and returns the case as it stands with
// replayed true, whatever its version now. The key with another case or
// action is Unprocessable.
func (s *Service) TransitionOnce(ctx context.Context, p *auth.Principal, id int64, version int, t Transition, key string) (*Case, bool, error) {
	// A volunteer may rate the handling of a case it reported (the
	// workflow's byRater); no other action is its to take.
	if err := p.RequireRole(people.RoleAdmin, people.RoleCenter, people.RoleDepartment, people.RoleWorker, people.RoleVolunteer); err != nil {
		return nil, false, err
	}
	if err := CheckKey(key); err != nil {
		return nil, false, err
	}
	replay := func() (*Case, bool, error) {
		if key == "" {
			return nil, false, nil
		}
		caseID, action, err := s.Store.FindEventByKey(ctx, p.User.ID, key)
		if errs.Is(err, errs.NotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if caseID != id || action != t.Action {
			return nil, false, errs.E(errs.Unprocessable, "idempotency_key_reused",
				"this Idempotency-Key was used for another action or case; use a new key for a new action")
		}
		c, err := s.Get(ctx, p, id)
		return c, c != nil, err
	}
	if c, ok, err := replay(); ok || err != nil {
		return c, ok, err
	}
	c, err := s.transition(ctx, p, id, version, t, key)
	if errs.Is(err, errs.Conflict) {
		// A concurrent retry under the same key may have won the version.
		if c, ok, rerr := replay(); ok || rerr != nil {
			return c, ok, rerr
		}
	}
	return c, false, err
}

func (s *Service) transition(ctx context.Context, p *auth.Principal, id int64, version int, t Transition, key string) (*Case, error) {
	c, err := s.Store.FindCase(ctx, id)
	if err != nil {
		return nil, err
	}
	tree := s.Tree()
	if !CanRead(p, tree, c) {
		return nil, errs.Forbiddenf("case %d is outside your scope", id)
	}
	if c.Version != version {
		e := errs.Conflictf("stale_version", "case %s is at version %d, not %d: reload it and retry", c.Number, c.Version, version)
		e.Allowed = Allowed(p, tree, c)
		return nil, e
	}
	cat, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	rule := DefaultDeadlines
	if k, ok := cat.categories[c.Category]; ok {
		rule = k.Rule
	}
	var target *Case
	switch t.Action {
	case ActDispatch:
		deps, err := s.People.FindDepartments(ctx)
		if err != nil {
			return nil, err
		}
		known := func(code string) bool {
			return slices.ContainsFunc(deps, func(d *people.Department) bool { return d.Code == code })
		}
		if t.Unit != "" && !known(t.Unit) {
			return nil, errs.Invalidf("unit", "unknown_unit", "no department %q", t.Unit)
		}
		for _, u := range t.CoUnits {
			if !known(u) {
				return nil, errs.Invalidf("co_units", "unknown_unit", "no department %q", u)
			}
		}
	case ActMerge:
		if t.Into != 0 && t.Into != c.ID {
			target, err = s.Store.FindCase(ctx, t.Into)
			if errs.Is(err, errs.NotFound) {
				return nil, errs.Invalidf("into", "unknown_case", "case %d does not exist", t.Into)
			}
			if err != nil {
				return nil, err
			}
			if !CanRead(p, tree, target) {
				return nil, errs.Invalidf("into", "unknown_case", "case %d is outside your scope", t.Into)
			}
			if !target.Status.Open() {
				return nil, errs.Invalidf("into", "original_closed", "case %s is %s: merge only into an open case", target.Number, target.Status)
			}
		}
	}
	ev, err := Apply(p, tree, c, t, Clock{Now: s.Now(), Calendar: cat.calendar, Rule: rule, Settings: cat.clock})
	if err != nil {
		return nil, err
	}
	if key != "" {
		ev.Data["idempotency_key"] = key
	}
	events := []*Event{ev}
	if target != nil {
		events = append(events, &Event{CaseID: target.ID, Action: ActMergedIn, FromStatus: target.Status, ToStatus: target.Status,
			ActorID: p.User.ID, ActorName: p.User.Name, At: ev.At, Comment: ev.Comment, Data: map[string]any{"duplicate": c.ID, "duplicate_number": c.Number}})
		ev.Data["into_number"] = target.Number
	}
	if err := s.Store.UpdateCase(ctx, c, version, events); err != nil {
		return nil, err
	}
	// The actor may lose sight of the case by acting (a unit returning
	// it): answer with the case as it now stands all the same.
	out, err := s.Store.FindCase(ctx, id)
	if err != nil {
		return nil, err
	}
	if out.Timeline, err = s.Store.FindTimeline(ctx, id); err != nil {
		return nil, err
	}
	return out, nil
}

// PurgeIdempotencyKeys deletes the idempotency keys older than
// Config.IdempotencyKeep (never less than 7 days).
func (s *Service) PurgeIdempotencyKeys(ctx context.Context) (int64, error) {
	return s.Store.PurgeIdempotencyKeys(ctx, s.Now().Add(-s.Config.IdempotencyKeep))
}

// RunPurge purges old idempotency keys every interval until ctx ends.
func (s *Service) RunPurge(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.PurgeIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

// CheckKey refuses an idempotency key that is too long or not UTF-8
// text (a key is stored, and found again, as text).
func CheckKey(key string) error {
	if len(key) > MaxIdempotencyKey {
		return errs.Invalidf("Idempotency-Key", "invalid_idempotency_key", "at most %d characters", MaxIdempotencyKey)
	}
	if !utf8.ValidString(key) {
		return errs.Invalidf("Idempotency-Key", "invalid_idempotency_key", "not valid UTF-8 text")
	}
	return nil
}
