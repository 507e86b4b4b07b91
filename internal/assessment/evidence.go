package assessment

import (
	"time"
)

// Worker is a grid worker assessed in a month.
type Worker struct {
	ID       int64    `json:"id"`
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Grids    []string `json:"grids"`
	// Street is the level-1 grid (街道/镇) the worker's first grid lies
	// in; ranks are kept within a street.
	Street     string `json:"street"`
	StreetName string `json:"street_name"`
}

// PatrolMonth is a worker's stored monthly patrol result in one grid
// (Patrols: patrol_months).
type PatrolMonth struct {
	WorkerID    int64
	GridCode    string
	Days        int     // assessed days
	Coverage    float64 // share of the grid covered by the month's tracks
	CoverageMet bool
}

// ShortDay is an assessed day on which the worker patrolled less than the
// daily minimum in its own grids (0 seconds when there was no track).
type ShortDay struct {
	WorkerID      int64
	Date          string // YYYY-MM-DD, Asia/Shanghai
	PatrolSeconds float64
}

// Call is a supervisory phone call (电话督查).
type Call struct {
	ID       int64     `json:"id"`
	WorkerID int64     `json:"worker_id"`
	At       time.Time `json:"at"`
	Answered bool      `json:"answered"`
	Note     string    `json:"note"`
}

// Survey is a satisfaction survey of randomly chosen households.
type Survey struct {
	ID         int64  `json:"id"`
	WorkerID   int64  `json:"worker_id"`
	Date       string `json:"date"` // YYYY-MM-DD
	Households int    `json:"households"`
	Satisfied  int    `json:"satisfied"`
	Note       string `json:"note"`
}

// FindingKind is what a finding entered by the center records.
type FindingKind string

const (
	// FindingUnfamiliar: unfamiliar with own duties or grid facts (spot check).
	FindingUnfamiliar FindingKind = "unfamiliar"
	// FindingUnresolved: a resident's request left unresolved.
	FindingUnresolved FindingKind = "unresolved_request"
	// FindingUnresolvedSerious: unresolved with serious impact.
	FindingUnresolvedSerious FindingKind = "unresolved_serious"
	// FindingLateReport: a late report that delayed work (veto).
	FindingLateReport FindingKind = "late_report"
	// FindingInspector: a long-standing unreported problem found by an inspector.
	FindingInspector FindingKind = "inspector_unreported"
)

// FindingKinds lists the kinds.
var FindingKinds = []FindingKind{FindingUnfamiliar, FindingUnresolved, FindingUnresolvedSerious, FindingLateReport, FindingInspector}

// Finding is a record entered by the center: a spot check, an unresolved
// request, a late report or an inspector's finding.
type Finding struct {
	ID         int64       `json:"id"`
	WorkerID   int64       `json:"worker_id"`
	Kind       FindingKind `json:"kind"`
	Date       string      `json:"date"` // YYYY-MM-DD
	CaseNumber string      `json:"case_number,omitempty"`
	Note       string      `json:"note"`
}

// WorkOrder is a case the worker reported (工单): its points count when the
// center qualified it (立案 or resolved on site); Qualified is nil while it
// waits for review, false when rejected (退回).
type WorkOrder struct {
	CaseNumber string
	WorkerID   int64
	Category   string
	ReportedAt time.Time
	Points     float64
	Qualified  *bool
}

// Missed is a verified case from another source in the worker's grid that
// the worker had not reported (the backward-tracing join).
type Missed struct {
	CaseNumber string
	WorkerID   int64
	Category   string
	Source     string
	ReportedAt time.Time
	GridCode   string
}

// VisitCoverage is a worker's month of visits to the households,
// businesses and places it answered for (internal/visits).
type VisitCoverage struct {
	WorkerID int64
	Assigned int
	Visited  int
	// Unvisited names the targets not visited ("household 12").
	Unvisited []Ref
}

// Evidence is everything a month's scores are computed from.
type Evidence struct {
	Month   string // YYYY-MM
	Workers []Worker
	// Patrols are the stored monthly patrol results; a worker without any
	// is not scored on the patrol items (its result lists "patrol" as
	// missing evidence).
	Patrols    []PatrolMonth
	ShortDays  []ShortDay
	Calls      []Call
	Surveys    []Survey
	Findings   []Finding
	WorkOrders []WorkOrder
	Missed     []Missed
	// Visits is each worker's visit coverage (nil: no visit duty recorded).
	Visits []VisitCoverage
	// Absences are the approved leave and rest days of the month.
	Absences []Absence
	// NonWorkingDays are the month's days off in the working-day calendar
	// (YYYY-MM-DD), read when the rubric counts working days only.
	NonWorkingDays []string
}

// Absence is one day of approved leave or a recorded rest day.
type Absence struct {
	WorkerID int64
	Date     string // YYYY-MM-DD
	Kind     string // leave | rest
	LeaveID  int64
}
