// Package visits is the visiting duty (走访): the households, businesses
// and places a team member answers for (internal/responsibility) and the key
// persons a user is responsible for are visited on a schedule configured per
// kind (and per key-person category); a visit is recorded where it happened
// and checked against the target's location; what is due comes overdue
// first; each worker's monthly visit coverage feeds the assessment.
//
// Readings implemented:
//   - a target's next visit is due one schedule interval after its last
//     on-site visit, or after the start of its assignment (a key person:
//     its file's creation) when never visited; it is overdue from the day
//     after that date (Asia/Shanghai). "Monthly" adds a calendar month,
//     clamped to the month's last day (Jan 31 → Feb 28);
//   - a visit is on site when recorded within ToleranceM of the target's
//     location; a visit farther away is stored (nothing is lost) but does
//     not count as done; a target without a location cannot be checked and
//     every visit to it counts. A key person's visit must be on site (it goes into
//     the sealed visit log, which keeps only visits that took place);
//   - the monthly coverage of a worker is, over the households, businesses
//     and places it answered for on any day of the month, the share with an
//     on-site visit by it in the month while it answered for them.
package visits

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/workday"
	"github.com/paulmach/orb"
)

// TargetKinds are what may be visited.
var TargetKinds = []string{"household", "business", "place", "key_person"}

// Units of a schedule interval.
var Units = []string{"day", "week", "month"}

// Schedule is how often a kind of target (a key-person category, when
// Category is set) is visited: once every Every Units.
type Schedule struct {
	TargetKind string `json:"target_kind"`
	Category   string `json:"category"`
	Every      int    `json:"every"`
	Unit       string `json:"unit"`
}

// Next returns the day a visit is due after from.
func (s Schedule) Next(from workday.Date) workday.Date {
	switch s.Unit {
	case "day":
		return from.AddDays(s.Every)
	case "week":
		return from.AddDays(7 * s.Every)
	}
	first := time.Date(from.Year, from.Month+time.Month(s.Every), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return workday.NewDate(first.Year(), first.Month(), min(from.Day, last))
}

// Target is a visitable record with its location.
type Target struct {
	Kind     string
	ID       int64
	Name     string
	Address  string
	Category string
	GridCode string
	Point    *orb.Point
}

// Visit is one recorded visit.
type Visit struct {
	ID          int64
	TargetKind  string
	TargetID    int64
	TargetName  string
	VisitorID   int64
	VisitorName string
	GridCode    string
	VisitedAt   time.Time
	VisitedOn   workday.Date
	Point       orb.Point
	DistanceM   *float64
	OnSite      bool
	Notes       string
	PhotoIDs    []int64
	CreatedAt   time.Time
	// Key and Hash identify a retry (Idempotency-Key and the request's hash).
	Key      string
	Hash     []byte
	Replayed bool
}

// Scheduled is a target someone must visit, as the store finds it.
type Scheduled struct {
	Target
	ResponsibleID   int64
	ResponsibleName string
	// Since is when the duty began (the assignment's start, the file's creation).
	Since     workday.Date
	LastVisit *workday.Date // latest on-site visit, any visitor
}

// Due is a scheduled target with its next due date.
type Due struct {
	Scheduled
	Schedule    Schedule
	DueOn       workday.Date
	Overdue     bool
	DaysOverdue int
}

// Coverage is one worker's month of visits.
type Coverage struct {
	WorkerID  int64
	Assigned  int
	Visited   int
	Unvisited []Target // the targets not visited (for the evidence)
}

// DueFilter selects scheduled targets; nil fields do not filter.
type DueFilter struct {
	GridCodes []string
	UserID    *int64
	On        workday.Date
}

// VisitFilter selects visits.
type VisitFilter struct {
	VisitorID int64
	From, To  workday.Date // [From, To)
}

// Store is what visits need from the database.
type Store interface {
	FindTarget(ctx context.Context, kind string, id int64) (*Target, error)
	// PhotosOwned counts how many of ids are uploads of owner.
	PhotosOwned(ctx context.Context, ids []int64, owner int64) (int, error)
	// CreateVisit stores v; with v.Key a key its visitor used before
	// answers with that visit (v.Replayed) when v.Hash matches, else
	// Unprocessable.
	CreateVisit(ctx context.Context, v *Visit) error
	FindVisits(ctx context.Context, f VisitFilter) ([]*Visit, error)
	Schedules(ctx context.Context) ([]Schedule, error)
	ReplaceSchedules(ctx context.Context, ss []Schedule) error
	// Scheduled lists the targets someone answers for on f.On, with their
	// last on-site visit.
	Scheduled(ctx context.Context, f DueFilter) ([]*Scheduled, error)
	// PhotoGrids returns the grids of the visits holding upload id.
	PhotoGrids(ctx context.Context, id int64) ([]string, error)
	// MonthCoverage computes every worker's coverage over [from, to).
	MonthCoverage(ctx context.Context, from, to workday.Date) ([]Coverage, error)
}
