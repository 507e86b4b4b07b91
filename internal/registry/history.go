package registry

import (
	"context"
	"time"

	"github.com/gridd/gridd/internal/auth"
	"github.com/gridd/gridd/internal/errs"
)

// Kinds of GridChange.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeChanged = "changed"
)

// HistoryFilter selects the grids compared between two instants.
type HistoryFilter struct {
	From, To time.Time
	Parent   *string
	Level    *int
	// Within restricts to the subtrees of these codes at either instant
	// (access scope); nil means all.
	Within []string
}

// GridChange is one grid that differs between two instants: added (only
// at To), removed (only at From) or changed (another version at To: a new
// name, parent or geometry). Before and After are the versions at From
// and To (nil where the grid did not exist).
type GridChange struct {
	Code   string
	Change string
	Before *Grid
	After  *Grid
	// GainedM2 and LostM2 are the spheroidal areas the grid gained and
	// lost between the two versions (0 unless changed).
	GainedM2        float64
	LostM2          float64
	GeometryChanged bool
}

// MaxHistoryChanges bounds one comparison.
const MaxHistoryChanges = 5000

// History compares the grids the caller may read as of two instants.
// from after to is refused (400 range_reversed).
func (s *Service) History(ctx context.Context, p *auth.Principal, f HistoryFilter) ([]GridChange, error) {
	if f.From.After(f.To) {
		return nil, errs.Invalidf("from", "range_reversed", "from (%s) is after to (%s)", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	f.Within = p.GridScope()
	out, err := s.Store.GridHistory(ctx, f, MaxHistoryChanges+1)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxHistoryChanges {
		return nil, errs.E(errs.TooLarge, "too_many_changes", "more than %d grids changed between the two dates; narrow it with parent or level", MaxHistoryChanges)
	}
	return out, nil
}
