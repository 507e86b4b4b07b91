// Package casework is the case loop of a grid center (事件/工单/案卷): a report
// comes in (上报), the center reviews it (立案 or 退回), dispatches it to a
// unit (派遣), the unit accepts or returns it, handles it within a deadline in
// working days (with extension 延期 and postponement 缓办 granted by the
// center), reports back (处置反馈), the grid worker verifies (核查) and the
// case closes (结案) or goes back for rework (返工). It holds the case, the one
// state machine every transition goes through, the coded taxonomy, the
// routing rules that pick the responsible unit by category and place, and the
// deadlines. It knows nothing of HTTP or SQL: Store is what it needs.
package casework

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/errs"
	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
)

// Status is where a case stands.
type Status string

const (
	StatusReported              Status = "reported"               // 上报, waiting for review
	StatusEscalated             Status = "escalated"              // 上报 to a higher center, waiting for its review
	StatusAccepted              Status = "accepted"               // 立案, waiting for dispatch
	StatusRejected              Status = "rejected"               // 退回 (final)
	StatusDispatched            Status = "dispatched"             // 派遣, waiting for the unit to accept
	StatusHandling              Status = "handling"               // 处置中
	StatusExtensionRequested    Status = "extension_requested"    // 延期申请, waiting for the center
	StatusPostponementRequested Status = "postponement_requested" // 缓办申请, waiting for the center
	StatusPostponed             Status = "postponed"              // 缓办: the clock is stopped
	StatusHandled               Status = "handled"                // 处置反馈, waiting for verification dispatch
	StatusVerifying             Status = "verifying"              // 派遣核查, waiting for the grid worker
	StatusClosed                Status = "closed"                 // 结案 (final)
	StatusMerged                Status = "merged"                 // merged into another case (final)
)

// Statuses lists every status in loop order.
var Statuses = []Status{StatusReported, StatusEscalated, StatusAccepted, StatusRejected, StatusDispatched,
	StatusHandling, StatusExtensionRequested, StatusPostponementRequested, StatusPostponed, StatusHandled,
	StatusVerifying, StatusClosed, StatusMerged}

// Open reports whether the case still needs work.
func (s Status) Open() bool {
	return s != StatusRejected && s != StatusClosed && s != StatusMerged
}

// ParseStatus validates a status name.
func ParseStatus(field, s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", errs.Invalidf(field, "invalid_status", "want one of %s; got %q", joinStatuses(), s)
}

func joinStatuses() string {
	var b strings.Builder
	for i, s := range Statuses {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(s))
	}
	return b.String()
}

// Source is where a report came from.
type Source string

// SourceWorkerApp is the source of a grid worker's report (the default
// for the worker role).
const SourceWorkerApp Source = "worker_app"

// Sources are the report channels of the plans (P5 §六.4).
// volunteer, informant, police and liaison are the other grid forces'
// reports (set from the reporter's role); inspection is a case opened by a
// failed checklist item (internal/inspection).
var Sources = []Source{"worker_app", "hotline_12345", "wechat", "online", "public", "video", "inspector",
	"volunteer", "informant", "police", "liaison", "inspection"}

// ParseSource validates a source name.
func ParseSource(field, s string) (Source, error) {
	if slices.Contains(Sources, Source(s)) {
		return Source(s), nil
	}
	return "", errs.Invalidf(field, "invalid_source", "want one of worker_app, hotline_12345, wechat, online, public, video, inspector, volunteer, informant, police, liaison, inspection; got %q", s)
}

// Pause is a span during which the handling clock stood still (缓办).
type Pause struct {
	From time.Time  `json:"from"`
	To   *time.Time `json:"to,omitempty"`
}

// Case is one reported problem and where it stands.
type Case struct {
	ID          int64
	Number      string // YYYY-MM-NNNNNN, month of reported_at in Asia/Shanghai
	Version     int    // bumped by every transition (optimistic locking)
	Category    string // small-class code of the taxonomy
	Description string
	Source      Source
	Location    orb.Point // WGS84
	ReportedAt  time.Time
	ReporterID  int64
	// Photos are the upload ids attached at intake.
	Photos []int64
	// GridCode is the deepest grid holding the location as of ReportedAt;
	// GridChain is its chain from the root. Both empty outside coverage.
	GridCode  string
	GridChain []string
	// WorkerID is the grid worker responsible for GridCode on the report's date (0: none).
	WorkerID int64
	// Suggested routing at intake.
	SuggestedRuleID int64
	SuggestedLead   string
	SuggestedCo     []string
	// Duplicates are open cases of the same category found nearby at intake.
	Duplicates []int64

	Status         Status
	Emergency      bool
	ResolvedOnSite bool
	// EscalatedFrom is the scope (grid code) of the center that escalated
	// the case; EscalationLevel counts escalations.
	EscalatedFrom   string
	EscalationLevel int
	LeadUnit        string
	CoUnits         []string
	MergedInto      int64
	ReworkCount     int
	RejectReason    string

	AcceptedAt   *time.Time // 立案
	DispatchedAt *time.Time
	HandledAt    *time.Time
	ClosedAt     *time.Time

	// Deadlines: the unit's acceptance, the handling (extended and paused
	// as granted) and the verification. DueAt is the deadline of the stage
	// the case is in now (nil: no running clock).
	HandleStart    *time.Time // the unit's (last) acceptance: the handling clock starts
	ReviewDue      *time.Time // the center's review (受理/立案 and dispatch), see ClockSettings
	AcceptDue      *time.Time
	HandleDue      *time.Time
	VerifyDue      *time.Time
	DueAt          *time.Time
	ExtensionDays  int
	PendingDays    int // extension days asked for
	Pauses         []Pause
	EverPostponed  bool
	HandledOnTime  *bool
	Rating         int
	RatingComment  string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ReporterName   string
	CategoryName   string
	Timeline       []*Event
	WorkingDayUsed *int // working days from 立案 to 结案, pauses excluded

	// The stage clock (clock.go): the stage, when it began, and when it
	// turns yellow and its reminder is due (nil: never).
	Stage      Stage
	StageSince *time.Time
	// EscalatedUnits are upper units an overdue unit stage was escalated
	// to: they may read the case.
	EscalatedUnits []string
	// LeadUnitName is the lead unit's name (read only).
	LeadUnitName string
	WarnAt       *time.Time
	RemindAt     *time.Time
}

// Overdue reports whether the running clock of the case has passed its deadline at now.
func (c *Case) Overdue(now time.Time) bool {
	return c.Status.Open() && c.DueAt != nil && !now.Before(*c.DueAt)
}

// Event is one entry of the append-only timeline.
type Event struct {
	ID          int64
	CaseID      int64
	Action      Action
	FromStatus  Status // "" for the report itself
	ToStatus    Status
	ActorID     int64 // 0: the system
	ActorName   string
	At          time.Time
	Comment     string
	Attachments []int64
	// Data holds action details (unit, days, rating, target case).
	Data map[string]any
}

// Report is a new report as the reporter sends it.
type Report struct {
	Category       string
	Description    string
	Lon, Lat       float64 // in the CRS given; converted to WGS84 before Validate
	Source         string
	ReportedAt     *time.Time // nil: now
	Photos         []int64
	ResolvedOnSite bool
}

// Limits of a report.
const (
	MaxDescription = 2000 // characters
	MaxPhotos      = 9
	MaxComment     = 2000
)

// Validate checks the report's fields (location already in WGS84) and
// returns every problem at once, each naming its field.
func (r *Report) Validate(now time.Time) error {
	var bad []errs.Field
	add := func(field, reason, detail string) {
		bad = append(bad, errs.Field{Field: field, Reason: reason, Detail: detail})
	}
	if r.Category == "" {
		add("category", "category_required", "want a small-class category code such as 0101 (GET /api/v1/categories)")
	}
	if strings.TrimSpace(r.Description) == "" {
		add("description", "description_required", "describe the problem")
	} else if utf8.RuneCountInString(r.Description) > MaxDescription {
		add("description", "description_too_long", "at most 2000 characters")
	} else if !utf8.ValidString(r.Description) {
		add("description", "invalid_utf8", "not valid UTF-8 text")
	}
	if math.IsNaN(r.Lon) || math.IsNaN(r.Lat) || math.IsInf(r.Lon, 0) || math.IsInf(r.Lat, 0) {
		add("lon,lat", "non_finite", "coordinates must be finite numbers")
	} else if r.Lon < 73 || r.Lon > 136 || r.Lat < 3 || r.Lat > 54 {
		if r.Lat >= 73 && r.Lat <= 136 && r.Lon >= 3 && r.Lon <= 54 {
			add("lon,lat", "lat_lon_swapped", "the point is not in China; did you swap latitude and longitude?")
		} else {
			add("lon,lat", "out_of_range", "want a point in China: lon 73–136, lat 3–54")
		}
	}
	if _, err := ParseSource("source", r.Source); err != nil {
		e, _ := errs.As(err)
		bad = append(bad, e.Fields...)
	}
	if r.ReportedAt != nil {
		if r.ReportedAt.After(now.Add(5 * time.Minute)) {
			add("reported_at", "in_future", "reported_at is in the future")
		} else if r.ReportedAt.Before(now.AddDate(-1, 0, 0)) {
			add("reported_at", "too_old", "reported_at is more than a year ago")
		}
	}
	if len(r.Photos) > MaxPhotos {
		add("photos", "too_many_photos", "at most 9 photos")
	}
	seen := map[int64]bool{}
	for _, id := range r.Photos {
		if seen[id] {
			add("photos", "duplicate_photo", "an upload id is listed twice")
			break
		}
		seen[id] = true
	}
	if r.ResolvedOnSite && len(r.Photos) == 0 {
		add("photos", "evidence_required", "a report resolved on site needs at least one photo as evidence")
	}
	if len(bad) > 0 {
		e := errs.E(errs.Invalid, "invalid_case", "%d fields are invalid (first %s: %s)", len(bad), bad[0].Field, bad[0].Detail)
		e.Fields = bad
		return e
	}
	return nil
}

// MonthOf returns the YYYY-MM of t in Asia/Shanghai (the case number prefix).
func MonthOf(t time.Time) string { return t.In(workday.Shanghai()).Format("2006-01") }
