// Package registry is the grid registry: the hierarchy of grids (street/town,
// community/village, basic grid, and deeper levels as data), their versioned
// geometry, codes, imports and edits.
package registry

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Levels named by the plans. Deeper levels are allowed: the depth is data.
const (
	LevelStreet    = 1 // 街道/镇, 一级网格
	LevelCommunity = 2 // 村/居委会, 二级网格
	LevelBasic     = 3 // 基础网格, 三级网格
)

// Grid is one version of a grid.
type Grid struct {
	Code       string
	Name       string
	Level      int
	ParentCode string // "" for a root
	Geometry   orb.MultiPolygon
	AreaM2     float64 // spheroidal area in square metres
	Version    int
	ValidFrom  time.Time
	ValidTo    *time.Time // nil while current
	Households int
	Population int
}

// GridFilter selects grids. Nil fields do not filter.
type GridFilter struct {
	Level  *int
	Parent *string
	BBox   *orb.Bound
	// AsOf selects the versions valid at that instant; nil means current.
	AsOf *time.Time
	// Within restricts to the subtrees of these codes (access scope); nil means all.
	Within []string
	// Cursor is the last code of the previous page.
	Cursor string
	Limit  int
}

// GridUpdate is a PATCH of a grid; nil fields are unchanged.
type GridUpdate struct {
	Name       *string
	ParentCode *string
	Geometry   *orb.MultiPolygon
	// Version, when set, must equal the current version (optimistic locking).
	Version *int
}

// Store is what the registry needs from the database.
type Store interface {
	FindGridByCode(ctx context.Context, code string, asOf *time.Time) (*Grid, error)
	FindGrids(ctx context.Context, f GridFilter) ([]*Grid, error)
	// ImportGrids inserts or versions the grids in one transaction. A
	// non-nil check is run on the topology the write would add (see
	// guard.go) before anything is written; its error rolls back.
	ImportGrids(ctx context.Context, grids []*Grid, at time.Time, check TopologyCheck) (ImportCounts, error)
	UpdateGrid(ctx context.Context, code string, upd GridUpdate, at time.Time, check TopologyCheck) (*Grid, error)
	// EditGrids writes several grids in one transaction, all or nothing:
	// each as a new version when its Want matches the current version
	// (else a Conflict), created when Want is 0, or ended. check as for
	// ImportGrids, on the result as a whole.
	// It returns what it carried over from ended grids (carry.go).
	EditGrids(ctx context.Context, writes []GridWrite, at time.Time, check TopologyCheck) ([]CarryOver, error)
	// CarveGeometry splits grid by the polygon piece (carve.go), keeping
	// polygons only.
	CarveGeometry(ctx context.Context, grid, piece orb.MultiPolygon) (*Carved, error)
	// GridHistory returns, ordered by code, at most limit grids that
	// differ between f.From and f.To (history.go).
	GridHistory(ctx context.Context, f HistoryFilter, limit int) ([]GridChange, error)
	// PlanCarryOver says what EditGrids would carry over; it writes nothing.
	PlanCarryOver(ctx context.Context, writes []GridWrite, at time.Time) ([]CarryOver, error)
	// HouseholdShifts counts, for each grid, the households of the
	// registers assigned to it now and those whose place lies in its new
	// geometry (the preview of an edit).
	HouseholdShifts(ctx context.Context, grids []*Grid) ([]HouseholdShift, error)
	// FindGridCodes returns the codes of every grid that ever was a child
	// of parent (current or ended), so new codes are never reused.
	FindGridCodes(ctx context.Context, parent string) ([]string, error)
	// GridAncestors returns the parent chain of code, top first, as of asOf.
	GridAncestors(ctx context.Context, code string, asOf *time.Time) ([]*Grid, error)
}

// GridWrite is one grid of a multi-grid edit as the store writes it.
type GridWrite struct {
	Grid *Grid // the whole new version (Code, Name, Level, ParentCode, Geometry)
	Want int   // the version it replaces; 0 creates the grid
	End  bool  // end the grid's current version without a successor (a merge)
}

// HouseholdShift is how an edit changes a grid's households.
type HouseholdShift struct {
	Code   string `json:"code"`
	Before int    `json:"before"`
	After  int    `json:"after"`
}

// ImportCounts reports what an import did.
type ImportCounts struct {
	Created   int `json:"created"`
	Versioned int `json:"versioned"`
	Unchanged int `json:"unchanged"`
}
